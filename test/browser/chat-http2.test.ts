import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../http2/h2-peer.ts';
import { openClient, until } from '../support/ws.ts';
import { chromiumAvailable, launchProfile, type Profile } from './support/chromium.ts';
import { type Event, next, nextMatching } from './support/clients.ts';

// The Koa chat entry, run as `pnpm start:koa` runs it, over HTTPS with HTTP/2 (issue 21): Chromium loads
// the room page and opens its WebSocket as an extended CONNECT (RFC 8441) on that same HTTP/2 connection.

interface Element {
  textContent: string | null;
  querySelector(selector: string): Element | null;
}
declare const document: { querySelectorAll(selector: string): Iterable<Element> };

const CHAT_DIR = fileURLToPath(new URL('../../examples/chat/', import.meta.url));
const WAIT = { timeout: 30_000 };

/** One `CHAT_LOG_HTTP` line: HTTP version, method, path, HTTP/2 connection number (`-` for HTTP/1.1). */
interface Logged {
  version: string;
  method: string;
  path: string;
  connection: string;
}

/** The Koa chat in a child process, with the requests it logged. */
interface KoaChat {
  port: number;
  logged: Logged[];
  stop(): Promise<void>;
}

async function startKoaChat(tls: { cert: Buffer; key: Buffer }): Promise<KoaChat> {
  const dir = mkdtempSync(join(tmpdir(), 'wsgate-chat-tls-'));
  writeFileSync(join(dir, 'cert.pem'), tls.cert);
  writeFileSync(join(dir, 'key.pem'), tls.key);
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@wsgate/source', '--import', 'tsx', 'server-koa.ts'],
    {
      cwd: CHAT_DIR,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        SESSION_SECRET: 'h2-suite-secret',
        TLS_CERT: join(dir, 'cert.pem'),
        TLS_KEY: join(dir, 'key.pem'),
        CHAT_LOG_HTTP: '1',
        REDIS_URL: '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const logged: Logged[] = [];
  let port = 0;
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const started = /on https:\/\/localhost:(\d+)$/.exec(line);
      if (started) port = Number(started[1]);
      const [, version, method, path, connection] = /^http (\S+) (\S+) (\S+) (\S+)$/.exec(line) ?? [];
      if (version && method && path && connection) logged.push({ version, method, path, connection });
    }
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // Its SIGTERM handler closes the gate and the server; a process that still hangs is killed.
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      until(() => port !== 0, 'the chat to listen', 30_000),
      exited.then(() => {
        throw new Error('the Koa chat exited before listening');
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, logged, stop };
}

/** Signs in over HTTP/1.1 (Node's https) and returns the cookie the form route set. */
function signInHttp1(port: number, ca: Buffer, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/login',
        method: 'POST',
        ca,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        res.resume();
        const cookie = res.headers['set-cookie']?.[0]?.split(';')[0];
        if (res.statusCode === 303 && cookie && res.httpVersion === '1.1') resolve(cookie);
        else reject(new Error(`sign-in failed: ${res.statusCode} over HTTP/${res.httpVersion}`));
      },
    );
    req.on('error', reject);
    req.end(new URLSearchParams({ name, room: 'lobby' }).toString());
  });
}

async function enter(profile: Profile, base: string, name: string): Promise<Page> {
  const page = await profile.context.newPage();
  await page.goto(`${base}/?room=lobby`);
  await page.fill('#name', name);
  await Promise.all([page.waitForURL('**/rooms/lobby', WAIT), page.click('button[type=submit]')]);
  await page.waitForSelector('#state[data-state="connected"]', WAIT);
  return page;
}

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

describe.runIf(chromiumAvailable())('the Koa chat over HTTPS with HTTP/2 in Chromium', () => {
  const tls = testCertificate();
  let chat: KoaChat | undefined;
  let alice: Profile | undefined;
  let bob: Profile | undefined;

  beforeAll(async () => {
    chat = await startKoaChat(tls);
    [alice, bob] = await Promise.all([
      launchProfile(['--ignore-certificate-errors']),
      launchProfile(['--ignore-certificate-errors']),
    ]);
  });

  afterAll(async () => {
    await Promise.allSettled([alice?.close(), bob?.close()]);
    await chat?.stop();
  });

  it('two pages chat, each with its WebSocket as an extended CONNECT on its page’s HTTP/2 connection', async () => {
    const base = `https://localhost:${chat!.port}`;
    const a = await enter(alice!, base, 'Alice');
    const b = await enter(bob!, base, 'Bob');
    await say(a, 'Hi Bob, over HTTP/2');
    await sees(b, 'Alice', 'Hi Bob, over HTTP/2');
    await say(b, 'Same connection as the page');
    await sees(a, 'Bob', 'Same connection as the page');

    const rooms = chat!.logged.filter((l) => l.path === '/rooms/lobby');
    const sockets = chat!.logged.filter((l) => l.path === '/ws/rooms/lobby');
    expect(rooms).toHaveLength(2);
    expect(sockets).toHaveLength(2);
    // Every request, page and socket alike, came over HTTP/2 on one of two connections (one per browser).
    expect(chat!.logged.every((l) => l.version === '2.0' && l.connection !== '-')).toBe(true);
    expect(new Set(rooms.map((r) => r.connection)).size).toBe(2);
    expect(sockets.map((s) => s.method)).toEqual(['CONNECT', 'CONNECT']);
    // Each browser's socket came on the connection its room page came on.
    expect(sockets.map((s) => s.connection)).toEqual(rooms.map((r) => r.connection));
  });

  it('keeps HTTP/1.1 working on the same port: a ws client signs in and chats with the browser', async () => {
    const first = chat!.logged.length;
    const base = `https://localhost:${chat!.port}`;
    const a = await alice!.context.newPage();
    await a.goto(`${base}/rooms/lobby`);
    await a.waitForSelector('#state[data-state="connected"]', WAIT);

    const cookie = await signInHttp1(chat!.port, tls.cert, 'Carol');
    const ws = await openClient(`wss://127.0.0.1:${chat!.port}/ws/rooms/lobby`, {
      ca: tls.cert,
      headers: { cookie },
    });
    try {
      expect((await next(ws)).type).toBe('welcome');
      ws.send(JSON.stringify({ type: 'message', text: 'hello from HTTP/1.1' }));
      await sees(a, 'Carol', 'hello from HTTP/1.1');
      await say(a, 'hello back over HTTP/2');
      const got: Event = await nextMatching(ws, (e) => e.type === 'message' && e.from === 'Alice');
      expect(got.text).toBe('hello back over HTTP/2');
    } finally {
      ws.close();
    }
    await until(() => chat!.logged.length >= first + 4, 'the logged requests');
    const later = chat!.logged.slice(first);
    expect(
      later.filter((l) => l.version === '1.1').map((l) => `${l.method} ${l.path} ${l.connection}`),
    ).toEqual(['POST /login -', 'GET /ws/rooms/lobby -']);
    expect(later.find((l) => l.path === '/rooms/lobby')?.version).toBe('2.0');
  });
});
