import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server listening on 127.0.0.1: its URLs, and a close that ends the gate before the server. */
export interface Listening {
  server: Server;
  /** `http://127.0.0.1:<port>` (or https) */
  url: string;
  /** `ws://127.0.0.1:<port>` (or wss) */
  wsUrl: string;
  close(): Promise<void>;
}

/** Anything with a gate's `close`. */
interface Closable {
  close(options?: { timeout?: number }): Promise<void>;
}

/** Wraps a server that is already listening. */
export function listeningNow(server: Server, gate: Closable, scheme: 'http' | 'https' = 'http'): Listening {
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `${scheme}://127.0.0.1:${port}`,
    wsUrl: `${scheme === 'https' ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    async close() {
      await gate.close({ timeout: 1_000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits for the server to listen, then wraps it. */
export async function listening(
  server: Server,
  gate: Closable,
  scheme: 'http' | 'https' = 'http',
): Promise<Listening> {
  if (!server.listening) await once(server, 'listening');
  return listeningNow(server, gate, scheme);
}
