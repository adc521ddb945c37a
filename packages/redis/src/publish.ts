import type { Redis } from 'ioredis';
import type { BrokerConnections } from './connections.js';
import { encodeEnvelope } from './envelope.js';
import type { TopicKeys } from './keys.js';
import { describeTarget } from './options.js';
import type { RedisBrokerStats } from './redis-broker.js';
import type { Reporter } from './report.js';

/**
 * Publishing to the other nodes: at-most-once, never queued. While Redis is not connected a message is
 * dropped and counted (the gate has already delivered it to this node's sessions); a publish that Redis
 * refuses, or that a dropped connection cuts off, is counted as failed.
 */
export class Publisher {
  readonly #connections: BrokerConnections;
  readonly #names: TopicKeys;
  readonly #nodeId: Buffer;
  readonly #stats: RedisBrokerStats;
  readonly #reporter: Reporter;
  /** Made once, not per publish. */
  readonly #published = (): void => {
    this.#stats.published++;
  };

  constructor(
    connections: BrokerConnections,
    parts: { names: TopicKeys; nodeId: Buffer; stats: RedisBrokerStats; reporter: Reporter },
  ) {
    this.#connections = connections;
    this.#names = parts.names;
    this.#nodeId = parts.nodeId;
    this.#stats = parts.stats;
    this.#reporter = parts.reporter;
  }

  publish(topic: string, payload: Buffer | string, binary: boolean): void {
    const connections = this.#connections;
    const status = connections.status;
    if (status === 'closed') return;
    const { publisher, sharded } = connections.conns;
    // 'down' drops even while the publisher's socket has not noticed the outage yet (the subscriber often
    // notices first): a publish then would fail anyway, uncounted as a drop and unreported.
    if (status === 'down' || publisher.status !== 'ready') {
      this.#stats.dropped++;
      this.#reporter.throttled(
        'ERR_WSGATE_REDIS_PUBLISH',
        `wsgate/redis: publish to '${topic}' dropped: not connected to ${describeTarget(publisher)} ` +
          `(at-most-once; ${this.#stats.dropped} dropped so far, counted in broker.stats().dropped)`,
      );
      return;
    }
    const message = encodeEnvelope(this.#nodeId, payload, binary);
    const channel = this.#names.channel(topic);
    (sharded ? publisher.spublish(channel, message) : publisher.publish(channel, message)).then(
      this.#published,
      (err: unknown) => this.#failed(topic, publisher, err),
    );
  }

  #failed(topic: string, publisher: Redis, err: unknown): void {
    this.#stats.failed++;
    // A publish cut off by a dropped connection is part of the outage, which is reported once.
    if (publisher.status !== 'ready') return;
    this.#reporter.throttled(
      'ERR_WSGATE_REDIS_PUBLISH',
      `wsgate/redis: publish to '${topic}' failed: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
}
