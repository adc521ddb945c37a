import type { Http2ServerRequest, Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { wsgate } from '@wsgate/fastify';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '../http2/h2-peer.ts';
import { nextMessage, openClient } from '../support/ws.ts';
import { chromiumAvailable, launchProfile } from './support/chromium.ts';

declare const document: { body: { dataset: Record<string, string | undefined> } };

// A page whose script opens a WebSocket to the same origin, sends one message and shows the echo.
const PAGE = `<!doctype html><meta charset="utf-8"><title>h2</title><script>
const ws = new WebSocket('wss://' + location.host + '/echo');
ws.onopen = () => ws.send('hello from chromium');
ws.onmessage = (e) => { document.body.dataset.echo = e.data; };
ws.onerror = () => { document.body.dataset.echo = 'error'; };
</script><body></body>`;

const tls = testCertificate();

/** What the server saw: the HTTP version of every request and upgrade, and which HTTP/2 connection. */
interface Seen {
  page: { version: string; session?: Http2Session | undefined }[];
  upgrades: { version: string; session?: Http2Session | undefined }[];
}

async function start(): Promise<{ app: { close(): PromiseLike<unknown> }; port: number; seen: Seen }> {
  const seen: Seen = { page: [], upgrades: [] };
  const app = Fastify({ http2: true, https: { ...tls, allowHTTP1: true } });
  await app.register(wsgate, {
    heartbeat: false,
    authenticate: (req) => {
      seen.upgrades.push({ version: req.httpVersion, session: h2SessionOf(req) });
      return {};
    },
  });
  app.ws('/echo', {}, (session) => session.on('message', (m) => session.send(m)));
  app.get('/', async (request, reply) => {
    seen.page.push({
      version: request.raw.httpVersion,
      session: (request.raw as Http2ServerRequest).stream?.session,
    });
    return reply.type('text/html').send(PAGE);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as AddressInfo).port, seen };
}

/** The HTTP/2 connection an extended CONNECT came on (its socket is wsgate's stream adapter). */
function h2SessionOf(req: { socket: unknown }): Http2Session | undefined {
  return (req.socket as { stream?: { session?: Http2Session } }).stream?.session;
}

describe.runIf(chromiumAvailable())(
  'Chromium: a WebSocket over the page’s HTTP/2 connection (RFC 8441)',
  () => {
    let server: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      server = await start();
    });
    afterAll(async () => {
      await server?.app.close();
    });

    it('loads the page over HTTP/2 and opens its WebSocket as an extended CONNECT on that connection', async () => {
      const profile = await launchProfile(['--ignore-certificate-errors']);
      try {
        const page = await profile.context.newPage();
        await page.goto(`https://localhost:${server.port}/`);
        await page.waitForFunction(() => document.body.dataset.echo !== undefined, undefined, {
          timeout: 30_000,
        });
        expect(await page.evaluate(() => document.body.dataset.echo)).toBe('hello from chromium');
        expect(server.seen.page.map((p) => p.version)).toEqual(['2.0']);
        expect(server.seen.upgrades.map((u) => u.version)).toEqual(['2.0']);
        expect(server.seen.upgrades[0]?.session).toBeDefined();
        expect(server.seen.upgrades[0]?.session).toBe(server.seen.page[0]?.session);
      } finally {
        await profile.close();
      }
    });

    it('keeps HTTP/1.1 working: Chromium with HTTP/2 off, and a ws client, on the same port', async () => {
      server.seen.page.length = 0;
      server.seen.upgrades.length = 0;
      const profile = await launchProfile(['--ignore-certificate-errors', '--disable-http2']);
      try {
        const page = await profile.context.newPage();
        await page.goto(`https://localhost:${server.port}/`);
        await page.waitForFunction(() => document.body.dataset.echo !== undefined, undefined, {
          timeout: 30_000,
        });
        expect(await page.evaluate(() => document.body.dataset.echo)).toBe('hello from chromium');
      } finally {
        await profile.close();
      }
      const ws = await openClient(`wss://127.0.0.1:${server.port}/echo`, { ca: tls.cert });
      ws.send('h1');
      expect(await nextMessage(ws)).toBe('h1');
      ws.close();
      expect(server.seen.page.map((p) => p.version)).toEqual(['1.1']);
      expect(server.seen.upgrades.map((u) => u.version)).toEqual(['1.1', '1.1']);
    });
  },
);
