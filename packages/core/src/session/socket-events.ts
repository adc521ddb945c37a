import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { onNewListener, receive } from './inbound.js';
import { admit } from './outbound.js';
import type { Session } from './session.js';

/**
 * How a ws socket's events reach its Session: shared listener functions that find the session through the
 * socket, so a connection costs no closure, and compact listener stores for both (see {@link FAST_EVENTS}).
 */

const kSession = Symbol('wsgate.session');
type RawWithSession = WebSocket & { [kSession]: Session<unknown> };

/** Makes `session` the one that hears `raw`'s events, and starts waiting for its first consumer. */
export function listenTo(raw: WebSocket, session: Session<unknown>): void {
  // EventEmitter keeps listeners in a `{ __proto__: null }` literal, which V8 builds in dictionary mode
  // (~190-290 bytes). A fast-mode object with a null prototype has the same semantics at ~64 bytes; with
  // one per session and one per ws socket that is most of the Session's cost at 10k idle connections.
  if (FAST_EVENTS) {
    (session as unknown as EventsHolder)._events = Object.setPrototypeOf({}, null);
    // The socket's store only while still empty, so a listener someone attached before us is never lost.
    if ((raw as unknown as EventEmitter).eventNames().length === 0)
      (raw as unknown as EventsHolder)._events = Object.setPrototypeOf({}, null);
  }
  (raw as RawWithSession)[kSession] = session;
  const emitter = raw as unknown as EventEmitter;
  emitter.on('message', onRawMessage);
  emitter.on('close', onRawClose);
  emitter.on('error', onRawError);
  emitter.on('pong', onRawPong);
  emitter.on('ping', onRawPing);
  (session as unknown as EventEmitter).on('newListener', onNewListener);
}

/** EventEmitter's listener store (a Node internal, stable since Node 0.x). */
interface EventsHolder {
  _events: object;
}

/**
 * Whether this Node keeps listeners where the Session's memory saving expects them: a null-prototype
 * `_events` object. Should a Node release change that, sessions fall back to the default store (a little
 * more memory per connection) instead of breaking.
 */
const FAST_EVENTS = ((): boolean => {
  const probe = new EventEmitter() as unknown as Partial<EventsHolder>;
  const events = probe._events;
  if (typeof events !== 'object' || events === null || Object.getPrototypeOf(events) !== null) return false;
  const listener = (): void => {};
  (probe as unknown as EventEmitter).on('x', listener);
  return (events as Record<string, unknown>).x === listener;
})();

function onRawMessage(this: RawWithSession, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  receive(this[kSession], data, isBinary);
}
function onRawClose(this: RawWithSession, code: number, reason: Buffer): void {
  this[kSession]._onClose(code, reason.toString());
}
function onRawError(this: RawWithSession, err: Error): void {
  this[kSession]._onError(err);
}
/**
 * The gate's sockets do not answer pings by themselves (`autoPong: false`): a peer that sends pings and never
 * reads would otherwise grow our buffered pongs without bound, as no limit looks at them. Each pong passes
 * the backpressure limit like a message.
 */
function onRawPing(this: RawWithSession, data: Buffer): void {
  if (this.readyState === 1 && admit(this[kSession])) this.pong(data);
}
function onRawPong(this: RawWithSession): void {
  this[kSession]._awaitingPongSince = 0;
}
