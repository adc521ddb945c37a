import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzParams } from '../fuzz/runs.ts';
import { rawRequest } from '../support/raw.ts';
import type { ConformanceTarget, PathGuards, StartedTarget } from './target.ts';

const guards: PathGuards = { prefix: '/admin', exact: '/secret', token: 'let-me-in' };

/** Every WebSocket route of the app is behind one of the guards: any 101 without the token is a bypass. */
const guardedPaths = [['admin'], ['admin', 'feed'], ['admin', 'lobby'], ['secret']];
const routes = ['/admin', '/admin/feed', '/admin/:room', '/secret'].map((path) => ({
  path,
  handler: () => {},
}));

const hex = (c: string, upper: boolean) => {
  const h = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? h.toUpperCase() : h}`;
};

/** One segment respelled: some characters percent-encoded (either hex case), some in the other case. */
const respelled = (segment: string) =>
  fc
    .array(fc.constantFrom('keep', 'keep', 'keep', 'upper', 'lower', 'case'), {
      minLength: segment.length,
      maxLength: segment.length,
    })
    .map((how) =>
      [...segment]
        .map((c, i) => {
          const h = how[i];
          if (h === 'upper' || h === 'lower') return hex(c, h === 'upper');
          if (h === 'case') return c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
          return c;
        })
        .join(''),
    );

/** What may stand between two segments: a slash, repeated slashes, dot segments in any spelling, `%2F`, `\`. */
const separator = fc.oneof(
  { weight: 6, arbitrary: fc.constant('/') },
  fc.constantFrom(
    '//',
    '///',
    '/./',
    '/%2e/',
    '/%2E/',
    '/x/../',
    '/x/%2e%2e/',
    '/x/.%2E/',
    '/x/%2e./',
    '%2F',
    '%2f',
    '\\',
    '%5C',
    '/;/',
  ),
);
const lead = fc.oneof(
  { weight: 6, arbitrary: fc.constant('/') },
  fc.constantFrom('//', '/./', '/%2e/', '\\', '/x/../'),
);
const trail = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constant('/') },
  fc.constantFrom(
    '/',
    '//',
    '/.',
    '/%2e',
    '/x/..',
    '/..',
    '/%2e%2e',
    '/.%2E',
    ';',
    ';x=1',
    '%3B',
    '?a=1',
    '?/admin',
    '#f',
    '%3F',
    '%23',
    '%20',
    '%00',
    '.',
    '%2e',
  ),
);

type Shape = { absolute: boolean; path: string };

/** The shapes of the reported bypasses and their closest relatives, tried first on every run. */
const knownShapes = [
  '/%61dmin/feed',
  '/admin/feed/',
  '/secret/',
  '/secret//',
  '//admin',
  '/x/../admin',
  '/admin/..',
  '/admin/%2e%2e',
  '/admin/lobby\\..\\..',
  '/ADMIN',
  '/Secret',
].map((path): Shape => ({ absolute: false, path }));
knownShapes.push({ absolute: true, path: '/admin' }, { absolute: true, path: '/secret' });

/** A request target that a lenient reader could take for one of the guarded paths. */
const attack = fc
  .constantFrom(...guardedPaths)
  .chain((segments) =>
    fc.record({
      segments: fc.tuple(...segments.map(respelled)),
      separators: fc.array(separator, { minLength: segments.length - 1, maxLength: segments.length - 1 }),
      lead,
      trail,
      absolute: fc.boolean(),
    }),
  )
  .map(({ segments, separators, lead, trail, absolute }) => ({
    absolute,
    path: lead + segments.map((s, i) => (i === 0 ? s : separators[i - 1] + s)).join('') + trail,
  }));

/**
 * The path a WebSocket route matches is the path the app's own guards saw: a prefix guard and an exact
 * guard, written in each framework's idiom, hold against every spelling of a guarded path (percent
 * encoding of any character, either hex case, letter case, dot segments, repeated, encoded and trailing
 * slashes, backslashes, `;`, absolute-form). The answer is 401 from the guard or a 4xx for a path no route
 * has; never a 101 without the token.
 */
export function pathGuardSuite(target: ConformanceTarget): void {
  describe(`${target.name}: path guards`, () => {
    let t: StartedTarget;
    let host: string;
    beforeAll(async () => {
      t = await target.start(
        { limits: { connections: 1_000_000, connectionsPerIp: 1_000_000, pendingHandshakes: 1_000_000 } },
        routes,
        guards,
      );
      host = new URL(t.url).host;
    });
    afterAll(async () => {
      await t?.close();
    });

    it('the guards take every canonical guarded path: 401 without the token, 101 with it', async () => {
      for (const segments of guardedPaths) {
        const path = `/${segments.join('/')}`;
        expect((await rawRequest(t.url, { path })).status, path).toBe(401);
        const ok = await rawRequest(t.url, { path, headers: { 'x-token': guards.token } });
        expect(ok.status, path).toBe(101);
      }
    });

    it('other spellings of a path get 400 before any middleware; absolute-form reaches it in origin-form', async () => {
      const refused: Array<[string, RegExp]> = [
        ['/%61dmin/feed', /unreserved/],
        ['/admin/fe%65d', /unreserved/],
        ['/admin/..', /Dot segment/],
        ['/admin/%2e%2e', /Dot segment/],
        ['/x/../admin', /Dot segment/],
        ['/admin/./feed', /Dot segment/],
        ['//admin', /Empty segment/],
        ['/admin//feed', /Empty segment/],
        ['/secret//', /Empty segment/],
        ['/admin/lobby\\..', /Backslash/],
      ];
      for (const [path, reason] of refused) {
        // Under /admin, a guard that ran would have answered 401 first.
        const a = await rawRequest(t.url, { path });
        expect(a.status, path).toBe(400);
        expect(a.body, path).toMatch(reason);
        expect(a.closed).toBe(true);
      }
      for (const segments of guardedPaths) {
        const path = `http://${host}/${segments.join('/')}`;
        expect((await rawRequest(t.url, { path })).status, path).toBe(401);
        expect((await rawRequest(t.url, { path, headers: { 'x-token': guards.token } })).status, path).toBe(
          101,
        );
      }
    });

    it('no spelling of a guarded path gets a 101 without the token', async () => {
      await fc.assert(
        fc.asyncProperty(attack, async ({ absolute, path }) => {
          const a = await rawRequest(t.url, { path: absolute ? `http://${host}${path}` : path });
          expect(a.status, `${absolute ? 'absolute-form ' : ''}${path}`).not.toBe(101);
          expect(a.status >= 400 && a.status < 500, `${path}: ${a.statusLine}`).toBe(true);
        }),
        { ...fuzzParams(6), examples: knownShapes.map((shape): [Shape] => [shape]) },
      );
    });
  });
}
