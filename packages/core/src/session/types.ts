import type { IncomingHttpHeaders } from 'node:http';
import type { Settings } from '../options.js';
import type { Params } from '../routes/router.js';
import type { ResetInfo } from '../topics/positions.js';
import type { SessionHost } from './session-host.js';

// The types a Session is made of and speaks in (session.ts re-exports the public ones).

/** A message as the handler receives it: text frames as `string`, binary frames as `Buffer`. */
export type Message = string | Buffer;

/** What `send` accepts: a string is sent as a text frame, anything else as binary. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;

/**
 * The events a {@link Session} emits. `TMessage` is what `message` carries: `string | Buffer`, or the
 * route's `message` schema output (contracts).
 */
export interface SessionEvents<TMessage = Message> {
  /** A complete message, in arrival order. */
  message: [data: TMessage];
  /** The connection closed; `code` is the close code received (1005 when none, 1006 when the TCP dropped). */
  close: [code: number, reason: string];
  /** Buffered outbound data fell below `backpressure.highWaterMark` after `send` returned false. */
  drain: [];
  /** A protocol or socket error. Emitted only when someone listens; logged otherwise. */
  error: [err: Error];
  /**
   * A topic with history skipped messages this session should have had and that cannot be replayed (the
   * history was lost, or they left it): reload the topic's state, as `gate.on('reset')` says per node.
   */
  reset: [topic: string, info: ResetInfo];
}

/** Options of {@link Session.subscribe}. */
export interface SubscribeOptions {
  /** Show this session in the topic's presence with this small JSON value (at most 4 KiB). */
  presence?: unknown;
}

/** What the gate knows about a session when it creates one. */
export interface SessionInit<TUser> {
  params: Params;
  user: TUser | undefined;
  protocol: string;
  remoteAddress: string;
  headers: IncomingHttpHeaders;
  url: string;
  route: string;
  settings: Settings<TUser>;
  host: SessionHost;
}
