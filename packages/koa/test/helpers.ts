import type { Server } from 'node:http';
import type { KoaGate } from '@wsgate/koa';
import Koa from 'koa';
import Koa2 from 'koa2';
import { listening } from '../../../test/support/listening.ts';

/** Both supported majors; each test runs on both. */
export const versions = [
  ['koa 3', Koa],
  ['koa 2', Koa2],
] as const;

/** A listening server and how to reach and close it. */
export interface Running {
  url: string;
  wsUrl: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 through the hooked `app.listen()`. */
export async function listen(app: Koa, gate: KoaGate<any, any, any>): Promise<Running> {
  const server = app.listen(0, '127.0.0.1');
  return running(server, gate);
}

/** Waits for `server` to listen and wraps it. */
export async function running(server: Server, gate: KoaGate<any, any, any>): Promise<Running> {
  return listening(server, gate);
}

/** A promise with its resolve function outside. */
export function latch<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}

/** Listens through the hooked `app.listen()`, runs `test` against the server, then closes it, pass or fail. */
export async function served(
  app: Koa,
  gate: KoaGate<any, any, any>,
  test: (t: Running) => Promise<void>,
): Promise<void> {
  const t = await listen(app, gate);
  try {
    await test(t);
  } finally {
    await t.close();
  }
}
