import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { defaultReason } from './http-error.js';

/** Header names the rejection writer owns; callers cannot override them. */
const OWNED = new Set(['connection', 'content-type', 'content-length', 'transfer-encoding']);

/**
 * The one function that refuses an upgrade: a complete HTTP/1.1 response with `Connection: close` and a
 * short text body, then the socket ends (and is destroyed once flushed or after a short grace, so a peer
 * that never reads cannot hold it open). Every refusal in wsgate goes through here.
 *
 * @returns false when the socket was already gone and nothing was written.
 */
export function writeRejection(
  socket: Duplex,
  status: number,
  reason?: string,
  headers?: Record<string, string | number | readonly string[]>,
): boolean {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return false;
  }
  const body = `${sanitize(reason ?? defaultReason(status))}\n`;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? defaultReason(status)}\r\n`;
  head += 'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n';
  head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  if (headers) {
    for (const [name, value] of Object.entries(headers)) {
      if (OWNED.has(name.toLowerCase()) || !isToken(name)) continue;
      for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${sanitize(String(v))}\r\n`;
    }
  }
  socket.once('finish', () => socket.destroy());
  // A peer that stops reading would keep a half-written rejection alive forever.
  const timer = setTimeout(() => socket.destroy(), 2_000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(`${head}\r\n${body}`);
  return true;
}

// Header values and reasons must never be able to inject a header or a second response.
function sanitize(text: string): string {
  return text.replace(/[\r\n\0]+/g, ' ').slice(0, 512);
}

function isToken(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name);
}
