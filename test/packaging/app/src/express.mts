// ES module app: Express with @wsgate/express.
import type { AddressInfo } from 'node:net';
import { wsgate } from '@wsgate/express';
import express from 'express';
import { check, roundTrip } from './client.cjs';

check(import.meta.resolve('@wsgate/express').endsWith('/dist/esm/index.js'), 'the ESM build is loaded');

const app = express();
const gate = wsgate(app);
app.ws('/echo/:room', (session) => {
  const room: string = session.params.room ?? '';
  session.on('message', (message) => session.send(`${room}:${String(message)}`));
});

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
const reply = await roundTrip(`ws://127.0.0.1:${port}/echo/kitchen`, 'hello');
check(reply === 'kitchen:hello', `echo through Express (got ${reply})`);
await gate.close();
server.close(() => console.log('ok express esm'));
