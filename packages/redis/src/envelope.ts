/**
 * The bytes published on a topic's channel: a 10-byte header, then the payload as it was given.
 *
 * ```
 * byte 0      version (1)
 * byte 1      flags: bit 0 set = binary frame, clear = text frame
 * bytes 2-9   the publishing node's id (8 random bytes)
 * bytes 10-   payload (UTF-8 for text)
 * ```
 *
 * The node id lets a node skip its own publishes (core has already delivered them locally); the flag keeps
 * a frame's type across nodes, which a plain string or Buffer on the channel could not.
 */

const VERSION = 1;
const FLAG_BINARY = 1;
/** Length of a node id in bytes. */
export const NODE_ID_BYTES = 8;
const HEADER = 2 + NODE_ID_BYTES;

/** A decoded envelope; `payload` shares memory with the received message. */
export interface Envelope {
  origin: Buffer;
  binary: boolean;
  payload: Buffer;
}

/** Wraps a payload for the channel. Text is written as UTF-8 straight into the envelope (one copy). */
export function encodeEnvelope(nodeId: Buffer, payload: Buffer | string, binary: boolean): Buffer {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const out = Buffer.allocUnsafe(HEADER + size);
  out[0] = VERSION;
  out[1] = binary ? FLAG_BINARY : 0;
  nodeId.copy(out, 2, 0, NODE_ID_BYTES);
  if (typeof payload === 'string') out.write(payload, HEADER, 'utf8');
  else payload.copy(out, HEADER);
  return out;
}

/** Reads an envelope, or returns undefined when the message is not one (another publisher's). */
export function decodeEnvelope(message: Buffer): Envelope | undefined {
  if (message.length < HEADER || message[0] !== VERSION || (message[1]! & ~FLAG_BINARY) !== 0)
    return undefined;
  return {
    origin: message.subarray(2, HEADER),
    binary: (message[1]! & FLAG_BINARY) !== 0,
    payload: message.subarray(HEADER),
  };
}
