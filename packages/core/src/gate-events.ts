import type { IncomingMessage } from 'node:http';
import type { Gate } from './gate.js';
import type { Session } from './session/session.js';
import type { PresenceChange } from './topics/broker.js';
import type { ResetInfo } from './topics/positions.js';

// What a gate tells the outside world (its events) and what `close()` takes: the gate's vocabulary,
// apart from the class that composes it. `gate.ts` and the package index re-export both.

/** The events of a {@link Gate}, for metrics and tracing. */
export interface GateEvents<TUser> {
  /** A session opened (after the 101, before the handler runs). */
  open: [session: Session<TUser>];
  /** A session closed. */
  close: [session: Session<TUser>, code: number, reason: string];
  /** An upgrade was refused with an HTTP status. */
  reject: [info: { status: number; reason: string; url: string; ip: string }];
  /** An error that was not the client's fault (also passed to `onError`). */
  error: [err: unknown, ctx: { phase: string; session?: Session<TUser> | undefined }];
  /**
   * A topic with history skipped, on this node, messages that cannot be replayed (its history was lost, or
   * they had left it); its local sessions also get a session `reset` event.
   */
  reset: [topic: string, info: ResetInfo];
  /** Someone joined or left a topic's presence, on any node. */
  presence: [topic: string, change: PresenceChange];
  // Telemetry hooks (`@wsgate/core/otel`): emitted only while someone listens, so they cost nothing otherwise.
  /** A handshake began: the request has passed no check yet (the start of a handshake span). */
  upgrade: [req: IncomingMessage];
  /**
   * A handshake that began with `upgrade` ended: `status` 101 with its session, a refusal's HTTP status, or 0
   * when the client left first. `route` is the route pattern when one was matched (`accept()` was called).
   */
  handshake: [
    req: IncomingMessage,
    result: {
      status: number;
      reason: string;
      route: string | undefined;
      session: Session<TUser> | undefined;
    },
  ];
  /** A published message (from this node or the broker) was written to `delivered` local sessions (>= 1). */
  publish: [topic: string, delivered: number];
}

/** Options of {@link Gate.close}. */
export interface CloseOptions {
  /** Close code every session receives. @default 1001 */
  code?: number;
  /** Close reason. @default 'server shutting down' */
  reason?: string;
  /** Milliseconds to wait for clients to finish the closing handshake before terminating them. @default 5000 */
  timeout?: number;
  /**
   * Rolling deploy: spread the closes evenly over this many milliseconds instead of sending them all at
   * once, so clients do not reconnect to the remaining nodes in one burst. New upgrades get 503 with
   * `Retry-After` from the start; `timeout` counts from the end of the window. Pair it with code 1012
   * (service restart), whose default reason is `'server restarting'`. @default 0
   */
  drain?: number;
}
