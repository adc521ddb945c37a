import { connect } from 'node:net';
import Router from '@koa/router';
import { wsgate } from '@wsgate/koa';
import { describe, expect, it } from 'vitest';
import { upgradeHeaders } from '../../../test/support/raw.ts';
import { collect, openClient, until } from '../../../test/support/ws.ts';
import { latch, listen, served, versions } from './helpers.ts';

/** A masked client text frame (RFC 6455 section 5.2), short payloads only. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = payload.map((b, i) => b ^ mask[i % 4]!);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

describe.each(versions)('%s: no message is lost between the 101 and the first listener', (_name, Koa) => {
  it('code after `await ctx.ws()` may await before listening: every early message arrives, in order', async () => {
    const app = new Koa();
    const gate = wsgate(app, { limits: { messages: false } });
    const ready = latch();
    const router = new Router();
    router.get('/late', async (ctx) => {
      const s = await ctx.ws!();
      await ready.promise; // e.g. a database lookup before the listener exists
      s.on('message', (m) => s.send(m));
    });
    app.use(router.routes());
    await served(app, gate, async (t) => {
      const ws = await openClient(`${t.wsUrl}/late`);
      const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
      for (const m of sent) ws.send(m);
      await until(() => gate.stats().messagesIn === sent.length, 'the server to receive every message');
      ready.open();
      expect(await collect(ws, sent.length)).toEqual(sent);
      ws.close();
    });
  });

  it('a frame in the same TCP packet as the upgrade request reaches the listener attached after the await', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    app.use(async (ctx) => {
      const s = await ctx.ws!();
      s.on('message', (m) => s.send(`got ${m}`));
    });
    const t = await listen(app, gate);
    const u = new URL(t.url);
    const socket = connect(Number(u.port), u.hostname);
    try {
      const head = `GET /x HTTP/1.1\r\n${Object.entries(upgradeHeaders(u.host))
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`;
      let received = Buffer.alloc(0);
      const answer = new Promise<string>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => {
          received = Buffer.concat([received, chunk]);
          const end = received.indexOf('\r\n\r\n');
          if (end === -1) return;
          const frame = received.subarray(end + 4);
          if (frame.length >= 2 && frame.length >= 2 + frame[1]!) resolve(received.toString('latin1'));
        });
        socket.on('error', reject);
      });
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), clientTextFrame('first')]));
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 101 /);
      expect(text.endsWith('got first')).toBe(true);
    } finally {
      socket.destroy();
      await t.close();
    }
  });
});
