import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkHost } from '../src/upgrade/hosts.js';
import { checkOrigin, checkOriginPolicy, parseOrigin } from '../src/upgrade/origin.js';
import { clientInfo, compileTrust, ipKey, normalizeIp } from '../src/upgrade/proxy.js';

function req(
  headers: Record<string, string>,
  remoteAddress = '127.0.0.1',
  encrypted = false,
): IncomingMessage {
  return { headers, socket: { remoteAddress, encrypted } } as unknown as IncomingMessage;
}

describe('Origin policy', () => {
  const same = (
    origin: string,
    host: string,
    opts: { tls?: boolean; trust?: boolean; xfp?: string } = {},
  ) => {
    const headers: Record<string, string> = { origin, host };
    if (opts.xfp) headers['x-forwarded-proto'] = opts.xfp;
    const r = req(headers, '127.0.0.1', opts.tls);
    return checkOrigin('same-origin', false, r, clientInfo(r, compileTrust(opts.trust ?? false)));
  };

  it('same-origin compares host and port exactly, with default ports', () => {
    expect(same('http://app.example.com', 'app.example.com')).toBeNull();
    expect(same('https://app.example.com', 'app.example.com:443')).toBeNull();
    expect(same('http://app.example.com:8080', 'app.example.com:8080')).toBeNull();
    expect(same('http://app.example.com:8081', 'app.example.com:8080')).toMatch(/origins/);
    expect(same('http://APP.example.com', 'app.example.com')).toBeNull();
  });

  it('refuses look-alikes, null, userinfo and paths', () => {
    expect(same('https://app.example.com.evil.io', 'app.example.com')).not.toBeNull();
    expect(same('null', 'app.example.com')).not.toBeNull();
    expect(same('https://app.example.com@evil.io', 'app.example.com')).not.toBeNull();
    expect(same('https://evil.io/app.example.com', 'app.example.com')).not.toBeNull();
    expect(same('file://', 'app.example.com')).not.toBeNull();
  });

  it('compares the scheme only when it is known', () => {
    // Unknown scheme (plain socket, no trusted proxy): host and port decide.
    expect(same('https://app.example.com', 'app.example.com')).toBeNull();
    // TLS socket: an http:// page is another origin.
    expect(same('http://app.example.com', 'app.example.com', { tls: true })).not.toBeNull();
    expect(same('https://app.example.com', 'app.example.com', { tls: true })).toBeNull();
    // X-Forwarded-Proto counts only from a trusted proxy.
    expect(same('http://app.example.com', 'app.example.com', { xfp: 'https' })).toBeNull();
    expect(same('http://app.example.com', 'app.example.com', { xfp: 'https', trust: true })).not.toBeNull();
  });

  it('supports lists, RegExp, functions, * and requireOrigin', () => {
    const r = req({ origin: 'https://a.example', host: 'api.example' });
    const c = clientInfo(r, compileTrust(false));
    expect(checkOrigin(['https://a.example'], false, r, c)).toBeNull();
    expect(checkOrigin(['https://a.example:443'], false, r, c)).toBeNull();
    expect(checkOrigin(['http://a.example'], false, r, c)).not.toBeNull();
    expect(checkOrigin(/^https:\/\/[a-z]+\.example$/, false, r, c)).toBeNull();
    expect(checkOrigin((o) => o.endsWith('.example'), false, r, c)).toBeNull();
    expect(checkOrigin('*', false, r, c)).toBeNull();
    const none = req({ host: 'api.example' });
    expect(checkOrigin('same-origin', false, none, clientInfo(none, compileTrust(false)))).toBeNull();
    expect(checkOrigin('*', true, none, clientInfo(none, compileTrust(false)))).toMatch(/requireOrigin/);
  });

  it('validates the option eagerly', () => {
    expect(() => checkOriginPolicy(['not an origin'])).toThrow(TypeError);
    expect(() => checkOriginPolicy(42)).toThrow(/origins/);
    expect(parseOrigin('wss://x.example')).toEqual({ scheme: 'https', host: 'x.example', port: '443' });
  });
});

describe('Host allowlist', () => {
  it('is strict on a loopback bind by default and open elsewhere', () => {
    expect(checkHost(undefined, 'localhost:3000', true)).toBeNull();
    expect(checkHost(undefined, '127.0.0.1:3000', true)).toBeNull();
    expect(checkHost(undefined, '[::1]:3000', true)).toBeNull();
    expect(checkHost(undefined, 'app.localhost', true)).toBeNull();
    expect(checkHost(undefined, 'evil.example:3000', true)).toMatch(/allowedHosts/);
    expect(checkHost(undefined, 'evil.example', false)).toBeNull();
  });

  it('honours lists with subdomain entries, functions and any', () => {
    expect(checkHost(['.example.com'], 'a.example.com', false)).toBeNull();
    expect(checkHost(['.example.com'], 'example.com', false)).toBeNull();
    expect(checkHost(['.example.com'], 'example.com.evil', false)).not.toBeNull();
    expect(checkHost((h) => h === 'x', 'x:1', false)).toBeNull();
    expect(checkHost('any', 'whatever', true)).toBeNull();
    expect(checkHost(['a'], undefined, false)).toMatch(/Host/);
  });
});

describe('trustProxy and client IP', () => {
  const ip = (trust: Parameters<typeof compileTrust>[0], xff: string, peer = '10.0.0.1') =>
    clientInfo(req({ 'x-forwarded-for': xff, host: 'h' }, peer), compileTrust(trust)).ip;

  it('ignores X-Forwarded-For unless the peer is trusted', () => {
    expect(ip(false, '1.1.1.1')).toBe('10.0.0.1');
    expect(ip(['127.0.0.1'], '1.1.1.1')).toBe('10.0.0.1');
  });

  it('takes the rightmost untrusted hop', () => {
    expect(ip(true, '6.6.6.6, 1.1.1.1')).toBe('6.6.6.6');
    expect(ip(['10.0.0.0/8'], '6.6.6.6, 1.1.1.1, 10.0.0.2')).toBe('1.1.1.1');
    expect(ip('uniquelocal', '6.6.6.6, 1.1.1.1')).toBe('1.1.1.1');
    expect(ip(1, '6.6.6.6, 1.1.1.1')).toBe('1.1.1.1');
    expect(ip(2, '6.6.6.6, 1.1.1.1')).toBe('6.6.6.6');
    expect(ip((addr) => addr.startsWith('10.'), '6.6.6.6, 1.1.1.1')).toBe('1.1.1.1');
  });

  it('normalises ::ffff: and groups IPv6 by /64', () => {
    expect(normalizeIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(ipKey('2001:db8:1:2:aaaa::1')).toBe(ipKey('2001:db8:1:2:bbbb::2'));
    expect(ipKey('2001:db8:1:2::1')).not.toBe(ipKey('2001:db8:1:3::1'));
    expect(ipKey('10.0.0.1')).toBe('10.0.0.1');
    expect(compileTrust(['127.0.0.1'])('::ffff:127.0.0.1', 0)).toBe(true);
  });

  it('rejects bad entries eagerly', () => {
    expect(() => compileTrust(['not-an-ip'])).toThrow(/trustProxy/);
    expect(() => compileTrust(-1)).toThrow(/trustProxy/);
  });
});
