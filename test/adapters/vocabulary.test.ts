import * as core from '@wsgate/core';
import * as wsExpress from '@wsgate/express';
import * as wsFastify from '@wsgate/fastify';
import * as wsKoa from '@wsgate/koa';
import express5 from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import { type Listening, listening } from '../support/listening.ts';
import { rawRequest } from '../support/raw.ts';

// One vocabulary across the adapters: the same mistakes get the same errors, and the same faults reach the
// same `onError`, whatever the framework.

const expresses = [
  ['express 5', express5],
  ['express 4', express4 as unknown as typeof express5],
] as const;
const koas = [
  ['koa 3', Koa],
  ['koa 2', Koa2],
] as const;

/** Declares one WebSocket path twice through one API; resolves with what the second declaration threw. */
type DeclareTwice = (path: string) => Promise<unknown>;

const noop = (): void => {};
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const declarers: Array<[string, DeclareTwice]> = [
  [
    'core gate.route',
    (path) => {
      const gate = core.createGate();
      gate.route(path, noop);
      return thrown(() => gate.route(path, { maxPayload: 1024 }, noop));
    },
  ],
  ...expresses.flatMap(
    ([name, express]): Array<[string, DeclareTwice]> => [
      [
        `${name} app.ws`,
        (path) => {
          const app = express();
          wsExpress.wsgate(app);
          app.ws(path, noop);
          return thrown(() => app.ws(path, { maxPayload: 1024 }, noop));
        },
      ],
      [
        `${name} router.ws`,
        (path) => {
          const app = express();
          wsExpress.wsgate(app);
          const router = express.Router();
          router.ws(path, noop);
          return thrown(() => router.ws(path, noop));
        },
      ],
    ],
  ),
  [
    'fastify app.ws',
    async (path) => {
      const app = Fastify();
      await app.register(wsFastify.wsgate);
      try {
        app.ws(path, noop);
        return await thrown(() => app.ws(path, { ws: { maxPayload: 1024 } }, noop));
      } finally {
        await app.close();
      }
    },
  ],
  [
    'fastify route({ websocket: true })',
    async (path) => {
      const app = Fastify();
      await app.register(wsFastify.wsgate);
      try {
        app.route({ method: 'GET', url: path, websocket: true, handler: noop });
        return await thrown(() => app.route({ method: 'GET', url: path, websocket: true, handler: noop }));
      } finally {
        await app.close();
      }
    },
  ],
  ...koas.flatMap(
    ([name, KoaClass]): Array<[string, DeclareTwice]> => [
      [
        `${name} app.ws`,
        (path) => {
          const gate = wsKoa.wsgate(new KoaClass());
          gate.app.ws(path, noop);
          return thrown(() => gate.app.ws(path, { maxPayload: 1024 }, noop));
        },
      ],
      [
        `${name} gate.route`,
        (path) => {
          const gate = wsKoa.wsgate(new KoaClass());
          gate.ws(path, noop);
          return thrown(() => gate.route(path, noop));
        },
      ],
    ],
  ),
];

describe('a second WebSocket route with the same path', () => {
  it.each(declarers)('%s: is a TypeError naming the path', async (_name, declareTwice) => {
    const err = await declareTwice('/rooms/:room');
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toContain('/rooms/:room');
  });

  it('core: a path that differs only in param names is the same route; other shapes are not', () => {
    const gate = core.createGate();
    gate.route('/rooms/:room', noop).route('/rooms/:room/*', noop).route('/rooms', noop);
    expect(() => gate.route('/rooms/:id', noop)).toThrow(
      new TypeError('wsgate: route /rooms/:id is already registered as /rooms/:room'),
    );
  });
});

/** A started app whose middleware throws `fault` on upgrades to `/fail`, and whose gate reports to `seen`. */
type StartFailing = (fault: Error, seen: Array<{ err: unknown; phase: string }>) => Promise<Listening>;

const failing: Array<[string, StartFailing]> = [
  ...expresses.map(([name, express]): [string, StartFailing] => [
    name,
    async (fault, seen) => {
      const app = express();
      const gate = wsExpress.wsgate(app, { onError: (err, ctx) => seen.push({ err, phase: ctx.phase }) });
      app.use((req, _res, next) => next(req.ws ? fault : undefined));
      app.ws('/fail', noop);
      const server = app.listen(0, '127.0.0.1');
      return listening(server, gate);
    },
  ]),
  [
    'fastify',
    async (fault, seen) => {
      const app = Fastify();
      await app.register(wsFastify.wsgate, { onError: (err, ctx) => seen.push({ err, phase: ctx.phase }) });
      app.addHook('onRequest', async (request) => {
        if (request.ws) throw fault;
      });
      app.ws('/fail', noop);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { ...(await listening(app.server, app.wsgate)), close: () => app.close() };
    },
  ],
  ...koas.map(([name, KoaClass]): [string, StartFailing] => [
    name,
    async (fault, seen) => {
      const app = new KoaClass();
      app.silent = true;
      const gate = wsKoa.wsgate(app, { onError: (err, ctx) => seen.push({ err, phase: ctx.phase }) });
      app.use(async (ctx, next) => {
        if (ctx.ws) throw fault;
        await next();
      });
      gate.app.ws('/fail', noop);
      return listening(app.listen(0, '127.0.0.1'), gate);
    },
  ]),
];

describe('an error thrown by app middleware during an upgrade', () => {
  it.each(failing)(
    '%s: the framework answers 500 and onError hears it (phase framework); a 401 is an answer, not reported',
    async (_name, start) => {
      const seen: Array<{ err: unknown; phase: string }> = [];
      const fault = new Error('db down');
      const t = await start(fault, seen);
      try {
        expect((await rawRequest(`${t.url}/fail`)).status).toBe(500);
        expect(seen).toHaveLength(1);
        expect(seen[0]?.err).toBe(fault);
        expect(seen[0]?.phase).toBe('framework');
      } finally {
        await t.close();
      }
      const quiet: typeof seen = [];
      const u = await start(Object.assign(new Error('who are you'), { status: 401 }), quiet);
      try {
        expect((await rawRequest(`${u.url}/fail`)).status).toBe(401);
        expect(quiet).toEqual([]);
      } finally {
        await u.close();
      }
    },
  );
});

describe('exports', () => {
  type CoreValues = Pick<
    typeof core,
    'CloseCode' | 'HttpError' | 'InjectRejectedError' | 'Session' | 'UpgradeAbortedError' | 'memoryBroker'
  >;
  const values = (m: CoreValues) => [
    m.CloseCode,
    m.HttpError,
    m.InjectRejectedError,
    m.Session,
    m.UpgradeAbortedError,
    m.memoryBroker,
  ];

  it.each([
    ['@wsgate/express', wsExpress],
    ['@wsgate/fastify', wsFastify],
    ['@wsgate/koa', wsKoa],
  ] as const)('%s re-exports the same core values, the very same objects', (_name, mod) => {
    const mine = values(mod);
    for (const [i, value] of values(core).entries()) expect(mine[i]).toBe(value);
  });

  it('each adapter exports its gate class and wsgate()', () => {
    expect(typeof wsExpress.ExpressGate).toBe('function');
    expect(typeof wsFastify.FastifyGate).toBe('function');
    expect(typeof wsKoa.KoaGate).toBe('function');
    for (const mod of [wsExpress, wsFastify, wsKoa]) expect(typeof mod.wsgate).toBe('function');
  });
});
