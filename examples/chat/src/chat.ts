import { randomUUID } from 'node:crypto';
import type { Gate, Params, Session } from '@wsgate/core';
import type { BrokerTap } from './broker-tap.js';
import type { ChatMessage, ClientEvent, ServerEvent } from './protocol.js';
import { Room } from './room.js';

/** Options of {@link Chat}. */
export interface ChatOptions {
  /** Messages of a room replayed to whoever joins it. @default 50 */
  historySize?: number;
  /** This instance's id, in message ids and between instances. @default a random id */
  nodeId?: string;
  /**
   * Milliseconds between this instance's announcements of its members to the other instances; one not
   * heard from for three intervals is taken as gone, and its members leave the presence lists.
   * @default 10000
   */
  rosterInterval?: number;
  /** Rooms remembered (for their history) once everyone has left; the oldest are forgotten first. @default 1000 */
  maxRooms?: number;
}

/** Messages between instances only; the broker tap keeps them from the browsers. */
type Control =
  | { ctl: 'sync'; node: string }
  | { ctl: 'roster'; node: string; members: [string, string][]; history?: ChatMessage[] };

const PREFIX = 'room:';
const json = (event: ServerEvent | Control): string => JSON.stringify(event);

/**
 * The chat itself, on any wsgate gate (Express, Fastify, Koa or core alone): rooms as topics, presence,
 * join and leave notices, typing, and the last messages replayed on join. Framework code authenticates
 * the upgrade and calls {@link Chat.join}; everything after the handshake happens here.
 *
 * Across instances (a Redis broker) messages, notices and typing go through the room's topic. Presence
 * and history are best-effort: an instance learns the others' members when it joins a room (it asks, they
 * answer with their members and history) and from their periodic announcements.
 */
export class Chat<TUser = unknown> {
  /** This instance's id. */
  readonly nodeId: string;
  readonly #gate: Gate<TUser>;
  readonly #tap: BrokerTap;
  readonly #rooms = new Map<string, Room>();
  readonly #historySize: number;
  readonly #maxRooms: number;
  readonly #interval: number;
  readonly #timer: NodeJS.Timeout;
  #seq = 0;

  constructor(gate: Gate<TUser>, tap: BrokerTap, options: ChatOptions = {}) {
    this.#gate = gate;
    this.#tap = tap;
    this.nodeId = options.nodeId ?? randomUUID().slice(0, 8);
    this.#historySize = options.historySize ?? 50;
    this.#maxRooms = options.maxRooms ?? 1_000;
    this.#interval = options.rosterInterval ?? 10_000;
    tap.listen({
      message: (topic, payload) => this.#onRemote(topic, payload),
      subscribed: (topic) => this.#toOthers(topic, { ctl: 'sync', node: this.nodeId }),
      unsubscribed: (topic) => this.#rooms.get(topic.slice(PREFIX.length))?.forgetRemote(),
    });
    // unref: the announcements never keep a stopping process alive.
    this.#timer = setInterval(() => this.#announce(), this.#interval).unref();
  }

  /** Puts an authenticated session in a room under a display name, for the rest of its life. */
  join(session: Session<TUser, Params, ClientEvent>, roomName: string, name: string): void {
    const topic = PREFIX + roomName;
    const room = this.#room(roomName);
    const member = session.id;
    room.local.set(member, name);
    session.subscribe(topic);
    session.sendJson({
      type: 'welcome',
      you: name,
      room: roomName,
      history: room.history,
      members: room.members(),
    });
    const notice = { name, node: this.nodeId, member, at: Date.now() };
    this.#gate.publish(topic, json({ type: 'join', ...notice }), { except: session });
    this.#presence(topic, room, session);

    // Validated by the route's contract (protocol.ts): only well-formed events reach here.
    session.on('message', (event) => {
      if (event.type === 'typing') {
        const typing = { type: 'typing', name, typing: event.typing } as const;
        this.#gate.publish(topic, json(typing), { except: session });
      } else {
        const id = `${this.nodeId}-${++this.#seq}`;
        const message: ChatMessage = { type: 'message', id, from: name, text: event.text, at: Date.now() };
        room.add(message);
        // To everyone in the room, the sender too: its copy confirms the message was accepted.
        this.#gate.publish(topic, json(message));
      }
    });
    session.on('close', () => {
      room.local.delete(member);
      this.#gate.publish(topic, json({ type: 'leave', ...notice, at: Date.now() }));
      this.#presence(topic, room);
    });
  }

  /** Stops the announcements (the gate's own `close()` closes the sessions and the broker). */
  close(): void {
    clearInterval(this.#timer);
  }

  #room(name: string): Room {
    let room = this.#rooms.get(name);
    if (room) return room;
    if (this.#rooms.size >= this.#maxRooms) {
      for (const [old, r] of this.#rooms) {
        if (r.local.size > 0) continue;
        this.#rooms.delete(old);
        break;
      }
    }
    room = new Room(this.#historySize);
    this.#rooms.set(name, room);
    return room;
  }

  /** Sends the room's member list to its members on this instance. */
  #presence(topic: string, room: Room, except?: object): void {
    const event = json({ type: 'presence', members: room.members() });
    for (const session of this.#gate.topicMembers(topic)) if (session !== except) session.send(event);
  }

  #toOthers(topic: string, control: Control): void {
    this.#tap.publishToOthers(topic, json(control));
  }

  #roster(room: Room, withHistory: boolean): Control {
    const members = [...room.local];
    return withHistory
      ? { ctl: 'roster', node: this.nodeId, members, history: room.history }
      : { ctl: 'roster', node: this.nodeId, members };
  }

  /** A message from another instance: bookkeeping, and `true` for control messages (not for browsers). */
  #onRemote(topic: string, payload: string): boolean {
    const room = topic.startsWith(PREFIX) ? this.#rooms.get(topic.slice(PREFIX.length)) : undefined;
    if (!room) return false;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      return false;
    }
    const now = Date.now();
    const node = String(event.node);
    if (event.ctl === 'sync') {
      this.#toOthers(topic, this.#roster(room, true));
    } else if (event.ctl === 'roster' && Array.isArray(event.members)) {
      room.setRoster(node, event.members as [string, string][], now);
      if (Array.isArray(event.history) && room.merge(event.history as ChatMessage[])) {
        const history = json({ type: 'history', history: room.history });
        for (const session of this.#gate.topicMembers(topic)) session.send(history);
      }
      this.#presence(topic, room);
    } else if (event.type === 'message' && typeof event.id === 'string') {
      room.add(event as unknown as ChatMessage);
    } else if (event.type === 'join' || event.type === 'leave') {
      const member = String(event.member);
      if (event.type === 'join') room.remoteJoin(node, member, String(event.name), now);
      else room.remoteLeave(node, member);
      this.#presence(topic, room);
    }
    return 'ctl' in event;
  }

  /** Tells the others who is here, and forgets instances that stopped doing so. */
  #announce(): void {
    const before = Date.now() - 3 * this.#interval;
    for (const [name, room] of this.#rooms) {
      if (room.local.size === 0) continue;
      const topic = PREFIX + name;
      this.#toOthers(topic, this.#roster(room, false));
      if (room.expire(before)) this.#presence(topic, room);
    }
  }
}
