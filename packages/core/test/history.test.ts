import { afterEach, describe, expect, it } from 'vitest';
import { collect, until, type WebSocket } from '../../../test/support/ws.ts';
import {
  type Broker,
  createGate,
  type Gate,
  type GateOptions,
  memoryBroker,
  memoryBus,
  type PresenceChange,
  type ResetInfo,
} from '../src/index.js';

const opened: Array<Gate | WebSocket> = [];
afterEach(async () => {
  for (const x of opened.splice(0)) {
    if ('terminate' in x) x.terminate();
    else await x.close({ timeout: 200 });
  }
});

/** A gate whose `/t/:topic` subscribes (awaited) and says 'ready'; what a client sends is published. */
function node(options: GateOptions = {}): Gate {
  const gate = createGate({ heartbeat: false, ...options });
  gate.route('/t/:topic', async (s) => {
    const topic = s.params.topic!;
    const name = s.query.get('name');
    await s.subscribe(topic, name ? { presence: { name } } : undefined);
    s.on('message', (m) => s.publish(topic, m));
    s.on('reset', (t, info) => s.send(`reset ${t} ${info.reason} ${info.offset}`));
    s.send('ready');
  });
  opened.push(gate);
  return gate;
}

async function client(gate: Gate, path: string): Promise<WebSocket> {
  const ws = await gate.inject(path);
  opened.push(ws);
  expect(await collect(ws, 1)).toEqual(['ready']);
  return ws;
}

describe('topic history on the memory broker', () => {
  it('numbers messages, delivers them in order on every node, and reads them back after a position', async () => {
    const bus = memoryBus();
    const a = node({ broker: memoryBroker({ bus }), history: { size: 10 } });
    const b = node({ broker: memoryBroker({ bus }), history: { size: 10 } });
    const [wa, wb] = [await client(a, '/t/room'), await client(b, '/t/room')];
    for (let i = 1; i <= 5; i++) (i % 2 ? a : b).publish('room', `m${i}`);
    const expected = ['m1', 'm2', 'm3', 'm4', 'm5'];
    expect(await collect(wa, 5)).toEqual(expected);
    expect(await collect(wb, 5)).toEqual(expected);
    wb.send(Buffer.from([1, 2])); // published by the session: everyone else gets it
    expect(await collect(wa, 1)).toEqual([Buffer.from([1, 2])]);

    const all = await a.history('room');
    expect(all.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.messages[5]).toMatchObject({ binary: true, data: Buffer.from([1, 2]) });
    expect(all).toMatchObject({ offset: 6, reset: false });
    const after = await b.history('room', { after: { epoch: all.epoch, offset: 4 }, limit: 1 });
    expect(after).toMatchObject({
      epoch: all.epoch,
      offset: 6,
      reset: false,
      messages: [{ offset: 5, data: 'm5' }],
    });
    // A position of a lost epoch: the whole kept history follows, flagged as a reset.
    const lost = await b.history('room', { after: { epoch: 'gone', offset: 3 } });
    expect(lost.reset).toBe(true);
    expect(lost.messages).toHaveLength(6);
  });

  it('keeps `size` messages; a position older than that reads back as a reset', async () => {
    const gate = node({ history: { size: 3 } });
    for (let i = 1; i <= 6; i++) gate.publish('t', `m${i}`);
    const page = await gate.history('t', { after: { epoch: (await gate.history('t')).epoch, offset: 1 } });
    expect(page.reset).toBe(true);
    expect(page.messages.map((m) => m.data)).toEqual(['m4', 'm5', 'm6']);
    const fresh = await gate.history('t', { after: { epoch: page.epoch, offset: 4 } });
    expect(fresh).toMatchObject({ reset: false, messages: [{ data: 'm5' }, { data: 'm6' }] });
  });

  it('a message older than maxAge leaves the history', async () => {
    const gate = node({ history: { maxAge: 30 } });
    gate.publish('t', 'old');
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 40, 'maxAge to pass', 1_000); // the bound itself is time
    gate.publish('t', 'new');
    const page = await gate.history('t', {
      after: { epoch: (await gate.history('t', { limit: 0 })).epoch, offset: 0 },
    });
    expect(page.messages.map((m) => m.data)).toEqual(['new']);
    expect(page.reset).toBe(true); // offset 1 is gone
  });

  it('a lost history (new epoch) is a reset on every node, never a silent gap', async () => {
    const bus = memoryBus();
    const a = node({ broker: memoryBroker({ bus }), history: {} });
    const b = node({ broker: memoryBroker({ bus }), history: {} });
    const wb = await client(b, '/t/room');
    const resets: Array<[string, ResetInfo]> = [];
    b.on('reset', (topic, info) => resets.push([topic, info]));
    a.publish('room', 'before');
    expect(await collect(wb, 1)).toEqual(['before']);
    bus.history.clear(); // what a Redis restarted empty does
    a.publish('room', 'after');
    expect(await collect(wb, 2)).toEqual(['reset room epoch 0', 'after']);
    expect(resets).toEqual([['room', expect.objectContaining({ reason: 'epoch', offset: 0 })]]);
  });

  it('topics the history function declines are delivered as before, and have no history to read', async () => {
    const gate = node({ history: (topic) => topic.startsWith('h:') && { size: 5 } });
    const ws = await client(gate, '/t/plain');
    gate.publish('plain', 'x');
    expect(await collect(ws, 1)).toEqual(['x']);
    expect(() => gate.history('plain')).toThrow(/has no history/);
    gate.publish('h:1', 'kept');
    expect((await gate.history('h:1')).messages).toMatchObject([{ offset: 1, data: 'kept' }]);
  });

  it('refuses a history option it cannot honour, at creation', () => {
    const bare: Broker = { subscribe() {}, unsubscribe() {}, publish() {}, close() {} };
    expect(() => createGate({ broker: bare, history: {} })).toThrow(/needs a broker with history/);
    expect(() => createGate({ history: { size: 0 } })).toThrow(/history.size must be a positive integer/);
    expect(() => createGate({ history: { maxAge: -1 } })).toThrow(/history.maxAge/);
    // Without the option, such a broker works as before.
    opened.push(createGate({ broker: bare }));
  });
});

describe('session.subscribe', () => {
  it('returns a promise that resolves once the broker acknowledged; a refusal rejects it and reaches onError', async () => {
    let ack!: () => void;
    const errors: unknown[] = [];
    const broker: Broker = {
      subscribe: (topic) =>
        topic === 'refused'
          ? Promise.reject(new Error('ACL says no'))
          : new Promise<void>((resolve) => {
              ack = resolve;
            }),
      unsubscribe() {},
      publish() {},
      close() {},
    };
    const gate = createGate({ broker, heartbeat: false, onError: (err) => errors.push(err) });
    opened.push(gate);
    const steps: string[] = [];
    gate.route('/', async (s) => {
      const live = s.subscribe('room');
      void live.then(() => steps.push('live'));
      s.subscribe('refused'); // not awaited: no unhandled rejection, onError hears it
      await expect(s.subscribe('refused')).resolves.toBeUndefined(); // already a member
      steps.push('called');
      await live;
      s.send('ready');
    });
    const ws = await gate.inject('/');
    opened.push(ws);
    await new Promise((r) => setImmediate(r));
    expect(steps).toEqual(['called']);
    ack();
    expect(await collect(ws, 1)).toEqual(['ready']);
    expect(steps).toEqual(['called', 'live']);
    expect(errors).toEqual([expect.objectContaining({ message: 'ACL says no' })]);
  });

  it('refuses topic names that are not well-formed UTF-16 (a lone surrogate), on subscribe and publish', async () => {
    const gate = node();
    const cut = '😀'.slice(0, 1);
    expect(() => gate.publish(`room${cut}`, 'x')).toThrow(TypeError);
    expect(() => gate.publish(`room${cut}`, 'x')).toThrow(/not well-formed UTF-16/);
    expect(() => gate.publish('\uDE00', 'x')).toThrow(/not well-formed UTF-16/);
    gate.publish('room😀', 'a whole emoji is fine');
    const thrown: unknown[] = [];
    gate.route('/s', (s) => {
      try {
        s.subscribe(`a${cut}`);
      } catch (err) {
        thrown.push(err);
      }
      s.send(String(s.topics.size));
    });
    const ws = await gate.inject('/s');
    opened.push(ws);
    expect(await collect(ws, 1)).toEqual(['0']);
    expect(thrown).toEqual([expect.any(TypeError)]);
  });
});

describe('presence on the memory broker', () => {
  it('lists members across nodes and tells every node about joins and leaves', async () => {
    const bus = memoryBus();
    const a = node({ broker: memoryBroker({ bus }) });
    const b = node({ broker: memoryBroker({ bus }) });
    const seen: Array<[string, PresenceChange['type'], unknown]> = [];
    b.on('presence', (topic, change) => seen.push([topic, change.type, change.member.info]));
    const alice = await client(a, '/t/room?name=alice');
    await client(b, '/t/room?name=bob');
    await client(b, '/t/room'); // not in presence
    const members = await a.presence('room');
    expect(
      members.map((m) => m.info).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    ).toEqual([{ name: 'alice' }, { name: 'bob' }]);
    expect(new Set(members.map((m) => m.node)).size).toBe(2);
    alice.close();
    await new Promise<void>((resolve) => b.on('presence', (_t, c) => c.type === 'leave' && resolve()));
    expect((await b.presence('room')).map((m) => m.info)).toEqual([{ name: 'bob' }]);
    expect(seen).toEqual([
      ['room', 'join', { name: 'alice' }],
      ['room', 'join', { name: 'bob' }],
      ['room', 'leave', { name: 'alice' }],
    ]);
  });

  it('refuses presence info that is not small JSON, before joining', async () => {
    const gate = node();
    const thrown: string[] = [];
    gate.route('/p', (s) => {
      for (const info of [{ big: 'x'.repeat(5000) }, undefined as unknown, { n: 1n }]) {
        try {
          s.subscribe('room', { presence: info === undefined ? () => {} : info });
        } catch (err) {
          thrown.push((err as Error).message);
        }
      }
      s.send(String(s.topics.size));
    });
    const ws = await gate.inject('/p');
    opened.push(ws);
    expect(await collect(ws, 1)).toEqual(['0']);
    expect(thrown).toEqual([
      expect.stringMatching(/at most 4096 bytes/),
      expect.stringMatching(/must be a JSON value/),
      expect.stringMatching(/must be JSON/),
    ]);
  });
});
