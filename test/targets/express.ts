import type { Server } from 'node:http';
import { wsgate } from '@wsgate/express';
import type { RequestHandler } from 'express';
import express5 from 'express';
import express4 from 'express4';
import type { ConformanceTarget, PathGuards } from '../conformance/target.ts';
import { listening } from '../support/listening.ts';

type ExpressFactory = typeof express5;

/**
 * An Express app (4 or 5) started with `app.listen()`: each route is `app.ws(path, options, handler)`
 * behind an app-level middleware, and plain HTTP gets its own route.
 */
export function expressTarget(name: string, express: ExpressFactory): ConformanceTarget {
  return {
    name,
    async start(options, routes, guards) {
      const app = express();
      const gate = wsgate(app, options);
      app.use((_req, _res, next) => next());
      if (guards) {
        // Express's idiom: guards go through Express's own matcher, as the app.ws routes do.
        const auth = tokenGuard(guards);
        app.use(guards.prefix, auth);
        app.all(guards.exact, auth);
      }
      for (const r of routes) app.ws(r.path, r.options ?? {}, r.handler);
      app.get('/', (_req, res) => {
        res.type('text/plain').send('plain http');
      });
      const server: Server = await new Promise((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      return { ...(await listening(server, gate)), gate };
    },
  };
}

/** Express 5 (the `express` package). */
export const express5Target = expressTarget('express 5', express5);
/** Express 4 (the `express4` npm alias). */
export const express4Target = expressTarget('express 4', express4 as unknown as ExpressFactory);

function tokenGuard({ token }: PathGuards): RequestHandler {
  return (req, res, next) => {
    if (req.get('x-token') === token) next();
    else res.status(401).end();
  };
}
