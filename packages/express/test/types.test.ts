import type { Session } from '@wsgate/core';
import express, { type Request, type RequestHandler } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { type ExpressGate, type ExpressUser, wsgate } from '../src/index.ts';

describe('types', () => {
  it('app.ws and router.ws: params typed from the path, req is an Express request, session user', () => {
    const app = express();
    const gate = wsgate(app);
    expectTypeOf(gate).toEqualTypeOf<ExpressGate<ExpressUser>>();
    const auth: RequestHandler = (_req, _res, next) => next();
    expectTypeOf(
      app.ws('/rooms/:room', auth, (session, req) => {
        expectTypeOf(session).toEqualTypeOf<Session<ExpressUser, { room: string }>>();
        expectTypeOf(req.params.room).toBeString();
        expectTypeOf(req.ws).toEqualTypeOf<boolean | undefined>();
      }),
    ).toEqualTypeOf(app);
    const router = express.Router();
    expectTypeOf(
      router.ws('/feed/:id', { maxPayload: 1024 }, (session, req) => {
        expectTypeOf(req.params.id).toBeString();
        expectTypeOf(session.params).toEqualTypeOf<{ id: string }>();
      }),
    ).toEqualTypeOf(router);
    // Compiled, never called: these would throw at runtime.
    const _typeErrors = () => {
      // @ts-expect-error: route options are checked
      router.ws('/bad', { maxPayload: 'big' }, () => {});
      // @ts-expect-error: the last argument must be a WebSocket handler
      app.ws('/none');
    };
  });

  it('gate.upgrade is an Express handler; the gate user type flows from authenticate', () => {
    const app = express();
    const gate = wsgate(app, { authenticate: () => ({ id: 1, name: 'ada' }) });
    expectTypeOf(gate).toEqualTypeOf<ExpressGate<{ id: number; name: string }>>();
    const handler = gate.upgrade((session, req) => {
      expectTypeOf(session.user).toEqualTypeOf<{ id: number; name: string } | undefined>();
      expectTypeOf(req).toMatchTypeOf<Request>();
    });
    expectTypeOf(handler).toMatchTypeOf<RequestHandler>();
    app.get('/x', handler);
    app.get(
      '/typed/:room',
      gate.upgrade<{ room: string }>((_session, req) => {
        expectTypeOf(req.params.room).toBeString();
      }),
    );
  });

  it('async handlers are fine; req.ws is on every Express request', () => {
    const app = express();
    wsgate(app);
    app.ws('/a', async (session) => {
      await Promise.resolve();
      session.send('x');
    });
    app.use((req, _res, next) => {
      expectTypeOf(req.ws).toEqualTypeOf<boolean | undefined>();
      next();
    });
  });
});
