import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** Options of one reference route: what raw `ws` is given, nothing else. */
export interface ReferenceRoute {
  maxPayload?: number;
  perMessageDeflate?: boolean;
  /** Subprotocols accepted, in preference order (ws's `handleProtocols`). */
  protocols?: readonly string[];
}

/** A raw `ws` echo server: the behaviour an adapter must not weaken. */
export interface ReferenceServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts raw `ws` 8 (no wsgate) on 127.0.0.1:0 with one `WebSocketServer` per path, each echoing every
 * message with its type. Paths not listed answer 404 the way ws's own `abortHandshake` would.
 */
export async function startReferenceWs(routes: Record<string, ReferenceRoute>): Promise<ReferenceServer> {
  const servers = new Map<string, WebSocketServer>();
  for (const [path, r] of Object.entries(routes)) {
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: true,
      // Same defaults wsgate documents, so the comparison is about the pipeline, not the settings.
      maxPayload: r.maxPayload ?? 1 << 20,
      perMessageDeflate: r.perMessageDeflate ?? false,
      ...(r.protocols
        ? { handleProtocols: (offered: Set<string>) => r.protocols!.find((p) => offered.has(p)) ?? false }
        : {}),
    });
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    servers.set(path, wss);
  }
  const server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const wss = servers.get((req.url ?? '/').split('?')[0]!);
    if (!wss) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const wss of servers.values()) {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
