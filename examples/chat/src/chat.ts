import { randomUUID } from 'node:crypto';
import type { Gate, HistoryPolicy, Params, PresenceChange, Session } from '@wsgate/core';
import type { ChatMessage, ClientEvent, ServerEvent } from './protocol.js';

/** Options of {@link Chat}. */
export interface ChatOptions {
  /** Messages of a room replayed to whoever joins it (give the gate {@link chatHistory} of the same). @default 50 */
  historySize?: number;
  /** This instance's id, the start of its message ids. @default a random id */
  nodeId?: string;
}

const ROOM = 'room:';
const TYPING = 'typing:';
const json = (event: ServerEvent): string => JSON.stringify(event);

/**
 * The gate's `history` option for the chat: a room's messages are kept (what a reconnecting page missed is
 * replayed from there, and a newcomer gets the last ones), typing signals are not.
 */
export function chatHistory(size = 50): HistoryPolicy {
  return (topic) => (topic.startsWith(ROOM) ? { size, maxAge: 24 * 60 * 60_000 } : false);
}

/**
 * The chat itself, on any wsgate gate (Express, Fastify, Koa or core alone) created with
 * {@link chatHistory}: rooms as topics with history, presence from the library, join and leave notices,
 * typing. Framework code authenticates the upgrade and calls {@link Chat.join}; everything after the
 * handshake happens here. Across instances (a Redis broker) the room's messages, its history and its
 * presence are the library's: nothing here talks to the other instances.
 */
export class Chat<TUser = unknown> {
  /** This instance's id. */
  readonly nodeId: string;
  readonly #gate: Gate<TUser>;
  readonly #historySize: number;
  /** Sessions that got their `welcome`: presence changes go to them only (the welcome has the list). */
  readonly #welcomed = new WeakSet<object>();
  /** Ids stay unique when an instance restarts under the same nodeId (its counter starts over). */
  readonly #run = randomUUID().slice(0, 6);
  #seq = 0;
  readonly #onPresence = (topic: string, change: PresenceChange) => void this.#presence(topic, change);

  constructor(gate: Gate<TUser>, options: ChatOptions = {}) {
    this.#gate = gate;
    this.nodeId = options.nodeId ?? randomUUID().slice(0, 8);
    this.#historySize = options.historySize ?? 50;
    gate.on('presence', this.#onPresence);
  }

  /** Puts an authenticated session in a room under a display name, for the rest of its life. */
  join(session: Session<TUser, Params, ClientEvent>, roomName: string, name: string): void {
    const topic = ROOM + roomName;
    const typingTopic = TYPING + roomName;
    void session.subscribe(typingTopic);
    // Listed in the room's presence (every instance sees it) while the session is in the room.
    session.subscribe(topic, { presence: { name } }).then(
      () => this.#welcome(session, topic, roomName, name),
      () => session.close(1011, 'the room is unavailable'),
    );

    // Validated by the route's contract (protocol.ts): only well-formed events reach here.
    session.on('message', (event) => {
      if (event.type === 'typing') {
        const typing = { type: 'typing', name, typing: event.typing } as const;
        this.#gate.publish(typingTopic, json(typing), { except: session });
      } else {
        const message: ChatMessage = {
          type: 'message',
          id: `${this.nodeId}-${this.#run}-${++this.#seq}`,
          from: name,
          text: event.text,
          at: Date.now(),
        };
        // To everyone in the room, the sender too (its copy confirms it); kept in the room's history.
        this.#gate.publish(topic, json(message));
      }
    });
  }

  /** Stops listening to the gate (the gate's own `close()` closes the sessions and the broker). */
  close(): void {
    this.#gate.off('presence', this.#onPresence);
  }

  /** Who you are, the room's last messages and who is here, once the session is in the room. */
  async #welcome(
    session: Session<TUser, Params, ClientEvent>,
    topic: string,
    room: string,
    you: string,
  ): Promise<void> {
    const [page, members] = await Promise.all([
      this.#gate.history(topic, { limit: this.#historySize }),
      this.#gate.presence(topic),
    ]);
    const history = page.messages.flatMap((m) => {
      const event = parse(String(m.data));
      return event?.type === 'message' ? [event as ChatMessage] : [];
    });
    session.sendJson({ type: 'welcome', you, room, history, members: names(members) } satisfies ServerEvent);
    this.#welcomed.add(session);
  }

  /** Someone joined or left a room on any instance: a notice and the new list for this instance's members. */
  async #presence(topic: string, change: PresenceChange): Promise<void> {
    if (!topic.startsWith(ROOM)) return;
    const local = [...this.#gate.topicMembers(topic)].filter((s) => this.#welcomed.has(s));
    if (local.length === 0) return;
    const name = String((change.member.info as { name?: unknown } | null)?.name ?? '');
    const notice = json({ type: change.type, name, member: change.member.id, at: Date.now() });
    const list = json({ type: 'presence', members: names(await this.#gate.presence(topic)) });
    for (const s of local) {
      if (s.id === change.member.id) continue;
      s.send(notice);
      s.send(list);
    }
  }
}

/** Each name once, sorted (one person may have several tabs). */
function names(members: ReadonlyArray<{ info: unknown }>): string[] {
  const all = members.map((m) => String((m.info as { name?: unknown } | null)?.name ?? ''));
  return [...new Set(all)].sort((a, b) => a.localeCompare(b));
}

function parse(text: string): { type?: unknown } | undefined {
  try {
    return JSON.parse(text) as { type?: unknown };
  } catch {
    return undefined;
  }
}
