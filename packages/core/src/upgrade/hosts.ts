import { isIP } from 'node:net';
import { splitHostPort } from './origin.js';

/**
 * Which `Host` headers are answered, against DNS rebinding: a list of host names (`'example.com'`,
 * `'.example.com'` for it and its subdomains), `'any'`, or a function. Left undefined, wsgate is strict
 * only when the server is bound to a loopback address: then only `localhost`, `*.localhost` and loopback
 * IPs are accepted, since no legitimate client reaches a loopback-bound server under a foreign name.
 */
export type AllowedHosts = 'any' | readonly string[] | ((host: string) => boolean);

/** Validates the `allowedHosts` option eagerly. */
export function checkAllowedHosts(value: unknown): void {
  if (value === undefined || value === 'any' || typeof value === 'function') return;
  if (Array.isArray(value) && value.every((h) => typeof h === 'string' && h.length > 0)) return;
  throw new TypeError("wsgate: allowedHosts must be 'any', a string[] of host names or a function");
}

/**
 * One gate's memo of the last Host header the loopback default accepted: on a loopback-bound server every
 * client sends the same one, and the answer depends on nothing else. Per gate, never module state.
 */
export interface HostMemo {
  lastLoopbackHost?: string | undefined;
}

/** Returns null when the host is allowed, else the refusal reason. */
export function checkHost(
  allowed: AllowedHosts | undefined,
  hostHeader: string | undefined,
  loopbackBound: boolean,
  memo: HostMemo = {},
): string | null {
  if (allowed === 'any') return null;
  if (allowed === undefined) {
    if (!loopbackBound) return null;
    if (hostHeader !== undefined && hostHeader === memo.lastLoopbackHost) return null;
  }
  const parsed = hostHeader ? splitHostPort(hostHeader) : null;
  if (!parsed) return 'Missing or malformed Host header';
  const host = parsed.host.replace(/^\[|\]$/g, '');
  let ok: boolean;
  if (allowed === undefined) {
    ok = isLoopbackName(host);
    if (ok) memo.lastLoopbackHost = hostHeader;
  } else if (typeof allowed === 'function') ok = allowed(host) === true;
  else
    ok = allowed.some((a) =>
      a.startsWith('.') ? host === a.slice(1) || host.endsWith(a) : host === a.toLowerCase(),
    );
  return ok ? null : `Host ${host.slice(0, 100)} is not allowed; set the allowedHosts option to allow it`;
}

function isLoopbackName(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || /^::ffff:127\./.test(host);
}

/** Whether an address is loopback, for deciding the `allowedHosts` default. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || /^::ffff:127\./.test(address);
}
