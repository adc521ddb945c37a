import { RouteTable, splitUrl } from '@wsgate/core/adapter';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from './runs.ts';

/** A non-empty param value: any Unicode text (no lone surrogates: encodeURIComponent rejects them). */
const value = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });

/** Raw path segments an attacker would try, plus random noise (all valid request-target characters). */
const trickySegment = fc.oneof(
  fc.constantFrom(
    'admin',
    'Admin',
    '%61dmin',
    '%2561dmin',
    'public',
    '..',
    '.',
    '%2e%2e',
    '%2E.',
    '.%2e',
    '%2e',
    '..%2f',
    '..%2F..',
    '%2fadmin',
    '%2Fadmin',
    'admin%2f',
    'x%2F..%2Fadmin',
    '%5c..%5cadmin',
    '%00',
    'admin%00',
    ';admin',
    'admin;',
    '',
  ),
  fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@%-]{1,8}$/),
);

/**
 * Properties of core's route matcher (`RouteTable`, `splitUrl`): params round-trip through
 * encodeURIComponent, and neither an encoding nor `..` reaches a route the raw path does not address.
 */
export function routerProperties(): void {
  describe('route matcher properties', () => {
    it('params round-trip through encodeURIComponent, query and fragment-like characters included', () => {
      const table = new RouteTable<string>();
      table.add('/rooms/:room/users/:id', 'user');
      table.add('/rooms/:room', 'room');
      fc.assert(
        fc.property(value, value, fc.string({ maxLength: 10 }), (room, id, q) => {
          const url = `/rooms/${encodeURIComponent(room)}/users/${encodeURIComponent(id)}?q=${encodeURIComponent(q)}`;
          const m = table.match(splitUrl(url).pathname);
          expect(m?.value).toBe('user');
          expect(m?.params).toEqual({ room, id });
          const one = table.match(splitUrl(`/rooms/${encodeURIComponent(room)}?x`).pathname);
          expect(one?.params).toEqual({ room });
          // A trailing slash is another path (as it is to middleware comparing the raw path).
          expect(table.match(`/rooms/${encodeURIComponent(room)}/`)).toBeNull();
        }),
        fuzzParams(),
      );
    });

    it('a wildcard gets the decoded rest; an optional param is present exactly when its segment is', () => {
      const table = new RouteTable<string>();
      table.add('/files/*', 'files');
      table.add('/docs/:name?', 'docs');
      fc.assert(
        fc.property(fc.array(value, { maxLength: 5 }), fc.option(value, { nil: undefined }), (segs, name) => {
          const files = table.match(`/files/${segs.map(encodeURIComponent).join('/')}`);
          expect(files?.value).toBe('files');
          expect(files?.params['*']).toBe(segs.join('/'));
          const docs = table.match(name === undefined ? '/docs' : `/docs/${encodeURIComponent(name)}`);
          expect(docs?.value).toBe('docs');
          expect(docs?.params).toEqual(name === undefined ? {} : { name });
        }),
        fuzzParams(),
      );
    });

    it('a fixed segment matches only its raw spelling: no route through encodings, %2F, dot segments', () => {
      const table = new RouteTable<string>();
      table.add('/admin', 'admin');
      table.add('/admin/:x', 'admin-x');
      table.add('/public/:file', 'public-file');
      table.add('/public/:dir/:file', 'public-dir-file');
      fc.assert(
        fc.property(fc.array(trickySegment, { minLength: 1, maxLength: 4 }), (segs) => {
          const path = `/${segs.join('/')}`;
          let m: ReturnType<typeof table.match>;
          try {
            m = table.match(path);
          } catch (err) {
            // A malformed escape is a URIError the pipeline answers with 400, never anything else.
            expect(err).toBeInstanceOf(URIError);
            return;
          }
          // What middleware sees as segments: raw, split on '/'.
          const raw = path.split('/').slice(1);
          if (!m) return;
          switch (m.value) {
            case 'admin':
              expect(raw.length === 1 && raw[0] === 'admin', path).toBe(true);
              break;
            case 'admin-x':
              expect(raw.length === 2 && raw[0] === 'admin', path).toBe(true);
              expect(m.params).toEqual({ x: decodeURIComponent(raw[1]!) });
              break;
            case 'public-file':
              expect(raw.length === 2 && raw[0] === 'public', path).toBe(true);
              expect(m.params).toEqual({ file: decodeURIComponent(raw[1]!) });
              break;
            case 'public-dir-file':
              expect(raw.length === 3 && raw[0] === 'public', path).toBe(true);
              expect(m.params).toEqual({
                dir: decodeURIComponent(raw[1]!),
                file: decodeURIComponent(raw[2]!),
              });
              break;
          }
          // A param is never empty: '/public/' does not match '/public/:file' with file ''.
          for (const v of Object.values(m.params)) expect(v).not.toBe('');
        }),
        fuzzParams(),
      );
    });

    it('absolute-form request targets match exactly like their origin-form path (no dot-segment resolution)', () => {
      const table = new RouteTable<string>();
      table.add('/admin', 'admin');
      table.add('/public/:file', 'public-file');
      table.add('/rooms/:room', 'room');
      const attempt = (url: string) => {
        try {
          return table.match(splitUrl(url).pathname);
        } catch (err) {
          return err instanceof URIError ? 'URIError' : err;
        }
      };
      fc.assert(
        fc.property(
          fc.array(trickySegment, { minLength: 1, maxLength: 4 }),
          fc.constantFrom('http://example.com', 'https://a.b:8443', 'http://[::1]:80', 'ws://h'),
          (segs, base) => {
            const path = `/${segs.join('/')}`;
            expect(attempt(`${base}${path}`), `${base}${path}`).toEqual(attempt(path));
          },
        ),
        fuzzParams(),
      );
    });
  });
}
