import type { Broker, BrokerPresence, PresenceMember } from '../broker.js';

/** Bytes of JSON a presence `info` may take: presence is listed whole, so it must stay small. */
export const MAX_INFO_BYTES = 4_096;

/**
 * The presence entries of one gate's sessions: which local session shows in which topic with what
 * `info`. The broker keeps the topic-wide list and tells every node about joins and leaves.
 */
export class TopicPresence {
  readonly #broker: BrokerPresence | undefined;
  readonly #mine = new Map<string, Map<object, PresenceMember>>();

  constructor(broker: Broker) {
    this.#broker = broker.presence;
  }

  /** Shows a session in a topic's presence (replacing its earlier entry there). */
  join(topic: string, session: { readonly id: string }, info: unknown): void | Promise<void> {
    const broker = this.#need();
    checkInfo(info);
    let members = this.#mine.get(topic);
    if (!members) {
      members = new Map();
      this.#mine.set(topic, members);
    }
    const member: PresenceMember = { id: session.id, node: broker.node, info };
    members.set(session, member);
    return broker.join(topic, member);
  }

  /** Removes a session from a topic's presence, if it was there. */
  leave(topic: string, session: object): void | Promise<void> {
    const members = this.#mine.get(topic);
    const member = members?.get(session);
    if (!member || !this.#broker) return;
    members!.delete(session);
    if (members!.size === 0) this.#mine.delete(topic);
    return this.#broker.leave(topic, member);
  }

  /** Every member of a topic, on every node. */
  async list(topic: string): Promise<PresenceMember[]> {
    return await this.#need().list(topic);
  }

  #need(): BrokerPresence {
    if (!this.#broker)
      throw new TypeError('wsgate: presence needs a broker with presence (memoryBroker, redisBroker)');
    return this.#broker;
  }
}

function checkInfo(info: unknown): void {
  let json: string | undefined;
  try {
    json = JSON.stringify(info);
  } catch (err) {
    throw new TypeError(`wsgate: presence info must be JSON: ${(err as Error).message}`);
  }
  if (json === undefined) throw new TypeError('wsgate: presence info must be a JSON value (not undefined)');
  if (Buffer.byteLength(json) > MAX_INFO_BYTES)
    throw new TypeError(`wsgate: presence info must be at most ${MAX_INFO_BYTES} bytes of JSON`);
}
