import { randomBytes } from 'node:crypto';
import type {
  BrokerHistory,
  HistoryMessage,
  HistoryRead,
  HistoryReply,
  Position,
  Retention,
} from '@wsgate/core';
import { Cluster, type Redis } from 'ioredis';
import { encodeHeader } from './envelope.js';
import { APPEND, READ, Script } from './scripts.js';

const append = new Script(APPEND);
const read = new Script(READ);
/** Topics whose Redis names are kept ready (see #topicNames). */
const NAMES_CACHED = 1_024;

/** How a topic maps to Redis names (see keys.ts). */
export interface TopicNames {
  channel(topic: string): string;
  key(topic: string, suffix: 'm' | 's' | 'p'): string;
}

/** What a broker part that writes to Redis is built with: history here, presence (presence.ts). */
export interface RedisPartOptions<TNames extends TopicNames = TopicNames> {
  /** The connection its commands go out on (the publisher). */
  conn: () => Redis;
  names: TNames;
  nodeId: Buffer;
  /** Sharded pub/sub (SPUBLISH) on a cluster. */
  sharded: boolean;
  /** Whether the broker is ready: while it is not, writes are refused at once. */
  ready: () => boolean;
}

/**
 * Topic history in Redis Streams (scripts.ts): an append assigns the offset, stores and publishes in one
 * script; a read returns what is kept after an offset. Both go through the publisher connection, so a
 * read is answered after every append this node sent before it.
 */
export class RedisHistory implements BrokerHistory {
  readonly #conn: () => Redis;
  readonly #names: TopicNames;
  readonly #nodeId: Buffer;
  readonly #publish: 'PUBLISH' | 'SPUBLISH';
  readonly #ready: () => boolean;
  /** Envelope headers for text and binary, made once. */
  readonly #headers: readonly [Buffer, Buffer];
  /**
   * Epoch candidates: random per node, with a counter, so no two ever repeat (a Redis that lost the topic
   * twice must not bring back an epoch someone still holds: that would hide the loss).
   */
  readonly #epochBase = randomBytes(6).toString('hex');
  #epochs = 0;
  readonly #cache = new Map<string, readonly [string, string, string]>();

  constructor(options: RedisPartOptions) {
    this.#conn = options.conn;
    this.#names = options.names;
    this.#nodeId = options.nodeId;
    this.#publish = options.sharded ? 'SPUBLISH' : 'PUBLISH';
    this.#ready = options.ready;
    this.#headers = [encodeHeader(this.#nodeId, false, true), encodeHeader(this.#nodeId, true, true)];
  }

  /** Loads the scripts on a connection that just became ready (before anything else is sent on it). */
  load(conn: Redis, report: (err: unknown) => void): void {
    // On a cluster, every master runs scripts for its own slots.
    const cluster: unknown = conn;
    const targets = cluster instanceof Cluster ? cluster.nodes('master') : [conn];
    for (const target of targets) for (const script of [append, read]) script.load(target).catch(report);
  }

  append(
    topic: string,
    payload: Buffer | string,
    { binary, retention }: { binary: boolean; retention: Retention },
  ): Promise<Position> {
    this.#check(topic);
    const names = this.#topicNames(topic);
    return append
      .run(this.#conn(), [
        2,
        names[0],
        names[1],
        this.#newEpoch(),
        retention.size,
        retention.maxAge,
        this.#headers[binary ? 1 : 0],
        binary ? '1' : '0',
        payload,
        names[2],
        this.#publish,
      ])
      .then((reply) => {
        const [epochBytes, offset] = reply as [Buffer, number];
        return { epoch: epochBytes.toString(), offset: Number(offset) };
      });
  }

  async read(topic: string, { after, limit, retention }: HistoryRead): Promise<HistoryReply> {
    this.#check(topic);
    const names = this.#topicNames(topic);
    const reply = (await read.run(this.#conn(), [
      2,
      names[0],
      names[1],
      this.#newEpoch(),
      retention.size,
      retention.maxAge,
      after === undefined ? '' : after,
      limit,
    ])) as Array<Buffer | number | Buffer[]>;
    const messages: HistoryMessage[] = [];
    for (let i = 2; i < reply.length; i += 2) {
      const id = (reply[i] as Buffer).toString();
      const fields = reply[i + 1] as Buffer[];
      let data: Buffer = Buffer.alloc(0);
      let binary = false;
      for (let f = 0; f < fields.length; f += 2) {
        const name = fields[f]!.toString();
        if (name === 'd') data = fields[f + 1]!;
        else if (name === 'b') binary = fields[f + 1]!.toString() === '1';
      }
      messages.push({
        offset: Number(id.slice(0, id.indexOf('-'))),
        data: binary ? data : data.toString(),
        binary,
      });
    }
    return { epoch: (reply[0] as Buffer).toString(), offset: Number(reply[1]), messages };
  }

  #newEpoch(): string {
    return `${this.#epochBase}${(this.#epochs++).toString(36)}`;
  }

  /** Meta key, stream key and channel of a topic, built once per topic while it is in use. */
  #topicNames(topic: string): readonly [string, string, string] {
    let names = this.#cache.get(topic);
    if (!names) {
      // Bounded: a node publishing to ever new topics starts over rather than keeping every name.
      if (this.#cache.size >= NAMES_CACHED) this.#cache.clear();
      names = [this.#names.key(topic, 'm'), this.#names.key(topic, 's'), this.#names.channel(topic)];
      this.#cache.set(topic, names);
    }
    return names;
  }

  #check(topic: string): void {
    // Never queued behind an outage: the caller hears at once, and the sequencer retries on resync.
    if (!this.#ready()) throw new Error(`wsgate/redis: not connected; history of '${topic}' is unavailable`);
  }
}
