import { randomBytes } from 'node:crypto';
import { MemoryHistory } from './topics/memory-history.js';
import { MemoryPresence } from './topics/memory-presence.js';
import type { HistoryMessage, Position, Retention } from './topics/positions.js';

/**
 * Carries topic messages between wsgate nodes (processes or machines). Core delivers to its own local
 * sessions directly, and hands every publish to the broker for the other nodes. A broker must:
 * - deliver a message to the other nodes' `onMessage` for the topic, and never back to the publishing node
 *   (messages carry the publisher's node id);
 * - keep binary payloads binary and text text (`binary` flag);
 * - report failures through the `onError` core gives it, never as an unhandled rejection or `'error'` event.
 *
 * Core calls `subscribe` only when the first local session joins a topic and `unsubscribe` when the last one
 * leaves, so a topic with no local members costs a broker nothing.
 */
export interface Broker {
  /** Called once by the gate that uses this broker, before any other call. */
  init?(ctx: BrokerContext): void;
  /**
   * Start receiving a topic's messages from other nodes. A Buffer passed to `onMessage` becomes the gate's:
   * it may still be written to sockets on later turns, so the broker must not reuse or change it. A message
   * appended through {@link BrokerHistory.append} arrives with its position. A returned promise resolves
   * once the other nodes' publishes reach this node (`await session.subscribe()` waits for it) and rejects
   * only when the subscription was refused.
   */
  subscribe(topic: string, onMessage: OnBrokerMessage): void | Promise<void>;
  /** Stop receiving a topic. */
  unsubscribe(topic: string): void | Promise<void>;
  /**
   * Send a message to the topic's members on the other nodes. A Buffer `payload` is the publisher's own,
   * valid only during this call (the application may reuse it once `publish()` returns): encode it now,
   * or copy it to keep it.
   */
  publish(topic: string, payload: Buffer | string, options: { binary: boolean }): void | Promise<void>;
  /** Release connections and timers. */
  close(): void | Promise<void>;
  /**
   * Topic history (optional). A gate with a `history` option refuses, at creation, a broker without it.
   */
  readonly history?: BrokerHistory | undefined;
  /** Presence (optional). Without it, `subscribe(topic, { presence })` and `gate.presence()` throw. */
  readonly presence?: BrokerPresence | undefined;
  /**
   * Refuse a topic name this broker cannot carry one-to-one (throw a TypeError saying why). Core calls it
   * at subscribe and publish, after its own check that the name is a non-empty, well-formed string.
   */
  checkTopic?(topic: string): void;
}

/** A topic message as a broker hands it to core. */
export type OnBrokerMessage = (payload: Buffer | string, binary: boolean, position?: Position) => void;

/** What a broker with history does. */
export interface BrokerHistory {
  /**
   * In one atomic step: assign the topic's next offset (creating its epoch when it has none), store the
   * message within `retention`, and deliver it with its position to the topic's members on the other nodes.
   * Resolves with the position. A Buffer `payload` is the gate's to keep.
   */
  append(
    topic: string,
    payload: Buffer | string,
    options: { binary: boolean; retention: Retention },
  ): Position | Promise<Position>;
  /**
   * The stored messages after offset `after` (all kept ones when undefined), at most `limit`, in offset
   * order, with the topic's epoch and latest offset. Messages older than `retention` are never returned.
   */
  read(topic: string, options: HistoryRead): HistoryReply | Promise<HistoryReply>;
}

/** A read of a topic's history. */
export interface HistoryRead {
  /** Offset after which to read, in the current epoch; undefined: from the oldest kept message. */
  after: number | undefined;
  /** At most this many messages (0: only the epoch and latest offset). */
  limit: number;
  retention: Retention;
}

/** A broker's answer to a {@link HistoryRead}. */
export interface HistoryReply {
  epoch: string;
  /** Latest offset of the epoch (0 when the topic has none yet). */
  offset: number;
  messages: HistoryMessage[];
}

/** One member of a topic's presence. */
export interface PresenceMember {
  /** The session's id. */
  readonly id: string;
  /** The node the session is on. */
  readonly node: string;
  /** What the session gave as `presence` (small JSON). */
  readonly info: unknown;
}

/** A join or a leave in a topic's presence. */
export interface PresenceChange {
  readonly type: 'join' | 'leave';
  readonly member: PresenceMember;
}

/** What a broker with presence does. */
export interface BrokerPresence {
  /** This node's id, as {@link PresenceMember.node}. */
  readonly node: string;
  /** Show a member in the topic's presence (and tell every node's `onPresence`). */
  join(topic: string, member: PresenceMember): void | Promise<void>;
  /** Remove a member (and tell every node). */
  leave(topic: string, member: PresenceMember): void | Promise<void>;
  /** Every member of the topic, across nodes. */
  list(topic: string): PresenceMember[] | Promise<PresenceMember[]>;
}

/** What a gate tells its broker. */
export interface BrokerContext {
  /** Report a failure (an outage, a failed publish); the gate routes it to `onError` and the logger. */
  onError(err: unknown): void;
  /**
   * Messages from other nodes may have been lost (the connection carrying them was cut): core re-reads
   * each subscribed topic with history from where its delivery stands.
   */
  resync?(): void;
  /** A join or leave in a topic's presence, on any node (brokers with presence call it). */
  presence?(topic: string, change: PresenceChange): void;
}

/** The in-process bus that {@link memoryBroker}s sharing it use as their "network". */
export interface MemoryBus {
  /** @internal */
  readonly nodes: Set<MemoryNode>;
  /** @internal Topic histories, shared like a Redis would share them. */
  readonly history: MemoryHistory;
  /** @internal */
  readonly presence: MemoryPresence;
}

interface MemoryNode {
  topics: Map<string, OnBrokerMessage>;
  ctx: BrokerContext | undefined;
}

/** A bus for several gates in one process to share topics, the way Redis joins processes. */
export function memoryBus(): MemoryBus {
  return { nodes: new Set(), history: new MemoryHistory(), presence: new MemoryPresence() };
}

/**
 * The default broker: topics within this process, with history and presence in memory. Gates given
 * brokers on the same {@link memoryBus} behave as separate nodes (useful to test multi-node behaviour
 * without Redis).
 *
 * @param options.bus the shared bus @default a private bus (this gate alone)
 */
export function memoryBroker(options: { bus?: MemoryBus } = {}): Broker {
  const bus = options.bus ?? memoryBus();
  const node: MemoryNode = { topics: new Map(), ctx: undefined };
  const id = randomBytes(4).toString('hex');
  bus.nodes.add(node);
  const toOthers = (
    topic: string,
    payload: Buffer | string,
    binary: boolean,
    position: Position | undefined,
  ): void => {
    // The other gates keep what they receive (broker contract): one copy of the publisher's Buffer,
    // shared by all of them, and none when no other node has the topic.
    let shared = payload;
    for (const other of bus.nodes) {
      const onMessage = other === node ? undefined : other.topics.get(topic);
      if (!onMessage) continue;
      if (shared === payload && typeof payload !== 'string') shared = Buffer.from(payload);
      onMessage(shared, binary, position);
    }
  };
  const announce = (topic: string, change: PresenceChange | undefined): void => {
    if (change) for (const n of bus.nodes) n.ctx?.presence?.(topic, change);
  };
  return {
    init(ctx) {
      node.ctx = ctx;
    },
    subscribe(topic, onMessage) {
      node.topics.set(topic, onMessage);
    },
    unsubscribe(topic) {
      node.topics.delete(topic);
    },
    publish(topic, payload, { binary }) {
      toOthers(topic, payload, binary, undefined);
    },
    history: {
      append(topic, payload, { binary, retention }) {
        const position = bus.history.append(topic, payload, binary, retention);
        toOthers(topic, payload, binary, position);
        return position;
      },
      read: (topic, read) => bus.history.read(topic, read),
    },
    presence: {
      node: id,
      join: (topic, member) => announce(topic, bus.presence.join(topic, member)),
      leave: (topic, member) => announce(topic, bus.presence.leave(topic, member)),
      list: (topic) => bus.presence.list(topic),
    },
    close() {
      bus.nodes.delete(node);
      node.topics.clear();
    },
  };
}
