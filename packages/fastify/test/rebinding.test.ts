import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { wsgate } from '../src/index.js';
import { listen } from './helpers.js';

describe('DNS rebinding with injectWS', () => {
  it('an injectWS before listen() does not switch the Host check off once the app listens on 127.0.0.1', async () => {
    const app = Fastify({ logger: false });
    await app.register(wsgate);
    app.ws('/echo', (s) => void s.on('message', (m) => s.send(m)));
    try {
      const early = await app.injectWS('/echo', { headers: { Host: 'rebind.example' } });
      early.close();
      const { url } = await listen(app);
      const foreign = await rawRequest(`${url}/echo`, { headers: { Host: 'rebind.example' } });
      expect(foreign.status).toBe(403);
      expect((await rawRequest(`${url}/echo`, { headers: { Host: 'localhost' } })).status).toBe(101);
    } finally {
      await app.close();
    }
  });
});
