import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { wsgate } from '../src/index.ts';
import { listen } from './helpers.ts';

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

/** Each of Fastify's router options that widens what a route matches, with a spelling it admits. */
const options = [
  { routerOptions: { ignoreTrailingSlash: true }, spelling: '/admin/feed/' },
  { routerOptions: { caseSensitive: false }, spelling: '/ADMIN/Feed' },
  { routerOptions: { useSemicolonDelimiter: true }, spelling: '/admin/feed;v=1' },
  // Fastify would fold `//`; wsgate refuses an empty segment before the hooks.
  { routerOptions: { ignoreDuplicateSlashes: true }, spelling: '/admin//feed', refused: true },
];

describe('Fastify router options and guards', () => {
  it.each(options)(
    '$routerOptions: a hook in a prefixed plugin guards every spelling the router admits',
    async ({ routerOptions, spelling, refused }) => {
      app = Fastify({ routerOptions });
      await app.register(wsgate);
      await app.register(
        async (admin) => {
          admin.addHook('onRequest', async (request, reply) => {
            if (request.headers['x-token'] !== 'ok') return reply.code(401).send();
          });
          admin.ws('/feed', () => {});
        },
        { prefix: '/admin' },
      );
      const { url } = await listen(app);
      for (const path of ['/admin/feed', spelling]) {
        const status = refused && path === spelling ? 400 : 401;
        expect((await rawRequest(url, { path })).status, path).toBe(status);
        const withToken = await rawRequest(url, { path, headers: { 'x-token': 'ok' } });
        expect(withToken.status, path).toBe(refused && path === spelling ? 400 : 101);
      }
    },
  );
});
