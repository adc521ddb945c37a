import { describe, expect, it } from 'vitest';
import { canonicalTarget, compilePattern, RouteTable, splitUrl } from '../src/routes/router.js';

const seg = (p: string) => p.split('/').slice(1);

describe('route patterns', () => {
  it('matches static paths and params, decoding each segment', () => {
    const p = compilePattern('/rooms/:room/users/:id');
    expect(p.match(seg('/rooms/lobby/users/42'))).toEqual({ room: 'lobby', id: '42' });
    expect(p.match(seg('/rooms/caf%C3%A9/users/a%2Fb'))).toEqual({ room: 'café', id: 'a/b' });
    expect(p.match(seg('/rooms/lobby'))).toBeNull();
    expect(p.match(seg('/rooms/lobby/users/42/x'))).toBeNull();
  });

  it('supports an optional last param and a wildcard', () => {
    expect(compilePattern('/files/:name?').match(seg('/files'))).toEqual({});
    expect(compilePattern('/files/:name?').match(seg('/files/a'))).toEqual({ name: 'a' });
    expect(compilePattern('/assets/*').match(seg('/assets/a/b%20c'))).toEqual({ '*': 'a/b c' });
    expect(compilePattern('/assets/*rest').match(seg('/assets'))).toEqual({ rest: '' });
  });

  it('rejects bad patterns eagerly', () => {
    expect(() => compilePattern('rooms')).toThrow(TypeError);
    expect(() => compilePattern('/a/*/b')).toThrow(/last segment/);
    expect(() => compilePattern('/a/:1x')).toThrow(/param name/);
    expect(() => compilePattern('/a/:id/b/:id')).toThrow(/'id' appears twice/);
    expect(() => compilePattern('/a/:rest/*rest')).toThrow(/'rest' appears twice/);
  });

  it('throws URIError on a malformed escape so the gate can answer 400', () => {
    const t = new RouteTable<string>();
    t.add('/rooms/:room', 'room');
    expect(() => t.match('/rooms/%E0%A4%A')).toThrow(URIError);
  });

  it('prefers the most specific route, then registration order', () => {
    const t = new RouteTable<string>();
    t.add('/*', 'catch-all');
    t.add('/rooms/:room', 'param');
    t.add('/rooms/lobby', 'static');
    expect(t.match('/rooms/lobby')?.value).toBe('static');
    expect(t.match('/rooms/other')?.value).toBe('param');
    expect(t.match('/elsewhere')?.value).toBe('catch-all');
    // A trailing slash is another path, as it is to a `ctx.path === '/rooms/lobby'` guard.
    expect(t.match('/rooms/lobby/')?.value).toBe('catch-all');
  });

  it('never resolves .. or lets %2F create a segment', () => {
    const t = new RouteTable<string>();
    t.add('/admin', 'admin');
    t.add('/rooms/:room', 'room');
    expect(t.match('/rooms/../admin')).toBeNull();
    expect(t.match('/rooms/..%2Fadmin')?.params).toEqual({ room: '../admin' });
  });

  it('compares fixed segments with the raw path, as middleware sees it; only params are decoded', () => {
    const t = new RouteTable<string>();
    t.add('/admin', 'admin');
    t.add('/café/:x', 'cafe');
    t.add('/', 'root');
    expect(t.match('/%61dmin')).toBeNull();
    expect(t.match('/admin/')).toBeNull();
    expect(t.match('/Admin')).toBeNull();
    expect(t.match('/')?.value).toBe('root');
    // A character a request must encode is encoded in the pattern, as clients send it.
    expect(t.match('/caf%C3%A9/%61')?.params).toEqual({ x: 'a' });
    expect(compilePattern('/a:b@c').match(seg('/a:b@c'))).toEqual({});
    expect(compilePattern('/a:b@c').match(seg('/a%3Ab%40c'))).toBeNull();
  });

  it('refuses routes no canonical request can reach', () => {
    expect(() => compilePattern('/a//b')).toThrow(/empty segment/);
    expect(() => compilePattern('/a/../b')).toThrow(/dot segment/);
    expect(() => compilePattern('/./b')).toThrow(/dot segment/);
    expect(() => compilePattern('/\ud83d')).toThrow(TypeError);
  });

  it('canonicalTarget refuses the spellings readers disagree on and turns absolute-form into origin-form', () => {
    for (const url of [
      '/rooms/a',
      '/rooms/a/',
      '/',
      '/a%2Fb?x=%61',
      '/caf%C3%A9',
      '/a;b=1',
      '/a%3B?q=..//',
    ]) {
      expect(canonicalTarget(url), url).toBe(url);
    }
    expect(canonicalTarget('http://h:1/a/b?c=1')).toBe('/a/b?c=1');
    expect(canonicalTarget('http://h')).toBe('/');
    expect(canonicalTarget('http://h?x')).toBe('/?x');
    const refused: Array<[string, RegExp]> = [
      ['/%61dmin', /unreserved/],
      ['/a%7Eb', /unreserved/],
      ['/a%2db', /unreserved/],
      ['/x/../admin', /Dot segment/],
      ['/admin/..', /Dot segment/],
      ['/./admin', /Dot segment/],
      ['/admin/%2e%2E', /Dot segment/],
      ['/a/.%2e/b', /Dot segment/],
      ['//admin', /Empty segment/],
      ['/admin//x', /Empty segment/],
      ['/admin//', /Empty segment/],
      ['/admin\\..', /Backslash/],
      ['/admin#x', /Fragment/],
      ['http://h/x/../admin', /Dot segment/],
      ['/a%zz', /Malformed URL/],
      ['nonsense', /Malformed URL/],
    ];
    for (const [url, reason] of refused) expect(() => canonicalTarget(url), url).toThrow(reason);
    // Dots that are not a whole segment are ordinary characters.
    expect(canonicalTarget('/a/.well-known/..b/...')).toBe('/a/.well-known/..b/...');
  });

  it('splits origin-form and absolute-form targets', () => {
    expect(splitUrl('/a/b?x=1&y')).toEqual({ pathname: '/a/b', search: 'x=1&y' });
    expect(splitUrl('http://h:1/a?b')).toEqual({ pathname: '/a', search: 'b' });
    expect(() => splitUrl('nonsense')).toThrow(URIError);
  });
});
