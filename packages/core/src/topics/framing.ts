import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import * as wsModule from 'ws';

/**
 * The ws internals the broadcast fast path relies on: framing a message once (ws's own `Sender.frame`) and
 * telling whether a socket may take pre-framed bytes. Guarded by a test ({@link wsInternalsPresent}), so a
 * ws upgrade that changes them fails loudly instead of corrupting frames.
 */

interface SenderStatic {
  frame(
    data: Buffer,
    options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean },
  ): Buffer[];
}
// ws's ESM entry exports Sender by name; its CJS entry hangs it on the constructor (only once index.js ran).
// @types/ws declares neither, and wsInternalsPresent() (guarded by a test) says when it is missing.
const wsExports = wsModule as unknown as { Sender?: SenderStatic; default?: { Sender?: SenderStatic } };
const Sender: SenderStatic | undefined = wsExports.Sender ?? wsExports.default?.Sender;

/** @internal ws internals the fast path reads. */
export interface WsInternals {
  _socket?: Socket | null;
  _sender?: { _state?: number; _queue?: unknown[]; _firstFragment?: boolean };
  _extensions?: Record<string, unknown>;
}

/** Payloads up to this size are framed into one buffer (one write per socket instead of two). */
export const JOIN_BELOW = 16 * 1024;

/**
 * Frames a complete, unmasked, uncompressed message (RFC 6455 5.2: FIN, the opcode, the length in 7, 7+16
 * or 7+64 bits). Up to {@link JOIN_BELOW} bytes the header and the payload (a string is encoded straight
 * into it) share one buffer: one allocation, one chunk per socket write. Larger ones are ws's own frame,
 * the header apart from the payload (not copied).
 */
export function frameMessage(
  data: Buffer | string,
  binary: boolean,
  // The caller may know it already (a send counts it for the stats): a string's byte length is a scan.
  length = typeof data === 'string' ? Buffer.byteLength(data) : data.length,
): Buffer[] {
  if (length > JOIN_BELOW) {
    return (Sender as SenderStatic).frame(typeof data === 'string' ? Buffer.from(data) : data, {
      fin: true,
      opcode: binary ? 2 : 1,
      mask: false,
      readOnly: true,
      rsv1: false,
    });
  }
  const head = length < 126 ? 2 : 4; // JOIN_BELOW < 65536: never the 64-bit length
  const frame = Buffer.allocUnsafe(head + length);
  frame[0] = binary ? 0x82 : 0x81;
  if (head === 2) frame[1] = length;
  else {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  }
  if (typeof data === 'string') frame.write(data, head, 'utf8');
  else data.copy(frame, head);
  return [frame];
}

/**
 * Whether pre-framed bytes may be written to this socket now: an open socket, no compression (each
 * connection has its own deflate context), and ws's sender idle (nothing queued behind a compression or a
 * Blob read, and no fragmented message in progress). Otherwise the caller falls back to `ws.send`, which
 * queues behind what is pending and so keeps the order.
 */
export function canWriteFramed(raw: WebSocket): boolean {
  const ws = raw as unknown as WsInternals;
  const sender = ws._sender;
  return (
    raw.readyState === 1 &&
    ws._socket != null &&
    !ws._socket.destroyed &&
    sender !== undefined &&
    sender._state === 0 &&
    sender._queue?.length === 0 &&
    sender._firstFragment !== false &&
    (ws._extensions === undefined || ws._extensions['permessage-deflate'] === undefined)
  );
}

/** Whether this version of ws exposes what the fast path needs (checked by a test, too). */
export function wsInternalsPresent(raw: WebSocket): boolean {
  const ws = raw as unknown as WsInternals;
  return (
    typeof Sender?.frame === 'function' &&
    '_socket' in ws &&
    typeof ws._sender?._state === 'number' &&
    Array.isArray(ws._sender?._queue) &&
    typeof ws._sender?._firstFragment === 'boolean' &&
    typeof ws._extensions === 'object'
  );
}
