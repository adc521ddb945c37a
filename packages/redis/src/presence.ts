import type { BrokerContext, BrokerPresence, PresenceChange, PresenceMember } from '@wsgate/core';
import type { Redis } from 'ioredis';
import { encodeHeader } from './envelope.js';
import type { RedisPartOptions } from './history.js';
import type { TopicKeys } from './keys.js';

/** A node missing this many heartbeats is dead: its members no longer count and are removed. */
export const MISSED_HEARTBEATS = 3;
/** Dead nodes one sweep cleans up at most (the next heartbeat takes the rest). */
const SWEEP = 16;

/**
 * Presence in Redis. A topic's members are a hash (`<prefix>{<topic>}:p`, session id → JSON member);
 * each node with members beats a heartbeat into `<prefix>nodes` (a sorted set, score = last beat in ms)
 * and lists its topics in `<prefix>node:<id>`. `list()` counts only members of nodes that beat within
 * {@link MISSED_HEARTBEATS} intervals, so a SIGKILLed node's members vanish from it within that bound;
 * the first live node to notice a dead one removes its members and announces their leaves (within one
 * more interval). Joins and leaves go out on the topic's channel, so they reach every node with members
 * of the topic subscribed; the node itself hears its own at once.
 */
export class RedisPresence implements BrokerPresence {
  readonly node: string;
  readonly #conn: () => Redis;
  readonly #names: TopicKeys;
  readonly #nodeId: Buffer;
  readonly #publish: 'publish' | 'spublish';
  readonly #ready: () => boolean;
  readonly #interval: number;
  readonly #report: (err: unknown) => void;
  #ctx: BrokerContext | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RedisPartOptions<TopicKeys> & { heartbeat: number; report: (err: unknown) => void }) {
    this.#conn = options.conn;
    this.#names = options.names;
    this.#nodeId = options.nodeId;
    this.node = options.nodeId.toString('hex');
    this.#publish = options.sharded ? 'spublish' : 'publish';
    this.#ready = options.ready;
    this.#interval = options.heartbeat;
    this.#report = options.report;
  }

  init(ctx: BrokerContext): void {
    this.#ctx = ctx;
  }

  async join(topic: string, member: PresenceMember): Promise<void> {
    this.#start();
    const conn = this.#need(topic);
    // Three keys in three slots on a cluster: separate commands (no MULTI across slots).
    await Promise.all([
      conn.zadd(this.#names.global('nodes'), Date.now(), this.node),
      conn.sadd(this.#names.global(`node:${this.node}`), topic),
      conn.hset(this.#names.key(topic, 'p'), member.id, JSON.stringify(member)),
    ]);
    this.#announce(topic, { type: 'join', member });
  }

  async leave(topic: string, member: PresenceMember): Promise<void> {
    const conn = this.#need(topic);
    const removed = await conn.hdel(this.#names.key(topic, 'p'), member.id);
    if (removed > 0) this.#announce(topic, { type: 'leave', member });
  }

  async list(topic: string): Promise<PresenceMember[]> {
    const conn = this.#need(topic);
    const all = Object.values(await conn.hgetall(this.#names.key(topic, 'p'))).map(
      (json) => JSON.parse(json) as PresenceMember,
    );
    const nodes = [...new Set(all.map((m) => m.node))];
    if (nodes.length === 0) return [];
    const beats = await conn.zmscore(this.#names.global('nodes'), ...nodes);
    const alive = new Set(nodes.filter((_, i) => Number(beats[i] ?? 0) >= this.#cutoff()));
    return all.filter((m) => alive.has(m.node));
  }

  /** A presence change another node published on a topic's channel. */
  heard(channel: string, payload: Buffer): void {
    const topic = this.#names.topicOf(channel);
    const change = JSON.parse(payload.toString()) as PresenceChange;
    this.#ctx?.presence?.(topic, change);
  }

  /** The broker closes: stop beating, and leave the registry at once (best effort). */
  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#ready()) return;
    const conn = this.#conn();
    conn.zrem(this.#names.global('nodes'), this.node).catch(this.#report);
  }

  #cutoff(): number {
    return Date.now() - MISSED_HEARTBEATS * this.#interval;
  }

  #start(): void {
    if (this.#timer) return;
    // A beat cut off by a closing broker or an outage is not worth a report: the next one tries again.
    this.#timer = setInterval(
      () => this.#beat().catch((err) => this.#ready() && this.#report(err)),
      this.#interval,
    );
    this.#timer.unref();
  }

  async #beat(): Promise<void> {
    if (!this.#ready()) return;
    const conn = this.#conn();
    await conn.zadd(this.#names.global('nodes'), Date.now(), this.node);
    const dead = await conn.zrangebyscore(
      this.#names.global('nodes'),
      '-inf',
      `(${this.#cutoff()}`,
      'LIMIT',
      0,
      SWEEP,
    );
    for (const node of dead) {
      // ZREM decides which live node cleans up: only the one whose ZREM removed it.
      if ((await conn.zrem(this.#names.global('nodes'), node)) === 0) continue;
      const topicsKey = this.#names.global(`node:${node}`);
      for (const topic of await conn.smembers(topicsKey)) {
        const key = this.#names.key(topic, 'p');
        for (const json of Object.values(await conn.hgetall(key))) {
          const member = JSON.parse(json) as PresenceMember;
          if (member.node !== node) continue;
          if ((await conn.hdel(key, member.id)) > 0) this.#announce(topic, { type: 'leave', member });
        }
      }
      await conn.del(topicsKey);
    }
  }

  #announce(topic: string, change: PresenceChange): void {
    this.#ctx?.presence?.(topic, change);
    if (!this.#ready()) return; // closing: the others learn from the heartbeat
    const message = Buffer.concat([
      encodeHeader(this.#nodeId, false, false, true),
      Buffer.from(JSON.stringify(change)),
    ]);
    this.#conn()[this.#publish](this.#names.channel(topic), message).catch(this.#report);
  }

  #need(topic: string): Redis {
    if (!this.#ready()) throw new Error(`wsgate/redis: not connected; presence of '${topic}' is unavailable`);
    return this.#conn();
  }
}
