import { Parser } from '@asyncapi/parser';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import { createGate } from '@wsgate/core';
import { type } from 'arktype';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createChatApp } from '../../examples/chat/src/app.ts';

const parser = new Parser();

/** Parses with @asyncapi/parser; fails the test with every error-level diagnostic. */
async function validate(doc: unknown) {
  const { document, diagnostics } = await parser.parse(JSON.stringify(doc));
  const errors = diagnostics.filter((d) => d.severity === 0);
  expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
  return document!;
}

describe('gate.asyncapi()', () => {
  it('documents every route as a channel with params and schemas from zod, valibot and arktype', async () => {
    const gate = createGate({ heartbeat: false });
    gate.route(
      '/rooms/:room',
      { message: z.object({ text: z.string() }), send: z.object({ from: z.string(), text: z.string() }) },
      () => {},
    );
    gate.route('/files/:name?', { message: toStandardJsonSchema(v.object({ n: v.number() })) }, () => {});
    gate.route('/ark', { message: type({ ok: 'boolean' }) }, () => {});
    gate.route('/raw/*', () => {});
    const doc = gate.asyncapi({ info: { title: 'Test', version: '1.0.0' } });
    const parsed = await validate(doc);
    expect(
      parsed
        .channels()
        .all()
        .map((c) => c.address()),
    ).toEqual(['/rooms/{room}', '/files/{name}', '/ark', '/raw/{wildcard}']);
    const rooms = doc.channels['rooms-room']!;
    expect(rooms.parameters).toEqual({ room: { description: 'room' } });
    const messages = rooms.messages as Record<string, { payload?: unknown }>;
    expect(messages['rooms-room.client']!.payload).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
    });
    expect(messages['rooms-room.server']!.payload).toMatchObject({ required: ['from', 'text'] });
    const files = doc.channels['files-name']!.messages as Record<string, { payload?: unknown }>;
    expect(files['files-name.client']!.payload).toMatchObject({ properties: { n: { type: 'number' } } });
    const ark = doc.channels.ark!.messages as Record<string, { payload?: unknown }>;
    expect(ark['ark.client']!.payload).toMatchObject({ properties: { ok: { type: 'boolean' } } });
    expect(
      parsed
        .operations()
        .all()
        .map((o) => o.action()),
    ).toEqual(['receive', 'send', 'receive', 'send', 'receive', 'send', 'receive', 'send']);
  });

  it("the chat example's document validates, its client events converted from the zod schema", async () => {
    const chat = createChatApp({ secret: 'asyncapi-test' });
    try {
      const doc = chat.gate.asyncapi({ info: { title: 'wsgate chat', version: '1.0.0' } });
      await validate(doc);
      const room = doc.channels['ws-rooms-room']!;
      expect(room.address).toBe('/ws/rooms/{room}');
      const client = (
        room.messages as Record<string, { payload?: { oneOf?: unknown[]; anyOf?: unknown[] } }>
      )['ws-rooms-room.client']!;
      expect((client.payload?.oneOf ?? client.payload?.anyOf)?.length).toBe(2);
      expect(Object.keys(doc.channels)).toEqual(['ws-rooms-room', 'echo']);
    } finally {
      await chat.close();
    }
  });

  it('needs info.title and info.version', () => {
    const gate = createGate({ heartbeat: false });
    expect(() => gate.asyncapi({} as never)).toThrow(/info: \{ title, version \}/);
  });
});
