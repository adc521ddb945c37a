import { describe, expect, it } from 'vitest';
import { ChunkedDecoder, MAX_HEAD, readHead } from '../src/http2/response-head.ts';

describe('HTTP/1.1 response heads written to an HTTP/2 stream', () => {
  it('reads status and headers, keeps repeated headers, and returns the bytes after the head', () => {
    const raw = Buffer.from(
      'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n' +
        'Content-Length: 5\r\n\r\nhello',
    );
    const read = readHead(raw)!;
    expect(read.head).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer', 'set-cookie': ['a=1', 'b=2'], 'content-length': '5' },
      chunked: false,
    });
    expect(String(read.rest)).toBe('hello');
  });

  it('waits for the rest of a split head, and refuses one that is not a response or too large', () => {
    expect(
      readHead(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n')),
    ).toBeUndefined();
    expect(() => readHead(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow(SyntaxError);
    expect(() => readHead(Buffer.alloc(MAX_HEAD + 1, 0x61))).toThrow(RangeError);
  });

  it('decodes a chunked body fed one byte at a time, extensions included, and stops at the last chunk', () => {
    const encoded = Buffer.from('5;ext=1\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n');
    const decoder = new ChunkedDecoder();
    const out: Buffer[] = [];
    for (const byte of encoded) out.push(...decoder.push(Buffer.from([byte])));
    expect(Buffer.concat(out).toString()).toBe('hello world!');
    expect(decoder.done).toBe(true);
    const whole = new ChunkedDecoder();
    expect(Buffer.concat(whole.push(encoded)).toString()).toBe('hello world!');
    expect(() => new ChunkedDecoder().push(Buffer.from('zz\r\n'))).toThrow(SyntaxError);
  });
});
