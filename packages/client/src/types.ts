import type { BackoffOptions } from './backoff.js';
import type { Data } from './envelope.js';

/** The connection as an application renders it. */
export type State = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Where a topic message stands in its topic; `epoch` and `offset` only when the topic keeps history. */
export interface MessageMeta {
  topic: string;
  epoch?: string;
  offset?: number;
}

/** Why a connection ended: its close code and reason, or the HTTP status that refused the upgrade. */
export interface CloseInfo {
  /** The close code (1006 when the connection dropped or the upgrade was refused). */
  code: number;
  reason: string;
  /** The HTTP status before the 101, when the WebSocket implementation exposes it (ws) or `probe` told. */
  status?: number;
  /** `Retry-After` in ms, when the refusal carried it. */
  retryAfter?: number;
}

/** The events of a {@link Client}. */
export interface ClientEvents extends Record<string, unknown[]> {
  /** The state changed; `info` says why when the new state is `reconnecting` or `closed`. */
  state: [state: State, info?: CloseInfo];
  /** An application message: `meta` is set for topic messages, undefined for direct ones. */
  message: [data: Data, meta: MessageMeta | undefined];
  /** The server could not fill the gap since the last message seen of `topic`: refetch its state. */
  reset: [topic: string];
  /** A server `error` frame, or a message the server could not take (1009). The connection stays up. */
  error: [error: Error];
}

/** The part of a WebSocket the client uses: the browser's, Node 22+'s global, and ws's all fit. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/**
 * A WebSocket constructor: `globalThis.WebSocket` (browsers, Node 22+) or `WebSocket` from ws. Typed loosely
 * on purpose (ws's event types differ from the DOM's); its instances must behave as {@link WebSocketLike}.
 */
export type WebSocketConstructor = new (url: string, protocols: string) => object;

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The WebSocket implementation. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** Reconnect timing, or false to never reconnect. @default { minDelay: 500, maxDelay: 30000 } */
  reconnect?: BackoffOptions | false;
  /**
   * Overrides the close-code table of docs/protocol.md section 7: return true to reconnect, false to stop.
   * @default undefined (the table decides)
   */
  shouldReconnect?: (info: CloseInfo) => boolean;
  /**
   * Consecutive connection attempts that fail before opening, with no HTTP status known, after which the
   * client stops with reason `handshake-failed`. A browser cannot tell a refused upgrade (401, 403) from a
   * network failure; this bounds the retries. @default 10
   */
  maxHandshakeFailures?: number;
  /**
   * Asked after an attempt failed before opening when the status is unknown (browsers): return the HTTP
   * status to act on (for example from a `fetch` of an authenticated endpoint), or undefined if unknown.
   * @default undefined
   */
  probe?: () => Promise<number | undefined> | number | undefined;
  /** Sends and requests kept while not connected; beyond, `send` returns false. @default 100 */
  queue?: number;
  /**
   * Liveness: a `ping` every `interval` ms; the connection is dropped and reconnected when nothing arrived
   * `timeout` ms after a ping. A dead connection is detected within `interval + timeout`. False disables.
   * @default { interval: 20000, timeout: 10000 }
   */
  ping?: { interval?: number; timeout?: number } | false;
  /** The default timeout of {@link Client.request}, in ms. @default 10000 */
  timeout?: number;
}

/** Answers a server's request: the return value (or its promise's) is the reply. */
export type RequestHandler = (data: unknown) => unknown;
