import type { AddressInfo } from 'node:net';
import { wsgate } from '@wsgate/fastify';
import Fastify from 'fastify';
import type { ConformanceTarget } from '../conformance/target.ts';
import { needsToken } from './guards.ts';

/** `@wsgate/fastify` on a Fastify 5 app: every route is `app.ws(path, { ws: options }, handler)`. */
export const fastifyTarget: ConformanceTarget = {
  name: 'fastify',
  async start(options, routes, guards) {
    // A test that passes a logger sees Fastify's own lines too (pino, with the routes' serializers).
    const log = options.logger;
    const app = Fastify({
      logger: log
        ? { level: 'debug', stream: { write: (line: string) => log.info?.({}, line.trim()) } }
        : false,
    });
    await app.register(wsgate, options);
    if (guards) {
      // A global onRequest hook on the raw URL, as an app guarding a path prefix often writes it.
      app.addHook('onRequest', async (request, reply) => {
        if (needsToken(request.url.split('?')[0]!, guards) && request.headers['x-token'] !== guards.token)
          return reply.code(401).send();
      });
    }
    for (const r of routes) app.ws(r.path, r.options ? { ws: r.options } : {}, r.handler);
    app.get('/', async () => 'plain http');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}`,
      server: app.server,
      gate: app.wsgate,
      async close() {
        await app.close();
      },
    };
  },
};
