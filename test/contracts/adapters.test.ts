import { wsTest } from '@wsgate/core/testing';
import { wsgate as expressGate } from '@wsgate/express';
import wsgateFastify from '@wsgate/fastify';
import { wsgate as koaGate } from '@wsgate/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

const Ping = z.object({ ping: z.number().int() });
const Pong = z.object({ pong: z.number().int() });
const contract = { message: Ping, send: Pong };

// Each adapter takes the contract in its own idiom, types its handler from it, and documents the route.
describe('contracts in each adapter idiom', () => {
  it('Express: app.ws(path, { message, send }, handler) and gate.asyncapi()', async () => {
    const app = express();
    const gate = expressGate(app, { heartbeat: false });
    app.ws('/ping/:id', contract, (session) => {
      session.on('message', (m) => session.send({ pong: m.ping + 1 }));
    });
    try {
      await wsTest(gate, '/ping/1', {}, contract).sendJson({ ping: 1 }).expectJson({ pong: 2 });
      await wsTest(gate, '/ping/1')
        .sendJson({ ping: 1.5 })
        .expectClosed(1007, /^invalid message: ping: /);
      expect(gate.asyncapi({ info: { title: 'x', version: '1' } }).channels['ping-id']?.address).toBe(
        '/ping/{id}',
      );
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('Fastify: route options ws: { message, send }, and injectWS', async () => {
    const app = Fastify();
    await app.register(wsgateFastify, { heartbeat: false });
    app.ws('/ping', { ws: { ...contract, onInvalid: 'reply' } }, (session) => {
      session.on('message', (m) => session.send({ pong: m.ping + 1 }));
    });
    await app.ready();
    try {
      await wsTest(app, '/ping', {}, contract)
        .sendJson({ ping: 'x' } as never)
        .expectJson((m) => expect(m).toMatchObject({ type: 'error', code: 'invalid_message' }))
        .sendJson({ ping: 41 })
        .expectJson({ pong: 42 });
      expect(Object.keys(app.wsgate.asyncapi({ info: { title: 'x', version: '1' } }).channels)).toEqual([
        'ping',
      ]);
    } finally {
      await app.close();
    }
  });

  it('Koa: app.ws(path, options, handler), for-await typed', async () => {
    const app = new Koa();
    const gate = koaGate(app, { heartbeat: false });
    gate.ws('/ping', contract, async (session) => {
      for await (const m of session) session.send({ pong: m.ping * 2 });
    });
    try {
      await wsTest(gate, '/ping', {}, contract)
        .sendJson({ ping: 2 })
        .sendJson({ ping: 3 })
        .expectJson({ pong: 4 })
        .expectJson({ pong: 6 });
      await wsTest(gate, '/ping').sendBinary(Buffer.from('{}')).expectClosed(1003);
      expect(Object.keys(gate.asyncapi({ info: { title: 'x', version: '1' } }).channels)).toEqual(['ping']);
    } finally {
      await gate.close({ timeout: 500 });
    }
  });
});
