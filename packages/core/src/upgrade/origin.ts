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
  if (allowed) return null;
  const refusal = `Origin ${truncate(origin)} is not allowed; set the origins option to allow it`;
  return policy === 'same-origin' ? refusal + loopbackHint(origin, client) : refusal;
}

/**
 * A page on `http://localhost:4101` that opens `ws://127.0.0.1:4101` (or the reverse) is one machine under
 * two names, and same-origin compares names: the commonest 403 in development, so the reason says what
 * to do.
 */
function loopbackHint(origin: string, client: ClientInfo): string {
  const page = parseOrigin(origin);
  const asked = client.host ? splitHostPort(client.host) : null;
  if (!page || !asked || page.host === asked.host) return '';
  if (!isLoopbackHost(page.host) || !isLoopbackHost(asked.host)) return '';
  const port = asked.port ?? (page.scheme === 'https' ? '443' : '80');
  if (port !== page.port) return '';
  const ws = page.scheme === 'https' ? 'wss' : 'ws';
  return ` (the page is on ${page.host} but the socket was opened to ${asked.host}: open ${ws}://${page.host}:${port} from the page, or add '${page.scheme}://${page.host}:${page.port}' to origins)`;
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h.startsWith('127.') || h === '::1';
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
