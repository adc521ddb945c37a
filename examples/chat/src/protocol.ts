/**
 * The chat's wire format: JSON text frames. Everything a client sends is checked here before the server
 * acts on it; anything else gets an `error` reply and the connection stays open.
 */

/** Longest chat message, in characters (after trimming). */
export const MAX_TEXT = 1_000;

/** A chat message as stored in a room's history and sent to clients. */
export interface ChatMessage {
  type: 'message';
  /** Unique across instances: the instance id and a counter. */
  id: string;
  from: string;
  text: string;
  /** Milliseconds since the epoch, from the instance that accepted the message. */
  at: number;
}

/** What a client may send. */
export type ClientEvent = { type: 'message'; text: string } | { type: 'typing'; typing: boolean };

/** What the server sends to clients. */
export type ServerEvent =
  | { type: 'welcome'; you: string; room: string; history: ChatMessage[]; members: string[] }
  | ChatMessage
  | { type: 'join' | 'leave'; name: string; member: string; at: number }
  | { type: 'presence'; members: string[] }
  | { type: 'typing'; name: string; typing: boolean }
  | { type: 'error'; error: string };

/** A client event, or why the frame was refused. */
export type Parsed = { ok: true; event: ClientEvent } | { ok: false; error: string };

const refuse = (error: string): Parsed => ({ ok: false, error });

/** Validates one inbound frame (text as `string`, binary as `Buffer`, as wsgate delivers them). */
export function parseClientEvent(frame: string | Buffer): Parsed {
  if (typeof frame !== 'string') return refuse('binary frames are not supported: send JSON text');
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return refuse('malformed JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refuse('expected a JSON object with a "type"');
  }
  const event = value as Record<string, unknown>;
  switch (event.type) {
    case 'message': {
      if (typeof event.text !== 'string') return refuse('"text" must be a string');
      const text = event.text.trim();
      if (text.length === 0) return refuse('"text" is empty');
      if (text.length > MAX_TEXT) return refuse(`"text" is longer than ${MAX_TEXT} characters`);
      return { ok: true, event: { type: 'message', text } };
    }
    case 'typing':
      if (typeof event.typing !== 'boolean') return refuse('"typing" must be true or false');
      return { ok: true, event: { type: 'typing', typing: event.typing } };
    default:
      return refuse('unknown "type": expected "message" or "typing"');
  }
}

/**
 * The close code of a session whose user signed out (in another tab): the page goes to the sign-in form
 * instead of reconnecting.
 */
export const SIGNED_OUT = 4001;

const ROOM = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Room names are URL path segments: lowercase letters, digits, `-` and `_`, at most 32 characters. */
export function isRoomName(room: string): boolean {
  return ROOM.test(room);
}

/**
 * A display name from the sign-in form: trimmed, inner whitespace collapsed, 1 to 24 characters, no
 * control characters. `undefined` when nothing usable is left.
 */
export function cleanName(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const printable = [...input].filter((c) => c >= ' ' && c !== '\u007f').join('');
  const name = printable.replace(/\s+/g, ' ').trim();
  return name.length > 0 && name.length <= 24 ? name : undefined;
}
