import type { Broker } from '@wsgate/core';
import { redisBroker } from '@wsgate/redis';

/**
 * The broker from the environment: with `REDIS_URL`, Redis (instances with the same URL share rooms), and
 * `undefined` otherwise (the app's in-memory default). Waits for Redis, so a wrong URL stops the start
 * with a clear error instead of running a lone instance nobody else can hear.
 */
export async function brokerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Broker | undefined> {
  if (!env.REDIS_URL) return undefined;
  const broker = redisBroker({ url: env.REDIS_URL, prefix: 'wsgate-chat:' });
  await broker.ready();
  return broker;
}

/** The development secret `pnpm start` uses when `SESSION_SECRET` is not set (never deploy with it). */
export const DEV_SECRET = 'wsgate-chat-development-secret';
