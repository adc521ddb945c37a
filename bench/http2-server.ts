// The server side of bench/http2.ts: one TLS port serving WebSockets over HTTP/2 (RFC 8441) and
// HTTP/1.1, measured from inside (CPU with process.cpuUsage, memory after forced GC), driven over IPC.
import { once } from 'node:events';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createGate, silentLogger } from '@wsgate/core';

const gc = (globalThis as { gc?: () => void }).gc;
const key = Buffer.from(process.env.BENCH_KEY ?? '', 'base64');
const cert = Buffer.from(process.env.BENCH_CERT ?? '', 'base64');
const gate = createGate({
  logger: silentLogger,
  heartbeat: false,
  allowedHosts: ['127.0.0.1', 'localhost'],
  limits: { connections: 20_000, connectionsPerIp: 20_000, pendingHandshakes: 20_000 },
  messages: false,
});
gate.route('/echo', (s) => s.on('message', (m) => s.send(m)));
const server = createSecureServer({
  key,
  cert,
  allowHTTP1: true,
  // Room for the 100 WebSockets per connection the driver opens, stated rather than left to the default.
  settings: { maxConcurrentStreams: 1000 },
});
gate.attach(server);
server.listen(0, '127.0.0.1');
await once(server, 'listening');

function memory(): { heapExternal: number; rss: number } {
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return { heapExternal: m.heapUsed + m.external, rss: m.rss };
}

let cpu = process.cpuUsage();
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'memory') process.send?.({ cmd: 'memory', ...memory(), sessions: gate.sessions.size });
  else if (msg.cmd === 'cpu-start') {
    cpu = process.cpuUsage();
    process.send?.({ cmd: 'cpu-start' });
  } else if (msg.cmd === 'cpu-stop') {
    const d = process.cpuUsage(cpu);
    process.send?.({ cmd: 'cpu-stop', micros: d.user + d.system });
  } else if (msg.cmd === 'exit') {
    void gate.close({ timeout: 100 }).then(() => process.exit(0));
  }
});
process.send?.({ cmd: 'ready', port: (server.address() as AddressInfo).port });
