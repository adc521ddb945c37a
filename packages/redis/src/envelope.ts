/**
 * The bytes published on a topic's channel: a 10-byte header, then the payload as it was given.
 *
 * ```
 * byte 0      version (1)
 * byte 1      flags: bit 0 set = binary frame, clear = text frame;
 *                    bit 1 set = positioned (a topic with history), bit 2 set = a presence change
 * bytes 2-9   the publishing node's id (8 random bytes)
 * positioned: `<epoch> <offset> ` in ASCII (the append script writes it), then the payload
 * presence:   the change as JSON ({ type, member })
 * bytes 10-   payload (UTF-8 for text)
 * ```
 *
 * The node id lets a node skip its own publishes (core has already delivered them locally); the flag keeps
 * a frame's type across nodes, which a plain string or Buffer on the channel could not.
 */

const VERSION = 1;
const FLAG_BINARY = 1;
const FLAG_POSITION = 2;
const FLAG_PRESENCE = 4;
const SPACE = 0x20;
/** Length of a node id in bytes. */
export const NODE_ID_BYTES = 8;
const HEADER = 2 + NODE_ID_BYTES;

/** A decoded envelope; `payload` shares memory with the received message. */
export interface Envelope {
  origin: Buffer;
  binary: boolean;
  payload: Buffer;
  /** For a topic with history: where the message sits. */
  position?: { epoch: string; offset: number } | undefined;
  /** The payload is a presence change (JSON). */
  presence: boolean;
}

/** The header alone (the append script adds the position and the payload). */
export function encodeHeader(nodeId: Buffer, binary: boolean, positioned: boolean, presence = false): Buffer {
  const out = Buffer.allocUnsafe(HEADER);
  out[0] = VERSION;
  out[1] = (binary ? FLAG_BINARY : 0) | (positioned ? FLAG_POSITION : 0) | (presence ? FLAG_PRESENCE : 0);
  nodeId.copy(out, 2, 0, NODE_ID_BYTES);
  return out;
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
  if (message.length < HEADER || message[0] !== VERSION) return undefined;
  const flags = message[1]!;
  if ((flags & ~(FLAG_BINARY | FLAG_POSITION | FLAG_PRESENCE)) !== 0) return undefined;
  const origin = message.subarray(2, HEADER);
  const binary = (flags & FLAG_BINARY) !== 0;
  const presence = (flags & FLAG_PRESENCE) !== 0;
  if ((flags & FLAG_POSITION) === 0) return { origin, binary, payload: message.subarray(HEADER), presence };
  const s1 = message.indexOf(SPACE, HEADER);
  const s2 = s1 < 0 ? -1 : message.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return undefined;
  const offset = Number(message.toString('latin1', s1 + 1, s2));
  if (!Number.isSafeInteger(offset) || offset < 1) return undefined;
  return {
    origin,
    binary,
    payload: message.subarray(s2 + 1),
    position: { epoch: message.toString('latin1', HEADER, s1), offset },
    presence,
  };
}
