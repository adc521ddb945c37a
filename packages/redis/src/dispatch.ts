import { decodeEnvelope } from './envelope.js';
import type { RedisPresence } from './presence.js';
import type { RedisBrokerStats } from './redis-broker.js';
import type { Reporter } from './report.js';
import type { Subscriptions } from './subscriptions.js';

/**
 * Messages from Redis on this node's channels, to the gate: a wsgate envelope from another node is handed
 * to the topic's subscriber (or, for a presence envelope, to presence); this node's own are skipped (they
 * were delivered locally when published); anything else is counted as malformed and reported.
 */
export class Dispatcher {
  readonly #subs: Subscriptions;
  readonly #nodeId: Buffer;
  readonly #presence: RedisPresence;
  readonly #stats: RedisBrokerStats;
  readonly #reporter: Reporter;

  constructor(parts: {
    subs: Subscriptions;
    nodeId: Buffer;
    presence: RedisPresence;
    stats: RedisBrokerStats;
    reporter: Reporter;
  }) {
    this.#subs = parts.subs;
    this.#nodeId = parts.nodeId;
    this.#presence = parts.presence;
    this.#stats = parts.stats;
    this.#reporter = parts.reporter;
  }

  /** The subscriber connection's (s)messageBuffer listener, bound once. */
  readonly receive = (channelBytes: Buffer, message: Buffer): void => {
    // Runs inside ioredis's reply parser: nothing may throw out of here.
    try {
      const channel = channelBytes.toString();
      const deliver = this.#subs.handler(channel);
      if (!deliver) return;
      const envelope = decodeEnvelope(message);
      if (!envelope) {
        this.#stats.malformed++;
        this.#reporter.throttled(
          'ERR_WSGATE_REDIS_MALFORMED',
          `wsgate/redis: ignored a message on '${channel}' that no wsgate node published ` +
            '(give each app its own prefix, and publish through gate.publish)',
        );
        return;
      }
      if (envelope.origin.equals(this.#nodeId)) return;
      if (envelope.presence) {
        this.#presence.heard(channel, envelope.payload);
        return;
      }
      this.#stats.received++;
      const payload = envelope.binary ? envelope.payload : envelope.payload.toString('utf8');
      deliver(payload, envelope.binary, envelope.position);
    } catch (err) {
      this.#reporter.report(err);
    }
  };
}
