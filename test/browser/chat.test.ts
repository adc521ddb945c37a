import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/ws.ts';
import { type RunningChat, startChat } from './support/chat-server.ts';
import { chromiumAvailable, launchProfile, type Profile } from './support/chromium.ts';

// The functions given to waitForFunction run in the page; this is the part of the DOM they use (declared
// here rather than adding the DOM library to the whole Node program).
interface Element {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): Element | null;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<Element>;
  getElementById(id: string): Element | null;
};

const SECRET = 'browser-suite-secret';
// Saved on every run where CI keeps test output; WSGATE_UPDATE_SCREENSHOT=1 refreshes the README's copy.
const SCREENSHOT = fileURLToPath(
  new URL(
    process.env.WSGATE_UPDATE_SCREENSHOT === '1'
      ? '../../examples/chat/screenshot.png'
      : '../../test-results/chat-screenshot.png',
    import.meta.url,
  ),
);
const WAIT = { timeout: 30_000 };

/** Signs in on the form and waits until the room page's socket is connected. */
async function enter(profile: Profile, base: string, name: string, room: string): Promise<Page> {
  const page = await profile.context.newPage();
  await page.goto(`${base}/?room=${room}`);
  await page.fill('#name', name);
  await Promise.all([page.waitForURL(`**/rooms/${room}`, WAIT), page.click('button[type=submit]')]);
  await connected(page);
  return page;
}

const connected = (page: Page) => page.waitForSelector('#state[data-state="connected"]', WAIT);

const members = (page: Page, expected: string[]) =>
  page.waitForFunction(
    (names) => [...document.querySelectorAll('#members li')].map((li) => li.textContent).join() === names,
    expected.join(),
    WAIT,
  );

const sees = (page: Page, from: string, text: string) =>
  page.waitForFunction(
    ([f, t]) =>
      [...document.querySelectorAll('#log .msg')].some(
        (li) => li.querySelector('.from')?.textContent === f && li.querySelector('.text')?.textContent === t,
      ),
    [from, text],
    WAIT,
  );

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

/** Closes pages whatever happened in the test. */
async function closing<T>(pages: Page[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    await Promise.allSettled(pages.map((p) => p.close()));
  }
}

describe.skipIf(!chromiumAvailable())('the chat example in Chromium', () => {
  let chat: RunningChat | undefined;
  let alice: Profile | undefined;
  let bob: Profile | undefined;

  beforeAll(async () => {
    chat = await startChat({ secret: SECRET });
    [alice, bob] = await Promise.all([launchProfile(), launchProfile()]);
  });

  afterAll(async () => {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await chat?.stop();
  });

  it('two pages in one room see each other, exchange messages and typing; a new page gets the history', async () => {
    const pages: Page[] = [];
    await closing(pages, async () => {
      const a = await enter(alice!, chat!.url, 'Alice', 'lobby');
      pages.push(a);
      const b = await enter(bob!, chat!.url, 'Bob', 'lobby');
      pages.push(b);
      await members(a, ['Alice', 'Bob']);
      await members(b, ['Alice', 'Bob']);
      await a.waitForSelector('#log .notice:text("Bob joined")', WAIT);

      await say(a, 'Hi Bob! Is this on?');
      await sees(b, 'Alice', 'Hi Bob! Is this on?');
      await say(b, 'Loud and clear, no polling involved');
      await sees(a, 'Bob', 'Loud and clear, no polling involved');
      await say(a, 'The upgrade went through Express, cookie and all');
      await sees(b, 'Alice', 'The upgrade went through Express, cookie and all');

      // Typing without sending shows on the other page.
      await a.fill('#text', 'Restarting the server next');
      await b.waitForSelector('#typing:text("Alice is typing…")', WAIT);
      await b.screenshot({ path: SCREENSHOT });

      // A third page (Alice's second tab) gets the room's last messages replayed on join.
      const c = await alice!.context.newPage();
      pages.push(c);
      await c.goto(`${chat!.url}/rooms/lobby`);
      await connected(c);
      await sees(c, 'Bob', 'Loud and clear, no polling involved');
      expect(await c.locator('#log .msg').count()).toBe(3);
      await members(c, ['Alice', 'Bob']); // one name, however many tabs
    });
  });

  it('a page of another origin cannot open the socket: the chat refuses it with 403', async () => {
    const origin: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><script>
        const ws = new WebSocket('ws://127.0.0.1:${chat!.port}/ws/rooms/lobby');
        ws.onopen = () => { document.body.dataset.result = 'open'; };
        ws.onclose = (e) => { document.body.dataset.result = 'closed ' + e.code; };
      </script>`);
    });
    origin.listen(0, '127.0.0.1');
    await once(origin, 'listening');
    const pages: Page[] = [];
    try {
      await closing(pages, async () => {
        const accepted = chat!.gate.stats().accepted;
        // Alice's profile holds a valid cookie for 127.0.0.1 (cookies ignore ports): only the Origin differs.
        const page = await alice!.context.newPage();
        pages.push(page);
        await page.goto(`http://127.0.0.1:${(origin.address() as AddressInfo).port}/`);
        await page.waitForSelector('body[data-result]', { ...WAIT, state: 'attached' });
        expect(await page.getAttribute('body', 'data-result')).toBe('closed 1006');
        await until(() => chat!.rejects.some((r) => r.status === 403), 'a 403', 10_000);
        expect(chat!.rejects).toContainEqual({ status: 403, url: '/ws/rooms/lobby' });
        expect(chat!.gate.stats().rejected['403']).toBeGreaterThanOrEqual(1);
        expect(chat!.gate.stats().accepted).toBe(accepted);
      });
    } finally {
      origin.closeAllConnections();
      await new Promise<void>((resolve) => origin.close(() => resolve()));
    }
  });

  it('after a server restart on the same port the pages reconnect and chat again', async () => {
    const pages: Page[] = [];
    await closing(pages, async () => {
      const a = await enter(alice!, chat!.url, 'Alice', 'restart');
      pages.push(a);
      const b = await enter(bob!, chat!.url, 'Bob', 'restart');
      pages.push(b);
      await members(a, ['Alice', 'Bob']);

      const port = chat!.port;
      const first = chat!;
      chat = undefined;
      await first.stop(); // every page gets 1001
      const down = (page: Page) =>
        page.waitForFunction(
          () => document.getElementById('state')?.dataset.state !== 'connected',
          null,
          WAIT,
        );
      await Promise.all([down(a), down(b)]);
      expect(await a.textContent('#state')).toMatch(/offline|reconnecting/);

      chat = await startChat({ secret: SECRET, port });
      await Promise.all([connected(a), connected(b)]);
      await members(a, ['Alice', 'Bob']);
      await say(a, 'Back after the restart');
      await sees(b, 'Alice', 'Back after the restart');
      expect(chat.gate.stats().accepted).toBe(2);
    });
  });

  it('the room box takes "Kitchen" as #kitchen; signing out in one tab sends the other tab to the sign-in form', async () => {
    const page = await alice!.context.newPage();
    const other = await alice!.context.newPage();
    await closing([page, other], async () => {
      await page.goto(`${chat!.url}/`);
      await page.fill('#name', 'Alice');
      await page.fill('#room', 'Kitchen');
      // The browser's own pattern check would block an uppercase name before the submit.
      await Promise.all([page.waitForURL('**/rooms/kitchen', WAIT), page.click('button[type=submit]')]);
      await connected(page);

      await other.goto(`${chat!.url}/rooms/kitchen`);
      await connected(other);
      await Promise.all([
        page.waitForURL((url) => url.pathname === '/', WAIT),
        page.click('form[action="/logout"] button'),
      ]);
      // The other tab's socket was closed by the server (4001) and the page went to sign in again.
      await other.waitForURL(
        (url) => url.pathname === '/' && url.searchParams.get('room') === 'kitchen',
        WAIT,
      );
    });
  });
});
