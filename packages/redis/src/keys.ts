import type { TopicNames } from './history.js';

/**
 * The Redis names of a topic. Every name of a topic contains `{<topic>}`, Redis Cluster's hash tag, so a
 * topic's stream, meta and presence keys (and, sharded, its channel) live in one slot: the append script
 * can touch them all, and topics spread over every shard. Names map topics one-to-one: core refuses
 * names that are not well-formed UTF-16 (they have no UTF-8 form), and the suffix after the topic is fixed.
 */
export class TopicKeys implements TopicNames {
  readonly #prefix: string;
  readonly #sharded: boolean;

  constructor(prefix: string, sharded: boolean) {
    this.#prefix = prefix;
    this.#sharded = sharded;
  }

  /** The pub/sub channel: `prefix + topic` (as before history existed), or hash-tagged when sharded. */
  channel(topic: string): string {
    return this.#sharded ? `${this.#prefix}{${topic}}` : this.#prefix + topic;
  }

  /** The topic a channel of ours names. */
  topicOf(channel: string): string {
    return this.#sharded ? channel.slice(this.#prefix.length + 1, -1) : channel.slice(this.#prefix.length);
  }

  key(topic: string, suffix: 'm' | 's' | 'p'): string {
    return `${this.#prefix}{${topic}}:${suffix}`;
  }

  /** A key outside any topic (the node registry). */
  global(name: string): string {
    return `${this.#prefix}${name}`;
  }

  /**
   * A topic that begins with `}` would make an empty hash tag, and Redis Cluster then hashes each whole
   * name, scattering the topic's keys over slots; such names are refused on a cluster.
   */
  check(topic: string): void {
    if (this.#sharded && topic.startsWith('}'))
      throw new TypeError(
        `wsgate/redis: topic ${JSON.stringify(topic)} cannot start with '}' on Redis Cluster (its hash tag would be empty)`,
      );
  }
}
