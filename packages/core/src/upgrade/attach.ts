import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { injectBridge } from '../http2/inject-bridge.js';
import { type AnyHttp2Server, isHttp2Server, listenHttp2 } from '../http2/listen.js';
import type { GateOptions } from '../options.js';
import type { Reporter } from '../report.js';
import type { RouteSettings } from '../routes/route-settings.js';
import type { Entrance } from './entrance.js';
import { afterInFlight, busy } from './in-flight.js';
import { writeRejection } from './reject.js';
import { guard } from './socket-guard.js';

/** What one gate's attachments reach; built once per gate (gate-parts.ts). */
export interface AttachParts<TUser> {
  /** The gate: each upgrade an attached server hears goes to its `handleUpgrade`. */
  gate: { handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean };
  /** Read at each upgrade (`shouldHandle`), as the gate's own options. */
  options: Readonly<GateOptions<TUser>>;
  settings: RouteSettings<TUser>;
  entrance: Entrance<TUser>;
  reporter: Reporter<TUser>;
}

const noop = (): void => {};

/**
 * The servers one gate listens on for upgrades (`gate.attach`), HTTP/2 ones included (RFC 8441 extended
 * CONNECT, http2/), and the server `gate.inject()` connects through.
 */
export class Attachments<TUser> {
  readonly #parts: AttachParts<TUser>;
  /** Each attached server, with the function that stops listening on it. */
  readonly #servers = new Map<Server | AnyHttp2Server, () => void>();
  /** A private, never-listening server for `inject` into a gate attached to none. */
  #injectServer: Server | undefined;

  constructor(parts: AttachParts<TUser>) {
    this.#parts = parts;
  }

  /** `gate.attach()`: idempotent per server; returns the function that detaches it. */
  attach(server: Server | AnyHttp2Server): () => void {
    const existing = this.#servers.get(server);
    if (existing) return existing;
    const decide = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const mine = this.#shouldHandle(req, socket);
      if (mine === undefined || (mine && this.#parts.gate.handleUpgrade(req, socket, head))) return;
      // Not ours (`shouldHandle`, or `unmatched: 'ignore'`) and nobody else listens: answer 404 rather
      // than leave the socket hanging.
      if (server.listenerCount('upgrade') <= 1) this.#notFoundLater(socket);
    };
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      guard(socket);
      // Every answer (a 500 from shouldHandle, the late 404, the upgrade) waits for a pipelined page.
      if (!busy(socket)) decide(req, socket, head);
      else
        afterInFlight(
          socket,
          () => decide(req, socket, head),
          this.#parts.settings.defaults.handshakeTimeout,
        );
    };
    // HTTP/2 (issue 21): each extended CONNECT stream arrives here as an upgrade's (req, socket, head).
    const detachHttp2 = isHttp2Server(server) ? listenHttp2(server, listener) : noop;
    const detach = () => {
      server.off('upgrade', listener);
      detachHttp2();
      this.#servers.delete(server);
    };
    server.on('upgrade', listener);
    this.#servers.set(server, detach);
    return detach;
  }

  /**
   * The server `gate.inject()` connects through: the one given, else the first attached (an HTTP/2 one
   * through an HTTP/1.1 bridge, http2/inject-bridge.ts), else a private one, attached now.
   */
  injectTarget(server: Server | undefined): Server {
    const attached = server ?? this.#servers.keys().next().value;
    if (attached) return isHttp2Server(attached) ? injectBridge(attached) : attached;
    this.#injectServer ??= createServer((_req, res) => res.writeHead(426).end());
    this.attach(this.#injectServer);
    return this.#injectServer;
  }

  /** `options.shouldHandle` for an attached server's upgrade; undefined when it threw and 500 was sent. */
  #shouldHandle(req: IncomingMessage, socket: Duplex): boolean | undefined {
    const { options, entrance, reporter } = this.#parts;
    const should = options.shouldHandle;
    if (should === undefined) return true;
    try {
      return should(req) !== false;
    } catch (err) {
      reporter.report(err, 'upgrade', undefined, req);
      if (entrance.begin(req, socket))
        entrance.refuse(req, socket, { status: 500, reason: 'Internal Server Error' });
      return undefined;
    }
  }

  #notFoundLater(socket: Duplex): void {
    // Bytes already written belong to earlier responses on a keep-alive connection, not to a taker.
    const written = (socket as Socket).bytesWritten;
    const timer = setTimeout(() => {
      if (socket.destroyed) return;
      // Not a refusal of the gate's (it declined the upgrade): nothing counted, emitted or logged.
      if ((socket as Socket).bytesWritten === written)
        writeRejection(socket, 404, 'No WebSocket route matches this path');
    }, this.#parts.settings.defaults.handshakeTimeout);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    // A client that gave up on its side needs no 404: release the socket now, not at the timeout.
    socket.once('end', () => socket.destroy());
  }
}

/**
 * Makes an app's own `listen()` (Express's, Koa's) call `attach` with the server it returns, so
 * `app.listen(3000)` needs nothing more.
 */
export function attachOnListen(
  app: { listen(...args: never[]): Server },
  attach: (server: Server) => void,
): void {
  const listen = app.listen;
  Object.defineProperty(app, 'listen', {
    configurable: true,
    writable: true,
    value: function listenAndAttach(this: unknown, ...args: never[]): Server {
      const server = listen.apply(this, args);
      attach(server);
      return server;
    },
  });
}
