import { CloseCode } from '../close-policy.js';
import { sizeOfSendData } from '../session/send-data.js';
import {
  decodeFrame,
  type EnvelopeError,
  encodeMessage,
  encodePong,
  encodeReply,
  encodeRequest,
  type WireError,
} from './envelope.js';
import { PendingRequests, RequestError, type RequestOptions } from './requests.js';
import { ResumePositions } from './resume.js';
import { type StreamPeer, TopicStreams } from './topic-streams.js';

/**
 * Answers a client's request: the returned value (or the promise's) is the reply, any JSON value or bytes.
 * Throw a {@link RequestError} to reply with its code and message; any other throw replies `failed`.
 */
export type RequestHandler = (data: unknown) => unknown;

/** Requests held while no handler is set; beyond this they are answered `busy`. */
export const HELD_REQUESTS = 64;

/** What the layer needs from its session (a seam that keeps the layer free of Session). */
export interface ProtocolPeer {
  /** Writes one text frame as is; false when it was not sent. */
  write(frame: string): boolean;
  /** Closes with a protocol close code. */
  close(code: number, reason: string): void;
  /** Topic deliveries held before `hello` are bounded like buffered output (the backpressure limit). */
  readonly backpressure: Pick<StreamPeer, 'limit' | 'policy' | 'overflow'>;
  /** Whether the connection is open. */
  readonly open: boolean;
  /** A request handler failed with an unexpected error (reported, never sent to the client). */
  report(err: unknown): void;
}

/**
 * The `wsgate.v1` protocol for one session: decodes what the client sends (strictly: a malformed frame
 * closes the connection with the documented code), answers pings without the application, carries
 * requests both ways and records the resume positions of the client's `hello`.
 */
export class ProtocolLayer {
  /** The positions the client presented, for resume (see resume.ts). */
  readonly resume = new ResumePositions();
  /** The session's topics as `sub`/`pub`/`unsub` frames, with resume (see topic-streams.ts). */
  readonly topics: TopicStreams;
  readonly #peer: ProtocolPeer;
  readonly #pending = new PendingRequests();
  #handler: RequestHandler | undefined;
  #held: Array<{ id: number; d: unknown }> | undefined;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;

  /** `helloTimeout`: ms the client has to send `hello` after the open (the route's `handshakeTimeout`). */
  constructor(peer: ProtocolPeer, helloTimeout: number) {
    this.#peer = peer;
    const bp = peer.backpressure;
    this.topics = new TopicStreams(
      {
        write: (frame) => peer.write(frame),
        get open() {
          return peer.open;
        },
        limit: bp.limit,
        policy: bp.policy,
        overflow: () => bp.overflow(),
        report: (err) => peer.report(err),
      },
      this.resume,
    );
    // Bounds how long resume may wait for the client's positions (resume.ts); cleared by hello or close.
    this.#helloTimer = setTimeout(() => {
      if (!this.resume.received) this.#peer.close(CloseCode.protocolError, 'hello expected');
    }, helloTimeout);
    this.#helloTimer.unref?.();
  }

  /**
   * One message from the client. Returns the application payload of a `msg`, or undefined when the frame
   * was the protocol's own (or refused, in which case the connection is closing).
   */
  receive(message: string | Buffer): string | Buffer | undefined {
    if (typeof message !== 'string') {
      this.#peer.close(CloseCode.unsupportedData, 'binary messages are not used by wsgate.v1');
      return undefined;
    }
    let frame: ReturnType<typeof decodeFrame>;
    try {
      frame = decodeFrame(message);
    } catch (err) {
      const e = err as EnvelopeError;
      this.#peer.close(e.code, e.message.slice(0, 120));
      return undefined;
    }
    if (!this.resume.received && frame.t !== 'hello') {
      this.#peer.close(CloseCode.protocolError, 'hello must be the first frame');
      return undefined;
    }
    switch (frame.t) {
      case 'hello':
        if (this.resume.received) this.#peer.close(CloseCode.protocolError, 'hello sent twice');
        else {
          clearTimeout(this.#helloTimer);
          this.resume._hello(frame.topics);
        }
        return undefined;
      case 'msg':
        return frame.d;
      case 'ping':
        this.#peer.write(encodePong(frame.id));
        return undefined;
      case 'req':
        this.#request(frame.id, frame.d);
        return undefined;
      case 'res':
        this.#pending.settle(frame.id, frame.d, frame.error);
        return undefined;
      default:
        return undefined; // unknown types are ignored (docs/protocol.md section 9)
    }
  }

  /** A direct message from the application as a `msg` frame (validated as `send()` validates). */
  message(data: string | Buffer | ArrayBuffer | ArrayBufferView): string {
    sizeOfSendData(data, 'send()');
    return encodeMessage(data);
  }

  /** Sends a request to the client; resolves with its reply, rejects with a {@link RequestError}. */
  request(data: unknown, options?: RequestOptions): Promise<unknown> {
    if (!this.#peer.open) return Promise.reject(new RequestError('closed', 'the session is not open'));
    return this.#pending.start((id) => {
      if (!this.#peer.write(encodeRequest(id, data)) && !this.#peer.open)
        throw new RequestError('closed', 'the session is not open');
    }, options);
  }

  /** Sets the handler of the client's requests; requests held until now are answered by it, in order. */
  onRequest(handler: RequestHandler | undefined): void {
    if (handler !== undefined && typeof handler !== 'function')
      throw new TypeError('wsgate: onRequest() takes a function');
    this.#handler = handler;
    const held = this.#held;
    this.#held = undefined;
    if (handler && held) for (const r of held) this.#request(r.id, r.d);
  }

  /** The connection closed: pending requests fail with `closed`, resume waiters are released. */
  closed(): void {
    clearTimeout(this.#helloTimer);
    this.#pending.closeAll();
    this.#held = undefined;
    this.topics.closed();
    this.resume._closed();
  }

  #request(id: number, data: unknown): void {
    const handler = this.#handler;
    if (!handler) {
      // The handler may set onRequest after an await: hold a few requests for it rather than refuse them.
      this.#held ??= [];
      if (this.#held.length >= HELD_REQUESTS) this.#reply(id, undefined, { code: 'busy' });
      else this.#held.push({ id, d: data });
      return;
    }
    let result: unknown;
    try {
      result = handler(data);
    } catch (err) {
      this.#failed(id, err);
      return;
    }
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as Promise<unknown>).then === 'function'
    ) {
      (result as Promise<unknown>).then(
        (value) => this.#reply(id, value),
        (err: unknown) => this.#failed(id, err),
      );
    } else {
      this.#reply(id, result);
    }
  }

  #failed(id: number, err: unknown): void {
    if (err instanceof RequestError) {
      this.#reply(id, undefined, { code: err.code, message: err.message });
      return;
    }
    this.#peer.report(err);
    this.#reply(id, undefined, { code: 'failed', message: 'request failed' });
  }

  #reply(id: number, data: unknown, error?: WireError): void {
    if (!this.#peer.open) return;
    let frame: string;
    try {
      frame = encodeReply(id, data === undefined ? null : data, error);
    } catch (err) {
      // A reply with no JSON form (a function, a BigInt): the application's bug, reported; the client
      // still gets an answer.
      this.#peer.report(err);
      frame = encodeReply(id, undefined, { code: 'failed', message: 'request failed' });
    }
    this.#peer.write(frame);
  }
}
