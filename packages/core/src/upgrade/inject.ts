import type { IncomingMessage, Server } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/** Options of `gate.inject()`. */
export interface InjectOptions {
  /** Request headers (Cookie, Authorization, Origin, ...). */
  headers?: Record<string, string>;
  /** Subprotocols to offer. */
  protocols?: string | string[];
  /** The client address the server sees. @default '127.0.0.1' */
  remoteAddress?: string;
  /** The server to inject into. @default the first server the gate is attached to */
  server?: Server;
  /** ws client options such as `maxPayload` or `autoPong`. */
  client?: { maxPayload?: number; autoPong?: boolean; perMessageDeflate?: boolean };
}

/** Raised by `inject` when the server refused the upgrade. */
export class InjectRejectedError extends Error {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  constructor(status: number, headers: IncomingMessage['headers'], body: string) {
    super(`upgrade refused with ${status}: ${body.trim()}`);
    this.name = 'InjectRejectedError';
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

/** One end of an in-memory connection, shaped enough like a net.Socket for http and ws. */
class MemorySocket extends Duplex {
  peer: MemorySocket | undefined;
  remoteAddress: string;
  remotePort = 0;
  localAddress = '127.0.0.1';
  localPort = 0;
  readonly encrypted = false;

  constructor(remoteAddress: string) {
    super({ allowHalfOpen: false });
    this.remoteAddress = remoteAddress;
  }
  override _read(): void {}
  // Delivery waits for a later turn of the event loop, as on a real socket: a synchronous push would run
  // the peer's whole reaction (a server's reply included) inside the writer's send(), before the caller
  // could attach a listener for it.
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    setImmediate(() => {
      if (peer && !peer.destroyed) peer.push(chunk);
      cb();
    });
  }
  override _final(cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    setImmediate(() => {
      if (peer && !peer.destroyed) peer.push(null);
      cb();
    });
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    // Like a TCP reset: the other side sees its connection end.
    // setImmediate keeps it behind deliveries already on their way, as the earlier writes' deliveries are.
    if (peer && !peer.destroyed) setImmediate(() => peer.destroy());
    cb(err);
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: 0 };
  }
}

/** Connects a ws client to `server` over an in-memory duplex pair. */
export function inject(server: Server, path: string, options: InjectOptions = {}): Promise<WebSocket> {
  const serverSide = new MemorySocket(options.remoteAddress ?? '127.0.0.1');
  const clientSide = new MemorySocket('127.0.0.1');
  serverSide.peer = clientSide;
  clientSide.peer = serverSide;
  const url = `ws://localhost${path.startsWith('/') ? path : `/${path}`}`;
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], {
      ...options.client,
      headers: { ...options.headers },
      createConnection: () => clientSide as never,
    });
    ws.once('open', () => {
      ws.off('error', reject);
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        reject(new InjectRejectedError(res.statusCode ?? 0, res.headers, body));
        clientSide.destroy();
      });
      res.on('error', () => reject(new InjectRejectedError(res.statusCode ?? 0, res.headers, body)));
    });
    ws.once('error', reject);
    server.emit('connection', serverSide);
  });
}
