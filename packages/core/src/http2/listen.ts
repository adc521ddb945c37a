import type { IncomingMessage } from 'node:http';
import {
  constants,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import { connectRequest } from './connect-request.js';
import { StreamSocket } from './stream-socket.js';

/** An HTTP/2 server, with or without TLS, `allowHTTP1` or not. */
export type AnyHttp2Server = Http2Server | Http2SecureServer;

/** Whether `server` is one of Node's HTTP/2 servers (they have `updateSettings`; HTTP/1.1 ones do not). */
export function isHttp2Server(server: object): server is AnyHttp2Server {
  return typeof (server as { updateSettings?: unknown }).updateSettings === 'function';
}

/**
 * Feeds every extended CONNECT with `:protocol: websocket` (RFC 8441) on `server` to `onUpgrade` as the
 * `(req, socket, head)` of an HTTP/1.1 upgrade, and turns on `enableConnectProtocol` so that clients may send
 * one. With a `'request'` listener (the compatibility API: Fastify, Koa, `createSecureServer(handler)`)
 * Node answers CONNECT itself unless something listens to `'connect'`, so that is where it is taken;
 * without one, from `'stream'`. Returns a function that stops listening.
 */
export function listenHttp2(
  server: AnyHttp2Server,
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): () => void {
  server.updateSettings({ enableConnectProtocol: true });
  const take = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    const socket = new StreamSocket(stream, server);
    onUpgrade(connectRequest(socket, headers), socket, Buffer.alloc(0));
  };
  // Another CONNECT (a tunnel, another :protocol) is left to the app's own 'stream' listeners.
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    if (headers[':method'] !== 'CONNECT' || headers[':protocol'] !== 'websocket') return;
    if (server.listenerCount('request') === 0) take(stream, headers);
  };
  const onConnect = (req: Http2ServerRequest): void => {
    const { stream, headers } = req;
    if (headers[':protocol'] === 'websocket') take(stream, headers);
    // Our listener stops Node's own 405 for other CONNECTs: answer it when nobody else listens.
    else if (server.listenerCount('connect') <= 1 && !stream.headersSent && !stream.destroyed)
      stream.respond({ ':status': constants.HTTP_STATUS_METHOD_NOT_ALLOWED }, { endStream: true });
  };
  server.on('stream', onStream);
  server.on('connect', onConnect as never);
  return () => {
    server.off('stream', onStream);
    server.off('connect', onConnect as never);
  };
}
