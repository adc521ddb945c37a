/** The session handlers every wsgate arm shares, so core and the adapters run identical app code. */
import type { Gate, Session } from '@wsgate/core';
import { topicsFor } from './common.ts';
import { closeSpread, RESTART } from './spread.ts';

export function handlers<TUser>(gate: Gate<TUser>) {
  let seq = 0;
  return {
    echo(session: Session<TUser>): void {
      for (const topic of topicsFor(seq++, undefined)) session.subscribe(topic);
      session.on('message', (message) => session.send(message));
    },
    room(session: Session<TUser>, room: string): void {
      const topic = `room:${room}`;
      for (const t of topicsFor(seq++, room)) session.subscribe(t);
      session.on('message', (message) => gate.publish(topic, message));
    },
  };
}

/** The storm's rolling restart for a gate: every session open now gets 1012, spread over `window` ms. */
export function restartSessions<TUser>(gate: Gate<TUser>, window: number): number {
  const all = [...gate.sessions];
  closeSpread(all, window, (s) => s.close(RESTART.code, RESTART.reason));
  return all.length;
}
