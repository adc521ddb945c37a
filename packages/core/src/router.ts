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
 * rest of the path (possibly empty) and is available as `params['*']` or under its name. Params are
 * decoded, so a param or wildcard can contain `/` or `..` (from `%2F`, `%2e%2e`): never use one as a
 * file path without checking it.
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
    parts.push({ kind: 'static', value: seg });
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
          if (decode(seg) !== part.value) return null;
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
 * Splits a request target's path into raw (still encoded) segments, ignoring the query and a trailing
 * slash. Matching per raw segment means `%2F` can never create a segment and `..` is never resolved: a
 * request for `/rooms/../admin` does not reach the `/admin` route.
 */
export function splitPath(pathname: string): string[] {
  const segments = pathname.split('/');
  segments.shift();
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
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

function decode(segment: string): string {
  return segment.includes('%') ? decodeURIComponent(segment) : segment;
}

/** An ordered table of routes; the most specific match wins, then the first registered. */
export class RouteTable<T> {
  readonly #routes: Array<{ pattern: RoutePattern; value: T; order: number }> = [];

  get size(): number {
    return this.#routes.length;
  }

  /**
   * Adds a route. A path already in the table, or one that matches exactly the same requests (only its
   * param names differ), is a TypeError: the second route could never be reached.
   */
  add(path: string, value: T): void {
    const pattern = compilePattern(path);
    const shape = shapeOf(path);
    const taken = this.#routes.find((r) => shapeOf(r.pattern.path) === shape);
    if (taken) {
      const same = taken.pattern.path === path ? '' : ` as ${taken.pattern.path}`;
      throw new TypeError(`wsgate: route ${path} is already registered${same}`);
    }
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
