import type { Server } from 'node:http';
import { wsgate } from '@wsgate/express';
import express from 'express';
import { afterEach, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Client, connect, type State } from '../../packages/client/src/index.ts';
import { type Listening, listening } from '../support/listening.ts';

let started: Listening | undefined;
let client: Client | undefined;

afterEach(async () => {
  client?.close();
  await started?.close();
  started = undefined;
});

function reach(c: Client, state: State): Promise<void> {
  return new Promise((resolve) => {
    if (c.state === state) return resolve();
    const off = c.on('state', (s) => {
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

it("every reconnect of @wsgate/client runs the framework's auth middleware again; a revoked user is stopped with 401", async () => {
  const app = express();
  const gate = wsgate(app);
  let allowed = true;
  let authRuns = 0;
  app.use((req, res, next) => {
    authRuns++;
    if (allowed && req.query.token === 'secret') next();
    else res.status(401).send('who are you?');
  });
  app.ws('/live', { protocols: ['wsgate.v1'] }, (session) => {
    session.onRequest(() => 'pong from express');
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  started = await listening(server, gate);

  client = connect(`${started.wsUrl}/live?token=secret`, {
    WebSocket,
    reconnect: { minDelay: 10, maxDelay: 20 },
  });
  await reach(client, 'open');
  expect(await client.request('ping?')).toBe('pong from express');
  expect(authRuns).toBe(1);

  // A rolling restart: the client comes back through the middleware.
  const back = reach(client, 'reconnecting');
  gate.sessions.closeWhere(() => true, 1012, 'server restarting');
  await back;
  await reach(client, 'open');
  expect(authRuns).toBe(2);
  expect(await client.request('again?')).toBe('pong from express');

  // The user is revoked meanwhile: the next reconnect is refused before the 101, and the client stops.
  allowed = false;
  gate.sessions.closeWhere(() => true, 1012, 'server restarting');
  await reach(client, 'closed');
  expect(client.info).toMatchObject({ status: 401 });
  expect(authRuns).toBe(3);
});
