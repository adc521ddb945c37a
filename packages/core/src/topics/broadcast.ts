import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import * as wsModule from 'ws';
import { type PubFrame, pubFrame, type TopicStreams } from '../protocol/topic-streams.js';
import { admit, afterWrite } from '../session/outbound.js';
import type { Session } from '../session/session.js';
import type { Position } from './positions.js';

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

/**
 * The one place a broadcast is framed and delivered. A message is framed once and the same bytes are
 * written to every recipient's socket. Sockets written in one tick are corked and flushed together on the
 * next tick, so several publishes in a burst cost one write syscall per socket. Large fan-outs are spread
 * over event-loop turns (at most SLICE deliveries per turn, flushes in batches) so other work is not
 * starved. Order per connection is always kept: deliveries run in publish order, every write (ours or
 * ws's own) lands in the socket's buffer in call order, corking only delays the flush, and anything that
 * writes to a session directly first completes the pending deliveries ({@link settleBroadcasts}). As bytes
 * are written after publish() returns, a publisher's Buffer is copied once per publish (see `own`).
 */

/** ws internals the fast path reads; guarded by a test so a ws upgrade that changes them fails loudly. */
interface WsInternals {
  _socket?: Socket | null;
  _sender?: { _state?: number; _queue?: unknown[]; _firstFragment?: boolean };
  _extensions?: Record<string, unknown>;
}

/** Sockets uncorked per turn: each uncork is a writev syscall, so 512 keeps a turn to a few ms. */
const FLUSH_BATCH = 512;
/** Deliveries per event-loop turn; a fan-out to more sockets continues on the next turns. */
export const SLICE = 1024;
/** Payloads up to this size are framed into one buffer (one write per socket instead of two). */
const JOIN_BELOW = 16 * 1024;
const kCorked = Symbol('wsgate.corked');
type CorkableSocket = Socket & { [kCorked]?: boolean };

let pending: CorkableSocket[] = [];
let scheduled = false;

function flush(): void {
  const batch = pending.length > FLUSH_BATCH ? pending.splice(0, FLUSH_BATCH) : pending;
  if (batch === pending) pending = [];
  for (const socket of batch) {
    socket[kCorked] = false;
    socket.uncork();
  }
  if (pending.length > 0) setImmediate(flush);
  else scheduled = false;
}

/** Frames a complete, unmasked, uncompressed message. */
export function frameMessage(data: Buffer, binary: boolean): Buffer[] {
  const frames = (Sender as SenderStatic).frame(data, {
    fin: true,
    opcode: binary ? 2 : 1,
    mask: false,
    readOnly: true,
    rsv1: false,
  });
  return frames.length === 2 && data.length <= JOIN_BELOW ? [Buffer.concat(frames)] : frames;
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

/** Writes already framed bytes to a ws socket, corking it until the next tick. */
export function writeFramed(raw: WebSocket, frames: readonly Buffer[]): void {
  const socket = (raw as unknown as WsInternals)._socket as CorkableSocket;
  if (!socket[kCorked]) {
    socket[kCorked] = true;
    socket.cork();
    pending.push(socket);
    if (!scheduled) {
      scheduled = true;
      process.nextTick(flush);
    }
  }
  for (const frame of frames) socket.write(frame);
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

/** A broadcast recipient: a session (its writes pass the session's backpressure, session/outbound.ts). */
type Recipient = Session<unknown>;

/** What a publish hands to {@link broadcast}. */
export interface Outgoing {
  readonly payload: Buffer;
  readonly binary: boolean;
  /**
   * The payload is the publisher's own Buffer, which it may reuse or change once publish() returns: the
   * message takes a copy of the bytes (one per publish, see `own`).
   */
  readonly borrowed: boolean;
  /** The one recipient not to deliver to (the publishing session). */
  readonly except: Recipient | undefined;
  /** Receives the number of sessions written to, once delivery is complete. */
  readonly delivered: (count: number) => void;
  /** The message's place in its topic's history (topics with history only). */
  readonly position?: Position | undefined;
}

/** One published message. */
interface Message {
  payload: Buffer;
  readonly binary: boolean;
  readonly except: Recipient | undefined;
  readonly delivered: (count: number) => void;
  /** Its place in the topic's history, for the `pub` envelope of wsgate.v1 members. */
  readonly position: Position | undefined;
  frames: Buffer[] | undefined;
  /** The `pub` envelope and its frame, built once per publish for all wsgate.v1 members (bare ones never). */
  pub: PubFrame | undefined;
  pubFrames: Buffer[] | undefined;
  count: number;
}

/**
 * Messages for one recipient list, delivered socket by socket: each socket gets all of the job's messages
 * at once, so a burst to a big topic costs one write syscall per socket, not one per message.
 */
interface Job {
  readonly topic: string;
  readonly recipients: readonly Recipient[];
  readonly messages: Message[];
  index: number;
}

const jobs: Job[] = [];
let turnScheduled = false;

/**
 * Delivers `out.payload` to each recipient (except one), in order after every earlier broadcast. Up to
 * {@link SLICE} writes happen now; the rest continue on later event-loop turns. Pass the same
 * `recipients` array for the same topic (until its membership changes) so messages published while a
 * delivery is under way are merged into one job.
 */
export function broadcast(topic: string, recipients: readonly Recipient[], out: Outgoing): void {
  const { payload, binary, except, delivered, position } = out;
  const message: Message = {
    payload,
    binary,
    except,
    delivered,
    position,
    frames: undefined,
    pub: undefined,
    pubFrames: undefined,
    count: 0,
  };
  if (out.borrowed) own(message);
  const last = jobs.at(-1);
  // Only a job that has not started may take more messages: every recipient must see all of them.
  if (last !== undefined && last.index === 0 && last.recipients === recipients && jobs.length > 1) {
    last.messages.push(message);
    return;
  }
  jobs.push({ topic, recipients, messages: [message], index: 0 });
  if (jobs.length === 1) runJobs(SLICE);
}

/**
 * Makes a message independent of the publisher's Buffer. Its bytes are read after publish() returns:
 * corked sockets are flushed on the next tick, a fan-out beyond {@link SLICE} (and any publish queued
 * behind one) is written on later turns, and ws queues a send behind a compression in progress. One copy
 * per publish, whatever the fan-out: a small payload is framed now (its single-buffer frame is the copy
 * every fast-path write shares anyway, and the payload becomes a view into it); a large one is copied once
 * and framed later with a separate header, as before.
 */
function own(m: Message): void {
  const { payload } = m;
  if (payload.length <= JOIN_BELOW) {
    const frames = frameMessage(payload, m.binary);
    const frame = frames[0]!;
    if (frames.length === 1 && frame !== payload) {
      m.frames = frames;
      m.payload = frame.subarray(frame.length - payload.length);
      return;
    }
  }
  m.payload = Buffer.from(payload);
}

/**
 * Whether deliveries to one of these topics are still pending from an earlier turn. Sessions in none of
 * them can write directly at once; the others first {@link settleBroadcasts}. (A session that leaves a
 * topic settles when it leaves, so its topics always cover every pending job it is a recipient of.)
 */
export function broadcastPendingFor(topics: string | ReadonlySet<string> | undefined): boolean {
  if (jobs.length === 0 || topics === undefined) return false;
  for (const job of jobs)
    if (typeof topics === 'string' ? job.topic === topics : topics.has(job.topic)) return true;
  return false;
}

/**
 * Completes every pending delivery now. Called before anything writes to a session directly (send,
 * close), so a direct message can never overtake a broadcast published before it.
 */
export function settleBroadcasts(): void {
  if (jobs.length > 0) runJobs(Number.POSITIVE_INFINITY);
}

function runJobs(budget: number): void {
  while (jobs.length > 0 && budget > 0) {
    const job = jobs[0]!;
    const { recipients, messages } = job;
    const perSocket = messages.length;
    while (job.index < recipients.length && budget > 0) {
      const r = recipients[job.index++]!;
      budget -= perSocket;
      for (let m = 0; m < perSocket; m++) deliver(r, messages[m]!, job.topic);
    }
    if (job.index >= recipients.length && jobs[0] === job) {
      jobs.shift();
      for (const m of messages) if (m.count > 0) m.delivered(m.count);
    }
  }
  if (jobs.length > 0 && !turnScheduled) {
    turnScheduled = true;
    setImmediate(nextTurn);
  }
}

function deliver(r: Recipient, m: Message, topic: string): void {
  if (r === m.except) return;
  const raw = r.raw;
  if (raw.readyState !== 1) return;
  const streams = r._protocol?.topics;
  if (streams !== undefined) {
    deliverPub(r, streams, m, topic);
    return;
  }
  if (!admit(r)) return;
  if (canWriteFramed(raw)) {
    m.frames ??= frameMessage(m.payload, m.binary);
    writeFramed(raw, m.frames);
  } else {
    // Compression or a busy sender: ws.send queues behind what is pending, keeping the order.
    raw.send(m.payload, { binary: m.binary });
  }
  afterWrite(r);
  m.count++;
}

/**
 * wsgate.v1 members get the `pub` envelope (topic, position), built and framed once per publish, apart
 * from the bare frame other members share. Until the session's `sub` for the topic went out (it waits for
 * the client's `hello` and any replay) the stream holds the message instead (protocol/topic-streams.ts).
 */
function deliverPub(r: Recipient, streams: TopicStreams, m: Message, topic: string): void {
  if (m.pub === undefined) m.pub = pubFrame(topic, m.binary ? m.payload : m.payload.toString(), m.position);
  const pub = m.pub;
  if (!streams.take(topic, pub)) return;
  if (!admit(r)) return;
  const raw = r.raw;
  if (canWriteFramed(raw)) {
    m.pubFrames ??= frameMessage(Buffer.from(pub.text), false);
    writeFramed(raw, m.pubFrames);
  } else {
    raw.send(pub.text);
  }
  afterWrite(r);
  m.count++;
}

function nextTurn(): void {
  turnScheduled = false;
  runJobs(SLICE);
}
