import { wsgate as expressGate } from '@wsgate/express';
import { wsgate as koaGate } from '@wsgate/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';

const In = z.object({ n: z.number() });
const Out = z.object({ ok: z.boolean() });

describe('contract types in each adapter', () => {
  it('Express app.ws and router.ws', () => {
    const app = express();
    expressGate(app);
    app.ws('/x/:id', { message: In, send: Out }, (session, req) => {
      expectTypeOf(session.params).toEqualTypeOf<{ id: string }>();
      expectTypeOf(req.params).toEqualTypeOf<{ id: string }>();
      session.on('message', (m) => expectTypeOf(m).toEqualTypeOf<{ n: number }>());
      // @ts-expect-error: the send schema takes { ok: boolean }
      session.send({ ok: 'yes' });
    });
    express.Router().ws('/y', { message: In }, (session) => {
      session.on('message', (m) => expectTypeOf(m.n).toEqualTypeOf<number>());
    });
  });

  it('Fastify ws: { message, send }', () => {
    const app = Fastify();
    app.ws('/x/:id', { ws: { message: In, send: Out } }, (session) => {
      expectTypeOf(session.params).toEqualTypeOf<{ id: string }>();
      session.on('message', (m) => expectTypeOf(m).toEqualTypeOf<{ n: number }>());
      // @ts-expect-error: the send schema takes { ok: boolean }
      session.send('text');
    });
    app.ws('/plain', { ws: { maxPayload: 10 } }, (session) => {
      session.on('message', (m) => expectTypeOf(m).toEqualTypeOf<string | Buffer>());
    });
  });

  it('Koa gate.ws and app.ws', () => {
    const gate = koaGate(new Koa());
    gate.ws('/x/:id', { message: In, send: Out }, (session) => {
      session.on('message', (m) => expectTypeOf(m).toEqualTypeOf<{ n: number }>());
      // @ts-expect-error: the send schema takes { ok: boolean }
      session.send(new Uint8Array(1));
    });
    gate.app.ws('/y', { message: In }, async (session) => {
      for await (const m of session) expectTypeOf(m).toEqualTypeOf<{ n: number }>();
    });
  });
});
