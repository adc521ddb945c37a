import type { Server } from 'node:http';
import type { Gate, GateOptions, Handler, RouteOptions, Session } from '@wsgate/core';

/** A WebSocket route as the conformance suite declares it, independent of any framework. */
export interface ConformanceRoute {
  path: string;
  options?: RouteOptions<any>;
  /** Receives the session; the second argument is the framework's request/context and is not used. */
  handler: (session: Session<any>, context: unknown) => unknown;
}

/** A running server under test. */
export interface StartedTarget {
  /** `http://127.0.0.1:<port>`; WebSocket URLs are built from it. */
  url: string;
  /** `ws://127.0.0.1:<port>` */
  wsUrl: string;
  /** The HTTP server the app listens on (to attach another upgrade listener beside the gate). */
  server: Server;
  /** The gate behind the server (for stats, publish, sessions, close). */
  gate: Gate<any>;
  /** Closes the gate and the server; every test calls it. */
  close(): Promise<void>;
}

/**
 * Access guards the app declares in its framework's own idiom, ahead of its WebSocket routes (the
 * path-guard suite): a request without `x-token: <token>` is answered 401 when the guard takes it.
 */
export interface PathGuards {
  /** Guards this path and everything under it, as koa-mount, `app.use(prefix)` or a prefix plugin would. */
  prefix: string;
  /** Guards exactly this path, as a `ctx.path ===` check or an `app.all(path)` middleware would. */
  exact: string;
  token: string;
}

/**
 * What each adapter implements once to run the whole conformance suite: start a server on 127.0.0.1:0
 * with these gate options and routes (mounted at their paths, with their per-route options).
 */
export interface ConformanceTarget {
  name: string;
  start(options: GateOptions<any>, routes: ConformanceRoute[], guards?: PathGuards): Promise<StartedTarget>;
}

/**
 * How much of the suite a target runs: `'full'` (core alone and one adapter), or `'pipeline'`, the suites
 * that go through the adapter's upgrade path (refusals, routing, auth, shutdown, faults, security), leaving
 * out what happens after accept (protocol, peers, topics, flow and most of sessions), which is core's
 * Session whatever adapter accepted it.
 */
export type Tier = 'full' | 'pipeline';

export type { Handler };
