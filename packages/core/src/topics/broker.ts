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
   * it may still be written to sockets on later turns, so the broker must not reuse or change it.
   */
  subscribe(
    topic: string,
    onMessage: (payload: Buffer | string, binary: boolean) => void,
  ): void | Promise<void>;
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
}

/** What a gate tells its broker. */
export interface BrokerContext {
  /** Report a failure (an outage, a failed publish); the gate routes it to `onError` and the logger. */
  onError(err: unknown): void;
}

/** The in-process bus that {@link memoryBroker}s sharing it use as their "network". */
export interface MemoryBus {
  /** @internal */
  readonly nodes: Set<MemoryNode>;
}

interface MemoryNode {
  topics: Map<string, (payload: Buffer | string, binary: boolean) => void>;
}

/** A bus for several gates in one process to share topics, the way Redis joins processes. */
export function memoryBus(): MemoryBus {
  return { nodes: new Set() };
}

/**
 * The default broker: topics within this process. Gates given brokers on the same {@link memoryBus} behave as
 * separate nodes (useful to test multi-node behaviour without Redis).
 *
 * @param options.bus the shared bus @default a private bus (this gate alone)
 */
export function memoryBroker(options: { bus?: MemoryBus } = {}): Broker {
  const bus = options.bus ?? memoryBus();
  const node: MemoryNode = { topics: new Map() };
  bus.nodes.add(node);
  return {
    subscribe(topic, onMessage) {
      node.topics.set(topic, onMessage);
    },
    unsubscribe(topic) {
      node.topics.delete(topic);
    },
    publish(topic, payload, { binary }) {
      // The other gates keep what they receive (broker contract): one copy of the publisher's Buffer,
      // shared by all of them, and none when no other node has the topic.
      let shared = payload;
      for (const other of bus.nodes) {
        const onMessage = other === node ? undefined : other.topics.get(topic);
        if (!onMessage) continue;
        if (shared === payload && typeof payload !== 'string') shared = Buffer.from(payload);
        onMessage(shared, binary);
      }
    },
    close() {
      bus.nodes.delete(node);
      node.topics.clear();
    },
  };
}
