/**
 * The README claims about the gate's small API (`topicMembers`, `settings`, `closing`) and the pipeline
 * table's `Sec-WebSocket-Version` row, shown against a real server and raw or `ws` clients.
 */
import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';
import { afterEach, describe, expect, test } from 'vitest';
import { type Listening, listening } from '../support/listening.ts';
import { rawRequest } from '../support/raw.ts';
import { closed, openClient, until } from '../support/ws.ts';

const open: Listening[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

async function serve(gate: ReturnType<typeof createGate>): Promise<Listening> {
  const server = createServer();
  gate.attach(server);
  server.listen(0, '127.0.0.1');
  const l = await listening(server, gate);
  open.push(l);
  return l;
}

describe('the gate', () => {
  test('topicMembers(topic) lists this node’s sessions in the topic, and is empty for an unknown one', async () => {
    const gate = createGate();
    gate.route('/rooms/:room', (session) => session.subscribe(`room:${session.params.room}`));
    const l = await serve(gate);
    const a = await openClient(`${l.wsUrl}/rooms/a`);
    await openClient(`${l.wsUrl}/rooms/a`);
    await openClient(`${l.wsUrl}/rooms/b`);
    await until(() => gate.topicMembers('room:a').size === 2 && gate.topicMembers('room:b').size === 1);
    expect([...gate.topicMembers('room:a')].every((s) => s.route === '/rooms/:room')).toBe(true);
    expect(gate.topicMembers('room:nobody').size).toBe(0);
    a.close();
    await until(() => gate.topicMembers('room:a').size === 1);
  });

  test('settings() is the gate’s own; settings(route) puts the route on top, validated and cached', () => {
    const gate = createGate({ maxPayload: 1024, handshakeTimeout: 5_000 });
    expect(gate.settings(undefined)).toMatchObject({
      maxPayload: 1024,
      handshakeTimeout: 5_000,
      requireOrigin: false,
    });
    const route = { maxPayload: 64 };
    const merged = gate.settings(route);
    expect(merged).toMatchObject({ maxPayload: 64, handshakeTimeout: 5_000 });
    expect(gate.settings(route)).toBe(merged);
    expect(() => gate.settings({ maxPayload: -1 })).toThrow(TypeError);
    expect(() => gate.settings({ maxPayload: -1 })).toThrow(/maxPayload/);
  });

  test('closing is true once close() was called, and new upgrades get 503', async () => {
    const gate = createGate();
    gate.route('/echo', () => {});
    const l = await serve(gate);
    const ws = await openClient(`${l.wsUrl}/echo`);
    expect(gate.closing).toBe(false);
    const done = gate.close({ timeout: 1_000 });
    expect(gate.closing).toBe(true);
    expect((await rawRequest(`${l.url}/echo`)).status).toBe(503);
    expect((await closed(ws)).code).toBe(1001);
    await done;
    expect(gate.closing).toBe(true);
  });
});

describe('Sec-WebSocket-Version (the README pipeline table)', () => {
  test.each([
    ['13', 101],
    ['8', 101],
    ['7', 426],
    ['12', 426],
    [null, 426],
  ])('version %s gets %i', async (version, status) => {
    const gate = createGate();
    gate.route('/echo', () => {});
    const l = await serve(gate);
    const answer = await rawRequest(`${l.url}/echo`, { headers: { 'Sec-WebSocket-Version': version } });
    expect(answer.status).toBe(status);
    if (status === 426) expect(answer.headers['sec-websocket-version']).toBe('13');
  });

  test('version 8’s Sec-WebSocket-Origin is held to the Origin policy', async () => {
    const gate = createGate();
    gate.route('/echo', () => {});
    const l = await serve(gate);
    const foreign = await rawRequest(`${l.url}/echo`, {
      headers: { 'Sec-WebSocket-Version': '8', 'Sec-WebSocket-Origin': 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
  });
});
