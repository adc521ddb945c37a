// CommonJS app: @wsgate/core alone on a plain http.Server.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, HttpError } from '@wsgate/core';
import { check, roundTrip } from './client.cjs';

check(require.resolve('@wsgate/core').endsWith('/dist/cjs/index.js'), 'the CommonJS build is loaded');
check(new HttpError(403, 'no') instanceof Error, 'HttpError is an Error');

const gate = createGate();
gate.route('/echo', (session) => {
  session.on('message', (message) => session.send(message));
});
const server = createServer((_req, res) => res.end('page'));
gate.attach(server);
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo;
  const reply = await roundTrip(`ws://127.0.0.1:${port}/echo`, 'hello');
  check(reply === 'hello', `echo through core (got ${reply})`);
  await gate.close();
  server.close(() => console.log('ok core cjs'));
});
