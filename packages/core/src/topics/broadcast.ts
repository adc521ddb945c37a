import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { type PubFrame, pubFrame, type TopicStreams } from '../protocol/topic-streams.js';
import { admit, afterWrite } from '../session/outbound.js';
import type { Session } from '../session/session.js';
import { canWriteFramed, frameMessage, JOIN_BELOW, type WsInternals } from './framing.js';
import type { Position } from './positions.js';

/**
 * The one place a broadcast is framed and delivered, one {@link Broadcaster} per gate (its topics own it):
 * gates in one process share no queue. A message is framed once and the same bytes are written to every
 * recipient's socket (framing.ts). Sockets written to are corked and flushed together once the current
 * event-loop phase is over (setImmediate): every publish made while a burst of inbound messages is handled
 * (each of a room's members speaking) or within one turn costs one write syscall per socket, not one per
 * message (a loopback write costs ~10 µs of kernel time, far more than the rest).
 *
 * Large fan-outs are spread over event-loop turns (at most SLICE deliveries per turn, flushes in batches)
 * so other work is not starved. A message published to the same recipients while such a fan-out is under
 * way joins it for the recipients it has not reached yet, and goes to the ones it passed in a follow-up
 * job (`rest`): a topic published to once per turn is written to each socket about twice in all, not once
 * per message.
 *
 * Order per connection is always kept: deliveries run in publish order (a message joins a job under way
 * only when nothing else is queued behind it), every write (ours or ws's own) lands in the socket's buffer
 * in call order, corking only delays the flush, and anything that writes to a session directly first
 * completes the pending deliveries ({@link Broadcaster.settle}). As bytes are written after publish()
 * returns, a publisher's Buffer is copied once per publish (see `own`).
 */

/** Sockets uncorked per turn: each uncork is a writev syscall, so 512 keeps a turn to a few ms. */
export const FLUSH_BATCH = 512;
/**
 * Deliveries per event-loop turn; a fan-out to more sockets continues on the next turns. The smaller it is,
 * the more messages published meanwhile a pass over the members takes with it (one write each), and the
 * shorter a turn: 256 writes a 10k fan-out in 40 turns of a few ms. Measured at one publish per turn to
 * 10k members (same run, against raw ws's naive loop): 1024 -> 512 took 2.02 -> 1.92 µs per delivery, 512
 * -> 256 a further ~9% (0.177 -> 0.161 of the naive loop), 128 no better than 256.
 */
export const SLICE = 256;
const kCorked = Symbol('wsgate.corked');
type CorkableSocket = Socket & { [kCorked]?: boolean };

/** A broadcast recipient: a session (its writes pass the session's backpressure, session/outbound.ts). */
type Recipient = Session<unknown>;

/** Told once a message's delivery is complete: its topic, size in bytes, and the sessions written to. */
export type OnDelivered = (topic: string, size: number, count: number) => void;

/** What a publish hands to {@link Broadcaster.broadcast}. */
export interface Outgoing {
  /** The message: a string is text (encoded when framed), a Buffer is text or binary as `binary` says. */
  readonly payload: Buffer | string;
  readonly binary: boolean;
  /**
   * The payload is the publisher's own Buffer, which it may reuse or change once publish() returns: the
   * message takes a copy of the bytes (one per publish, see `own`).
   */
  readonly borrowed: boolean;
  /** The one recipient not to deliver to (the publishing session). */
  readonly except: Recipient | undefined;
  /** The message's place in its topic's history (topics with history only). */
  readonly position?: Position | undefined;
}

/** One published message. */
interface Message {
  payload: Buffer | string;
  readonly binary: boolean;
  readonly except: Recipient | undefined;
  /** Its place in the topic's history, for the `pub` envelope of wsgate.v1 members. */
  readonly position: Position | undefined;
  /** Its size in bytes (the stats count it per delivery). */
  readonly size: number;
  frames: Buffer[] | undefined;
  /** The `pub` envelope and its frame, built once per publish for all wsgate.v1 members (bare ones never). */
  pub: PubFrame | undefined;
  pubFrames: Buffer[] | undefined;
  count: number;
  /** Jobs that still carry it: two once it joined a fan-out under way (that job and its `rest`). */
  jobs: number;
}

/**
 * Messages for one recipient list, delivered socket by socket: each socket gets all of the job's messages
 * meant for it at once, so a burst to a big topic costs one write syscall per socket, not one per message.
 * Message k is for the recipients at [from[k], to[k]).
 */
interface Job {
  readonly topic: string;
  readonly recipients: readonly Recipient[];
  readonly messages: Message[];
  readonly from: number[];
  readonly to: number[];
  /** The next recipient to visit; the job is done at `end`. */
  index: number;
  end: number;
  /** The follow-up job for the recipients already passed, while it is the only job behind this one. */
  rest: Job | undefined;
}

/** The broadcast queues of one gate: deliveries still to run, and sockets corked until the next flush. */
export class Broadcaster {
  readonly #jobs: Job[] = [];
  #turnScheduled = false;
  #corked: CorkableSocket[] = [];
  #flushScheduled = false;
  readonly #onDelivered: OnDelivered;
  // Bound once per gate (not per publish), for setImmediate.
  readonly #flush = (): void => this.#flushBatch();
  readonly #nextTurn = (): void => {
    this.#turnScheduled = false;
    this.#run(SLICE);
  };

  constructor(onDelivered: OnDelivered) {
    this.#onDelivered = onDelivered;
  }

  /**
   * Delivers `out.payload` to each recipient (except one), in order after every earlier broadcast of this
   * gate. Up to {@link SLICE} writes happen now; the rest continue on later event-loop turns. Pass the same
   * `recipients` array for the same topic (until its membership changes) so messages published while a
   * delivery is under way are merged into it.
   */
  broadcast(topic: string, recipients: readonly Recipient[], out: Outgoing): void {
    const { payload, binary } = out;
    const message: Message = {
      payload,
      binary,
      except: out.except,
      position: out.position,
      size: typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length,
      frames: undefined,
      pub: undefined,
      pubFrames: undefined,
      count: 0,
      jobs: 1,
    };
    if (out.borrowed) own(message);
    const jobs = this.#jobs;
    const n = jobs.length;
    const all = recipients.length;
    if (n > 0) {
      const first = jobs[0]!;
      const last = jobs[n - 1]!;
      if (
        first.recipients === recipients &&
        first.index > 0 &&
        (n === 1 || (n === 2 && first.rest === last))
      ) {
        // A fan-out to these recipients is under way and nothing else waits behind it: the recipients it
        // has not reached get the message in this pass, the ones it passed in its follow-up job.
        const passed = first.index;
        add(first, message, passed, all);
        first.end = all;
        if (first.rest) {
          add(first.rest, message, 0, passed);
          first.rest.end = passed;
        } else {
          first.rest = job(topic, recipients, message, 0, passed);
          jobs.push(first.rest);
        }
        message.jobs = 2;
        return;
      }
      // Only a job that has not started may take more messages: every recipient must see all of them.
      if (last.recipients === recipients && last.index === 0 && n > 1) {
        add(last, message, 0, all);
        last.end = all;
        return;
      }
    }
    jobs.push(job(topic, recipients, message, 0, all));
    if (n === 0) this.#run(SLICE);
  }

  /**
   * Whether deliveries to one of these topics are still pending from an earlier turn. Sessions in none of
   * them can write directly at once; the others first {@link Broadcaster.settle}. (A session that leaves a
   * topic settles when it leaves, so its topics always cover every pending job it is a recipient of.)
   */
  pendingFor(topics: string | ReadonlySet<string> | undefined): boolean {
    const jobs = this.#jobs;
    if (jobs.length === 0 || topics === undefined) return false;
    for (const job of jobs)
      if (typeof topics === 'string' ? job.topic === topics : topics.has(job.topic)) return true;
    return false;
  }

  /**
   * Completes every pending delivery now. Called before anything writes to a session directly (send,
   * close), so a direct message can never overtake a broadcast published before it.
   */
  settle(): void {
    if (this.#jobs.length > 0) this.#run(Number.POSITIVE_INFINITY);
  }

  #run(budget: number): void {
    const jobs = this.#jobs;
    while (jobs.length > 0 && budget > 0) {
      const job = jobs[0]!;
      const { recipients, messages, from, to, topic } = job;
      while (job.index < job.end && budget > 0) {
        const i = job.index++;
        const r = recipients[i]!;
        for (let k = 0; k < messages.length; k++) {
          if (from[k]! > i || i >= to[k]!) continue;
          budget--;
          this.#deliver(r, messages[k]!, topic);
        }
      }
      if (job.index >= job.end && jobs[0] === job) {
        jobs.shift();
        for (const m of messages)
          if (--m.jobs === 0 && m.count > 0) this.#onDelivered(topic, m.size, m.count);
      }
    }
    if (jobs.length > 0 && !this.#turnScheduled) {
      this.#turnScheduled = true;
      setImmediate(this.#nextTurn);
    }
  }

  #deliver(r: Recipient, m: Message, topic: string): void {
    if (r === m.except) return;
    const raw = r.raw;
    if (raw.readyState !== 1) return;
    const streams = r._protocol?.topics;
    if (streams !== undefined) {
      this.#deliverPub(r, streams, m, topic);
      return;
    }
    if (!admit(r)) return;
    if (canWriteFramed(raw)) {
      m.frames ??= frameMessage(m.payload, m.binary);
      this.#writeFramed(raw, m.frames);
    } else {
      // Compression or a busy sender: ws.send queues behind what is pending, keeping the order.
      raw.send(m.payload, { binary: m.binary });
    }
    afterWrite(r);
    m.count++;
  }

  /**
   * wsgate.v1 members get the `pub` envelope (topic, position), built and framed once per publish, apart
   * from the bare frame other members share. Until the session's `sub` for the topic went out (it waits
   * for the client's `hello` and any replay) the stream holds the message instead (protocol/topic-streams.ts).
   */
  #deliverPub(r: Recipient, streams: TopicStreams, m: Message, topic: string): void {
    if (m.pub === undefined) {
      const data = m.binary || typeof m.payload === 'string' ? m.payload : m.payload.toString();
      m.pub = pubFrame(topic, data, m.position);
    }
    const pub = m.pub;
    if (!streams.take(topic, pub)) return;
    if (!admit(r)) return;
    const raw = r.raw;
    if (canWriteFramed(raw)) {
      m.pubFrames ??= frameMessage(pub.text, false);
      this.#writeFramed(raw, m.pubFrames);
    } else {
      raw.send(pub.text);
    }
    afterWrite(r);
    m.count++;
  }

  /** Writes already framed bytes to a ws socket, corking it until the end of this event-loop phase. */
  #writeFramed(raw: WebSocket, frames: readonly Buffer[]): void {
    const socket = (raw as unknown as WsInternals)._socket as CorkableSocket;
    if (!socket[kCorked]) {
      socket[kCorked] = true;
      socket.cork();
      this.#corked.push(socket);
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(this.#flush);
      }
    }
    for (const frame of frames) socket.write(frame);
  }

  #flushBatch(): void {
    const corked = this.#corked;
    const batch = corked.length > FLUSH_BATCH ? corked.splice(0, FLUSH_BATCH) : corked;
    if (batch === corked) this.#corked = [];
    for (const socket of batch) {
      socket[kCorked] = false;
      socket.uncork();
    }
    if (this.#corked.length > 0) setImmediate(this.#flush);
    else this.#flushScheduled = false;
  }
}

function job(topic: string, recipients: readonly Recipient[], m: Message, from: number, to: number): Job {
  return { topic, recipients, messages: [m], from: [from], to: [to], index: 0, end: to, rest: undefined };
}

function add(job: Job, m: Message, from: number, to: number): void {
  job.messages.push(m);
  job.from.push(from);
  job.to.push(to);
}

/**
 * Makes a message independent of the publisher's Buffer. Its bytes are read after publish() returns:
 * corked sockets are flushed at the end of the event-loop phase, a fan-out beyond {@link SLICE} (and any
 * publish queued behind one) is written on later turns, and ws queues a send behind a compression in
 * progress. One copy per publish, whatever the fan-out: a small payload is framed now (its single-buffer
 * frame is the copy every fast-path write shares anyway, and the payload becomes a view into it); a large
 * one is copied once and framed later with a separate header, as before.
 */
function own(m: Message): void {
  const payload = m.payload as Buffer;
  if (payload.length <= JOIN_BELOW) {
    const frame = frameMessage(payload, m.binary)[0]!;
    m.frames = [frame];
    m.payload = frame.subarray(frame.length - payload.length);
    return;
  }
  m.payload = Buffer.from(payload);
}
