import { afterEach } from 'vitest';
import { coreTarget } from '../targets/core.ts';

/** A started core target (core alone on a plain http.Server, on a real port). */
export type CoreTarget = Awaited<ReturnType<typeof coreTarget.start>>;

/**
 * A core target per test and the clients the test opened, closed after each test (the clients first).
 * Push every client into `clients`; `start` takes `coreTarget.start`'s arguments.
 */
export function coreFixture<TClient>(closeClient: (client: TClient) => void): {
  clients: TClient[];
  start: (...args: Parameters<typeof coreTarget.start>) => Promise<CoreTarget>;
} {
  let target: CoreTarget | undefined;
  const clients: TClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) closeClient(c);
    await target?.close();
    target = undefined;
  });
  return {
    clients,
    start: async (...args) => {
      target = await coreTarget.start(...args);
      return target;
    },
  };
}
