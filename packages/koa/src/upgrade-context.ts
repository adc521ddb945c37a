import type { IncomingMessage } from 'node:http';
import { type Handler, type RouteOptions, type Session, UpgradeAbortedError } from '@wsgate/core';
import type { PreparedUpgrade } from '@wsgate/core/adapter';
import type Koa from 'koa';
import type { Next, ParameterizedContext } from 'koa';
import type { ContextWs } from './types.js';

const kAccept = Symbol('wsgate.koa.accept');
const noop = (): void => {};

/** Completes one upgrade from inside the chain. @internal */
export type AcceptFn<TUser> = (
  handler: Handler<TUser, ParameterizedContext> | undefined,
  options: RouteOptions<TUser> | undefined,
  route: string | undefined,
) => Promise<Session<TUser>>;

type UpgradeContext<TUser> = ParameterizedContext & { [kAccept]?: AcceptFn<TUser> };

/** The parts of a Koa app the upgrade path uses that @types/koa marks private or leaves out. */
interface KoaInternals {
  handleRequest(
    ctx: ParameterizedContext,
    fn: (ctx: ParameterizedContext) => Promise<unknown>,
  ): Promise<void>;
  ctxStorage?: { run<R>(store: unknown, fn: () => R): R } | null | undefined;
}

/** What the upgrade path needs from the gate. @internal */
export interface UpgradeDeps<TUser> {
  /** Validates route options (throws TypeError). */
  settings(options: RouteOptions<TUser> | undefined): unknown;
  /** The app's middleware composed; `last` runs after it (the `app.ws` routes). */
  chain(): (ctx: ParameterizedContext, last: Next) => Promise<unknown>;
  /** The `app.ws` routes, run when the chain passes the request on. */
  last: (ctx: ParameterizedContext, next: Next) => Promise<unknown>;
  /** For errors Koa cannot report any more. */
  report(err: unknown): void;
  /** An error that left the chain before the 101, which Koa's error handling answers. */
  failed(err: unknown, req: IncomingMessage): void;
}

/** The accept function of an upgrade context (undefined on any other request). @internal */
export function acceptOf<TUser>(ctx: ParameterizedContext): AcceptFn<TUser> | undefined {
  return (ctx as UpgradeContext<TUser>)[kAccept];
}

/**
 * Runs the whole Koa chain for one upgrade, with `ctx.ws` defined and the context answering into
 * `up.response`. Whatever Koa writes before the 101 (a `ctx.throw`, a redirect, its 404, its error
 * handler's 500) reaches the client as HTTP; after the 101 the chain is the session's handler, so a late
 * error closes the session with 1011 instead of reaching Koa's `ctx.onerror`.
 */
export function runUpgrade<TUser>(app: Koa, up: PreparedUpgrade<TUser>, deps: UpgradeDeps<TUser>): void {
  const ctx = app.createContext(up.req, up.response) as UpgradeContext<TUser>;
  // The chain's outcome, as a promise the session's handler can wait on: messages stay queued until the
  // code after `await ctx.ws()` has run (or listens), and a rejection after the 101 becomes a 1011.
  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const chainDone = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  chainDone.catch(noop); // observed by the handler once the session exists
  let opened = false;
  let accepting: Promise<Session<TUser>> | undefined;

  const accept: AcceptFn<TUser> = (handler, options, route) => {
    if (accepting) return accepting;
    try {
      deps.settings(options);
    } catch (err) {
      return Promise.reject(err); // Koa answers 500; the upgrade is still pending
    }
    ctx.respond = false;
    const params = (ctx as { params?: Record<string, string> }).params;
    accepting = up.accept(
      (session, context: ParameterizedContext) => {
        opened = true;
        if (!handler) return chainDone;
        return Promise.all([handler(session, context), chainDone]).then(noop);
      },
      {
        context: ctx as ParameterizedContext,
        params: params ?? {},
        route: route ?? (ctx as { _matchedRoute?: string })._matchedRoute ?? ctx.path,
        options,
        user: ctx.state.user as TUser | undefined,
        url: ctx.originalUrl,
      },
    );
    return accepting;
  };
  ctx[kAccept] = accept;
  ctx.ws = ((options?: RouteOptions<TUser>) => accept(undefined, options, undefined)) as ContextWs;

  const koaOnerror = ctx.onerror;
  ctx.onerror = (err: Error | null) => {
    // After the 101 the session owns the socket (a socket error reaches it directly); a refused upgrade
    // has already been answered and counted by the gate.
    if (err == null || opened || err instanceof UpgradeAbortedError) return;
    // The client reset the connection while the chain ran: Koa's on-finished hands the socket's own error
    // here, and app.onerror would print client behaviour as a server error. The gate has released it.
    if (up.req.socket.destroyed && isSocketError(err)) return;
    // Koa is about to answer it; the gate reports it if the upgrade is still pending.
    deps.failed(err, up.req);
    koaOnerror.call(ctx, err);
  };

  const fn = deps.chain();
  const run = (c: ParameterizedContext) =>
    fn(c, () => deps.last(c, noopNext)).then(settle.resolve, (err: unknown) => {
      settle.reject(err);
      if (!opened) throw err; // before the 101, Koa's error handling answers with HTTP
    });
  const koa = app as unknown as KoaInternals;
  const handled = koa.ctxStorage
    ? koa.ctxStorage.run(ctx, () => koa.handleRequest(ctx, run))
    : koa.handleRequest(ctx, run);
  handled.catch(deps.report);
}

const noopNext: Next = () => Promise.resolve();

/** An error a socket raised on its own reading or writing (ECONNRESET, EPIPE), not one the app threw. */
function isSocketError(err: unknown): boolean {
  const syscall = (err as { syscall?: unknown }).syscall;
  return syscall === 'read' || syscall === 'write';
}
