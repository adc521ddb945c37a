import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { isLoopbackAddress } from './hosts.js';

const noop = (): void => {};
const kTaken = Symbol('wsgate.taken');
const kGuarded = Symbol('wsgate.guarded');
type Marked = Duplex & { [kTaken]?: boolean; [kGuarded]?: boolean };

/**
 * The one guard every socket wsgate sees gets first, whatever becomes of it (declined by `shouldHandle`,
 * left to another listener, held, refused, upgraded): Node removed its own `'error'` listener before
 * `'upgrade'`, so a TCP reset on an unguarded socket is an unhandled `'error'` that ends the process.
 * Harmless for a listener that takes the socket over: it adds its own.
 */
export function guard(socket: Duplex): void {
  const marked = socket as Marked;
  if (marked[kGuarded]) return;
  marked[kGuarded] = true;
  socket.on('error', noop);
}

/** Marks a socket as the gate's (answered or being upgraded); true if it already was. */
export function take(socket: Duplex): boolean {
  const marked = socket as Marked;
  const was = marked[kTaken] === true;
  marked[kTaken] = true;
  return was;
}

/** Whether the gate has taken this socket. */
export function taken(socket: Duplex): boolean {
  return (socket as Marked)[kTaken] === true;
}

/**
 * Whether the server a request came through listens on a loopback address (what the `allowedHosts`
 * default depends on). Decided from the address it listens on now, and cached (in the caller's map) only
 * while it listens: a request before `listen()` (an `inject`) must not fix the answer, and a server that
 * closes may listen again elsewhere.
 */
export function loopbackBound(req: { socket?: unknown }, cache: WeakMap<object, boolean>): boolean {
  const server = (req.socket as { server?: Server } | undefined)?.server;
  if (!server || typeof server.address !== 'function') return false;
  const known = cache.get(server);
  if (known !== undefined) return known;
  const addr = server.address();
  if (addr === null) return false;
  const v = typeof addr === 'object' && isLoopbackAddress(addr.address);
  cache.set(server, v);
  server.once('close', () => cache.delete(server));
  return v;
}
