import type { Gate, RouteParams, Session } from '@wsgate/core';
import Fastify, { type FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import type { WebSocket } from 'ws';
import { type FastifyGate, type WsHandler, wsgate } from '../src/index.ts';

// Type tests: tsc checks them (`pnpm typecheck`); at runtime they only declare routes on an app never started.
describe('types by declaration merging', () => {
  it('decorators, handlers and route generics', async () => {
    const app = Fastify();
    await app.register(wsgate, { maxPayload: 1024 });
    expectTypeOf(app.wsgate).toEqualTypeOf<FastifyGate<unknown>>();
    expectTypeOf(app.wsgate).toExtend<Gate<unknown>>();
    expectTypeOf(app.injectWS).returns.toEqualTypeOf<Promise<WebSocket>>();

    app.ws<{ Params: { room: string }; Querystring: { since?: number } }>(
      '/rooms/:room',
      { ws: { maxPayload: 64 }, schema: {} },
      (session, request) => {
        expectTypeOf(session).toEqualTypeOf<Session<unknown>>();
        expectTypeOf(request.params.room).toEqualTypeOf<string>();
        expectTypeOf(request.query.since).toEqualTypeOf<number | undefined>();
        expectTypeOf(request.ws).toEqualTypeOf<boolean>();
      },
    );
    app.ws('/plain', (session, request) => {
      expectTypeOf(session.send).toBeFunction();
      expectTypeOf(request).toMatchTypeOf<FastifyRequest>();
    });
    app.route<{ Querystring: { token: string } }>({
      method: 'GET',
      url: '/chat',
      handler: async (request) => {
        expectTypeOf(request.query.token).toEqualTypeOf<string>();
        return 'page';
      },
      wsHandler: (session, request) => {
        expectTypeOf(session).toEqualTypeOf<Session<unknown>>();
        expectTypeOf(request.query.token).toEqualTypeOf<string>();
      },
    });
    app.get<{ Params: { id: string } }>('/legacy/:id', { websocket: true }, (session, request) => {
      expectTypeOf(session).toEqualTypeOf<Session<unknown>>();
      expectTypeOf(request.params.id).toEqualTypeOf<string>();
    });
    app.route({
      method: 'GET',
      url: '/legacy-route',
      websocket: true,
      handler: (session) => {
        expectTypeOf(session).toEqualTypeOf<Session<unknown, RouteParams<'/legacy-route'>>>();
      },
    });
    expectTypeOf<WsHandler>().parameter(0).toEqualTypeOf<Session<unknown>>();
    // Never called: these lines only have to fail to compile.
    const wrongUses = () => {
      // @ts-expect-error a WebSocket handler is a function
      app.ws('/bad', 42);
      // @ts-expect-error ws options are wsgate's route options
      app.ws('/bad', { ws: { maxPayload: 'big' } }, () => {});
      // @ts-expect-error plugin options are wsgate's gate options
      app.register(wsgate, { heartbeat: 'often' });
    };
    expectTypeOf(wrongUses).toBeFunction();
    await app.close();
  });
});
