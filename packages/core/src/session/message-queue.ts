import type { Message } from './session.js';

/**
 * Messages a consumer has not taken yet: the session's queue (before the handler is ready, and held for the
 * next consumer after a loop stopped) and each iterator's buffer. They share one bound per session
 * (session/inbound.ts): `limits.inbound` bytes and {@link QUEUE_MESSAGES} messages, reached by any mix
 * of them, pause the socket.
 */

/** How many unconsumed messages make wsgate pause the socket, whatever their size (each costs memory). */
export const QUEUE_MESSAGES = 256;

/** The bytes a received message counts for against `limits.inbound`: its UTF-8 size bounds its memory. */
export function inboundSize(m: Message): number {
  if (typeof m === 'string') return Buffer.byteLength(m);
  if (Buffer.isBuffer(m)) return m.length;
  // A contract's validated value (an object parsed from JSON): the size of the frame it came from.
  return typeof m === 'object' && m !== null ? (valueSizes.get(m) ?? 0) : 0;
}

/** Frame sizes of validated values (contracts), so they count against the bound as their frames did. */
const valueSizes = new WeakMap<object, number>();

/** Records what a delivered value counts for and returns it (see {@link inboundSize}). */
export function recordSize(value: unknown, size: number): number {
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) valueSizes.set(value, size);
  return inboundSize(value as Message);
}

/** Puts `front` before the queue's contents, in place (a delivery in progress may be shifting from it). */
export function prepend(queue: Message[], front: readonly Message[]): void {
  const n = front.length;
  if (n === 0) return;
  const length = queue.length;
  queue.length = length + n;
  for (let i = length - 1; i >= 0; i--) queue[i + n] = queue[i]!;
  for (let i = 0; i < n; i++) queue[i] = front[i]!;
}
