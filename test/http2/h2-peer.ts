import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import * as wsModule from 'ws';
import { closePayload, frame, Op } from '../support/frames.ts';

/** ws's frame parser: exported by ws at runtime, absent from @types/ws. */
const Receiver = (wsModule as unknown as { Receiver: new (options: object) => Writable }).Receiver;

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl for this test run. */
export function testCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'wsgate-h2-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An HTTP/2 connection whose server advertised `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 section 3):
 * resolves once the server's SETTINGS arrived, rejects when the setting is off.
 */
export function h2Connect(
  url: string,
  options: SecureClientSessionOptions = {},
): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(url, options);
    session.once('error', reject);
    session.once('remoteSettings', (settings) => {
      session.off('error', reject);
      session.on('error', () => {});
      if (settings.enableConnectProtocol) resolve(session);
      else {
        session.destroy();
        reject(new Error('the server did not enable the extended CONNECT protocol'));
      }
    });
  });
}

/** A server frame, as ws's client-side Receiver parsed it. */
export interface Received {
  data: Buffer;
  binary: boolean;
}

/** The HTTP/2 response to an extended CONNECT: status, headers and, for a refusal, the body. */
export interface ConnectResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** A WebSocket on the stream when the status is 200. */
  peer?: H2Peer;
  /** The body of a refusal. */
  body?: string;
}

/**
 * Sends an extended CONNECT for `path` (RFC 8441 section 4) and waits for the response. A 200 gets an
 * {@link H2Peer} on the stream; anything else is read to its end.
 */
export function openWebSocket(
  session: ClientHttp2Session,
  path: string,
  headers: OutgoingHttpHeaders = {},
): Promise<ConnectResponse> {
  const stream = session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': session.encrypted ? 'https' : 'http',
      ':path': path,
      'sec-websocket-version': '13',
      ...headers,
    },
    { endStream: false },
  );
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.once('response', (h) => {
      stream.off('error', reject);
      const status = Number(h[':status']);
      if (status === 200) {
        resolve({ status, headers: h, peer: new H2Peer(stream) });
        return;
      }
      let body = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => {
        body += c;
      });
      stream.on('error', () => {});
      stream.once('close', () => resolve({ status, headers: h, body }));
    });
  });
}

/**
 * A WebSocket client over one HTTP/2 stream, written for the test: frames are made by hand (masked, as a
 * client must) and the server's are parsed by ws's own client-side `Receiver`, so the server's side is
 * checked by a peer that shares none of its handshake code.
 */
export class H2Peer {
  readonly stream: ClientHttp2Stream;
  readonly #messages: Received[] = [];
  readonly #waiting: Array<(m: Received) => void> = [];
  #closeSent = false;
  /** Pong payloads received. */
  readonly pongs: Buffer[] = [];
  readonly pings: Buffer[] = [];
  /** The server's close frame: code and reason; null when the stream ended without one. */
  readonly closed: Promise<{ code: number; reason: string } | null>;
  /** Resolves with the stream's RST_STREAM code once it is closed. */
  readonly ended: Promise<number>;

  constructor(stream: ClientHttp2Stream) {
    this.stream = stream;
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, binary: boolean) => {
      const m = { data, binary };
      const w = this.#waiting.shift();
      if (w) w(m);
      else this.#messages.push(m);
    });
    receiver.on('ping', (d: Buffer) => this.pings.push(d));
    receiver.on('pong', (d: Buffer) => this.pongs.push(d));
    let sawClose: (v: { code: number; reason: string } | null) => void = () => {};
    this.closed = new Promise((resolve) => {
      sawClose = resolve;
    });
    receiver.on('conclude', (code: number, reason: Buffer) => {
      sawClose({ code, reason: reason.toString() });
      // Answer the close and end our side, as a client does (RFC 6455 section 5.5.1).
      if (stream.destroyed || !stream.writable) return;
      if (this.#closeSent) stream.end();
      else stream.end(frame({ opcode: Op.close, payload: closePayload(code) }));
    });
    receiver.on('error', () => {});
    stream.on('data', (chunk: Buffer) => receiver.write(chunk));
    stream.on('error', () => {});
    this.ended = new Promise((resolve) =>
      stream.once('close', () => {
        sawClose(null);
        resolve(stream.rstCode ?? 0);
      }),
    );
  }

  send(data: string | Buffer): void {
    this.stream.write(frame({ opcode: typeof data === 'string' ? Op.text : Op.binary, payload: data }));
  }

  ping(payload = 'p'): void {
    this.stream.write(frame({ opcode: Op.ping, payload }));
  }

  close(code: number, reason = ''): void {
    this.#closeSent = true;
    this.stream.write(frame({ opcode: Op.close, payload: closePayload(code, reason) }));
  }

  /** The next message from the server. */
  next(): Promise<Received> {
    const m = this.#messages.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}
