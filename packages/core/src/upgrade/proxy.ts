import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Which proxies to trust, in the forms Express and Fastify accept: `true` (every hop), `false` (none), a hop
 * count, a comma-separated string or list of addresses/CIDRs (with the keywords `loopback`, `linklocal`,
 * `uniquelocal`), or a function `(address, hopIndex) => boolean`.
 */
export type TrustProxy =
  | boolean
  | number
  | string
  | readonly string[]
  | ((address: string, hop: number) => boolean);

/** A compiled trust predicate. */
export type TrustFn = (address: string, hop: number) => boolean;

const KEYWORDS: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** Compiles a `trustProxy` option; throws a TypeError naming the option on a bad value. */
export function compileTrust(value: TrustProxy | undefined): TrustFn {
  if (value === undefined || value === false) return () => false;
  if (value === true) return () => true;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0)
      throw new TypeError('wsgate: trustProxy hop count must be an integer >= 0');
    return (_addr, hop) => hop < value;
  }
  if (typeof value === 'function') return value;
  const entries = (typeof value === 'string' ? value.split(',') : [...value])
    .map((s) => s.trim())
    .filter(Boolean);
  const list = new BlockList();
  for (const entry of entries.flatMap((e) => KEYWORDS[e] ?? [e])) {
    const [addr = '', bits] = entry.split('/');
    const family = isIP(addr);
    if (!family)
      throw new TypeError(`wsgate: trustProxy entry '${entry}' is not an IP address, CIDR or keyword`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return (addr) => {
    const family = isIP(addr);
    if (!family) return false;
    if (family === 6 && list.check(addr, 'ipv6')) return true;
    const v4 = family === 4 ? addr : mappedV4(addr);
    return v4 !== null && list.check(v4, 'ipv4');
  };
}

/** `::ffff:1.2.3.4` -> `1.2.3.4`; anything else unchanged. */
export function normalizeIp(address: string): string {
  // Only `::ffff:` addresses change; IPv4 peers (most) skip the regex.
  if (address.charCodeAt(0) !== 0x3a) return address;
  return mappedV4(address) ?? address;
}

function mappedV4(address: string): string | null {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : null;
}

/** What the request says about its client once proxies are taken into account. */
export interface ClientInfo {
  /** The client's address: the rightmost untrusted hop of `X-Forwarded-For`, else the socket's peer. */
  ip: string;
  /** `https`/`http` when known: a TLS socket, or a trusted `X-Forwarded-Proto`. */
  protocol: 'http' | 'https' | undefined;
  /** The host the client asked for: a trusted `X-Forwarded-Host`, else `Host`. */
  host: string | undefined;
}

/** Reads client address, scheme and host, honouring `X-Forwarded-*` only from trusted proxies. */
export function clientInfo(req: IncomingMessage, trust: TrustFn): ClientInfo {
  const peer = normalizeIp(req.socket?.remoteAddress ?? '');
  const encrypted = Boolean((req.socket as { encrypted?: boolean } | undefined)?.encrypted);
  let protocol: ClientInfo['protocol'] = encrypted ? 'https' : undefined;
  let host = header(req, 'host');
  if (!trust(peer, 0)) return { ip: peer, protocol, host };

  const forwarded = (header(req, 'x-forwarded-for') ?? '')
    .split(',')
    .map((s) => normalizeIp(s.trim()))
    .filter(Boolean);
  let ip = peer;
  for (let hop = 1, i = forwarded.length - 1; i >= 0; i--, hop++) {
    ip = forwarded[i]!;
    if (!trust(ip, hop)) break;
  }
  const proto = header(req, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (proto === 'https' || proto === 'wss') protocol = 'https';
  else if (proto === 'http' || proto === 'ws') protocol = 'http';
  const fwdHost = header(req, 'x-forwarded-host')?.split(',')[0]?.trim();
  if (fwdHost) host = fwdHost;
  return { ip, protocol, host };
}

/**
 * The key per-IP limits count under: the address itself for IPv4, its /64 for IPv6 (one subscriber
 * usually holds a whole /64, so counting single addresses would be no limit at all).
 */
export function ipKey(ip: string): string {
  if (!ip.includes(':') || isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
