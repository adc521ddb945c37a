import { createServer, type Server } from 'node:http';
import type { AnyHttp2Server } from './listen.js';

const bridges = new WeakMap<AnyHttp2Server, Server>();

/**
 * `gate.inject()` speaks HTTP/1.1 over an in-memory connection, which an HTTP/2 server (TLS first, or
 * h2c) cannot take: this never-listening HTTP/1.1 server hands each upgrade to the HTTP/2 server's own
 * `'upgrade'` listeners, so an injected client runs the same pipeline as one that connects with HTTP/1.1.
 */
export function injectBridge(server: AnyHttp2Server): Server {
  let bridge = bridges.get(server);
  if (!bridge) {
    bridge = createServer((_req, res) => res.writeHead(426).end());
    bridge.on('upgrade', (req, socket, head) => server.emit('upgrade', req, socket, head));
    bridges.set(server, bridge);
  }
  return bridge;
}
