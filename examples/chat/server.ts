/**
 * The chat, on Express: `pnpm start` at the repository root, then http://localhost:3000.
 * PORT (3000), HOST (127.0.0.1), SESSION_SECRET and REDIS_URL come from the environment.
 */

import { createChatApp } from './src/app.js';
import { brokerFromEnv, DEV_SECRET } from './src/broker.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const broker = await brokerFromEnv();
if (!process.env.SESSION_SECRET) console.warn('SESSION_SECRET is not set: using the development secret');

const { app, close } = createChatApp({ broker, secret: process.env.SESSION_SECRET ?? DEV_SECRET });
const server = app.listen(port, host, () => {
  console.log(`wsgate chat on http://localhost:${port} (${broker ? 'Redis' : 'in-memory'} broker)`);
  console.log(`echo: ws://localhost:${port}/echo`);
});

const stop = async () => {
  await close(); // every browser gets 1001 and starts reconnecting
  server.close();
  server.closeIdleConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
