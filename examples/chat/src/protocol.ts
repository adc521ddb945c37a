/**
 * The chat's wire format: JSON text frames, declared as a schema that wsgate checks before the server
 * acts on anything a client sends (see {@link chatContract}).
 */
import type { ContractOptions } from '@wsgate/core';
import * as z from 'zod';

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

/**
 * What a client may send, as a schema: wsgate parses and validates every frame against it before the
 * handler sees it (the route's `message` option), so the handler gets a typed {@link ClientEvent}.
 */
export const ClientEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), text: z.string().trim().min(1).max(MAX_TEXT) }),
  z.object({ type: z.literal('typing'), typing: z.boolean() }),
]);
export type ClientEvent = z.output<typeof ClientEvent>;

/** What the server sends to clients. */
export type ServerEvent =
  | { type: 'welcome'; you: string; room: string; history: ChatMessage[]; members: string[] }
  | ChatMessage
  | { type: 'join' | 'leave'; name: string; member: string; at: number }
  | { type: 'presence'; members: string[] }
  | { type: 'typing'; name: string; typing: boolean }
  | { type: 'error'; error: string };

/**
 * The chat route's contract (wsgate route options): frames are `ClientEvent` JSON. Text that is not JSON
 * closes with 1007 and a binary frame with 1003 (wsgate's answers); a value the schema refuses gets
 * `{"type":"error","error":"text: Too big: ..."}` and the connection stays open.
 */
export const chatContract = {
  message: ClientEvent,
  onInvalid: ({ issues }, session) => {
    const first = issues[0];
    const path = (first?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
    const error = `${path === '' ? '' : `${path}: `}${first?.message ?? 'invalid message'}`;
    session.sendJson({ type: 'error', error } satisfies ServerEvent);
  },
} satisfies ContractOptions;

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
