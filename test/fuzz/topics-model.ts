import { createGate, type Session } from '@wsgate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collect, track, until, type WebSocket } from '../support/ws.ts';
import { fuzzParams } from './runs.ts';

const CLIENTS = 4;
const TOPICS = ['a', 'b', 'c'] as const;

type Command =
  | { kind: 'subscribe' | 'unsubscribe'; client: number; topic: string }
  | { kind: 'publish'; topic: string; binary: boolean; via: 'gate' | 'session' | 'except'; client: number }
  | { kind: 'closeServer' | 'closeClient'; client: number };

const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const topic = fc.constantFrom(...TOPICS);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('subscribe' as const), client, topic }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('unsubscribe' as const), client, topic }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constantFrom('publish' as const),
      topic,
      binary: fc.boolean(),
      via: fc.constantFrom('gate' as const, 'session' as const, 'except' as const),
      client,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom('closeServer' as const, 'closeClient' as const), client }),
  },
);

/** The model: who is open, who is in which topic, and what each client must have received, in order. */
class Model {
  readonly open = new Set<number>(Array.from({ length: CLIENTS }, (_, i) => i));
  readonly members = new Map<string, Set<number>>(TOPICS.map((t) => [t, new Set<number>()]));
  readonly expected: string[][] = Array.from({ length: CLIENTS }, () => []);

  publish(topic: string, label: string, except: number | undefined): void {
    for (const m of this.members.get(topic)!) if (m !== except) this.expected[m]!.push(label);
  }
  close(c: number): void {
    this.open.delete(c);
    for (const set of this.members.values()) set.delete(c);
  }
}

/** `collect` with a deadline, so a missing delivery fails with what did arrive instead of hanging. */
async function received(ws: WebSocket, n: number, what: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: fewer than ${n} messages within 5 s`)), 5_000);
  });
  try {
    return (await Promise.race([collect(ws, n), deadline])).map(label);
  } finally {
    clearTimeout(timer);
  }
}

const label = (m: string | Buffer) => (typeof m === 'string' ? `text:${m}` : `binary:${m.toString()}`);

/**
 * Topics against a simple model: random subscribe / unsubscribe / publish (gate, session, except) / close
 * sequences on `gate.inject` clients. Every member gets each publish exactly once and in order, nobody
 * gets anything after unsubscribing or closing, and the gate's membership matches the model throughout.
 */
export function topicProperties(): void {
  describe('topics against a model', () => {
    it('each member gets each publish once, in order; nothing after unsubscribe or close', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
          const gate = createGate({ heartbeat: false, limits: { messages: false } });
          const sessions = new Map<number, Session>();
          gate.route('/t', (s) => {
            sessions.set(Number(s.query.get('i')), s);
          });
          const clients: WebSocket[] = [];
          try {
            // Tracked from the start: a message that arrives while we read another client must not be missed.
            for (let i = 0; i < CLIENTS; i++) clients.push(track(await gate.inject(`/t?i=${i}`)));
            await until(() => sessions.size === CLIENTS, 'every handler to run');
            const model = new Model();
            let seq = 0;
            for (const cmd of commands) {
              const s = sessions.get(cmd.client)!;
              switch (cmd.kind) {
                case 'subscribe':
                  s.subscribe(cmd.topic);
                  // A closed session cannot join anything (its leave already ran).
                  if (model.open.has(cmd.client)) model.members.get(cmd.topic)!.add(cmd.client);
                  break;
                case 'unsubscribe':
                  s.unsubscribe(cmd.topic);
                  model.members.get(cmd.topic)!.delete(cmd.client);
                  break;
                case 'publish': {
                  const text = `m${seq++}`;
                  const data = cmd.binary ? Buffer.from(text) : text;
                  if (cmd.via === 'gate') gate.publish(cmd.topic, data);
                  else if (cmd.via === 'session') s.publish(cmd.topic, data);
                  else gate.publish(cmd.topic, data, { except: s });
                  model.publish(cmd.topic, label(data), cmd.via === 'gate' ? undefined : cmd.client);
                  break;
                }
                case 'closeServer':
                case 'closeClient':
                  if (cmd.kind === 'closeServer') s.close(1000);
                  else clients[cmd.client]!.close(1000);
                  // Wait for the close to complete on the server: the model's close is that moment.
                  await until(() => s.readyState === 3, `session ${cmd.client} to close`);
                  model.close(cmd.client);
                  break;
              }
              for (const t of TOPICS) {
                expect([...gate.topicMembers(t)].map((m) => Number(m.query.get('i'))).sort()).toEqual(
                  [...model.members.get(t)!].sort(),
                );
              }
              expect(gate.stats().topics).toBe([...model.members.values()].filter((m) => m.size > 0).length);
            }
            // Open clients: a direct send after everything orders behind every broadcast on that socket.
            for (const i of model.open) sessions.get(i)!.send('end');
            for (let i = 0; i < CLIENTS; i++) {
              const ws = clients[i]!;
              if (model.open.has(i)) {
                const got = await received(ws, model.expected[i]!.length + 1, `client ${i}`);
                expect(got, `client ${i}`).toEqual([...model.expected[i]!, 'text:end']);
              } else {
                await until(() => ws.readyState === 3, `client ${i} to see the close`);
                // Everything the client received before the close (tracked from the start).
                const got = await received(ws, model.expected[i]!.length, `client ${i}`);
                expect(got, `client ${i}`).toEqual(model.expected[i]);
                await expect(collect(ws, 1)).rejects.toThrow(/closed/);
              }
            }
          } finally {
            for (const ws of clients) ws.terminate();
            await gate.close({ timeout: 1_000 });
          }
        }),
        fuzzParams(),
      );
    });
  });
}
