import { nextMessage, openClient, type WebSocket } from '../../support/ws.ts';

/** A server event as the chat sends it (JSON). */
export type Event = { type: string } & Record<string, unknown>;

/** Signs in through the form route and returns the `Cookie` header value it set. */
export async function signIn(base: string, name: string): Promise<string> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    body: new URLSearchParams({ name, room: 'lobby' }),
    redirect: 'manual',
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (res.status !== 303 || !cookie) throw new Error(`sign-in failed: ${res.status}`);
  return cookie;
}

/** Opens a room's socket with a cookie and returns the client with its `welcome`. */
export async function joinRoom(
  base: string,
  room: string,
  cookie: string,
): Promise<{ ws: WebSocket; welcome: Event }> {
  const ws = await openClient(`${base.replace('http', 'ws')}/ws/rooms/${room}`, { headers: { cookie } });
  const welcome = await next(ws);
  if (welcome.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(welcome)}`);
  return { ws, welcome };
}

/** The next event a (tracked) client received. */
export async function next(ws: WebSocket): Promise<Event> {
  return JSON.parse(String(await nextMessage(ws))) as Event;
}

/** Reads events until one matches (the ones before it are dropped) and returns it. */
export async function nextMatching(ws: WebSocket, match: (e: Event) => boolean): Promise<Event> {
  for (;;) {
    const event = await next(ws);
    if (match(event)) return event;
  }
}

/** A `presence` event with exactly these names. */
export const presenceOf =
  (...names: string[]) =>
  (e: Event): boolean =>
    e.type === 'presence' && JSON.stringify(e.members) === JSON.stringify(names);
