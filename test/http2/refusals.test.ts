import { once } from 'node:events';
import { createServer, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { HttpError } from '@wsgate/core';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import type { ConformanceRoute, ConformanceTarget } from '../conformance/target.ts';
import { coreTarget } from '../targets/core.ts';
import { express4Target, express5Target } from '../targets/express.ts';
import { fastifyTarget } from '../targets/fastify.ts';
import { koaTarget } from '../targets/koa.ts';
import { type ConnectResponse, h2Connect, openWebSocket } from './h2-peer.ts';

const echo: ConformanceRoute = {
  path: '/echo',
  handler: (s: any) => s.on('message', (m: string | Buffer) => s.send(m)),
};

/**
 * The conformance refusal cases (test/conformance/refusals.ts) over HTTP/2, for every target: the target's
 * own app and gate, with the gate also attached to an h2c server, so each extended CONNECT runs through
 * that adapter's framework pipeline and every refusal comes back as an HTTP/2 response.
 */
async function startH2(target: ConformanceTarget, options = {}, routes = [echo]) {
  const t = await target.start(options, routes);
  const server = createServer();
  t.gate.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const session = await h2Connect(`http://127.0.0.1:${port}`);
  const open = (headers: OutgoingHttpHeaders = {}, path = '/echo') => openWebSocket(session, path, headers);
  return {
    port,
    gate: t.gate,
    open,
    /** Refused with `status`, and the connection still carries a working WebSocket. */
    async refused(headers: OutgoingHttpHeaders, status: number, path = '/echo'): Promise<ConnectResponse> {
      const res = await open(headers, path);
      expect(res.status).toBe(status);
      return res;
    },
    async close() {
      session.destroy();
      await t.close();
      await new Promise((r) => server.close(r));
    },
  };
}

async function echoes(res: ConnectResponse): Promise<void> {
  expect(res.status).toBe(200);
  res.peer!.send('alive');
  expect(String((await res.peer!.next()).data)).toBe('alive');
  res.peer!.close(1000);
  await res.peer!.ended;
}

const targets: ConformanceTarget[] = [
  coreTarget,
  express5Target,
  express4Target,
  fastifyTarget,
  koaTarget('koa 3 (app.ws)', Koa, 'app.ws'),
  koaTarget('koa 2 (app.ws)', Koa2, 'app.ws'),
  koaTarget('koa 3 (@koa/router + ctx.ws)', Koa, 'router'),
];

for (const target of targets) {
  describe(`${target.name}: refusals over HTTP/2 (RFC 8441)`, () => {
    it('400 for bad subprotocol lists and extensions, 426 for a missing or unsupported version', async () => {
      const t = await startH2(target);
      try {
        await t.refused({ 'sec-websocket-protocol': 'a,,b' }, 400);
        await t.refused({ 'sec-websocket-protocol': 'chat, chat' }, 400);
        await t.refused({ 'sec-websocket-extensions': 'permessage-deflate; =x' }, 400);
        const v = await t.refused({ 'sec-websocket-version': '12' }, 426);
        expect(v.headers['sec-websocket-version']).toBe('13');
        await t.refused({ 'sec-websocket-version': undefined as never }, 426);
        await echoes(await t.open());
      } finally {
        await t.close();
      }
    });

    it('404 when no route matches, 400 or 404 for a malformed escape', async () => {
      const t = await startH2(target);
      try {
        await t.refused({}, 404, '/nowhere');
        const bad = await t.open({}, '/%E0%A4%A');
        expect([400, 404]).toContain(bad.status);
        await echoes(await t.open());
      } finally {
        await t.close();
      }
    });

    it('403 cross-origin by default, same-origin and no Origin pass; requireOrigin; DNS rebinding', async () => {
      const t = await startH2(target);
      try {
        const cross = await t.refused({ origin: 'https://evil.example' }, 403);
        expect(cross.body).toMatch(/origins/);
        await t.refused({ origin: 'null' }, 403);
        await echoes(await t.open({ origin: `http://127.0.0.1:${t.port}` }));
        await echoes(await t.open());
        const rebind = await t.refused(
          { ':authority': 'rebind.evil.example', origin: 'http://rebind.evil.example' },
          403,
        );
        expect(rebind.body).toMatch(/allowedHosts/);
      } finally {
        await t.close();
      }
      const t2 = await startH2(target, { requireOrigin: true });
      try {
        const none = await t2.refused({}, 403);
        expect(none.body).toMatch(/requireOrigin/);
      } finally {
        await t2.close();
      }
    });

    it('401 with WWW-Authenticate; thrown errors keep their status and headers; a plain throw is a 500', async () => {
      const t = await startH2(target, {
        onError: () => {},
        authenticate: (req: any) => {
          const h = req.headers['x-case'];
          if (h === 'http') throw new HttpError(403, 'Not a member', { headers: { 'X-Why': 'membership' } });
          if (h === 'plain') throw new Error('boom secret');
          return req.headers.authorization === 'Bearer good' ? { name: 'ada' } : undefined;
        },
      });
      try {
        const anon = await t.refused({}, 401);
        expect(anon.headers['www-authenticate']).toMatch(/Bearer/);
        const member = await t.refused({ 'x-case': 'http', authorization: 'Bearer good' }, 403);
        expect([member.headers['x-why'], member.body]).toEqual(['membership', 'Not a member\n']);
        const plain = await t.refused({ 'x-case': 'plain' }, 500);
        expect(plain.body).not.toMatch(/secret/);
        await echoes(await t.open({ authorization: 'Bearer good' }));
      } finally {
        await t.close();
      }
    });

    it('503 with Retry-After over the connection limit and on a slow authenticate; 429 per IP', async () => {
      const t = await startH2(target, { limits: { connections: 1 } });
      try {
        const first = await t.open();
        const full = await t.refused({}, 503);
        expect(full.headers['retry-after']).toBeDefined();
        await echoes(first);
      } finally {
        await t.close();
      }
      const t2 = await startH2(target, { limits: { connectionsPerIp: 1 } });
      try {
        const first = await t2.open();
        await t2.refused({}, 429);
        await echoes(first);
      } finally {
        await t2.close();
      }
      const t3 = await startH2(target, {
        handshakeTimeout: 150,
        authenticate: (_req: any, { signal }: { signal: AbortSignal }) =>
          new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined))),
      });
      try {
        const slow = await t3.refused({}, 503);
        expect(slow.headers['retry-after']).toBeDefined();
        expect(t3.gate.stats().pending).toBe(0);
      } finally {
        await t3.close();
      }
    });

    it('subprotocols: the server preference wins over HTTP/2; no overlap is a 400', async () => {
      const t = await startH2(target, { protocols: ['v2.chat', 'v1.chat'] });
      try {
        const ok = await t.open({ 'sec-websocket-protocol': 'v1.chat, v2.chat' });
        expect(ok.headers['sec-websocket-protocol']).toBe('v2.chat');
        await echoes(ok);
        await t.refused({ 'sec-websocket-protocol': 'mqtt' }, 400);
      } finally {
        await t.close();
      }
    });
  });
}
