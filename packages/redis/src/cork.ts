import type { Writable } from 'node:stream';
import type { Redis } from 'ioredis';

/** Sockets corked until the end of the current tick. */
const corked = new WeakSet<Writable>();

/**
 * Gathers the commands sent on a connection during this tick into one socket write. ioredis writes every
 * command to its socket at once, one system call each, which was a fifth of a publishing node's CPU; a
 * corked socket keeps them, in the order they were sent, and writes them together once the tick's work
 * is done (before any I/O or timer, so nothing waits). A Cluster has a socket per node and no `stream`: it
 * is left as it is.
 */
export function corkThisTick(conn: Redis): void {
  const stream = (conn as unknown as { stream?: Writable }).stream;
  if (!stream || corked.has(stream) || typeof stream.cork !== 'function') return;
  corked.add(stream);
  stream.cork();
  process.nextTick(() => {
    corked.delete(stream);
    stream.uncork();
  });
}
