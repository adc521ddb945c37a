import { redisBroker } from '@wsgate/redis';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer, redisAvailable } from '../redis/support/redis-server.ts';
import { type RunningChat, startChat } from './support/chat-server.ts';
import { chromiumAvailable, launchProfile, type Profile } from './support/chromium.ts';

// The part of the DOM the page functions below use (the Node program has no DOM library).
interface Element {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): Element | null;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<Element>;
  getElementById(id: string): Element | null;
};

const SECRET = 'resume-suite-secret';
const WAIT = { timeout: 30_000 };
const ROOM = 'resume';

const connected = (page: Page) => page.waitForSelector('#state[data-state="connected"]', WAIT);
const down = (page: Page) =>
  page.waitForFunction(() => document.getElementById('state')?.dataset.state !== 'connected', null, WAIT);

/** The texts of the messages on the page, in order. */
const lines = (page: Page) =>
  page.evaluate(() => [...document.querySelectorAll('#log .msg .text')].map((li) => li.textContent));

/** Waits until the page shows exactly these lines (a line shown twice never matches). */
const shows = async (page: Page, expected: string[]) => {
  try {
    await page.waitForFunction(
      (want) =>
        [...document.querySelectorAll('#log .msg .text')].map((li) => li.textContent).join('\n') === want,
      expected.join('\n'),
      WAIT,
    );
  } catch (err) {
    // Say what the page shows instead: the difference is the finding.
    expect(await lines(page)).toEqual(expected);
    throw err;
  }
};

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

describe.skipIf(!chromiumAvailable() || !redisAvailable())(
  'the chat across restarts (Chromium, two instances on Redis)',
  () => {
    let redis: RedisServer;
    let alice: Profile;
    let bob: Profile;
    const chats: Array<RunningChat | undefined> = [];
    const ports: number[] = [];

    async function start(i: number): Promise<RunningChat> {
      const broker = redisBroker({ url: redis.url, prefix: 'chat-resume:' });
      await broker.ready();
      const chat = await startChat({ secret: SECRET, broker, nodeId: `n${i}`, port: ports[i]! });
      chats[i] = chat;
      return chat;
    }

    /** A rolling-restart step: instance i closes every socket with 1012 spread over `drain`, then comes back. */
    async function drainRestart(i: number, whileDown: () => Promise<void>): Promise<void> {
      const chat = chats[i]!;
      chats[i] = undefined;
      await chat.gate.close({ code: 1012, drain: 200 });
      await new Promise<void>((resolve) => {
        chat.server.close(() => resolve());
        chat.server.closeAllConnections();
      });
      await whileDown();
      await start(i);
    }

    async function enter(profile: Profile, i: number, name: string): Promise<Page> {
      const page = await profile.context.newPage();
      await page.goto(`http://127.0.0.1:${ports[i]}/?room=${ROOM}`);
      await page.fill('#name', name);
      await Promise.all([page.waitForURL(`**/rooms/${ROOM}`, WAIT), page.click('button[type=submit]')]);
      await connected(page);
      return page;
    }

    beforeAll(async () => {
      redis = await RedisServer.start();
      ports.push(await freePort(), await freePort());
      await start(0);
      await start(1);
      [alice, bob] = await Promise.all([launchProfile(), launchProfile()]);
    }, 90_000);
    afterAll(async () => {
      await Promise.allSettled([alice?.close(), bob?.close()]);
      await Promise.allSettled(chats.map((c) => c?.stop()));
      await redis?.stop();
    });

    it('a rolling restart (1012 with drain) and a network cut: nothing lost, nothing doubled, in order', async () => {
      const a = await enter(alice, 0, 'Alice'); // on instance 0
      const b = await enter(bob, 1, 'Bob'); // on instance 1
      const expected: string[] = [];
      const line = async (page: Page, text: string) => {
        await say(page, text);
        expected.push(text);
        await Promise.all([shows(a, expected), shows(b, expected)]);
      };
      await line(a, 'hello from Alice');
      await line(b, 'hello from Bob');

      // Instance 0 restarts: Bob speaks while Alice is between two sockets.
      await drainRestart(0, async () => {
        await down(a);
        await say(b, 'while Alice was away');
        expected.push('while Alice was away');
      });
      await connected(a);
      await Promise.all([shows(a, expected), shows(b, expected)]);
      await say(a, 'Alice is back');
      expected.push('Alice is back');
      await shows(a, expected);
      await shows(b, expected);

      // Then instance 1: Alice speaks while Bob is away.
      await drainRestart(1, async () => {
        await down(b);
        await say(a, 'while Bob was away');
        expected.push('while Bob was away');
      });
      await connected(b);
      await Promise.all([shows(a, expected), shows(b, expected)]);

      // A network cut: instance 0 drops Alice's TCP connection without a close frame.
      for (const s of chats[0]!.gate.topicMembers(`room:${ROOM}`)) s.terminate();
      await say(b, 'during the cut');
      expected.push('during the cut');
      await connected(a);
      await line(a, 'after the cut');
      expect(await lines(a)).toEqual(expected);
      expect(await lines(b)).toEqual(expected);
      await Promise.all([a.close(), b.close()]);
    }, 120_000);
  },
);
