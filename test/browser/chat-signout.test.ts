import { afterEach, expect, it } from 'vitest';
import { SIGNED_OUT } from '../../examples/chat/src/protocol.ts';
import { closed, type WebSocket } from '../support/ws.ts';
import { type RunningChat, startChat } from './support/chat-server.ts';
import { joinRoom, nextMatching, signIn } from './support/clients.ts';

const running: RunningChat[] = [];
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await Promise.allSettled(running.splice(0).map((chat) => chat.stop()));
});

it("signing out closes every one of the user's sockets with 4001 and leaves other users connected", async () => {
  const chat = await startChat({ secret: 'signout-secret' });
  running.push(chat);
  const alice = await signIn(chat.url, 'Alice');
  const bob = await signIn(chat.url, 'Bob');
  const tabs = await Promise.all([joinRoom(chat.url, 'lobby', alice), joinRoom(chat.url, 'kitchen', alice)]);
  const bobs = await joinRoom(chat.url, 'lobby', bob);
  clients.push(...tabs.map((t) => t.ws), bobs.ws);

  const closes = tabs.map((t) => closed(t.ws));
  const left = nextMatching(bobs.ws, (e) => e.type === 'leave' && e.name === 'Alice');
  const res = await fetch(`${chat.url}/logout`, {
    method: 'POST',
    headers: { cookie: alice },
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  expect(res.headers.get('set-cookie')).toMatch(/^chat_name=;/);
  for (const close of await Promise.all(closes))
    expect(close).toEqual({ code: SIGNED_OUT, reason: 'signed out' });
  await left;
  expect(bobs.ws.readyState).toBe(bobs.ws.OPEN);
  expect(chat.gate.sessions.size).toBe(1);
});
