// ES module app: @wsgate/core alone on a plain http.Server.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate } from '@wsgate/core';
import { check, roundTrip } from './client.cjs';

check(import.meta.resolve('@wsgate/core').endsWith('/dist/esm/index.js'), 'the ESM build is loaded');

const gate = createGate<{ name: string }>({ authenticate: () => ({ name: 'ada' }) });
gate.route('/hello', (session) => {
  session.on('message', (message) => session.send(`${String(message)}, ${session.user?.name}`));
});
const server = createServer((_req, res) => res.end('page'));
gate.attach(server);
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
const reply = await roundTrip(`ws://127.0.0.1:${port}/hello`, 'hello');
check(reply === 'hello, ada', `echo through core (got ${reply})`);
await gate.close();
server.close(() => console.log('ok core esm'));
