import type { PresenceChange, PresenceMember } from '../broker.js';

/** One process's topic presence (what a {@link memoryBus} shares between its gates). */
export class MemoryPresence {
  readonly #topics = new Map<string, Map<string, PresenceMember>>();

  /** Adds or replaces a member; returns the change to announce (undefined: nothing changed). */
  join(topic: string, member: PresenceMember): PresenceChange | undefined {
    let members = this.#topics.get(topic);
    if (!members) {
      members = new Map();
      this.#topics.set(topic, members);
    }
    members.set(member.id, member);
    return { type: 'join', member };
  }

  leave(topic: string, member: PresenceMember): PresenceChange | undefined {
    const members = this.#topics.get(topic);
    if (!members?.delete(member.id)) return undefined;
    if (members.size === 0) this.#topics.delete(topic);
    return { type: 'leave', member };
  }

  list(topic: string): PresenceMember[] {
    return [...(this.#topics.get(topic)?.values() ?? [])];
  }
}
