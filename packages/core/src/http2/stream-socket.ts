import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { Duplex } from 'node:stream';
import { ChunkedDecoder, type ResponseHead, readHead } from './response-head.js';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = constants;

/**
 * Headers that belong to an HTTP/1.1 connection or to its Upgrade dance: HTTP/2 forbids the first kind
 * (RFC 9113 section 8.2.2) and RFC 8441 has no use for the second (no key, so no accept).
 */
const NOT_IN_HTTP2 = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'sec-websocket-accept',
]);

/**
 * The socket the pipeline and ws see for one extended CONNECT stream (RFC 8441): a Duplex over the
 * `Http2Stream`. The first thing written to it is an HTTP/1.1 response (a refusal from wsgate or a
 * framework, or ws's 101); it becomes the stream's HTTP/2 response (`:status` 200 for the 101) and the rest
 * of the bytes become the stream's data. Flow control is backpressure both ways: a write completes when the
 * stream's does, and a full read buffer pauses the stream (so its window is not reopened).
 */
export class StreamSocket extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly remoteFamily: string | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** Whether the HTTP/2 connection is TLS (`https`, for Origin checks and `ClientInfo.protocol`). */
  readonly encrypted: boolean;
  /** The server the stream came through (for the gate's loopback check). */
  readonly server: unknown;
  /** The HTTP/2 stream underneath. */
  readonly stream: ServerHttp2Stream;

  #state: 'head' | 'body' | 'chunked' | 'tunnel' = 'head';
  #pendingHead: Buffer = Buffer.alloc(0);
  #chunks: ChunkedDecoder | undefined;

  constructor(stream: ServerHttp2Stream, server: unknown) {
    super({ allowHalfOpen: true });
    this.stream = stream;
    this.server = server;
    const socket = stream.session?.socket as
      | (Partial<Record<'remoteAddress' | 'remoteFamily' | 'localAddress', string>> &
          Partial<Record<'remotePort' | 'localPort', number>> & { encrypted?: boolean })
      | undefined;
    this.remoteAddress = socket?.remoteAddress;
    this.remotePort = socket?.remotePort;
    this.remoteFamily = socket?.remoteFamily;
    this.localAddress = socket?.localAddress;
    this.localPort = socket?.localPort;
    this.encrypted = socket?.encrypted === true;
    stream.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) stream.pause();
    });
    stream.on('end', () => this.push(null));
    // A reset (RST_STREAM), a GOAWAY with an error, or the connection closing: the socket is gone, as a TCP
    // reset is for HTTP/1.1, and ws reports 1006 for a session that had no closing handshake.
    stream.on('close', () => this.destroy());
    stream.on('error', () => this.destroy());
  }

  override _read(): void {
    this.stream.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.#write(chunk, cb);
    } catch (err) {
      cb(err as Error);
    }
  }

  #write(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.#state === 'tunnel' || this.#state === 'body') {
      this.#toStream(chunk, cb);
      return;
    }
    if (this.#state === 'chunked') {
      const data = (this.#chunks as ChunkedDecoder).push(chunk);
      this.#toStream(data.length === 1 ? (data[0] as Buffer) : Buffer.concat(data), cb);
      return;
    }
    let buf = this.#pendingHead.length === 0 ? chunk : Buffer.concat([this.#pendingHead, chunk]);
    for (;;) {
      const read = readHead(buf);
      if (!read) {
        this.#pendingHead = buf;
        cb();
        return;
      }
      buf = read.rest;
      const { status } = read.head;
      // 100 Continue, 103 Early Hints: nothing a CONNECT client waits for.
      if (status >= 100 && status < 200 && status !== 101) continue;
      this.#pendingHead = Buffer.alloc(0);
      this.#respond(read.head);
      if (read.head.chunked && status !== 101) {
        this.#state = 'chunked';
        this.#chunks = new ChunkedDecoder();
        this.#write(buf, cb);
        return;
      }
      this.#state = status === 101 ? 'tunnel' : 'body';
      this.#toStream(buf, cb);
      return;
    }
  }

  /** The HTTP/1.1 head as the stream's HTTP/2 response: 101 becomes 200 (RFC 8441 section 5). */
  #respond(head: ResponseHead): void {
    const headers: OutgoingHttpHeaders = { ':status': head.status === 101 ? 200 : head.status };
    for (const [name, value] of Object.entries(head.headers)) {
      if (NOT_IN_HTTP2.has(name)) continue;
      if (name === 'content-length' && (head.chunked || head.status === 101)) continue;
      headers[name] = value;
    }
    if (this.stream.destroyed || this.stream.headersSent) return;
    this.stream.respond(headers);
  }

  #toStream(data: Buffer, cb: (err?: Error | null) => void): void {
    if (data.length === 0) {
      cb();
      return;
    }
    if (this.stream.destroyed) {
      cb(new Error('wsgate: the HTTP/2 stream is closed'));
      return;
    }
    // The callback follows the stream's: a peer that does not read holds it back (its flow-control window),
    // and ws's bufferedAmount, the session's backpressure, sees it.
    this.stream.write(data, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.stream.destroyed) {
      cb();
      return;
    }
    // Nothing was ever answered (the pipeline ended the socket without a response): reset the stream.
    if (this.#state === 'head') {
      this.stream.close(NGHTTP2_CANCEL);
      cb();
      return;
    }
    // A refusal is complete once written: RST_STREAM NO_ERROR releases the stream without waiting for the
    // client to end its side (RFC 9113 section 8.1), as closing the TCP connection does for HTTP/1.1. A
    // WebSocket's end is its closing handshake: the client ends its side in turn.
    const refusal = this.#state !== 'tunnel';
    this.stream.end(() => {
      if (refusal && !this.stream.destroyed) this.stream.close(NGHTTP2_NO_ERROR);
      cb();
    });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const stream = this.stream;
    // After a complete response, RST_STREAM NO_ERROR tells the client to stop sending (RFC 9113 section
    // 8.1); before it, CANCEL.
    if (!stream.destroyed) stream.close(this.writableFinished ? NGHTTP2_NO_ERROR : NGHTTP2_CANCEL);
    cb(err);
  }
}
