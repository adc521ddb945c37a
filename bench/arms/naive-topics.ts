/** Topics for libraries without them: a Set of sockets per topic and a send loop, as apps hand-write it. */
export interface Sendable {
  send(data: string | Buffer, options: { binary: boolean }): void;
}

export class NaiveTopics<T extends Sendable> {
  readonly #topics = new Map<string, Set<T>>();

  join(socket: T, topics: readonly string[]): void {
    for (const topic of topics) {
      const members = this.#topics.get(topic);
      if (members) members.add(socket);
      else this.#topics.set(topic, new Set([socket]));
    }
  }

  leave(socket: T, topics: readonly string[]): void {
    for (const topic of topics) {
      const members = this.#topics.get(topic);
      members?.delete(socket);
      if (members?.size === 0) this.#topics.delete(topic);
    }
  }

  publish(topic: string, data: string | Buffer, binary = false): void {
    const members = this.#topics.get(topic);
    if (!members) return;
    // One send per member: ws frames (and masks nothing, server side) and writes once per socket.
    for (const socket of members) socket.send(data, { binary });
  }
}
