import { createServer, type Server } from 'node:http';
import Router from '@koa/router';
import { wsgate } from '@wsgate/koa';
import type Koa from 'koa';
import type { ConformanceTarget } from '../conformance/target.ts';
import { listening } from '../support/listening.ts';
import { needsToken } from './guards.ts';

/** How the target mounts the suite's routes. */
export type KoaStyle = 'app.ws' | 'router';

/**
 * `@wsgate/koa` on a Koa app (the constructor is passed in, so Koa 2 and 3 run the same suite).
 * `'app.ws'`: every route is `app.ws(path, options, handler)` on `app.listen()`. `'router'`: every route is
 * an `@koa/router` GET route that calls `await ctx.ws(options)`, on a custom server with `gate.attach`.
 */
export function koaTarget(name: string, KoaClass: typeof Koa, style: KoaStyle): ConformanceTarget {
  return {
    name,
    async start(options, routes, guards) {
      const app = new KoaClass();
      app.silent = true;
      const gate = wsgate(app, options);
      if (guards && style === 'app.ws') {
        // Koa's idiom: a koa-mount style prefix check and an exact check, both on ctx.path.
        app.use(async (ctx, next) => {
          if (needsToken(ctx.path, guards) && ctx.get('x-token') !== guards.token) ctx.throw(401);
          await next();
        });
      }
      let server: Server;
      if (style === 'app.ws') {
        for (const r of routes) {
          gate.ws(r.path, r.options ?? {}, async (session, ctx) => {
            await r.handler(session, ctx);
          });
        }
        app.use(async (ctx, next) => {
          await next();
          if (!ctx.ws && ctx.path === '/') ctx.body = 'plain http';
        });
        server = app.listen(0, '127.0.0.1');
      } else {
        const router = new Router();
        if (guards) {
          // @koa/router matches case-insensitively and ignores a trailing slash by default, so guards for
          // its routes go through it too (a ctx.path check would miss `/ADMIN` and `/secret/`).
          const auth = async (ctx: Koa.Context, next: Koa.Next) => {
            if (ctx.get('x-token') !== guards.token) ctx.throw(401);
            await next();
          };
          router.use(guards.prefix, auth);
          router.all(guards.exact, auth);
        }
        for (const r of routes) {
          // ctx.ws options are registered up front so route-level Origin policies are known before the chain.
          if (r.options) gate.settings(r.options);
          router.get(r.path, async (ctx) => {
            if (!ctx.ws) return;
            const session = await ctx.ws(r.options);
            await r.handler(session, ctx);
          });
        }
        router.get('/', (ctx) => {
          ctx.body = 'plain http';
        });
        app.use(router.routes());
        server = createServer(app.callback());
        gate.attach(server);
        server.listen(0, '127.0.0.1');
      }
      return { ...(await listening(server, gate)), gate };
    },
  };
}
