/** Route params decoded from the path, e.g. `{ room: 'lobby' }` for `/rooms/:room`. */
export type Params = Record<string, string>;

/** A compiled path pattern. */
export interface RoutePattern {
  readonly path: string;
  /** Returns the decoded params, or null when the path does not match. Throws URIError on a bad `%` escape. */
  match(segments: readonly string[]): Params | null;
  /** Higher is more specific; static segments beat params, params beat a wildcard. */
  readonly rank: number;
}

type Part = { kind: 'static'; value: string } | { kind: 'param'; name: string; optional: boolean };

/**
 * Compiles `'/rooms/:room'`, `'/files/:name?'`, `'/assets/*'` or `'/assets/*rest'`. A wildcard matches the
 * rest of the path (possibly empty) and is available as `params['*']` or under its name. Fixed segments
 * are compared with the raw request path, exactly as the app's middleware sees it (as Express's and
 * `@koa/router`'s matchers do): `/%61dmin` is not `/admin`, and a trailing slash is a different path.
 * Characters a request must percent-encode (`'/café'`) are encoded in the pattern. Params are decoded, so
 * a param or wildcard can contain `/` or `..` (from `%2F`, `%2e%2e`): never use one as a file path
 * without checking it.
 */
export function compilePattern(path: string): RoutePattern {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TypeError(`wsgate: route path must be a string starting with '/', got ${JSON.stringify(path)}`);
  }
  const raw = splitPath(path);
  const parts: Part[] = [];
  let wildcard: string | null = null;
  let rank = 0;
  // A repeated name would silently keep only one of the values.
  const names = new Set<string>();
  const claim = (name: string): void => {
    if (names.has(name)) throw new TypeError(`wsgate: param name '${name}' appears twice in route ${path}`);
    names.add(name);
  };
  raw.forEach((seg, i) => {
    if (seg.startsWith('*')) {
      if (i !== raw.length - 1) throw new TypeError(`wsgate: '*' must be the last segment of route ${path}`);
      wildcard = seg.slice(1) || '*';
      claim(wildcard);
      return;
    }
    if (seg.startsWith(':')) {
      const optional = seg.endsWith('?');
      const name = seg.slice(1, optional ? -1 : undefined);
      if (!/^[A-Za-z_$][\w$]*$/.test(name))
        throw new TypeError(`wsgate: bad param name '${seg}' in route ${path}`);
      if (optional && i !== raw.length - 1)
        throw new TypeError(`wsgate: only the last param may be optional (${path})`);
      claim(name);
      parts.push({ kind: 'param', name, optional });
      rank += 2;
      return;
    }
    if (seg === '' && i !== raw.length - 1) throw new TypeError(`wsgate: empty segment in route ${path}`);
    if (seg === '.' || seg === '..') throw new TypeError(`wsgate: dot segment in route ${path}`);
    parts.push({ kind: 'static', value: wireForm(seg, path) });
    rank += 3;
  });
  const rest: string | null = wildcard;
  return {
    path,
    rank: rank * 100 + (rest === null ? 50 : 0) + parts.length,
    match(segments) {
      const params: Params = {};
      let i = 0;
      for (const part of parts) {
        const seg = segments[i];
        if (seg === undefined) {
          if (part.kind === 'param' && part.optional) break;
          return null;
        }
        if (part.kind === 'static') {
          if (seg !== part.value) return null;
        } else {
          const value = decode(seg);
          if (value === '') return null;
          params[part.name] = value;
        }
        i++;
      }
      if (rest !== null) {
        params[rest] = segments.slice(i).map(decode).join('/');
        return params;
      }
      return i === segments.length ? params : null;
    },
  };
}

/**
 * Splits a request target's path into raw (still encoded) segments, ignoring the query. Matching per raw
 * segment means `%2F` can never create a segment and `..` is never resolved: a request for
 * `/rooms/../admin` does not reach the `/admin` route. A trailing slash is kept as a last empty segment
 * (`/a/` is `['a', '']`), so `/admin/` is not `/admin`, as for a `ctx.path === '/admin'` check.
 */
export function splitPath(pathname: string): string[] {
  const segments = pathname.split('/');
  segments.shift();
  if (segments.length === 1 && segments[0] === '') segments.pop(); // `/` itself
  return segments;
}

/** The path and query of a request target, accepting origin-form and absolute-form. */
export function splitUrl(url: string): { pathname: string; search: string } {
  let target = url || '/';
  if (!target.startsWith('/')) {
    // absolute-form (`GET http://host/path`), which proxies may send. The path is kept as written: the URL
    // parser would resolve `..` and `%2e%2e` (and turn `\` into `/`), which origin-form never does, so
    // `GET http://h/public/../admin` could reach a route `GET /public/../admin` cannot.
    const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
    if (!authority || !URL.canParse(target)) throw new URIError(`malformed request target`);
    const rest = target.slice(authority[0].length).split('#')[0]!;
    target = rest.startsWith('/') ? rest : `/${rest}`;
  }
  const q = target.indexOf('?');
  return q === -1
    ? { pathname: target, search: '' }
    : { pathname: target.slice(0, q), search: target.slice(q + 1) };
}

/** A path with its param names left out: two paths of one shape match the same requests. */
function shapeOf(path: string): string {
  return splitPath(path)
    .map((seg) => (seg.startsWith('*') ? '*' : seg.startsWith(':') ? (seg.endsWith('?') ? ':?' : ':') : seg))
    .join('/');
}

/** Characters a path segment may carry unencoded (RFC 3986 `pchar`, with `%` for escapes already written). */
const PCHAR = /[^A-Za-z0-9\-._~!$&'()*+,;=:@%]|%(?![0-9A-Fa-f]{2})/gu;

/** A route's fixed segment as a request spells it: characters a request must encode, percent-encoded. */
function wireForm(segment: string, path: string): string {
  if (/\p{Cs}/u.test(segment)) throw new TypeError(`wsgate: route ${path} has a lone surrogate`);
  return segment.replace(PCHAR, (c) => encodeURIComponent(c));
}

/** `%XX` escapes of unreserved characters (ALPHA, DIGIT, `-`, `.`, `_`, `~`), which RFC 3986 says to decode. */
const ENCODED_UNRESERVED = /%(?:3[0-9]|4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|2[DE]|5F|7E)/i;
/** A `.` or `..` segment in any spelling (`%2e`, `.%2E`, ...). */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?=\/|$)/i;

/** Anything canonicalTarget looks at; a target without any of it is canonical as it stands. */
const SUSPECT = /[%\\#]|\/\/|\/\./;

/**
 * The request target as every reader of it agrees, or a URIError naming what is wrong (the gate answers
 * 400 before any middleware runs). Readers disagree on a path: Express, Koa (`ctx.path`) and koa-mount
 * compare it raw; Fastify's router decodes fixed segments (`/%61dmin` is `/admin` to it) and can fold
 * `//`; WHATWG URL resolves `.`, `..`, `%2e` and reads `\` as `/` and a leading `//` as a host. So the
 * spellings on which they differ are refused: percent-encoded unreserved characters, dot segments, empty
 * segments (a trailing slash excepted), a backslash and a fragment. An absolute-form target
 * (`GET http://host/path`) is returned in origin-form, so middleware that reads `req.url` sees the path.
 */
export function canonicalTarget(url: string): string {
  if (url.charCodeAt(0) === 0x2f && !SUSPECT.test(url)) return url; // nearly every request
  if (url.includes('#')) throw new URIError('Fragment in request target');
  let pathname: string;
  try {
    pathname = splitUrl(url).pathname;
  } catch {
    throw new URIError('Malformed URL');
  }
  if (pathname.includes('\\')) throw new URIError('Backslash in path');
  if (DOT_SEGMENT.test(pathname)) throw new URIError('Dot segment in path');
  if (ENCODED_UNRESERVED.test(pathname)) throw new URIError('Percent-encoded unreserved character in path');
  if (pathname.includes('//')) throw new URIError('Empty segment in path');
  if (pathname.includes('%')) {
    try {
      decodeURIComponent(pathname);
    } catch {
      throw new URIError('Malformed URL');
    }
  }
  if (url.startsWith('/')) return url;
  const q = url.indexOf('?');
  return q === -1 ? pathname : pathname + url.slice(q);
}

function decode(segment: string): string {
  return segment.includes('%') ? decodeURIComponent(segment) : segment;
}

/**
 * The paths declared on one router (a gate, an Express router, a Koa app): a path declared again, or one
 * that matches exactly the same requests (only its param names differ), is a TypeError, since the second
 * route could never be reached. Paths are compared as written, not compiled, so any framework's path
 * syntax can be claimed.
 */
export class RoutePaths {
  /** The first path declared of each shape. */
  readonly #byShape = new Map<string, string>();

  /** Claims `path` for a new route; throws a TypeError naming it when the router already has it. */
  claim(path: string): void {
    const shape = shapeOf(path);
    const taken = this.#byShape.get(shape);
    if (taken !== undefined) {
      const same = taken === path ? '' : ` as ${taken}`;
      throw new TypeError(`wsgate: route ${path} is already registered${same}`);
    }
    this.#byShape.set(shape, path);
  }
}

/** An ordered table of routes; the most specific match wins, then the first registered. */
export class RouteTable<T> {
  readonly #routes: Array<{ pattern: RoutePattern; value: T; order: number }> = [];
  readonly #paths = new RoutePaths();

  get size(): number {
    return this.#routes.length;
  }

  /**
   * Adds a route. A path already in the table, or one that matches exactly the same requests (only its
   * param names differ), is a TypeError: the second route could never be reached.
   */
  add(path: string, value: T): void {
    const pattern = compilePattern(path);
    this.#paths.claim(path);
    this.#routes.push({ pattern, value, order: this.#routes.length });
    this.#routes.sort((a, b) => b.pattern.rank - a.pattern.rank || a.order - b.order);
  }

  /** Throws URIError on a malformed `%` escape (the caller answers 400). */
  match(pathname: string): { value: T; params: Params; path: string } | null {
    const segments = splitPath(pathname);
    for (const route of this.#routes) {
      const params = route.pattern.match(segments);
      if (params) return { value: route.value, params, path: route.pattern.path };
    }
    return null;
  }

  values(): T[] {
    return this.#routes.map((r) => r.value);
  }
}
