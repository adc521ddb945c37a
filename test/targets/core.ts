import { createServer, type IncomingMessage } from 'node:http';
import { createGate, type GateOptions } from '@wsgate/core';
import type { ConformanceTarget, PathGuards } from '../conformance/target.ts';
import { listening } from '../support/listening.ts';

/** Core alone on a plain http.Server. */
export const coreTarget: ConformanceTarget = {
  name: 'core',
  async start(options, routes, guards) {
    const gate = createGate(guards ? guarded(options, guards) : options);
    for (const r of routes) gate.route(r.path, r.options ?? {}, r.handler);
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('plain http');
    });
    gate.attach(server);
    server.listen(0, '127.0.0.1');
    return { ...(await listening(server, gate)), gate };
  },
};

/** Core's idiom for a path guard: `authenticate` reads the path as Node's docs show, with WHATWG URL. */
function guarded(options: GateOptions<any>, { prefix, exact, token }: PathGuards): GateOptions<any> {
  return {
    ...options,
    authenticate: (req: IncomingMessage) => {
      const { pathname } = new URL(req.url ?? '/', 'http://localhost');
      const needsToken = pathname === prefix || pathname.startsWith(`${prefix}/`) || pathname === exact;
      if (needsToken && req.headers['x-token'] !== token) return undefined;
      return { path: pathname };
    },
  };
}
