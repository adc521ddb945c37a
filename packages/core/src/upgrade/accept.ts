import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { startExpiry } from '../contracts/expiry.js';
import type { RouteOptions, Settings } from '../options.js';
import type { Params } from '../routes/router.js';
import { type Message, type SendData, Session } from '../session/session.js';
import { PreparedUpgrade } from './prepared-upgrade.js';
import type { Opening } from './run-handler.js';

/**
 * Steps 7 and 8 of an upgrade, once every check passed: pick the subprotocol, hand the socket to ws (which
 * writes the 101 with the pipeline's headers), and create the Session in the same turn as the 101, so no
 * frame can arrive before it listens. The handler then runs on the gate's handler queue (run-handler.ts).
 */

/**
 * A WebSocket handler: called once per session, after the 101. A throw or rejection closes it with 1011.
 * `TParams` types `session.params`; routes infer it from their path (see `RouteParams`). `TMessage` and
 * `TSend` come from the route's `message` and `send` schemas (contracts).
 */
export type Handler<
  TUser = unknown,
  TContext = IncomingMessage,
  TParams extends object = Params,
  TMessage = Message,
  TSend = SendData,
> = (session: Session<TUser, TParams, TMessage, TSend>, context: TContext) => unknown;

/** What an adapter tells {@link PreparedUpgrade.accept} about the route its framework matched. */
export interface AcceptOptions<TUser, TContext> {
  /** Passed to the handler as its second argument (the framework's request or context). */
  context: TContext;
  /** Route params. @default {} */
  params?: Params | undefined;
  /** The route pattern, for stats and logs. @default the request path */
  route?: string | undefined;
  /** Route-level options (origins, authenticate, protocols, maxPayload, ...). */
  options?: RouteOptions<TUser> | undefined;
  /** The framework's user (`req.user`, `ctx.state.user`), used when there is no `authenticate`. */
  user?: TUser | undefined;
  /**
   * The request target as the client sent it, for `session.url` and `session.query`: frameworks rewrite
   * `req.url` inside mounted routers (Express's `req.originalUrl`, Koa's `ctx.originalUrl` keep it).
   * @default `req.url` as it was when the upgrade was prepared
   */
  url?: string | undefined;
}

/** Raised by `accept` when the upgrade did not complete; the client has already been answered. */
export class UpgradeAbortedError extends Error {
  /** The HTTP status the client was sent, or 0 when the client left first. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'UpgradeAbortedError';
    this.status = status;
  }
}

/** Step 7: subprotocol, then ws completes the handshake with the pipeline's headers on the 101. */
export function open<TUser>(
  upgrade: PreparedUpgrade<TUser>,
  opening: Opening<TUser, unknown>,
): Session<TUser> | Promise<Session<TUser>> {
  const req = upgrade.req;
  const host = upgrade._host;
  const protocol = selectProtocol(opening.settings, req);
  if (protocol === false) return upgrade._refuse(400, 'No supported subprotocol offered');
  opening.protocol = protocol;
  const headers = upgrade._bound ? upgrade._bound.capture() : undefined;
  // Read by the gate's ws hooks; absent means no subprotocol and no extra header, as an empty entry would.
  if (protocol !== '' || (headers !== undefined && hasKeys(headers)))
    upgrade._handshake = { protocol, headers: headers ?? {} };
  const wss = host.wss(opening.settings);
  const socket = upgrade._socket;
  upgrade._handOver();
  try {
    wss.handleUpgrade(req, socket, upgrade._head, onUpgraded);
  } catch (err) {
    socket.destroy();
    const reason = 'Internal Server Error';
    if (upgrade._finish(null, 500, reason)) host.refuse(req, { status: 500, reason });
    throw err;
  }
  const raw = upgrade._raw;
  if (raw) {
    upgrade._raw = undefined;
    return opened(upgrade, raw, opening);
  }
  // ws did not call back: it destroyed a socket that had already ended, or answered a bad extension
  // offer itself; both end here. (Should a ws version ever call back later, the session opens then.)
  return new Promise((resolve, reject) => {
    const onClose = () => {
      upgrade._late = undefined;
      // ws answered a bad extension offer itself (400), or the socket had already ended.
      const reason = 'ws refused the handshake';
      if (upgrade._finish(null, 400, reason)) host.refuse(req, { status: 400, reason });
      reject(new UpgradeAbortedError(0, 'the client left during the handshake'));
    };
    upgrade._late = (ws) => {
      upgrade._late = undefined;
      socket.off('close', onClose);
      try {
        resolve(opened(upgrade, ws, opening));
      } catch (err) {
        reject(err);
      }
    };
    socket.once('close', onClose);
  });
}

/** ws's handshake callback, shared by every upgrade: ws passes the request, which leads to its upgrade. */
function onUpgraded(raw: WebSocket, req: IncomingMessage): void {
  const upgrade = PreparedUpgrade.of(req);
  if (!upgrade) return;
  if (upgrade._late) upgrade._late(raw);
  else upgrade._raw = raw;
}

/** Step 8: the session, created in the same turn as ws's 101. */
function opened<TUser>(
  upgrade: PreparedUpgrade<TUser>,
  raw: WebSocket,
  o: Opening<TUser, unknown>,
): Session<TUser> {
  const req = upgrade.req;
  const host = upgrade._host;
  const url = o.options.url ?? upgrade._url;
  const session = new Session<TUser>(raw, {
    params: o.options.params ?? {},
    user: o.user,
    protocol: o.protocol,
    remoteAddress: upgrade.client.ip,
    headers: req.headers,
    url,
    route: o.options.route ?? pathOf(url),
    settings: o.settings,
    host: host.sessionHost,
  });
  upgrade._finish(session, 101);
  host.opened(session);
  startExpiry(session as Session<unknown>, req); // when authenticate said the credential expires
  try {
    upgrade._bound?.finish();
  } catch (err) {
    host.report(err, 'upgrade', session, req);
  }
  // The handler runs right after the code that called accept() (as it did when accept() awaited the
  // handshake): an adapter finishes its own bookkeeping first, and the session already listens, so
  // frames that arrive meanwhile are queued.
  o.session = session;
  host.handlers.add(o as Opening<unknown, unknown>);
  return session;
}

/** The path of a request target, without the query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

/** Picks the subprotocol: '' when none applies, false to refuse. */
function selectProtocol<TUser>(settings: Settings<TUser>, req: IncomingMessage): string | false {
  const raw = req.headers['sec-websocket-protocol'];
  const supported = settings.protocols;
  if (supported === undefined || raw === undefined) return '';
  const offered = String(raw)
    .split(',')
    .map((s) => s.trim());
  if (typeof supported === 'function') {
    const choice = supported(offered, req);
    if (choice === false) return false;
    if (!offered.includes(choice))
      throw new TypeError(`wsgate: protocols() returned '${choice}', which the client did not offer`);
    return choice;
  }
  return supported.find((p) => offered.includes(p)) ?? false;
}
