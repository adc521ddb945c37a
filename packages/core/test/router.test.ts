import { describe, expect, it } from 'vitest';
import { compilePattern, RouteTable, splitUrl } from '../src/router.js';

const seg = (p: string) =>
  p
    .split('/')
    .slice(1)
    .filter((s, i, a) => !(i === a.length - 1 && s === ''));

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
    expect(t.match('/rooms/lobby/')?.value).toBe('static');
  });

  it('never resolves .. or lets %2F create a segment', () => {
    const t = new RouteTable<string>();
    t.add('/admin', 'admin');
    t.add('/rooms/:room', 'room');
    expect(t.match('/rooms/../admin')).toBeNull();
    expect(t.match('/rooms/..%2Fadmin')?.params).toEqual({ room: '../admin' });
    expect(t.match('/%61dmin')?.value).toBe('admin');
  });

  it('splits origin-form and absolute-form targets', () => {
    expect(splitUrl('/a/b?x=1&y')).toEqual({ pathname: '/a/b', search: 'x=1&y' });
    expect(splitUrl('http://h:1/a?b')).toEqual({ pathname: '/a', search: 'b' });
    expect(() => splitUrl('nonsense')).toThrow(URIError);
  });
});
