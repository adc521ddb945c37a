import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@wsgate/core';
import { type ChatApp, type ChatAppOptions, createChatApp } from '../../../examples/chat/src/app.ts';

/** A chat app listening on 127.0.0.1, with what its gate refused. */
export interface RunningChat extends ChatApp {
  server: Server;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every refused upgrade, from `gate.on('reject')`. */
  rejects: Array<{ status: number; url: string }>;
  /** Closes the sessions (1001), the broker and the HTTP server, keep-alive connections included. */
  stop(): Promise<void>;
}

/** Starts the chat on `port` (0: any free port). */
export async function startChat(options: ChatAppOptions & { port?: number } = {}): Promise<RunningChat> {
  const { port = 0, ...chatOptions } = options;
  const chat = createChatApp({ logger: silentLogger, ...chatOptions });
  const rejects: RunningChat['rejects'] = [];
  chat.gate.on('reject', ({ status, url }) => rejects.push({ status, url }));
  const server = chat.app.listen(port, '127.0.0.1'); // hooked by wsgate: upgrades go through the app
  try {
    await once(server, 'listening');
  } catch (err) {
    await chat.close();
    throw err;
  }
  const actual = (server.address() as AddressInfo).port;
  return {
    ...chat,
    server,
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    rejects,
    stop: async () => {
      await chat.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
