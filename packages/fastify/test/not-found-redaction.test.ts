import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { wsgate } from '../src/index.js';
import { listen } from './helpers.js';

const TOKEN = 'N0T-F0UND-T0K3N-31';

describe('an upgrade that ends in a 404 never echoes its ?token=', () => {
  it('from a hook or handler calling reply.callNotFound(), on a WebSocket route, a plain route or in a child instance', async () => {
    const lines: string[] = [];
    const app = Fastify({ logger: { level: 'debug', stream: { write: (l: string) => void lines.push(l) } } });
    await app.register(wsgate);
    const seenUrls: string[] = [];
    app.addHook('onRequest', async (request) => {
      seenUrls.push(request.url);
    });
    app.ws(
      '/rooms/:room',
      {
        preHandler: async (request, reply) => {
          if ((request.params as { room: string }).room !== 'lobby') return reply.callNotFound();
        },
      },
      () => {},
    );
    app.get('/page', async () => 'a page');
    await app.register(
      async (child) => {
        child.ws('/gone', { onRequest: async (_request, reply) => reply.callNotFound() }, () => {});
      },
      { prefix: '/child' },
    );
    try {
      const { url } = await listen(app);
      for (const path of ['/rooms/attic', '/page', '/child/gone', '/nowhere']) {
        const a = await rawRequest(`${url}${path}?token=${TOKEN}`);
        expect(a.status, path).toBe(404);
        expect(a.text, path).not.toContain(TOKEN);
      }
      // Hooks that ran before the 404 still saw the URL as sent (an app may read its token there).
      expect(seenUrls.filter((u) => u.includes(TOKEN))).toHaveLength(3);
      expect(lines.join('\n')).not.toContain(TOKEN);
      expect(lines.join('\n')).toContain('not found');
    } finally {
      await app.close();
    }
  });
});
