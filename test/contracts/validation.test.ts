import { createGate, type StandardSchemaV1 } from '@wsgate/core';
import { wsTest } from '@wsgate/core/testing';
import { type } from 'arktype';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';

/** A Standard Schema whose validation takes `delay(value)` ms: later messages may finish first. */
function slowSchema(delay: (n: number) => number): StandardSchemaV1<{ n: number }> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) =>
        new Promise((resolve) => {
          const n = (value as { n: number }).n;
          setTimeout(
            () => resolve(n < 0 ? { issues: [{ message: 'negative', path: ['n'] }] } : { value: { n } }),
            delay(n),
          );
        }),
    },
  };
}

describe('message contracts', () => {
  it('valibot: the handler receives the schema output (transforms applied), by listener and by for-await', async () => {
    const Msg = v.object({ text: v.pipe(v.string(), v.trim(), v.toUpperCase()) });
    const gate = createGate({ heartbeat: false });
    gate.route('/on', { message: Msg }, (s) => {
      s.on('message', (m) => s.sendJson({ got: m.text }));
    });
    gate.route('/loop', { message: Msg }, async (s) => {
      for await (const m of s) s.sendJson({ got: m.text });
    });
    try {
      await wsTest(gate, '/on').sendJson({ text: '  hi ' }).expectJson({ got: 'HI' });
      await wsTest(gate, '/loop')
        .sendJson({ text: 'a' })
        .sendJson({ text: 'b' })
        .expectJson({ got: 'A' })
        .expectJson({ got: 'B' });
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('arktype: a refused value closes 1007 naming the first issue; 3 kinds of bad input each closed once', async () => {
    const Msg = type({ room: 'string', n: 'number' });
    const gate = createGate({ heartbeat: false });
    gate.route('/ark', { message: Msg }, (s) => {
      s.on('message', (m) => s.sendJson(m));
    });
    try {
      await wsTest(gate, '/ark').sendJson({ room: 'a', n: 1 }).expectJson({ room: 'a', n: 1 });
      await wsTest(gate, '/ark')
        .sendJson({ room: 'a', n: 'x' })
        .expectClosed(1007, /^invalid message: n: /);
      await wsTest(gate, '/ark').sendText('nope').expectClosed(1007, 'message is not valid JSON');
      await wsTest(gate, '/ark').sendBinary(Buffer.from('{}')).expectClosed(1003);
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('a close reason longer than 123 bytes is cut at a character boundary', async () => {
    const long = 'é'.repeat(200);
    const gate = createGate({ heartbeat: false });
    gate.route('/long', { message: z.object({ a: z.string().refine(() => false, long) }) }, () => {});
    try {
      await wsTest(gate, '/long')
        .sendJson({ a: 'x' })
        .expectClosed(1007, (reason: string) => {
          expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
          expect(reason).toMatch(/^invalid message: a: é+…$/);
        });
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('async validators never reorder: each message waits for the one before it, refusals included', async () => {
    // The first message validates slowest, the last fastest: unordered, they would arrive reversed.
    const gate = createGate({ heartbeat: false });
    const seen: number[] = [];
    gate.route(
      '/slow',
      { message: slowSchema((n) => Math.max(0, 30 - Math.abs(n) * 5)), onInvalid: 'reply' },
      (s) => {
        s.on('message', (m) => {
          seen.push(m.n);
          s.sendJson(m.n);
        });
      },
    );
    try {
      await wsTest(gate, '/slow')
        .sendJson({ n: 0 })
        .sendJson({ n: -1 })
        .sendJson({ n: 2 })
        .sendJson({ n: 3 })
        .expectJson(0)
        .expectJson({
          type: 'error',
          code: 'invalid_message',
          issues: [{ message: 'negative', path: ['n'] }],
        })
        .expectJson(2)
        .expectJson(3);
      expect(seen).toEqual([0, 2, 3]);
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('onInvalid as a function decides; the message is dropped and the session stays', async () => {
    const gate = createGate({ heartbeat: false });
    gate.route(
      '/fn',
      {
        message: z.object({ n: z.number() }),
        onInvalid: ({ issues, data }, session) =>
          session.sendJson({ refused: data, first: issues[0]?.message }),
      },
      (s) => s.on('message', (m) => s.sendJson({ ok: m.n })),
    );
    try {
      await wsTest(gate, '/fn')
        .sendJson({ n: 'x' } as never)
        .expectJson((m) => expect(m).toMatchObject({ refused: { n: 'x' } }))
        .sendJson({ n: 1 })
        .expectJson({ ok: 1 });
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('a validator that throws is our bug: 1011 and onError, not a crash', async () => {
    const errors: unknown[] = [];
    const gate = createGate({ heartbeat: false, onError: (err) => errors.push(err) });
    const boom: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('validator bug');
        },
      },
    };
    gate.route('/boom', { message: boom }, () => {});
    try {
      await wsTest(gate, '/boom').sendJson({}).expectClosed(1011);
      expect(errors).toHaveLength(1);
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('a send schema: send() takes values and sends JSON; outside production a refused value is a TypeError', async () => {
    const Out = z.object({ kind: z.enum(['hello', 'bye']) });
    const gate = createGate({ heartbeat: false });
    let thrown: unknown;
    gate.route('/out', { send: Out }, (s) => {
      s.send({ kind: 'hello' });
      try {
        s.send({ kind: 'nope' } as never);
      } catch (err) {
        thrown = err;
      }
      s.on('message', (m) => s.sendJson({ raw: m })); // no message schema: frames as before
    });
    try {
      await wsTest(gate, '/out').expectJson({ kind: 'hello' }).sendText('plain').expectJson({ raw: 'plain' });
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toMatch(/send schema \(kind: /);
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('bad contract options are a TypeError at registration; contracts are route-level only', () => {
    const gate = createGate({ heartbeat: false });
    expect(() => gate.route('/a', { message: { parse() {} } as never }, () => {})).toThrow(
      /message must be a Standard Schema/,
    );
    expect(() => gate.route('/b', { message: z.string(), onInvalid: 'drop' as never }, () => {})).toThrow(
      /onInvalid/,
    );
    expect(() => createGate({ message: z.string() } as never)).toThrow(/unknown option 'message'/);
  });
});
