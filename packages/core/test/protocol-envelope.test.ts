import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  EnvelopeError,
  encodeError,
  encodePub,
  encodeReply,
  encodeSub,
  encodeUnsub,
  MAX_HELLO_TOPICS,
} from '../src/protocol/index.ts';

describe('wsgate.v1 envelopes', () => {
  it('encodes topic frames with and without a position, as docs/protocol.md shows them', () => {
    expect(JSON.parse(encodePub('room:lobby', 'hi', { e: 'Kx7q', o: 43 }))).toEqual({
      t: 'pub',
      topic: 'room:lobby',
      e: 'Kx7q',
      o: 43,
      d: 'hi',
    });
    expect(JSON.parse(encodePub('ticker', Buffer.from([0, 1, 2])))).toEqual({
      t: 'pub',
      topic: 'ticker',
      d: 'AAEC',
      b: 1,
    });
    expect(JSON.parse(encodeSub('a"b', { e: 'Z', o: 57 }, false))).toEqual({
      t: 'sub',
      topic: 'a"b',
      e: 'Z',
      o: 57,
      resumed: false,
    });
    expect(JSON.parse(encodeSub('t'))).toEqual({ t: 'sub', topic: 't' });
    expect(JSON.parse(encodeUnsub('t'))).toEqual({ t: 'unsub', topic: 't' });
    expect(JSON.parse(encodeError('invalid', 'why'))).toEqual({
      t: 'error',
      code: 'invalid',
      message: 'why',
    });
    expect(JSON.parse(encodeReply(3, null))).toEqual({ t: 'res', id: 3, d: null });
    expect(() => encodeReply(3, () => {})).toThrow(TypeError);
  });

  it('ignores unknown members and keeps at most MAX_HELLO_TOPICS positions', () => {
    expect(decodeFrame('{"t":"msg","d":"x","extra":[1]}')).toEqual({ t: 'msg', d: 'x' });
    const topics: Record<string, { e: string; o: number }> = {};
    for (let i = 0; i < MAX_HELLO_TOPICS + 5; i++) topics[`t${i}`] = { e: 'E', o: i };
    const hello = decodeFrame(JSON.stringify({ t: 'hello', topics }));
    expect(hello.t === 'hello' && hello.topics.size).toBe(MAX_HELLO_TOPICS);
  });

  it.each([
    ['{"t":"hello","topics":[]}'],
    ['{"t":"hello","topics":{"a":{"e":"E","o":-1}}}'],
    ['{"t":"hello","topics":{"a":{"e":"E","o":1.5}}}'],
    [`{"t":"hello","topics":{"a":{"e":"${'x'.repeat(65)}","o":1}}}`],
    ['{"t":"req","id":0,"d":1}'],
    ['{"t":"req","id":1}'],
    ['{"t":"res","id":1,"error":{"message":"no code"}}'],
    ['{"t":"msg","d":5,"b":1}'],
    ['{"t":"ping","id":{}}'],
    ['{"t":5}'],
  ])('refuses %s with 1007', (text) => {
    const err = (() => {
      try {
        decodeFrame(text);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EnvelopeError);
    expect((err as EnvelopeError).code).toBe(1007);
  });
});
