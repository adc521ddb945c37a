// CommonJS app: Express with @wsgate/express, as most Express apps are written.
import type { AddressInfo } from 'node:net';
import { wsgate } from '@wsgate/express';
import express from 'express';
import { check, roundTrip } from './client.cjs';

check(require.resolve('@wsgate/express').endsWith('/dist/cjs/index.js'), 'the CommonJS build is loaded');
check(require.resolve('@wsgate/core').endsWith('/dist/cjs/index.js'), 'core resolves to its CommonJS build');

const app = express();
const gate = wsgate(app);
app.ws('/echo/:room', (session) => {
  const room: string = session.params.room ?? '';
  session.on('message', (message) => session.send(`${room}:${String(message)}`));
});
app.get('/', (_req, res) => {
  res.send('page');
});

const server = app.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo;
  const reply = await roundTrip(`ws://127.0.0.1:${port}/echo/kitchen`, 'hello');
  check(reply === 'kitchen:hello', `echo through Express (got ${reply})`);
  const page = await fetch(`http://127.0.0.1:${port}/`).then((res) => res.text());
  check(page === 'page', 'plain GETs still reach Express');
  await gate.close();
  server.close(() => console.log('ok express cjs'));
});
