import type { IncomingMessage } from 'node:http';
import type { ClientInfo } from './proxy.js';

/**
 * Which page origins may open a socket: `'same-origin'` (the Origin's host and port equal the Host the
 * client asked for), `'*'` (any), a list of exact origins (`'https://app.example.com'`), a RegExp tested
 * against the whole Origin, or a function.
 */
export type OriginPolicy =
  | 'same-origin'
  | '*'
  | readonly string[]
  | RegExp
  | ((origin: string, req: IncomingMessage) => boolean);

/** Validates an `origins` option eagerly. */
export function checkOriginPolicy(policy: unknown, name = 'origins'): void {
  if (policy === 'same-origin' || policy === '*' || policy instanceof RegExp || typeof policy === 'function')
    return;
  if (Array.isArray(policy) && policy.every((o) => typeof o === 'string')) {
    for (const o of policy)
      if (parseOrigin(o) === null)
        throw new TypeError(`wsgate: ${name} entry '${o}' is not an origin like 'https://app.example.com'`);
    return;
  }
  throw new TypeError(
    `wsgate: ${name} must be 'same-origin', '*', a string[] of origins, a RegExp or a function`,
  );
}

interface ParsedOrigin {
  scheme: 'http' | 'https';
  host: string;
  port: string;
}

/** Parses `scheme://host[:port]` strictly: no path, no userinfo, only http(s)/ws(s). */
export function parseOrigin(origin: string): ParsedOrigin | null {
  const m = /^(https?|wss?):\/\/([^/?#@\s]+)$/i.exec(origin);
  if (!m) return null;
  const scheme = m[1]!.toLowerCase().startsWith('https') || m[1]!.toLowerCase() === 'wss' ? 'https' : 'http';
  const hp = splitHostPort(m[2]!);
  if (!hp) return null;
  return { scheme, host: hp.host, port: hp.port ?? (scheme === 'https' ? '443' : '80') };
}

/** Splits `host[:port]` / `[v6][:port]`, lower-casing the host. */
export function splitHostPort(value: string): { host: string; port: string | undefined } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return null;
  return { host: m[1]!.toLowerCase().replace(/\.$/, ''), port: m[2] };
}

/**
 * Decides an Origin. Returns null when allowed, or the refusal reason (which names the option to change).
 */
export function checkOrigin(
  policy: OriginPolicy,
  requireOrigin: boolean,
  req: IncomingMessage,
  client: ClientInfo,
): string | null {
  const raw = req.headers.origin ?? req.headers['sec-websocket-origin'];
  const origin = Array.isArray(raw) ? raw[0] : raw;
  if (origin === undefined) {
    return requireOrigin
      ? 'Origin header required; set requireOrigin: false to allow non-browser clients'
      : null;
  }
  if (policy === '*') return null;
  const allowed = (() => {
    if (typeof policy === 'function') return policy(origin, req) === true;
    if (policy instanceof RegExp) {
      policy.lastIndex = 0;
      return policy.test(origin);
    }
    const parsed = parseOrigin(origin);
    if (!parsed) return false; // 'null', opaque or malformed origins never match
    if (policy === 'same-origin') return sameOrigin(parsed, client);
    return policy.some((entry) => {
      const p = parseOrigin(entry);
      return p !== null && p.scheme === parsed.scheme && p.host === parsed.host && p.port === parsed.port;
    });
  })();
  return allowed ? null : `Origin ${truncate(origin)} is not allowed; set the origins option to allow it`;
}

function sameOrigin(origin: ParsedOrigin, client: ClientInfo): boolean {
  if (!client.host) return false;
  const host = splitHostPort(client.host);
  if (!host) return false;
  // The scheme is compared only when we know it (TLS socket or trusted X-Forwarded-Proto).
  if (client.protocol !== undefined && client.protocol !== origin.scheme) return false;
  const scheme = client.protocol ?? origin.scheme;
  const port = host.port ?? (scheme === 'https' ? '443' : '80');
  return host.host === origin.host && port === origin.port;
}

function truncate(s: string): string {
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}
