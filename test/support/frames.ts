import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';

/** WebSocket opcodes (RFC 6455 section 5.2). */
export const Op = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** One frame to write, with every bit under the test's control. */
export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** @default true */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Clients must mask; `false` writes an unmasked frame. @default true */
  mask?: boolean;
  /** Announce this payload length instead of the real one (the bytes written stay `payload`). */
  announcedLength?: number;
}

/** Encodes one frame exactly as specified, including invalid combinations. */
export function frame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const length = spec.announcedLength ?? payload.length;
  const masked = spec.mask !== false;
  const b0 =
    ((spec.fin ?? true) ? 0x80 : 0) |
    (spec.rsv1 ? 0x40 : 0) |
    (spec.rsv2 ? 0x20 : 0) |
    (spec.rsv3 ? 0x10 : 0) |
    (spec.opcode & 0x0f);
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([b0, length]);
  } else if (length < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = b0;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = b0;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  header[1] = header[1]! | 0x80;
  const key = randomBytes(4);
  const body = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([header, key, body]);
}

/**
 * `count` masked frames carrying one byte each, as a single message of type `opcode`: the first frame
 * has the opcode, the rest are continuations, only the last has FIN. Written directly into one buffer
 * because 200k calls to {@link frame} would dominate the test's time.
 */
export function tinyFragments(count: number, opcode: number, byte = 0x61): Buffer {
  const out = Buffer.allocUnsafe(count * 7);
  const key = randomBytes(4);
  for (let i = 0; i < count; i++) {
    const o = i * 7;
    out[o] = (i === count - 1 ? 0x80 : 0) | (i === 0 ? opcode : Op.continuation);
    out[o + 1] = 0x80 | 1;
    key.copy(out, o + 2);
    out[o + 6] = byte ^ key[0]!;
  }
  return out;
}

/** A close frame's payload: the code in network order, then the reason bytes. */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, typeof reason === 'string' ? Buffer.from(reason) : reason]);
}

/**
 * A permessage-deflate payload (RFC 7692 section 7.2.1): raw deflate ending in a sync flush, with the
 * trailing `00 00 ff ff` removed, so it is what a compliant client would put in an RSV1 frame.
 */
export function deflatePayload(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** A frame the server sent (servers never mask). */
export interface ServerFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** How a raw connection ended: the server's close code (1005 when its close frame had none) or null. */
export interface RawEnding {
  /** The code in the server's close frame, or null when the TCP connection ended without one. */
  code: number | null;
  /** Data frames the server sent before its close frame. */
  before: ServerFrame[];
}

/**
 * A WebSocket connection opened by hand over TCP after a valid handshake, for writing frames that a real
 * client library refuses to produce.
 */
export class RawSocket {
  readonly socket: Socket;
  /** The 101 response head (status line and headers, lower-cased names). */
  readonly headers: Record<string, string>;
  #buffer: Buffer;
  #frames: ServerFrame[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket, headers: Record<string, string>, rest: Buffer) {
    this.socket = socket;
    this.headers = headers;
    this.#buffer = rest;
    this.#parse();
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
      this.#parse();
      this.#notify();
    });
    const end = () => {
      this.#ended = true;
      this.#notify();
    };
    socket.on('close', end);
    socket.on('end', end);
    // A server that gave up on us may reset the connection mid-write: an expected outcome here, which
    // shows up as the end of the frames.
    socket.on('error', () => {});
  }

  /**
   * Connects to `url` (`http://host:port/path`), performs the opening handshake with `headers` added, and
   * resolves once the 101 has arrived; rejects with the status line otherwise. `path` is sent verbatim
   * (no URL normalisation: `..` and `%2e` stay as written). `first` is written in the same TCP write as the
   * request, before any answer: frames a fast client sends right behind its upgrade request.
   */
  static open(
    url: string,
    options: { headers?: Record<string, string>; path?: string; first?: Buffer } = {},
  ): Promise<RawSocket> {
    const u = new URL(url);
    const lines = [
      `GET ${options.path ?? `${u.pathname}${u.search}`} HTTP/1.1`,
      `Host: ${u.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    ];
    return new Promise((resolve, reject) => {
      const socket = connect(Number(u.port), u.hostname);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        socket.off('error', reject);
        const [status = '', ...rest] = head.subarray(0, end).toString('latin1').split('\r\n');
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          socket.destroy();
          reject(
            Object.assign(new Error(`expected a 101, got: ${status}`), {
              status: Number(status.split(' ')[1]),
            }),
          );
          return;
        }
        const parsed: Record<string, string> = {};
        for (const line of rest) {
          const i = line.indexOf(':');
          if (i > 0) parsed[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        // The server may send frames right behind the 101 (a handler that greets).
        resolve(new RawSocket(socket, parsed, head.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('connect', () => {
        const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
        socket.write(options.first ? Buffer.concat([request, options.first]) : request);
      });
    });
  }

  /** Writes frames (or any bytes) in one TCP write. */
  write(...frames: Buffer[]): void {
    this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  /** Resolves with the next frame from the server, or null once the connection has ended. */
  async next(): Promise<ServerFrame | null> {
    for (;;) {
      const f = this.#frames.shift();
      if (f) return f;
      if (this.#ended) return null;
      await new Promise<void>((r) => {
        this.#wake = r;
      });
    }
  }

  /** Reads until the server's close frame (or the end of the connection) and reports how it ended. */
  async ending(): Promise<RawEnding> {
    const before: ServerFrame[] = [];
    for (;;) {
      const f = await this.next();
      if (f === null) return { code: null, before };
      if (f.opcode === Op.close) {
        return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, before };
      }
      before.push(f);
    }
  }

  /** Destroys the TCP connection. */
  destroy(): void {
    this.socket.destroy();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #parse(): void {
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      let length = b[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return;
      this.#frames.push({
        fin: (b[0]! & 0x80) !== 0,
        rsv1: (b[0]! & 0x40) !== 0,
        opcode: b[0]! & 0x0f,
        payload: b.subarray(offset, offset + length),
      });
      this.#buffer = b.subarray(offset + length);
    }
  }
}
