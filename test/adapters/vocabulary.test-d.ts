import type { GateOptions, Params, Session } from '@wsgate/core';
import {
  type ExpressGate,
  type ExpressGateOptions,
  type ExpressUser,
  type ExpressWsHandler,
  wsgate as expressGate,
} from '@wsgate/express';
import {
  type FastifyGate,
  type FastifyGateOptions,
  type FastifyUser,
  type FastifyWsHandler,
  wsgate as fastifyPlugin,
  type WsgateFastifyOptions,
  type WsHandler,
} from '@wsgate/fastify';
import {
  type KoaGate,
  type KoaGateOptions,
  type KoaWsHandler,
  wsgate as koaGate,
  type RouteParams,
} from '@wsgate/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa, { type ParameterizedContext } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';

// Type tests (vitest typecheck): compiled, never run. A failed `expectTypeOf` or an unused
// `@ts-expect-error` fails the run.

interface User {
  id: number;
}

describe('one vocabulary: <Framework>GateOptions, <Framework>WsHandler, a user type parameter', () => {
  it('gate options are core GateOptions with the user type; old names are aliases', () => {
    expectTypeOf<ExpressGateOptions<User>>().toEqualTypeOf<GateOptions<User>>();
    expectTypeOf<KoaGateOptions<User>>().toEqualTypeOf<GateOptions<User>>();
    expectTypeOf<FastifyGateOptions<User>>().toExtend<GateOptions<User>>();
    expectTypeOf<WsgateFastifyOptions<User>>().toEqualTypeOf<FastifyGateOptions<User>>();
    expectTypeOf<WsHandler>().toEqualTypeOf<FastifyWsHandler>();
  });

  it('each handler type takes the user and params types', () => {
    expectTypeOf<ExpressWsHandler<User, express.Request, { room: string }>>()
      .parameter(0)
      .toEqualTypeOf<Session<User, { room: string }>>();
    expectTypeOf<KoaWsHandler<User, ParameterizedContext, { room: string }>>()
      .parameter(0)
      .toEqualTypeOf<Session<User, { room: string }>>();
    type F = FastifyWsHandler<
      { Params: { room: string } },
      never,
      never,
      never,
      never,
      never,
      never,
      { room: string },
      User
    >;
    expectTypeOf<Parameters<F>[0]>().toEqualTypeOf<Session<User, { room: string }>>();
    // Defaults keep old code compiling: core Params, and each framework's default user.
    expectTypeOf<Parameters<ExpressWsHandler>[0]>().toEqualTypeOf<Session<ExpressUser, Params>>();
    expectTypeOf<Parameters<KoaWsHandler>[0]>().toEqualTypeOf<Session<unknown, Params>>();
    expectTypeOf<Parameters<FastifyWsHandler>[0]>().toEqualTypeOf<Session<FastifyUser, Params>>();
  });

  it('every gate is a class with a user type parameter', () => {
    expectTypeOf(expressGate<User>(express())).toEqualTypeOf<ExpressGate<User>>();
    expectTypeOf(koaGate<User>(new Koa())).toEqualTypeOf<KoaGate<User>>();
    expectTypeOf<FastifyGate<User>['sessions']>().toEqualTypeOf<ExpressGate<User>['sessions']>();
    expectTypeOf(Fastify().wsgate).toEqualTypeOf<FastifyGate<FastifyUser>>();
    expectTypeOf<FastifyUser>().toBeUnknown();
  });
});

describe('session.params typed from the path string in every adapter', () => {
  it('Express app.ws and router.ws (Express types req.params from the path; session.params is the same)', () => {
    const app = express();
    expressGate(app);
    app.ws('/rooms/:room', (session, req) => {
      expectTypeOf(session.params.room).toEqualTypeOf<string>();
      expectTypeOf(req.params.room).toEqualTypeOf<string>();
      // @ts-expect-error: '/rooms/:room' has no param 'nope'
      session.params.nope;
    });
    express.Router().ws('/feed/:id', { maxPayload: 1 }, (session) => {
      expectTypeOf(session.params).toEqualTypeOf<{ id: string }>();
    });
  });

  it('Express gate.upgrade: options first or last, params from the type argument', () => {
    const gate = expressGate<User>(express());
    gate.upgrade({ maxPayload: 1 }, (session) => {
      expectTypeOf(session.user).toEqualTypeOf<User | undefined>();
      expectTypeOf(session.params).toEqualTypeOf<Params>();
    });
    gate.upgrade((session) => expectTypeOf(session.user).toEqualTypeOf<User | undefined>(), {
      maxPayload: 1,
    });
    gate.upgrade<{ room: string }>((session) => {
      expectTypeOf(session.params.room).toEqualTypeOf<string>();
    });
    // @ts-expect-error: options are checked in either order
    gate.upgrade({ maxPayload: 'big' }, () => {});
  });

  it('Fastify app.ws, get(..., { websocket: true }) and route({ websocket: true })', () => {
    const app = Fastify();
    app.register(fastifyPlugin);
    app.ws('/rooms/:room', (session) => {
      expectTypeOf(session.params.room).toEqualTypeOf<string>();
      expectTypeOf(session.user).toEqualTypeOf<FastifyUser | undefined>();
      // @ts-expect-error: '/rooms/:room' has no param 'nope'
      session.params.nope;
    });
    app.ws('/files/:name?', { ws: { maxPayload: 1 } }, (session) => {
      expectTypeOf(session.params.name).toEqualTypeOf<string | undefined>();
    });
    app.get('/assets/*', { websocket: true }, (session) => {
      expectTypeOf(session.params['*']).toEqualTypeOf<string>();
    });
    app.route({
      method: 'GET',
      url: '/users/:id',
      websocket: true,
      handler: (session) => {
        expectTypeOf(session.params.id).toEqualTypeOf<string>();
      },
    });
  });

  it('Koa app.ws, gate.ws and gate.route', () => {
    const gate = koaGate<User>(new Koa());
    gate.app.ws('/rooms/:room', (session, ctx) => {
      expectTypeOf(session.params.room).toEqualTypeOf<string>();
      expectTypeOf(ctx).toExtend<ParameterizedContext>();
      // @ts-expect-error: '/rooms/:room' has no param 'nope'
      session.params.nope;
    });
    gate.ws('/orgs/:org/*rest', { maxPayload: 1 }, (session) => {
      expectTypeOf(session.params).toEqualTypeOf<{ org: string; rest: string }>();
      expectTypeOf(session.user).toEqualTypeOf<User | undefined>();
    });
    gate.route('/files/:name?', (session) => {
      expectTypeOf(session.params).toEqualTypeOf<RouteParams<'/files/:name?'>>();
    });
  });

  it('a non-literal path gives Record<string, string> everywhere', () => {
    const path: string = '/anything';
    koaGate(new Koa()).app.ws(path, (session) => {
      expectTypeOf(session.params).toEqualTypeOf<Record<string, string>>();
    });
    Fastify().ws(path, (session) => {
      expectTypeOf(session.params).toEqualTypeOf<Record<string, string>>();
    });
    express().ws(path, (session) => {
      expectTypeOf(session.params).toEqualTypeOf<Record<string, string>>();
    });
  });
});
