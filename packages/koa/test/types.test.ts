import Router from '@koa/router';
import {
  type ContextWs,
  type KoaGate,
  type RouteParams,
  type Session,
  type WsApp,
  wsgate,
} from '@wsgate/koa';
import Koa, { type Middleware, type ParameterizedContext } from 'koa';
import { describe, expect, expectTypeOf, it } from 'vitest';

interface User {
  name: string;
}

describe('types', () => {
  it('ctx.ws is augmented onto every Koa context: a function or undefined', () => {
    const mw: Middleware = async (ctx) => {
      expectTypeOf(ctx.ws).toEqualTypeOf<ContextWs | undefined>();
      if (!ctx.ws) return;
      expectTypeOf(await ctx.ws()).toEqualTypeOf<Session<unknown>>();
      expectTypeOf(await ctx.ws<User>({ maxPayload: 1024 })).toEqualTypeOf<Session<User>>();
      // @ts-expect-error route options are checked
      await ctx.ws({ maxPayload: 'big' });
    };
    const router = new Router();
    router.get('/r/:id', async (ctx) => {
      expectTypeOf(ctx.ws).toEqualTypeOf<ContextWs | undefined>();
      const session = await ctx.ws!<User>();
      expectTypeOf(session.user).toEqualTypeOf<User | undefined>();
    });
    expectTypeOf(mw).toBeFunction();
  });

  it('wsgate returns the gate typed with the user; gate.ws and gate.app.ws type the handler', () => {
    const app = new Koa<{ requestId: string }>();
    const gate = wsgate<User, { requestId: string }>(app, { maxPayload: 1 << 16 });
    expectTypeOf(gate).toEqualTypeOf<KoaGate<User, { requestId: string }>>();
    expectTypeOf(gate.app).toEqualTypeOf<WsApp<{ requestId: string }>>();
    gate.ws('/a', (session, ctx) => {
      expectTypeOf(session).toEqualTypeOf<Session<User, RouteParams<'/a'>>>();
      expectTypeOf(ctx.state.requestId).toEqualTypeOf<string>();
    });
    gate.ws(
      '/b',
      { protocols: ['v1'] },
      async (_ctx, next) => next(),
      (session) => {
        expectTypeOf(session.user).toEqualTypeOf<User | undefined>();
      },
    );
    gate.app.ws('/c', (session: Session<User>, ctx: ParameterizedContext<{ requestId: string }>) => {
      expectTypeOf(session.user).toEqualTypeOf<User | undefined>();
      expectTypeOf(ctx.state.requestId).toBeString();
    });
    expectTypeOf(gate.app.ws('/d', () => {})).toEqualTypeOf<WsApp<{ requestId: string }>>();
    // @ts-expect-error a handler is required
    expect(() => gate.ws('/e')).toThrow(TypeError);
    // @ts-expect-error options are checked
    expect(() => gate.ws('/f', { maxPayload: 'big' }, () => {})).toThrow(/maxPayload/);
    expectTypeOf(gate.publish).toBeFunction();
  });
});
