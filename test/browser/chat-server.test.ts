import { memoryBroker, memoryBus } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientEvent } from '../../examples/chat/src/protocol.ts';
import { rawRequest } from '../support/raw.ts';
import { closed, collect, openClient, type WebSocket } from '../support/ws.ts';
import { type RunningChat, startChat } from './support/chat-server.ts';
import { joinRoom, next, nextMatching, presenceOf, signIn } from './support/clients.ts';

const SECRET = 'server-suite-secret';
const running: RunningChat[] = [];
const clients: WebSocket[] = [];

async function chatOn(options: Parameters<typeof startChat>[0] = {}): Promise<RunningChat> {
  const chat = await startChat({ secret: SECRET, ...options });
  running.push(chat);
  return chat;
}

async function enter(chat: RunningChat, name: string, room = 'lobby') {
  const joined = await joinRoom(chat.url, room, await signIn(chat.url, name));
  clients.push(joined.ws);
  return joined;
}

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await Promise.allSettled(running.splice(0).map((chat) => chat.stop()));
});

describe('the chat server (no browser)', () => {
  it('an anonymous or forged upgrade gets the auth middleware 401 before the handshake', async () => {
    const chat = await chatOn();
    const anonymous = await rawRequest(`${chat.url}/ws/rooms/lobby`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.closed).toBe(true);
    expect(JSON.parse(anonymous.body)).toEqual({ error: 'sign in first' });

    const forged = (await signIn(chat.url, 'Mallory')).replace(/\.[^.]+$/, '.AAAA');
    const answer = await rawRequest(`${chat.url}/ws/rooms/lobby`, { headers: { Cookie: forged } });
    expect(answer.status).toBe(401);

    // Signed by another secret: also refused.
    const other = await chatOn({ secret: 'another secret' });
    const foreign = await signIn(other.url, 'Eve');
    expect((await rawRequest(`${chat.url}/ws/rooms/lobby`, { headers: { Cookie: foreign } })).status).toBe(
      401,
    );
    expect(chat.gate.stats().accepted).toBe(0);
    // The app's 401s are counted by the gate like its own refusals (for metrics).
    expect(chat.rejects).toEqual(Array(3).fill({ status: 401, url: '/ws/rooms/lobby' }));

    // The page itself sends browsers to the sign-in form, remembering the room.
    const page = await fetch(`${chat.url}/rooms/lobby`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/?room=lobby');
    expect((await fetch(`${chat.url}/api/me`)).status).toBe(401);
  });

  it('frames the schema refuses get an error reply and the session stays open', async () => {
    const chat = await chatOn();
    const { ws, welcome } = await enter(chat, 'Ann');
    expect(welcome).toMatchObject({ you: 'Ann', room: 'lobby', history: [], members: ['Ann'] });
    const bad: Array<[string, RegExp]> = [
      ['[1,2]', /^Invalid input/],
      ['null', /^Invalid input/],
      ['{"type":"shout","text":"hi"}', /^type: /],
      ['{"type":"message","text":42}', /^text: .*string/],
      ['{"type":"message","text":"   "}', /^text: Too small/],
      [JSON.stringify({ type: 'message', text: 'x'.repeat(1_001) }), /^text: Too big/],
      ['{"type":"typing","typing":"yes"}', /^typing: .*boolean/],
    ];
    for (const [frame, error] of bad) {
      ws.send(frame);
      expect(await next(ws)).toEqual({ type: 'error', error: expect.stringMatching(error) });
    }
    ws.send(JSON.stringify({ type: 'message', text: '  still here  ' }));
    expect(await next(ws)).toMatchObject({ type: 'message', from: 'Ann', text: 'still here' });
    expect(ws.readyState).toBe(ws.OPEN);
    expect(chat.gate.stats().open).toBe(1);
  });

  it('text that is not JSON closes 1007, a binary frame 1003 (wsgate answers them before the chat)', async () => {
    const chat = await chatOn();
    const a = await enter(chat, 'Ann');
    a.ws.send('not json');
    expect(await closed(a.ws)).toEqual({ code: 1007, reason: 'message is not valid JSON' });
    const b = await enter(chat, 'Bob');
    b.ws.send(Buffer.from('{"type":"message","text":"hi"}'));
    expect((await closed(b.ws)).code).toBe(1003);
  });

  it('join and leave notices, presence and typing reach the others in the room, not other rooms', async () => {
    const chat = await chatOn();
    const ann = await enter(chat, 'Ann');
    const elsewhere = await enter(chat, 'Cy', 'kitchen');
    const bob = await enter(chat, 'Bob');
    expect(bob.welcome.members).toEqual(['Ann', 'Bob']);
    expect(await next(ann.ws)).toMatchObject({ type: 'join', name: 'Bob' });
    expect(await next(ann.ws)).toEqual({ type: 'presence', members: ['Ann', 'Bob'] });

    bob.ws.send(JSON.stringify({ type: 'typing', typing: true }));
    expect(await next(ann.ws)).toEqual({ type: 'typing', name: 'Bob', typing: true });
    bob.ws.send(JSON.stringify({ type: 'message', text: 'hello' }));
    expect(await next(ann.ws)).toMatchObject({ type: 'message', from: 'Bob', text: 'hello' });
    expect(await next(bob.ws)).toMatchObject({ type: 'message', from: 'Bob', text: 'hello' }); // its own copy

    bob.ws.close();
    await closed(bob.ws);
    expect(await next(ann.ws)).toMatchObject({ type: 'leave', name: 'Bob' });
    expect(await next(ann.ws)).toEqual({ type: 'presence', members: ['Ann'] });

    // The other room heard none of it: its next event is its own message.
    elsewhere.ws.send(JSON.stringify({ type: 'message', text: 'anyone?' }));
    expect(await next(elsewhere.ws)).toMatchObject({ type: 'message', from: 'Cy', text: 'anyone?' });
  });

  it('the last N messages of a room are replayed to whoever joins it', async () => {
    const chat = await chatOn({ historySize: 2 });
    const ann = await enter(chat, 'Ann');
    for (const text of ['one', 'two', 'three']) {
      ann.ws.send(JSON.stringify({ type: 'message', text }));
      await nextMatching(ann.ws, (e) => e.type === 'message' && e.text === text);
    }
    ann.ws.close();
    await closed(ann.ws);
    const bob = await enter(chat, 'Bob');
    expect((bob.welcome.history as Array<{ text: string }>).map((m) => m.text)).toEqual(['two', 'three']);
    expect(bob.welcome.members).toEqual(['Bob']);
  });

  it('two instances on one broker share messages, presence and history', async () => {
    const bus = memoryBus();
    const a = await chatOn({ broker: memoryBroker({ bus }), nodeId: 'A' });
    const b = await chatOn({ broker: memoryBroker({ bus }), nodeId: 'B' });
    const ann = await enter(a, 'Ann');
    ann.ws.send(JSON.stringify({ type: 'message', text: 'before Bob' }));
    await next(ann.ws);

    // B had nobody in the lobby: the library's history and presence span both instances.
    const bob = await enter(b, 'Bob');
    expect(bob.welcome.members).toEqual(['Ann', 'Bob']);
    expect((bob.welcome.history as Array<{ text: string }>).map((m) => m.text)).toEqual(['before Bob']);
    await nextMatching(ann.ws, presenceOf('Ann', 'Bob'));

    bob.ws.send(JSON.stringify({ type: 'message', text: 'across instances' }));
    expect(await nextMatching(ann.ws, (e) => e.type === 'message')).toMatchObject({
      from: 'Bob',
      text: 'across instances',
      id: expect.stringMatching(/^B-/),
    });
    bob.ws.close();
    await closed(bob.ws);
    await nextMatching(ann.ws, presenceOf('Ann'));

    // A kept Bob's message: a later member on A gets both in its history.
    const cy = await enter(a, 'Cy');
    expect((cy.welcome.history as Array<{ text: string }>).map((m) => m.text)).toEqual([
      'before Bob',
      'across instances',
    ]);
  });

  it('an instance that closes takes its members out of the presence list (the library presence)', async () => {
    const bus = memoryBus();
    const a = await chatOn({ broker: memoryBroker({ bus }), nodeId: 'A' });
    const b = await chatOn({ broker: memoryBroker({ bus }), nodeId: 'B' });
    const ann = await enter(a, 'Ann');
    await enter(b, 'Bob');
    await nextMatching(ann.ws, presenceOf('Ann', 'Bob'));
    await b.stop();
    await nextMatching(ann.ws, presenceOf('Ann'));
  });

  it('room names are checked before the handshake', async () => {
    const chat = await chatOn();
    const cookie = await signIn(chat.url, 'Ann');
    const bad = await rawRequest(`${chat.url}/ws/rooms/no%20spaces`, { headers: { Cookie: cookie } });
    expect(bad.status).toBe(404);
    const page = await fetch(`${chat.url}/rooms/Lobby`, { headers: { cookie }, redirect: 'manual' });
    expect(page.headers.get('location')).toBe('/rooms/lobby');
    const noName = await fetch(`${chat.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ name: '  ', room: 'kitchen' }),
      redirect: 'manual',
    });
    expect(noName.headers.get('location')).toBe('/?room=kitchen&error=name');
  });

  it('/echo answers any client, without signing in', async () => {
    const chat = await chatOn();
    const ws = await openClient(`${chat.url.replace('http', 'ws')}/echo`);
    clients.push(ws);
    ws.send('ping');
    ws.send(Buffer.from([1, 2, 3]));
    const [text, binary] = await collect(ws, 2);
    expect(text).toBe('ping');
    expect(binary).toEqual(Buffer.from([1, 2, 3]));
  });

  it('a page of another origin is refused with 403 (Origin checked by the gate before the app)', async () => {
    const chat = await chatOn();
    const cookie = await signIn(chat.url, 'Ann');
    const answer = await rawRequest(`${chat.url}/ws/rooms/lobby`, {
      headers: { Cookie: cookie, Origin: 'http://127.0.0.1:1' },
    });
    expect(answer.status).toBe(403);
    expect(chat.rejects).toEqual([{ status: 403, url: '/ws/rooms/lobby' }]);
  });
});

describe('ClientEvent', () => {
  it('accepts the two client events, trimmed', () => {
    expect(ClientEvent.parse({ type: 'message', text: ' hi ' })).toEqual({ type: 'message', text: 'hi' });
    expect(ClientEvent.parse({ type: 'typing', typing: false })).toEqual({ type: 'typing', typing: false });
  });
});
