import { createGate, type Message, type Session } from '@wsgate/core';
import { wsTest } from '@wsgate/core/testing';
import { type } from 'arktype';
import * as v from 'valibot';
import { describe, expectTypeOf, it } from 'vitest';
import * as z from 'zod';

const ClientEvent = z.object({ type: z.literal('say'), text: z.string() });
const ServerEvent = z.object({
  from: z.string(),
  text: z.string(),
  at: z.number().transform((n) => new Date(n)),
});

describe('message contract types', () => {
  it('the handler receives the message schema output; send takes the send schema input', () => {
    const gate = createGate<{ id: string }>();
    gate.route('/rooms/:room', { message: ClientEvent, send: ServerEvent }, (session) => {
      expectTypeOf(session.params).toEqualTypeOf<{ room: string }>();
      expectTypeOf(session.user).toEqualTypeOf<{ id: string } | undefined>();
      session.on('message', (event) => {
        expectTypeOf(event).toEqualTypeOf<{ type: 'say'; text: string }>();
      });
      session.send({ from: 'a', text: 'b', at: 1 });
      // @ts-expect-error: not the send schema's input
      session.send('plain text');
      // @ts-expect-error: `at` is the schema's input (a number), not its output
      session.send({ from: 'a', text: 'b', at: new Date() });
    });
    gate.route('/loop', { message: ClientEvent }, async (session) => {
      for await (const event of session) expectTypeOf(event.text).toEqualTypeOf<string>();
      session.send('frames as before without a send schema');
    });
  });

  it('valibot and arktype infer too; no schema keeps string | Buffer', () => {
    const gate = createGate();
    gate.route('/v', { message: v.object({ n: v.number() }) }, (s) => {
      s.on('message', (m) => expectTypeOf(m).toEqualTypeOf<{ n: number }>());
    });
    gate.route('/a', { message: type({ ok: 'boolean' }) }, (s) => {
      s.on('message', (m) => expectTypeOf(m).toEqualTypeOf<{ ok: boolean }>());
    });
    gate.route('/plain', { maxPayload: 1024 }, (s) => {
      s.on('message', (m) => expectTypeOf(m).toEqualTypeOf<Message>());
    });
    gate.route('/none', (s) => {
      s.on('message', (m) => expectTypeOf(m).toEqualTypeOf<Message>());
    });
  });

  it('existing Session types keep compiling (new type parameters have defaults)', () => {
    const handler = (s: Session<{ id: string }>) => s.send('x');
    expectTypeOf(handler)
      .parameter(0)
      .toEqualTypeOf<Session<{ id: string }, Record<string, string>, Message>>();
  });

  it('wsTest is typed by the route contract', () => {
    const gate = createGate();
    const contract = { message: ClientEvent, send: ServerEvent };
    const t = wsTest(gate, '/rooms/a', {}, contract);
    t.sendJson({ type: 'say', text: 'x' });
    // @ts-expect-error: not what the message schema accepts
    t.sendJson({ type: 'shout' });
    t.expectJson((m) => expectTypeOf(m.at).toEqualTypeOf<number>());
  });
});
