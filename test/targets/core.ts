import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';
import type { ConformanceTarget } from '../conformance/target.ts';
import { listening } from '../support/listening.ts';

/** Core alone on a plain http.Server. */
export const coreTarget: ConformanceTarget = {
  name: 'core',
  async start(options, routes) {
    const gate = createGate(options);
    for (const r of routes) gate.route(r.path, r.options ?? {}, r.handler);
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('plain http');
    });
    gate.attach(server);
    server.listen(0, '127.0.0.1');
    return { ...(await listening(server, gate)), gate };
  },
};
