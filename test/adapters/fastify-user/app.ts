// Compiled on its own (tsconfig.json here) by fastify-user.test.ts: the declaration merging below would
// change `FastifyUser` for every other file of the main program.
import type { Session } from '@wsgate/core';
import { type FastifyGate, wsgate } from '@wsgate/fastify';
import Fastify from 'fastify';

declare module '@wsgate/fastify' {
  interface FastifyGateTypes {
    user: { id: string; name: string };
  }
}

type User = { id: string; name: string };

export async function typed(): Promise<void> {
  const app = Fastify();
  await app.register(wsgate, { authenticate: () => ({ id: '1', name: 'ada' }) });
  const gate: FastifyGate<User> = app.wsgate;
  app.ws('/rooms/:room', (session) => {
    const typedSession: Session<User, { room: string }> = session;
    const name: string | undefined = session.user?.name;
    // @ts-expect-error: the declared user has no `email`
    session.user?.email;
    return [typedSession, name, gate];
  });
  // @ts-expect-error: authenticate must return the declared user
  await app.register(wsgate, { authenticate: () => ({ id: 1 }) });
}
