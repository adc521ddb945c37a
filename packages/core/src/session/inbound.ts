import type { EventEmitter } from 'node:events';
import { closeFor } from '../close-policy.js';
import { receiveChecked } from '../contracts/inbound.js';
import { inboundSize, prepend, QUEUE_MESSAGES, recordSize } from './message-queue.js';
import type { Message, Session } from './session.js';

/**
 * The inbound path of a session: a frame from ws is counted, rate limited (`limits.messages`), unwrapped
 * (wsgate.v1), validated (contracts) and handed to the handler in arrival order. Until the handler is ready
 * (it attached its first `message` listener, started iterating, or settled), and again after a `for await`
 * loop broke with no other consumer, messages wait in the session's queue. Every buffer of a session (that
 * queue and each iterator's) counts against one bound, `limits.inbound` bytes or {@link QUEUE_MESSAGES}
 * messages: at it the socket is paused, so a slow consumer pushes back on the client through TCP instead of
 * growing the server's memory. The state lives on the Session (no object per connection); this file is the
 * only one that changes it.
 */

type AnySession = Session<unknown>;

/** A frame from ws (every gate socket's `message` listener ends here). */
export function receive(session: AnySession, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  session._awaitingPongSince = 0;
  const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  session._host.stats.received(buf.length);
  if (session._settings.messages && !withinRate(session)) return;
  const raw = session.raw;
  // Closing: close() reads again for the peer's close reply, and a peer may keep sending until then;
  // what arrives beyond the bound is dropped rather than buffered (by the queue or an iterator).
  if (raw.readyState !== 1 && overInbound(session)) return;
  const frame: Message = isBinary ? buf : buf.toString('utf8');
  // wsgate.v1: the protocol's own frames stop here; only an application message goes on.
  const message = session._protocol === undefined ? frame : session._protocol.receive(frame);
  if (message === undefined) return;
  // A route with a `message` schema parses and validates first, in order (contracts/inbound.ts); with
  // wsgate.v1 the schema applies to the `msg` payload.
  const contract = session._settings.contract;
  if (contract?.message !== undefined) {
    const bytes = message === frame ? buf : Buffer.isBuffer(message) ? message : Buffer.from(message);
    receiveChecked(session, contract, bytes, Buffer.isBuffer(message));
  } else deliver(session, message, buf.length);
}

/**
 * The per-session token bucket of `limits.messages`: `burst` tokens, refilled at `rate` per second. A
 * message without a token closes the session (1008) and goes no further.
 */
function withinRate(session: AnySession): boolean {
  const rate = session._settings.messages as { rate: number; burst: number };
  const now = Date.now();
  session._tokens = Math.min(rate.burst, session._tokens + ((now - session._refilledAt) * rate.rate) / 1000);
  session._refilledAt = now;
  if (session._tokens < 1) {
    const raw = session.raw;
    if (raw.readyState === 1) raw.close(closeFor.rateLimited.code, closeFor.rateLimited.reason);
    return false;
  }
  session._tokens -= 1;
  return true;
}

/** A message (a frame, or a contract's validated value) for the handler, in arrival order. */
export function deliver(session: AnySession, message: unknown, size: number): void {
  if (session._ready && session._queue === undefined) {
    (session.emit as (e: 'message', m: unknown) => boolean)('message', message);
    return;
  }
  session._queue ??= [];
  session._queue.push(message as Message);
  hold(session, recordSize(message, size));
}

/**
 * A received message of `size` bytes now waits in a buffer (the queue, an iterator's, or a contract's
 * queue behind an async validation) for its consumer: it counts against the session's bound.
 */
export function hold(session: AnySession, size: number): void {
  session._inboundBytes += size;
  session._inboundCount++;
  // Not while closing: the peer's close reply must still be read; receive() drops past the bound instead.
  if (!session._pausedByGate && session.raw.readyState === 1 && overInbound(session)) {
    session._pausedByGate = true;
    session.raw.pause();
  }
}

/** A buffered message was taken (or handed to another buffer, `resume` false). */
export function release(session: AnySession, size: number, resume = true): void {
  session._inboundBytes -= size;
  session._inboundCount--;
  if (resume) resumeReading(session);
}

/** Reads again once the buffers are down to half the bound (not at every message taken). */
export function resumeReading(session: AnySession): void {
  if (!session._pausedByGate) return;
  if (session._inboundBytes > session._settings.inbound / 2 || session._inboundCount > QUEUE_MESSAGES / 2)
    return;
  session._pausedByGate = false;
  session._awaitingPongSince = 0;
  if (session.raw.readyState === 1) session.raw.resume();
}

function overInbound(session: AnySession): boolean {
  return session._inboundBytes >= session._settings.inbound || session._inboundCount >= QUEUE_MESSAGES;
}

/** The handler is ready, or a consumer attached while messages are held: deliver them, in order. */
export function markReady(session: AnySession): void {
  if (session._ready && !session._held) return;
  session._ready = true;
  (session as unknown as EventEmitter).off('newListener', onNewListener);
  if (session._flushScheduled) return;
  // Nothing waits (the usual case: no frame came before the handler was ready): what flush would do,
  // done now, with no microtask. Frames from here on are emitted as they arrive.
  if (session._queue === undefined && session._pendingClose === undefined && !session._held) {
    resumeReading(session);
    return;
  }
  session._flushScheduled = true;
  // Deliver after the current synchronous code, so a listener attached next to the first one sees it all.
  queueMicrotask(() => flush(session));
}

/** The session's `newListener` listener while it waits for a consumer: the first `message` one is it. */
export function onNewListener(this: AnySession, event: string | symbol): void {
  if (event === 'message') markReady(this);
}

/**
 * An iterator stopped early with `unconsumed` messages. With no other consumer left, they go back to the
 * front of the queue and the session holds messages for the next consumer; another listener still
 * attached has had them already and keeps receiving live.
 */
export function unconsumed(session: AnySession, messages: Message[]): void {
  if (!session._ready || session.listenerCount('message') > 0) {
    // Not ready: whatever the handler has not seen is still in the queue, which delivers on readiness.
    resumeReading(session);
    return;
  }
  if (session._queue === undefined) session._queue = messages;
  else prepend(session._queue, messages);
  for (const m of messages) hold(session, inboundSize(m));
  holdForNextConsumer(session);
}

/** Holds the queue for the next consumer, bounded as before readiness: the socket paused at the bound. */
function holdForNextConsumer(session: AnySession): void {
  session._queue ??= [];
  session._held = true;
  const emitter = session as unknown as EventEmitter;
  emitter.off('newListener', onNewListener);
  emitter.on('newListener', onNewListener);
  resumeReading(session);
}

function awaitingConsumer(session: AnySession): boolean {
  return session._held && session.listenerCount('message') === 0;
}

function flush(session: AnySession): void {
  session._flushScheduled = false;
  const queue = session._queue;
  if (queue) {
    // Messages arriving while we deliver go to the end of the same queue, so order holds. Shifting (not
    // indexing) lets an iterator that stops during delivery put its messages back at the front.
    while (queue.length > 0 && !awaitingConsumer(session)) {
      const m = queue.shift()!;
      release(session, inboundSize(m), false);
      (session.emit as (e: 'message', m: unknown) => boolean)('message', m);
    }
  }
  if (awaitingConsumer(session)) {
    // The consumer that asked for held messages has gone again: never emit them to nobody.
    holdForNextConsumer(session);
  } else {
    session._queue = undefined;
    session._held = false;
    resumeReading(session);
  }
  const pending = session._pendingClose;
  if (pending) {
    session._pendingClose = undefined;
    session.emit('close', pending[0], pending[1]);
  }
}

/** The connection closed: `close` goes out now, or after the queued messages when a delivery is due. */
export function emitClose(session: AnySession, code: number, reason: string): void {
  // Held messages wait for a consumer that may never come; 'close' does not wait with them.
  if (session._ready && !session._flushScheduled) session.emit('close', code, reason);
  else session._pendingClose = [code, reason];
}

/** Whether `close` has been emitted (an iterator started later would wait for it forever). */
export function closeEmitted(session: AnySession): boolean {
  return session._closed && session._pendingClose === undefined;
}
