import { randomBytes } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { StreamSocket } from './stream-socket.js';

/**
 * The request the pipeline sees for an extended CONNECT (RFC 8441 section 4): a GET for `:path` with `Host`
 * from `:authority` and the Upgrade headers an HTTP/1.1 client would have sent, so route, Host, Origin,
 * limits, authenticate, subprotocols and a framework's router run unchanged. RFC 8441 has no
 * `Sec-WebSocket-Key` (no accept to prove), so one is made up for ws's handshake; its answer is dropped.
 * `httpVersion` is `'2.0'`, for an app that wants to tell.
 */
export function connectRequest(socket: StreamSocket, h2: IncomingHttpHeaders): IncomingMessage {
  const req = new IncomingMessage(socket as unknown as Socket);
  const headers: Record<string, string | string[]> = {};
  const raw: string[] = [];
  const authority = h2[':authority'] ?? h2.host;
  if (authority !== undefined) {
    headers.host = authority;
    raw.push('Host', authority);
  }
  for (const [name, value] of Object.entries(h2)) {
    if (name.startsWith(':') || name === 'host' || value === undefined) continue;
    headers[name] = value;
    for (const v of Array.isArray(value) ? value : [value]) raw.push(name, v);
  }
  headers.upgrade = 'websocket';
  headers.connection = 'Upgrade';
  headers['sec-websocket-key'] = randomBytes(16).toString('base64');
  raw.push('Upgrade', 'websocket', 'Connection', 'Upgrade');
  req.method = 'GET';
  req.url = h2[':path'] ?? '/';
  req.httpVersion = '2.0';
  req.httpVersionMajor = 2;
  req.httpVersionMinor = 0;
  req.headers = headers as IncomingMessage['headers'];
  req.rawHeaders = raw;
  req.complete = true;
  // No body: a framework's body reader ends at once instead of reading the stream the WebSocket owns.
  req.push(null);
  return req;
}
