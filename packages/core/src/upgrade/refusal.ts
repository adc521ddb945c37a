import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Logger, redactUrl } from '../logger.js';
import type { StatsCounter } from '../stats.js';
import { writeRejection } from './reject.js';

/** Where a gate logs each refused upgrade: a logger level, or `false` for nowhere. */
export type RefusalLogLevel = 'debug' | 'info' | 'warn' | false;

/** What a refused upgrade is reported with (the `reject` event's argument). */
export interface RefusalInfo {
  status: number;
  /** The reason the client was sent; it names the option to change where one applies. */
  reason: string;
  /** The request target with every query value redacted (tokens travel in URLs). */
  url: string;
  ip: string;
}

/** What the refusal path needs from its gate. */
export interface RefusalDeps {
  stats: StatsCounter;
  /** Emits the gate's `reject` event (safely), if anyone listens. */
  emit: (info: RefusalInfo) => void;
  logger: Logger;
  level: RefusalLogLevel;
}

/** One refusal: the status, the reason and the headers (`Retry-After`, `WWW-Authenticate`) to send. */
export interface Refusal {
  status: number;
  reason: string;
  headers?: Record<string, string | number | readonly string[]> | undefined;
}

/**
 * The one refusal path: every upgrade wsgate or the app's framework refuses is counted here, emitted as
 * `reject`, logged once, and (unless the framework already answered) written. A refused upgrade is the
 * question developers ask first ("why 403?"), and the answer must reach the log they read.
 */
export class RefusalPath {
  readonly #deps: RefusalDeps;

  constructor(deps: RefusalDeps) {
    this.#deps = deps;
  }

  /**
   * Counts, emits and logs a refusal, then writes it to `socket`; without a socket the client has already
   * been answered (by the framework, or the socket is gone). Returns null for `return refuse(...)`.
   */
  refuse(req: IncomingMessage, refusal: Refusal, socket?: Duplex): null {
    const { stats, logger, level } = this.#deps;
    stats.reject(refusal.status);
    const info: RefusalInfo = {
      status: refusal.status,
      reason: refusal.reason,
      url: redactUrl(req.url),
      ip: peerAddress(req),
    };
    this.#deps.emit(info);
    if (level !== false) {
      try {
        logger[level]?.(logFields(req, info), `wsgate: upgrade refused: ${info.status} ${info.reason}`);
      } catch {
        // A throwing logger must not keep the client from its answer.
      }
    }
    if (socket) writeRejection(socket, refusal.status, refusal.reason, refusal.headers);
    return null;
  }
}

/**
 * What a refusal is logged with. Origin and Host are what most refusals are about; no other header is
 * logged (Authorization, Cookie and Sec-WebSocket-Protocol may carry tokens), and the URL's query is redacted.
 */
function logFields(req: IncomingMessage, info: RefusalInfo): object {
  const origin = req.headers.origin;
  const host = req.headers.host;
  return {
    ...info,
    ...(origin !== undefined ? { origin: String(origin).slice(0, 200) } : {}),
    ...(host !== undefined ? { host: host.slice(0, 200) } : {}),
  };
}

/** The peer's address, IPv4-mapped IPv6 shown as IPv4. */
export function peerAddress(req: IncomingMessage): string {
  const a = req.socket?.remoteAddress ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
