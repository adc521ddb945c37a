import type { IncomingMessage } from 'node:http';

/** A refusal decided from the request alone: status, reason and extra headers. */
export interface Refusal {
  status: number;
  reason: string;
  headers?: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const KEY = /^[+/0-9A-Za-z]{22}==$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * Step 2 of the pipeline: is this a valid WebSocket upgrade (RFC 6455 section 4.2.1)? The rules match
 * ws's own, so nothing ws would refuse gets past here.
 */
export function checkUpgradeRequest(req: IncomingMessage): Refusal | null {
  if (req.method !== 'GET')
    return { status: 405, reason: 'WebSocket upgrades must use GET', headers: { Allow: 'GET' } };
  if (!header(req, 'host')) return { status: 400, reason: 'Missing Host header' };
  const upgrade = header(req, 'upgrade');
  // The exact spellings browsers and ws send are checked first: no string copies for them.
  if (upgrade === undefined || (upgrade !== 'websocket' && upgrade.trim().toLowerCase() !== 'websocket')) {
    return { status: 400, reason: 'Invalid Upgrade header: expected "websocket"' };
  }
  const connection = header(req, 'connection') ?? '';
  if (connection !== 'Upgrade' && !connection.split(',').some((t) => t.trim().toLowerCase() === 'upgrade')) {
    return { status: 400, reason: 'Invalid Connection header: expected "Upgrade"' };
  }
  const key = header(req, 'sec-websocket-key');
  if (key === undefined || !KEY.test(key))
    return { status: 400, reason: 'Missing or invalid Sec-WebSocket-Key header' };
  const version = header(req, 'sec-websocket-version');
  if (version !== '13' && version !== '8') {
    return {
      status: 426,
      reason: 'Unsupported WebSocket version; use 13',
      headers: { 'Sec-WebSocket-Version': '13' },
    };
  }
  const protocols = header(req, 'sec-websocket-protocol');
  if (protocols !== undefined && parseProtocols(protocols) === null) {
    return { status: 400, reason: 'Invalid Sec-WebSocket-Protocol header' };
  }
  const extensions = header(req, 'sec-websocket-extensions');
  if (extensions !== undefined && !validExtensions(extensions)) {
    return { status: 400, reason: 'Invalid Sec-WebSocket-Extensions header' };
  }
  return null;
}

/**
 * Parses `Sec-WebSocket-Protocol`: a comma-separated list of unique tokens. Returns null when malformed
 * (the CVE-2021-32640 shapes included: empty members, stray whitespace runs, duplicates).
 */
export function parseProtocols(value: string | undefined): string[] | null {
  if (value === undefined) return [];
  if (value.length > 4096) return null;
  const out: string[] = [];
  for (const part of value.split(',')) {
    const token = part.trim();
    if (!TOKEN.test(token) || out.includes(token)) return null;
    out.push(token);
  }
  return out;
}

/** Syntax of `Sec-WebSocket-Extensions` (RFC 6455 section 9.1): `ext *(";" param)` separated by commas. */
function validExtensions(value: string): boolean {
  if (value.length > 4096) return false;
  const param = /^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*=\s*("[^"\\]*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+))?\s*$/;
  return value.split(',').every((ext) => {
    const [name = '', ...params] = ext.split(';');
    return TOKEN.test(name.trim()) && params.every((p) => param.test(p));
  });
}
