import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Listens on 127.0.0.1:0 and returns the http and ws base URLs. */
export async function listen(app: FastifyInstance): Promise<{ url: string; wsUrl: string }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
}
