import { wsgate } from '@wsgate/koa';
import { describe, expect, it } from 'vitest';
import { rawClient, upgradeRequest } from '../../../test/support/upgrades.ts';
import { until } from '../../../test/support/ws.ts';
import { listen, versions } from './helpers.ts';

describe.each(versions)('%s: a client that resets while the chain runs', (_name, Koa) => {
  it('is not an app error: nothing reaches app.onerror, the upgrade is released', async () => {
    const app = new Koa();
    const appErrors: Error[] = [];
    app.on('error', (err: Error) => appErrors.push(err));
    const gate = wsgate(app, { onError: (e) => appErrors.push(e as Error) });
    let entered = 0;
    let leave!: () => void;
    const left = new Promise<void>((r) => {
      leave = r;
    });
    app.use(async (_ctx, next) => {
      entered++;
      await left;
      await next();
    });
    gate.ws('/feed', () => {});
    const t = await listen(app, gate);
    try {
      for (const path of ['/feed', '/nowhere']) {
        const c = await rawClient(t.url);
        const before = entered;
        c.socket.write(upgradeRequest(t.url, path));
        await until(() => entered > before, 'the upgrade to be inside the chain');
        c.socket.resetAndDestroy();
        await until(() => gate.stats().pending === 0, 'the upgrade to be released');
      }
      leave();
      // The chain finishes after the client left; Koa's on-finished has already fired with the reset.
      await new Promise((r) => setImmediate(r));
      expect(appErrors).toEqual([]);
    } finally {
      leave();
      await t.close();
    }
  });
});
