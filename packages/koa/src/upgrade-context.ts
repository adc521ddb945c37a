import type { IncomingMessage } from 'node:http';
import { type Handler, type RouteOptions, type Session, UpgradeAbortedError } from '@wsgate/core';
import type { PreparedUpgrade } from '@wsgate/core/adapter';
import type Koa from 'koa';
import type { Next, ParameterizedContext } from 'koa';
import type { Last } from './compose.js';
import type { ContextWs } from './types.js';

const kUpgrade = Symbol('wsgate.koa.upgrade');
const noop = (): void => {};

type UpgradeContext<TUser> = ParameterizedContext & { [kUpgrade]?: KoaUpgrade<TUser> };

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
  chain(): (ctx: ParameterizedContext, last: Last) => Promise<unknown>;
  /** The `app.ws` routes, run when the chain passes the request on (called as Koa's last `next`). */
  last: (ctx: ParameterizedContext, next: Next) => Promise<unknown>;
  /** For errors Koa cannot report any more. */
  report(err: unknown): void;
  /** An error that left the chain before the 101, which Koa's error handling answers. */
  failed(err: unknown, req: IncomingMessage): void;
}

/** The upgrade a Koa context serves (undefined on any other request). @internal */
export function upgradeOf<TUser>(ctx: ParameterizedContext): KoaUpgrade<TUser> | undefined {
  return (ctx as UpgradeContext<TUser>)[kUpgrade];
}

/**
 * Runs the whole Koa chain for one upgrade, with `ctx.ws` defined and the context answering into
 * `up.response`. Whatever Koa writes before the 101 (a `ctx.throw`, a redirect, its 404, its error
 * handler's 500) reaches the client as HTTP; after the 101 the chain is the session's handler, so a late
 * error closes the session with 1011 instead of reaching Koa's `ctx.onerror`.
 */
export function runUpgrade<TUser>(app: Koa, up: PreparedUpgrade<TUser>, deps: UpgradeDeps<TUser>): void {
  const ctx = app.createContext(up.req, up.response) as UpgradeContext<TUser>;
  const upgrade = new KoaUpgrade(up, ctx, deps);
  ctx[kUpgrade] = upgrade;
  ctx.ws = ((options?: RouteOptions<TUser>) => upgrade.accept(undefined, options, undefined)) as ContextWs;
  // Koa calls it as a method of the context (its own handler and on-finished's): shared, not a closure.
  ctx.onerror = onerror;
  const koa = app as unknown as KoaInternals;
  const handled = koa.ctxStorage
    ? koa.ctxStorage.run(ctx, () => koa.handleRequest(ctx, runChain))
    : koa.handleRequest(ctx, runChain);
  handled.catch(deps.report);
}

/**
 * One upgrade's run through the Koa chain, kept on its context: what it was accepted with and how far the
 * chain got, so the context's functions are shared ones rather than closures made per upgrade.
 * @internal
 */
export class KoaUpgrade<TUser> {
  readonly up: PreparedUpgrade<TUser>;
  readonly ctx: ParameterizedContext;
  readonly deps: UpgradeDeps<TUser>;
  /** The context's own `onerror` (Koa's, or the app's), which an error before the 101 goes to. */
  readonly koaOnerror: (err: Error) => void;
  /** Set once the session's handler runs: from then on errors belong to the session, not to Koa. */
  opened = false;
  #accepting: Promise<Session<TUser>> | undefined;
  /** The `app.ws` route's handler (none for `ctx.ws()`). */
  #handler: Handler<TUser, ParameterizedContext> | undefined;
  /** The chain's outcome: undefined while it runs, then whether it failed (and with what). */
  #ended: { failed: boolean; error: unknown } | undefined;
  /** The session's handler waiting for the chain to end, made only if it had not when the handler ran. */
  #waiter: { resolve: () => void; reject: (err: unknown) => void } | undefined;

  constructor(up: PreparedUpgrade<TUser>, ctx: ParameterizedContext, deps: UpgradeDeps<TUser>) {
    this.up = up;
    this.ctx = ctx;
    this.deps = deps;
    this.koaOnerror = ctx.onerror;
  }

  /** Completes the upgrade from inside the chain; a second call returns the first one's promise. */
  accept(
    handler: Handler<TUser, ParameterizedContext> | undefined,
    options: RouteOptions<TUser> | undefined,
    route: string | undefined,
  ): Promise<Session<TUser>> {
    if (this.#accepting) return this.#accepting;
    try {
      this.deps.settings(options);
    } catch (err) {
      return Promise.reject(err); // Koa answers 500; the upgrade is still pending
    }
    const ctx = this.ctx;
    ctx.respond = false;
    this.#handler = handler;
    const params = (ctx as { params?: Record<string, string> }).params;
    this.#accepting = this.up.accept(sessionHandler, {
      context: ctx,
      params: params ?? {},
      route: route ?? (ctx as { _matchedRoute?: string })._matchedRoute ?? ctx.path,
      options,
      user: ctx.state.user as TUser | undefined,
      url: ctx.originalUrl,
    });
    return this.#accepting;
  }

  /** The session's handler (after the 101): the route's handler, then the rest of the chain. */
  runHandler(session: Session<TUser>): unknown {
    this.opened = true;
    const own = this.#handler ? this.#handler(session, this.ctx) : undefined;
    const chain = this.#whenChainEnds();
    if (chain === undefined) return own;
    return own === undefined ? chain : Promise.all([own, chain]).then(noop);
  }

  /**
   * Resolves when the chain ends (messages stay queued until the code after `await ctx.ws()` has run or
   * listens), rejects with the error that left it (a 1011 after the 101); undefined when it has ended well.
   */
  #whenChainEnds(): Promise<void> | undefined {
    const ended = this.#ended;
    if (ended) return ended.failed ? Promise.reject(ended.error) : undefined;
    return new Promise<void>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The chain ended (the app's middleware and the `app.ws` route). */
  chainEnded(failed: boolean, error: unknown): void {
    this.#ended = { failed, error };
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) failed ? waiter.reject(error) : waiter.resolve();
  }
}

/** What Koa's `handleRequest` runs: the app's chain, then the `app.ws` routes. */
async function runChain(ctx: ParameterizedContext): Promise<void> {
  const upgrade = upgradeOf(ctx) as KoaUpgrade<unknown>;
  try {
    await upgrade.deps.chain()(ctx, upgrade.deps.last);
  } catch (err) {
    upgrade.chainEnded(true, err);
    if (!upgrade.opened) throw err; // before the 101, Koa's error handling answers with HTTP
    return;
  }
  upgrade.chainEnded(false, undefined);
}

/** The handler every upgrade is accepted with; the context leads to the upgrade's own state. */
function sessionHandler(session: Session<unknown>, ctx: ParameterizedContext): unknown {
  return (upgradeOf(ctx) as KoaUpgrade<unknown>).runHandler(session);
}

/** `ctx.onerror` of an upgrade context. */
function onerror(this: ParameterizedContext, err: Error | null): void {
  const upgrade = upgradeOf(this) as KoaUpgrade<unknown>;
  // After the 101 the session owns the socket (a socket error reaches it directly); a refused upgrade
  // has already been answered and counted by the gate.
  if (err == null || upgrade.opened || err instanceof UpgradeAbortedError) return;
  // The client reset the connection while the chain ran: Koa's on-finished hands the socket's own error
  // here, and app.onerror would print client behaviour as a server error. The gate has released it.
  const req = upgrade.up.req;
  if (req.socket.destroyed && isSocketError(err)) return;
  // Koa is about to answer it; the gate reports it if the upgrade is still pending.
  upgrade.deps.failed(err, req);
  upgrade.koaOnerror.call(this, err);
}

/** An error a socket raised on its own reading or writing (ECONNRESET, EPIPE), not one the app threw. */
function isSocketError(err: unknown): boolean {
  const syscall = (err as { syscall?: unknown }).syscall;
  return syscall === 'read' || syscall === 'write';
}
