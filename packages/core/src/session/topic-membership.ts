import type { Session } from './session.js';
import type { SubscribeOptions } from './types.js';

/**
 * The topics a session is in, from its side: joining and leaving through the gate's topics (which tell the
 * broker), the wsgate.v1 streams that follow, and the ordering rule that a direct write to a session never
 * overtakes a broadcast published before it (through its gate's broadcaster, `_broadcasts`, which the
 * gate's topics set when it joins). The set is kept compact on the session (`_topics`): none, one topic as
 * a plain string (the common case: a Set costs ~160 bytes per session), or a Set of several.
 */

type AnySession = Session<unknown>;

const RESOLVED: Promise<void> = Promise.resolve();
const EMPTY_SET: ReadonlySet<string> = new Set();

/** See `Session.subscribe`. */
export function subscribeTo(session: AnySession, topic: string, options?: SubscribeOptions): Promise<void> {
  if (session._closed) return RESOLVED;
  const t = session._topics;
  const member = t === topic || (typeof t === 'object' && t.has(topic));
  if (member && options?.presence === undefined) return RESOLVED;
  // Joined first: a TypeError (a malformed name, bad presence info) leaves the session unchanged.
  const topics = session._host.topics;
  const ready = topics.join(topic, session, options);
  if (!member) {
    if (t === undefined) session._topics = topic;
    else if (typeof t === 'string') session._topics = new Set([t, topic]);
    else t.add(topic);
    // wsgate.v1: deliveries are held until `sub` (and the replay of what the client missed) went out.
    session._protocol?.topics.joined(topic, topics.source(topic, ready));
  }
  return ready ?? RESOLVED;
}

/** See `Session.unsubscribe`. */
export function unsubscribeFrom(session: AnySession, topic: string): void {
  const t = session._topics;
  if (t !== topic && (typeof t !== 'object' || !t.has(topic))) return;
  // Still a recipient of pending deliveries to this topic: finish them before it stops counting.
  const broadcasts = session._broadcasts;
  if (broadcasts?.pendingFor(topic)) broadcasts.settle();
  if (t === topic) session._topics = undefined;
  else (t as Set<string>).delete(topic);
  session._host.topics.leave(topic, session);
  session._protocol?.topics.left(topic); // wsgate.v1: `unsub`, after the topic's last `pub`
}

/** The session closed: it leaves every topic. */
export function leaveAll(session: AnySession): void {
  const t = session._topics;
  session._topics = undefined;
  if (typeof t === 'string') session._host.topics.leave(t, session);
  else if (t) for (const topic of t) session._host.topics.leave(topic, session);
}

/** A snapshot of the session's topics (`Session.topics`). */
export function topicsOf(session: AnySession): ReadonlySet<string> {
  const t = session._topics;
  return t === undefined ? EMPTY_SET : typeof t === 'string' ? new Set([t]) : new Set(t);
}

/** Before a direct write (send, close): a broadcast published earlier to this session goes out first. */
export function settleBefore(session: AnySession): void {
  const broadcasts = session._broadcasts;
  if (broadcasts?.pendingFor(session._topics)) broadcasts.settle();
}
