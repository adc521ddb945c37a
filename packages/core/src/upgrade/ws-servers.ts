import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { WebSocketServer } from 'ws';
import type { Settings } from '../options.js';
import { PreparedUpgrade } from './prepared-upgrade.js';

/** The subprotocol and extra headers the pipeline chose for one request's 101. */
export interface HandshakeInfo {
  protocol: string;
  headers: OutgoingHttpHeaders;
}

/** What the pipeline chose for a request's 101, read by the servers' hooks from the request's upgrade. */
function handshakeOf(req: IncomingMessage): HandshakeInfo | undefined {
  return PreparedUpgrade.of(req)?._handshake;
}

/**
 * One gate's `ws` servers (noServer), one per distinct maxPayload and permessage-deflate setting. The
 * pipeline's subprotocol and 101 headers reach them on the request's upgrade (`_handshake`), set before it
 * hands the socket to ws: a property, not a WeakMap entry per upgrade.
 */
export class WsServers {
  readonly #byKey = new Map<string, WebSocketServer>();
  /** The server for each settings object (the key is built once per settings, not per upgrade). */
  readonly #bySettings = new WeakMap<object, WebSocketServer>();
  /** The gate's `closeTimeout`, read when a server is created (the gate's options are set by then). */
  readonly #closeTimeout: () => number;

  constructor(closeTimeout: () => number) {
    this.#closeTimeout = closeTimeout;
  }

  /** The server for these settings. */
  for<TUser>(settings: Settings<TUser>): WebSocketServer {
    const known = this.#bySettings.get(settings);
    if (known) return known;
    const key = `${settings.maxPayload}|${JSON.stringify(settings.perMessageDeflate)}`;
    let wss = this.#byKey.get(key);
    if (!wss) {
      wss = this.#create(settings);
      this.#byKey.set(key, wss);
    }
    this.#bySettings.set(settings, wss);
    return wss;
  }

  /** Closes every server (after shutdown). */
  close(): void {
    for (const wss of this.#byKey.values()) wss.close();
  }

  #create<TUser>(settings: Settings<TUser>): WebSocketServer {
    // Options are built from defined values only: an undefined maxPayload would mean ws's 100 MiB, an
    // undefined closeTimeout about 1 ms. closeTimeout is newer than @types/ws.
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: settings.maxPayload,
      perMessageDeflate: settings.perMessageDeflate,
      autoPong: false, // sessions answer pings themselves, within the backpressure limit (session/socket-events.ts)
      closeTimeout: this.#closeTimeout(),
      handleProtocols: (_offered, req) => handshakeOf(req)?.protocol || false,
    } as ConstructorParameters<typeof WebSocketServer>[0]);
    wss.on('headers', (lines: string[], req: IncomingMessage) => {
      const chosen = handshakeOf(req);
      if (!chosen) return;
      const headers = chosen.headers;
      for (const name in headers) {
        const value = headers[name];
        if (Array.isArray(value)) for (const v of value) lines.push(`${name}: ${String(v)}`);
        else lines.push(`${name}: ${String(value)}`);
      }
    });
    return wss;
  }
}
