import type { Server } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import { listeningNow } from '../../../test/support/listening.ts';
import type { ExpressGate } from '../src/index.ts';

/** Both majors, for `describe.each`. */
export const majors = [
  ['express 5', express5],
  ['express 4', express4 as unknown as typeof express5],
] as const;

/** A started app: URLs and a close that ends the gate, then the server. */
export interface Started {
  server: Server;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** Starts `app.listen(0, '127.0.0.1')` (which wsgate hooks) and waits for 'listening'. */
export async function listen(
  app: { listen: (port: number, host: string, cb: () => void) => Server },
  gate: ExpressGate<any>,
): Promise<Started> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return started(server, gate, 'http');
}

/** URLs and a close for a server that is already listening. */
export function started(server: Server, gate: ExpressGate<any>, scheme: 'http' | 'https'): Started {
  return listeningNow(server, gate, scheme);
}
