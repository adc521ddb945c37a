import type { ChatMessage } from './protocol.js';

/** What one instance knows about the members another instance has in a room. */
interface RemoteRoster {
  members: Map<string, string>;
  /** When we last heard from that instance about this room (ms since the epoch). */
  seen: number;
}

/**
 * One room as this instance sees it: its own members, the members other instances announced, and the last
 * messages (its own and those relayed while it had members in the room).
 */
export class Room {
  /** Members on this instance: session id -> name. */
  readonly local = new Map<string, string>();
  readonly #remote = new Map<string, RemoteRoster>();
  #history: ChatMessage[] = [];
  readonly #historySize: number;

  constructor(historySize: number) {
    this.#historySize = historySize;
  }

  /** The last messages, oldest first. */
  get history(): ChatMessage[] {
    return this.#history;
  }

  /** Everyone in the room on every instance this one has heard from: names, each once, sorted. */
  members(): string[] {
    const names = new Set(this.local.values());
    for (const roster of this.#remote.values()) for (const name of roster.members.values()) names.add(name);
    return [...names].sort((a, b) => a.localeCompare(b));
  }

  add(message: ChatMessage): void {
    this.#history.push(message);
    if (this.#history.length > this.#historySize) this.#history.shift();
  }

  /** Adds messages another instance kept; returns whether the history changed. */
  merge(messages: readonly ChatMessage[]): boolean {
    const byId = new Map(this.#history.map((m) => [m.id, m]));
    for (const m of messages) if (!byId.has(m.id)) byId.set(m.id, m);
    if (byId.size === this.#history.length) return false;
    this.#history = [...byId.values()]
      .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id))
      .slice(-this.#historySize);
    return true;
  }

  /** Another instance's full member list for this room (replaces what we had from it). */
  setRoster(node: string, members: Iterable<[string, string]>, now: number): void {
    this.#remote.set(node, { members: new Map(members), seen: now });
  }

  remoteJoin(node: string, member: string, name: string, now: number): void {
    const roster = this.#remote.get(node) ?? { members: new Map(), seen: now };
    roster.members.set(member, name);
    roster.seen = now;
    this.#remote.set(node, roster);
  }

  remoteLeave(node: string, member: string): void {
    this.#remote.get(node)?.members.delete(member);
  }

  /** Forgets instances not heard from since `before` (stopped or crashed); returns whether any were. */
  expire(before: number): boolean {
    let changed = false;
    for (const [node, roster] of this.#remote) {
      if (roster.seen < before) changed = this.#remote.delete(node) || changed;
    }
    return changed;
  }

  /** Forgets every other instance (we no longer hear this room's traffic, so what we knew goes stale). */
  forgetRemote(): void {
    this.#remote.clear();
  }
}
