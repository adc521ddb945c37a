import type { HistoryPage, Position } from '../topics/positions.js';
import { encodePub, encodeSub, encodeUnsub, type WirePosition } from './envelope.js';
import type { ResumePositions } from './resume.js';

/** One topic message as a `wsgate.v1` session receives it: the `pub` envelope, built once per publish. */
export interface PubFrame {
  readonly text: string;
  /** Its position (topics with history only). */
  readonly position: Position | undefined;
}

/** Builds the `pub` envelope of a topic message (text stays text, bytes go as base64). */
export function pubFrame(topic: string, data: string | Buffer, position: Position | undefined): PubFrame {
  const at = position && position.epoch !== '' ? { e: position.epoch, o: position.offset } : undefined;
  return { text: encodePub(topic, data, at), position: at ? position : undefined };
}

/** What resume needs from the gate's topics, for one topic. */
export interface TopicSource {
  /** Resolves once the topic is live for this session on the broker (the join's promise), if pending. */
  readonly ready: Promise<void> | undefined;
  /** Whether the topic keeps history (its messages have positions). */
  readonly hasHistory: boolean;
  /** Reads the topic's history after a position. */
  history(after: Position): Promise<HistoryPage>;
  /**
   * Completes deliveries still on their way to this node's members (so none of them reaches the session
   * after it turned live) and returns the position last delivered here.
   */
  settle(): Position | undefined;
}

/** What the streams need from their session. */
export interface StreamPeer {
  /** Writes one text frame (through the session's backpressure rules); false when not sent. */
  write(frame: string): boolean;
  readonly open: boolean;
  /** The backpressure bound on what is held per session before `hello`, and what to do past it. */
  readonly limit: number;
  readonly policy: 'close' | 'drop';
  /** The bound was passed under the `close` policy. */
  overflow(): void;
  report(err: unknown): void;
}

/** One topic of one session: held deliveries until its `sub` went out, then live. */
interface Stream {
  live: boolean;
  /** After a replay: live deliveries up to this position were already sent (they may still arrive). */
  skip: Position | undefined;
  held: PubFrame[];
  /** Whether `sub` was sent (an `unsub` then follows on leave). */
  announced: boolean;
}

/** Pages of history read per replay round (the history caps one read at 1,000). */
const REPLAY_PAGE = 1_000;

/**
 * The topics of one `wsgate.v1` session (docs/protocol.md sections 4 and 6). A topic's deliveries are held
 * from the moment the session joins until its `sub` has gone out: that waits for the client's `hello` (its
 * positions), the broker's subscription and, when the client presented a position for a topic with
 * history, the replay of what it missed. Held messages then follow, without the offsets the replay already
 * covered, and the topic turns live: the broadcast path writes its shared `pub` frame directly.
 */
export class TopicStreams {
  readonly #streams = new Map<string, Stream>();
  readonly #peer: StreamPeer;
  readonly #resume: ResumePositions;
  /** Bytes held across this session's topics (bounded by the backpressure limit). */
  #heldBytes = 0;

  constructor(peer: StreamPeer, resume: ResumePositions) {
    this.#peer = peer;
    this.#resume = resume;
  }

  /**
   * A delivery of a topic to this session, from the broadcast path. True: write `pub` now (the topic is
   * live). False: the stream took it (held until `sub` went out), or it was dropped (the replay already
   * sent it, the session is not a member, or the bound on held bytes was passed).
   */
  take(topic: string, pub: PubFrame): boolean {
    const stream = this.#streams.get(topic);
    if (!stream) return false;
    if (stream.live) {
      const skip = stream.skip;
      if (skip === undefined) return true;
      const p = pub.position;
      if (p && p.epoch === skip.epoch && p.offset <= skip.offset) return false; // the replay sent it
      stream.skip = undefined;
      return true;
    }
    const size = pub.text.length;
    if (this.#heldBytes + size > this.#peer.limit) {
      // The same rule as a socket that stopped reading: its consumer is not taking what comes.
      if (this.#peer.policy === 'close') this.#peer.overflow();
      return false; // 'drop': a history topic shows it to the client as a gap (reset)
    }
    this.#heldBytes += size;
    stream.held.push(pub);
    return false;
  }

  /** The session joined a topic: announce it once `hello` and the broker allow, replaying what was missed. */
  joined(topic: string, source: TopicSource): void {
    const stream: Stream = { live: false, skip: undefined, held: [], announced: false };
    this.#streams.set(topic, stream);
    this.#start(topic, stream, source).catch((err: unknown) => {
      this.#peer.report(err);
      // The replay failed (history unreachable): the topic still goes live, and a client that presented a
      // position is told it must refetch.
      if (this.#streams.get(topic) !== stream || stream.live) return;
      const presented = this.#resume.positionFor(topic) !== undefined;
      this.#open(topic, stream, undefined, presented ? false : undefined, source);
    });
  }

  /** The session left a topic: `unsub` after its last `pub`. */
  left(topic: string): void {
    const stream = this.#streams.get(topic);
    if (!stream) return;
    this.#streams.delete(topic);
    this.#release(stream);
    if (stream.announced && this.#peer.open) this.#peer.write(encodeUnsub(topic));
  }

  /** The session closed: nothing more is written. */
  closed(): void {
    for (const s of this.#streams.values()) this.#release(s);
    this.#streams.clear();
  }

  async #start(topic: string, stream: Stream, source: TopicSource): Promise<void> {
    await this.#resume.ready();
    if (source.ready) await source.ready.catch(() => undefined); // a broker failure went to onError
    if (!this.#current(topic, stream)) return;
    const presented = this.#resume.positionFor(topic);
    if (!source.hasHistory) {
      // No history: nothing to replay; `resumed: false` tells a client that had a position it lost messages.
      this.#open(topic, stream, undefined, presented === undefined ? undefined : false, source);
      return;
    }
    if (presented === undefined) {
      this.#open(topic, stream, undefined, undefined, source);
      return;
    }
    const replay = await this.#replay(topic, stream, presented, source);
    if (replay === undefined || !this.#current(topic, stream)) return;
    this.#open(topic, stream, replay, true, source);
  }

  /**
   * Reads what the client missed after its position, page by page until the latest offset. Undefined
   * when it cannot be filled (another epoch, or beyond retention): the topic then opens with a reset.
   */
  async #replay(
    topic: string,
    stream: Stream,
    from: WirePosition,
    source: TopicSource,
  ): Promise<PubFrame[] | undefined> {
    const frames: PubFrame[] = [];
    let after: Position = { epoch: from.e, offset: from.o };
    for (;;) {
      const page = await source.history(after);
      if (!this.#current(topic, stream)) return undefined;
      if (page.reset) {
        this.#open(topic, stream, undefined, false, source);
        return undefined;
      }
      for (const m of page.messages) {
        after = { epoch: page.epoch, offset: m.offset };
        frames.push(pubFrame(topic, m.binary ? toBuffer(m.data) : m.data.toString(), after));
      }
      if (page.messages.length < REPLAY_PAGE || after.offset >= page.offset) return frames;
    }
  }

  /**
   * Sends `sub`, then the replay, then what was held (skipping offsets already sent), and turns the topic
   * live. `source` (topics with history) gives the position a client without a replay starts after.
   */
  #open(
    topic: string,
    stream: Stream,
    replay: PubFrame[] | undefined,
    resumed: boolean | undefined,
    source: TopicSource,
  ): void {
    // Deliveries still on their way join the held ones first: none may overtake the `sub` or the replay.
    const node = source.settle();
    const held = stream.held;
    this.#release(stream);
    stream.live = true;
    stream.announced = true;
    if (!this.#peer.open) return;
    let at: WirePosition | undefined;
    if (replay !== undefined) {
      const p = this.#resume.positionFor(topic)!;
      at = { e: p.e, o: p.o };
    } else if (source.hasHistory) {
      // The position just before the first `pub` that follows (docs/protocol.md, `sub`).
      const first = held.find((f) => f.position)?.position;
      const before = first ? { epoch: first.epoch, offset: first.offset - 1 } : node;
      if (before) at = { e: before.epoch, o: before.offset };
    }
    this.#peer.write(encodeSub(topic, at, resumed));
    // After a replay, nothing at or before the client's position goes out again (a late delivery to this
    // node may still carry one, when the client saw it on another node just before it reconnected).
    let last: Position | undefined = replay && at ? { epoch: at.e, offset: at.o } : undefined;
    for (const f of replay ?? []) {
      this.#peer.write(f.text);
      last = f.position;
    }
    for (const f of held) {
      const p = f.position;
      if (p && last && p.epoch === last.epoch && p.offset <= last.offset) continue; // sent by the replay
      this.#peer.write(f.text);
      if (p) last = p;
    }
    // Live deliveries this node has not had yet may repeat the end of the replay: skipped in take().
    if (replay !== undefined && last) stream.skip = last;
  }

  #release(stream: Stream): void {
    for (const f of stream.held) this.#heldBytes -= f.text.length;
    stream.held = [];
  }

  #current(topic: string, stream: Stream): boolean {
    return this.#streams.get(topic) === stream && this.#peer.open;
  }
}

function toBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : data;
}
