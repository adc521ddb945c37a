/**
 * The `wsgate.v1` envelope (docs/protocol.md section 2): one JSON object per text message, its type in `t`.
 * The one place frames are parsed and built; every refusal names what was wrong, for the close reason.
 */
import { CloseCode } from '../close-policy.js';

/** The subprotocol token a route lists in `protocols` to enable the protocol. */
export const WSGATE_V1 = 'wsgate.v1';

/** A topic position: `e` the epoch, `o` the offset of the last message seen. */
export interface WirePosition {
  e: string;
  o: number;
}

/** A request's or reply's error. */
export interface WireError {
  code: string;
  message?: string;
}

/** A frame the server may receive, after validation. Payload `d` is decoded (base64 to bytes when `b`). */
export type ClientFrame =
  | { t: 'hello'; topics: Map<string, WirePosition> }
  | { t: 'msg'; d: string | Buffer }
  | { t: 'req'; id: number; d: unknown }
  | { t: 'res'; id: number; d: unknown; error: WireError | undefined }
  | { t: 'ping'; id: number | string | undefined }
  | { t: 'unknown' };

/** Positions beyond this many topics in a `hello` are ignored. */
export const MAX_HELLO_TOPICS = 1_000;
const MAX_EPOCH = 64;

/** Why a frame was refused: the connection closes with `code` and the message as its reason. */
export class EnvelopeError extends Error {
  /** Always 1007 (invalid payload data): a text frame that is not a valid envelope. */
  readonly code = CloseCode.invalidPayload;
  constructor(what: string) {
    super(`invalid envelope: ${what}`);
    this.name = 'EnvelopeError';
  }
}

const invalid = (what: string): EnvelopeError => new EnvelopeError(what);

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

/** `d` with `b` applied: base64 text to bytes; a string payload stays as it is. */
function payload(frame: Record<string, unknown>, stringOnly: boolean): unknown {
  const d = frame.d;
  if (frame.b === 1) {
    if (typeof d !== 'string') throw invalid('b:1 needs a base64 string d');
    return Buffer.from(d, 'base64');
  }
  if (stringOnly && typeof d !== 'string') throw invalid(`${frame.t} needs a string d`);
  if (!('d' in frame)) throw invalid(`${frame.t} needs d`);
  return d;
}

function position(v: unknown): WirePosition | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { e, o } = v as Record<string, unknown>;
  if (typeof e !== 'string' || e === '' || e.length > MAX_EPOCH) return undefined;
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) return undefined;
  return { e, o };
}

/** Parses and validates one text message; throws {@link EnvelopeError} with the close code to use. */
export function decodeFrame(text: string): ClientFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) throw invalid('not an object');
  const f = frame as Record<string, unknown>;
  switch (f.t) {
    case 'hello': {
      const topics = new Map<string, WirePosition>();
      if (f.topics !== undefined) {
        if (typeof f.topics !== 'object' || f.topics === null || Array.isArray(f.topics))
          throw invalid('hello topics must be an object');
        for (const [topic, v] of Object.entries(f.topics)) {
          const p = position(v);
          if (!p || topic === '') throw invalid(`hello position for ${JSON.stringify(topic.slice(0, 40))}`);
          if (topics.size < MAX_HELLO_TOPICS) topics.set(topic, p);
        }
      }
      return { t: 'hello', topics };
    }
    case 'msg':
      return { t: 'msg', d: payload(f, true) as string | Buffer };
    case 'req':
      if (!isId(f.id)) throw invalid('req needs a positive integer id');
      return { t: 'req', id: f.id, d: payload(f, false) };
    case 'res': {
      if (!isId(f.id)) throw invalid('res needs a positive integer id');
      if (f.error !== undefined) {
        const e = f.error as Record<string, unknown> | null;
        if (typeof e !== 'object' || e === null || typeof e.code !== 'string' || e.code === '')
          throw invalid('res error needs a string code');
        const error: WireError = { code: e.code };
        if (typeof e.message === 'string') error.message = e.message;
        return { t: 'res', id: f.id, d: undefined, error };
      }
      return { t: 'res', id: f.id, d: payload(f, false), error: undefined };
    }
    case 'ping': {
      const id = f.id;
      if (id !== undefined && typeof id !== 'number' && typeof id !== 'string')
        throw invalid('ping id must be a number or string');
      return { t: 'ping', id };
    }
    default:
      if (typeof f.t !== 'string') throw invalid('t must be a string');
      return { t: 'unknown' };
  }
}

/** `d` (and `b`) members for a payload: bytes as base64 with `b:1`. */
function dataMembers(data: unknown): string {
  if (typeof data === 'string') return `"d":${JSON.stringify(data)}`;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes =
      data instanceof ArrayBuffer
        ? Buffer.from(data)
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return `"d":"${bytes.toString('base64')}","b":1`;
  }
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`wsgate: ${typeof data} has no JSON representation`);
  return `"d":${json}`;
}

/** `{"t":"msg",...}`: a direct message; text stays text, anything else is binary. */
export function encodeMessage(data: string | Buffer | ArrayBuffer | ArrayBufferView): string {
  return `{"t":"msg",${dataMembers(data)}}`;
}

/** `{"t":"pub",...}`: a topic message, with its position when the topic keeps history. */
export function encodePub(topic: string, data: string | Buffer, position?: WirePosition): string {
  const at = position ? `,"e":${JSON.stringify(position.e)},"o":${position.o}` : '';
  return `{"t":"pub","topic":${JSON.stringify(topic)}${at},${dataMembers(data)}}`;
}

/** `{"t":"sub",...}`: the session joined a topic; `resumed` only when the client presented a position. */
export function encodeSub(topic: string, position?: WirePosition, resumed?: boolean): string {
  const at = position ? `,"e":${JSON.stringify(position.e)},"o":${position.o}` : '';
  const r = resumed === undefined ? '' : `,"resumed":${resumed}`;
  return `{"t":"sub","topic":${JSON.stringify(topic)}${at}${r}}`;
}

/** `{"t":"unsub",...}`: the session left a topic. */
export function encodeUnsub(topic: string): string {
  return `{"t":"unsub","topic":${JSON.stringify(topic)}}`;
}

/** `{"t":"req",...}`: a request to the client. */
export function encodeRequest(id: number, data: unknown): string {
  return `{"t":"req","id":${id},${dataMembers(data)}}`;
}

/** `{"t":"res",...}`: a reply, with its data or its error. */
export function encodeReply(id: number, data: unknown, error?: WireError): string {
  if (error) return `{"t":"res","id":${id},"error":${JSON.stringify(error)}}`;
  return `{"t":"res","id":${id},${dataMembers(data)}}`;
}

/** `{"t":"pong"}`, echoing the ping's id. */
export function encodePong(id: number | string | undefined): string {
  return id === undefined ? '{"t":"pong"}' : `{"t":"pong","id":${JSON.stringify(id)}}`;
}

/** `{"t":"error",...}`: a non-fatal error about a frame the client sent. */
export function encodeError(code: string, message?: string): string {
  return JSON.stringify(message === undefined ? { t: 'error', code } : { t: 'error', code, message });
}
