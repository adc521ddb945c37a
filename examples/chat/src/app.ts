import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Broker, Logger } from '@wsgate/core';
import { type ExpressGate, type ExpressUser, wsgate } from '@wsgate/express';
import express, { type Express, type RequestHandler } from 'express';
import { Chat, type ChatOptions, chatHistory } from './chat.js';
import { clientScript } from './client-script.js';
import { COOKIE, readName, signName } from './name-cookie.js';
import { chatContract, cleanName, isRoomName, SIGNED_OUT } from './protocol.js';

/** Options of {@link createChatApp}. */
export interface ChatAppOptions extends ChatOptions {
  /** Carries rooms to other instances: `redisBroker()` from `@wsgate/redis`. @default memoryBroker() */
  broker?: Broker | undefined;
  /** Signs the name cookie; instances that share rooms must share it. @default random (per app) */
  secret?: string;
  /** Passed to the gate. @default wsgate's console logger */
  logger?: Logger;
}

/** The chat's Express app, its gate and the chat itself; `listen` with `app.listen()`. */
export interface ChatApp {
  app: Express;
  gate: ExpressGate;
  chat: Chat<ExpressUser>;
  /** Closes every session (1001) and the broker; then close the HTTP server. */
  close(): Promise<void>;
}

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
/** Where the page loads @wsgate/client from (public/room.html's import map). */
export const CLIENT_PATH = '/vendor/wsgate-client.js';
const WEEK = 7 * 24 * 60 * 60 * 1000;

/**
 * The chat on Express: a sign-in route that sets a signed name cookie, `/rooms/:room` pages, their
 * WebSocket at `/ws/rooms/:room` behind the same `requireLogin` middleware as the pages (so an anonymous
 * upgrade gets its 401 before any handshake), and `/echo` for quick tests with any client.
 */
export function createChatApp(options: ChatAppOptions = {}): ChatApp {
  const { broker, secret = randomBytes(32).toString('hex'), logger, ...chatOptions } = options;
  const app = express();
  // History for the rooms: resume after a reconnect, and the last messages for newcomers (chat.ts).
  const history = chatHistory(chatOptions.historySize);
  const gate = wsgate(app, { history, ...(broker ? { broker } : {}), ...(logger ? { logger } : {}) });
  const chat = new Chat(gate, chatOptions);

  const requireLogin: RequestHandler = (req, res, next) => {
    if (readName(req.headers.cookie, secret) !== undefined) return next();
    // A WebSocket cannot follow a redirect: it gets a 401 before the handshake; a browser the sign-in form.
    const room = req.params.room;
    if (req.ws) res.status(401).json({ error: 'sign in first' });
    else res.redirect(typeof room === 'string' ? `/?room=${encodeURIComponent(room)}` : '/');
  };
  const validRoom: RequestHandler = (req, res, next) => {
    const room = String(req.params.room);
    if (isRoomName(room)) return next();
    if (!req.ws && isRoomName(room.toLowerCase())) return res.redirect(`/rooms/${room.toLowerCase()}`);
    res.status(404).json({ error: 'room names are a-z, 0-9, "-" and "_", up to 32 characters' });
  };

  app.use(express.static(publicDir, { index: false }));
  // @wsgate/client for the page, bundled once (the page imports it through an import map).
  app.get(CLIENT_PATH, (_req, res, next) => {
    clientScript().then((js) => res.type('text/javascript').send(js), next);
  });
  app.get('/', (_req, res) => res.sendFile('index.html', { root: publicDir }));
  app.post('/login', express.urlencoded({ extended: false, limit: '2kb' }), (req, res) => {
    const name = cleanName(req.body?.name);
    const room = String(req.body?.room ?? '').toLowerCase();
    const target = isRoomName(room) ? room : 'lobby';
    if (!name) return res.redirect(303, `/?room=${target}&error=name`);
    res.cookie(COOKIE, signName(name, secret), { httpOnly: true, sameSite: 'lax', maxAge: WEEK });
    res.redirect(303, `/rooms/${target}`);
  });
  app.post('/logout', (req, res) => {
    // Signing out signs out every tab: the user's other sockets close now (4001, which the page answers by
    // going to the sign-in form) instead of chatting on under a name whose cookie is gone.
    const name = readName(req.headers.cookie, secret);
    if (name !== undefined) gate.sessions.closeWhere((s) => s.data.name === name, SIGNED_OUT, 'signed out');
    res.clearCookie(COOKIE).redirect(303, '/');
  });
  // The WebSocket API as an AsyncAPI 3.0 document, generated from the routes and their schemas.
  app.get('/asyncapi.json', (_req, res) => {
    res.json(gate.asyncapi({ info: { title: 'wsgate chat', version: '1.0.0' } }));
  });
  // The page asks before reconnecting: a 401 means sign in again, not retry.
  app.get('/api/me', (req, res) => {
    const name = readName(req.headers.cookie, secret);
    if (name === undefined) res.status(401).json({ error: 'sign in first' });
    else res.json({ name });
  });
  app.get('/rooms/:room', requireLogin, validRoom, (_req, res) => {
    res.sendFile('room.html', { root: publicDir });
  });

  // The contract (protocol.ts) validates frames; wsgate.v1 when the page offers it (@wsgate/client does):
  // topic messages with positions, resume.
  app.ws(
    '/ws/rooms/:room',
    { ...chatContract, protocols: ['wsgate.v1'] },
    requireLogin,
    validRoom,
    (session, req) => {
      const name = readName(req.headers.cookie, secret)!;
      session.data.name = name; // what /logout closes by
      chat.join(session, req.params.room, name);
    },
  );
  // Open to any client (a browser page of another origin is still refused): `npx wscat -c ws://localhost:3000/echo`.
  app.ws('/echo', (session) => {
    session.on('message', (message) => session.send(message));
  });

  return {
    app,
    gate,
    chat,
    close: async () => {
      chat.close();
      await gate.close();
    },
  };
}
