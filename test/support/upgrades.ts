import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { upgradeHeaders } from './raw.ts';

/** A hand-written upgrade request for `path` on the server at `url` (extra headers override). */
export function upgradeRequest(url: string, path: string, extra: Record<string, string | null> = {}): string {
  const u = new URL(url);
  const lines = Object.entries(upgradeHeaders(u.host, extra)).map(([k, v]) => `${k}: ${v}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A plain keep-alive GET for `path`. */
export function plainGet(url: string, path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${new URL(url).host}\r\n\r\n`;
}

/** A raw TCP client, connected, with an inbox of everything it received (latin1). */
export interface RawClient {
  socket: Socket;
  /** Everything received so far. */
  readonly text: string;
  /** Resolves once `predicate(text)` holds, or rejects when the connection closes first. */
  until(predicate: (text: string) => boolean, what: string): Promise<string>;
  /** Resolves once the server closed the connection. */
  closed: Promise<void>;
}

export async function rawClient(url: string): Promise<RawClient> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  socket.on('error', () => {});
  socket.setEncoding('latin1');
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (c: string) => {
    text += c;
    for (const w of waiters) w();
  });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      resolve();
      for (const w of waiters) w();
    }),
  );
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return {
    socket,
    get text() {
      return text;
    },
    closed,
    until(predicate, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(text)) {
            waiters.delete(check);
            resolve(text);
          } else if (socket.destroyed) {
            waiters.delete(check);
            reject(new Error(`connection closed before ${what}; got: ${JSON.stringify(text.slice(0, 300))}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** One parsed HTTP/1.1 response. */
export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Splits a stream of complete HTTP/1.1 responses (Content-Length or chunked bodies); a 101 ends the HTTP
 * part, and an incomplete response at the end is left out.
 */
export function responses(text: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const status = Number(statusLine.split(' ')[1]);
    let at = end + 4;
    let body = '';
    if (status === 101) {
      out.push({ status, headers, body });
      break;
    }
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      for (;;) {
        const eol = rest.indexOf('\r\n', at);
        if (eol === -1) return out;
        const size = Number.parseInt(rest.slice(at, eol), 16);
        if (rest.length < eol + 2 + size + 2) return out;
        body += rest.slice(eol + 2, eol + 2 + size);
        at = eol + 2 + size + 2;
        if (size === 0) break;
      }
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (rest.length < at + length) return out;
      body = rest.slice(at, at + length);
      at += length;
    }
    out.push({ status, headers, body });
    rest = rest.slice(at);
  }
  return out;
}

/**
 * The server-side sockets of every `'upgrade'` the server emits, in order, seen without adding an
 * `'upgrade'` listener (a listener would change what the gate does with upgrades it declines).
 */
export function observeUpgrades(server: Server): Duplex[] {
  const seen: Duplex[] = [];
  const emit = server.emit;
  server.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    const result = (emit as (e: string | symbol, ...a: unknown[]) => boolean).call(this, event, ...args);
    if (event === 'upgrade') seen.push(args[1] as Duplex);
    return result;
  } as Server['emit'];
  return seen;
}

/**
 * Collects what would end the process: uncaught exceptions and unhandled rejections, for the duration of
 * a test. `stop()` removes the listeners and returns what was seen.
 */
export function crashWatch(): { stop(): unknown[] } {
  const seen: unknown[] = [];
  const onError = (err: unknown) => seen.push(err);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    stop() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
      return seen;
    },
  };
}
