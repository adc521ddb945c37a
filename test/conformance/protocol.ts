import { createHash } from 'node:crypto';
import { constants, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closePayload,
  deflatePayload,
  frame,
  Op,
  RawSocket,
  type ServerFrame,
  tinyFragments,
} from '../support/frames.ts';
import { nextMessage, openClient } from '../support/ws.ts';
import { type ReferenceServer, startReferenceWs } from './reference-ws.ts';
import type { ConformanceTarget, StartedTarget } from './target.ts';

const echo = (s: any) => s.on('message', (m: string | Buffer) => s.send(m));
const SMALL = 1024;
const ANSWER_MS = 5_000;

/** One hand-made exchange: frames written after a valid handshake, and what the server must answer. */
interface Case {
  name: string;
  path?: '/echo' | '/deflate' | '/small';
  frames: () => Buffer[];
  /** Messages the server must echo before we close normally; when absent, the close code expected. */
  echoes?: Array<{ opcode: number; payload: Buffer | string }>;
  code?: number;
}

/** What a server did with a {@link Case}: the messages it sent, then the close code it sent (or null). */
interface Outcome {
  messages: string[];
  code: number | null;
}

/** Short, diffable description of a message (200k-byte echoes would make unreadable diffs). */
function summary(opcode: number, payload: Buffer | string): string {
  const b = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const kind = opcode === Op.text ? 'text' : opcode === Op.binary ? 'binary' : `opcode ${opcode}`;
  return `${kind} ${b.length}B ${createHash('sha256').update(b).digest('hex').slice(0, 12)}`;
}

/** Summarises a server frame, inflating it when it is compressed (RSV1 under permessage-deflate). */
const describeFrame = (f: ServerFrame) =>
  summary(
    f.opcode,
    f.rsv1
      ? inflateRawSync(Buffer.concat([f.payload, DEFLATE_TAIL]), { finishFlush: constants.Z_SYNC_FLUSH })
      : f.payload,
  );
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

async function play(base: string, c: Case): Promise<Outcome> {
  const raw = await RawSocket.open(`${base}${c.path ?? '/echo'}`);
  // A server that neither answers nor closes fails the case (code null) instead of the whole test hanging.
  const deadline = setTimeout(() => raw.destroy(), ANSWER_MS);
  try {
    raw.write(...c.frames());
    const messages: string[] = [];
    if (c.echoes) {
      // Wait for the echoes before closing: a close in the same write could overtake a handler that
      // queues, and the question here is framing, not that race.
      for (let i = 0; i < c.echoes.length; i++) {
        const f = await raw.next();
        if (f === null) return { messages, code: null };
        if (f.opcode === Op.close)
          return { messages, code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005 };
        messages.push(describeFrame(f));
      }
      raw.write(frame({ opcode: Op.close, payload: closePayload(1000) }));
    }
    const end = await raw.ending();
    return { messages: [...messages, ...end.before.map(describeFrame)], code: end.code };
  } finally {
    clearTimeout(deadline);
    raw.destroy();
  }
}

const text = (payload: Buffer | string, fin = true) => frame({ opcode: Op.text, payload, fin });
const cont = (payload: Buffer | string, fin = true) => frame({ opcode: Op.continuation, payload, fin });
const close = (payload: Buffer) => frame({ opcode: Op.close, payload });

/**
 * Protocol violations written as raw frames after a valid handshake. Each case runs against the target
 * and against raw `ws` with the same settings in the same test: both must answer with the same close code
 * (the one RFC 6455 prescribes), and the target must keep serving afterwards.
 */
export function protocolSuite(target: ConformanceTarget): void {
  describe(`${target.name}: protocol violations over raw frames`, () => {
    let t: StartedTarget;
    let ref: ReferenceServer;

    beforeAll(async () => {
      t = await target.start({}, [
        { path: '/echo', handler: echo },
        { path: '/deflate', options: { perMessageDeflate: true }, handler: echo },
        { path: '/small', options: { maxPayload: SMALL }, handler: echo },
      ]);
      ref = await startReferenceWs({
        '/echo': {},
        '/deflate': { perMessageDeflate: true },
        '/small': { maxPayload: SMALL },
      });
    });
    afterAll(async () => {
      await t?.close();
      await ref?.close();
    });

    async function check(cases: Case[]): Promise<void> {
      for (const c of cases) {
        const [mine, theirs] = await Promise.all([play(t.url, c), play(ref.url, c)]);
        const expected: Outcome = c.echoes
          ? { messages: c.echoes.map((e) => summary(e.opcode, e.payload)), code: 1000 }
          : { messages: [], code: c.code ?? null };
        expect(theirs, `raw ws: ${c.name}`).toEqual(expected);
        expect(mine, `${target.name}: ${c.name}`).toEqual(expected);
      }
      const ws = await openClient(`${t.wsUrl}/echo`);
      ws.send('still up');
      expect(await nextMessage(ws)).toBe('still up');
      ws.close();
    }

    it('1002 for an unmasked frame, reserved opcodes and RSV bits without an extension', async () => {
      const cases: Case[] = [
        {
          name: 'unmasked text',
          frames: () => [frame({ opcode: Op.text, payload: 'hi', mask: false })],
          code: 1002,
        },
        ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((opcode) => ({
          name: `reserved opcode ${opcode}`,
          frames: () => [frame({ opcode, payload: 'x' })],
          code: 1002,
        })),
        {
          name: 'RSV1 without deflate',
          frames: () => [frame({ opcode: Op.text, payload: 'x', rsv1: true })],
          code: 1002,
        },
        { name: 'RSV2', frames: () => [frame({ opcode: Op.binary, payload: 'x', rsv2: true })], code: 1002 },
        { name: 'RSV3', frames: () => [frame({ opcode: Op.text, payload: 'x', rsv3: true })], code: 1002 },
        {
          name: 'RSV1 on a control frame with deflate on',
          path: '/deflate',
          frames: () => [frame({ opcode: Op.ping, payload: 'x', rsv1: true })],
          code: 1002,
        },
      ];
      await check(cases);
    });

    it('1002 for fragmented or oversize control frames and broken fragmentation', async () => {
      await check([
        {
          name: 'fragmented ping',
          frames: () => [frame({ opcode: Op.ping, payload: 'p', fin: false })],
          code: 1002,
        },
        {
          name: 'ping of 126 bytes',
          frames: () => [frame({ opcode: Op.ping, payload: Buffer.alloc(126) })],
          code: 1002,
        },
        {
          name: 'close with a 124-byte reason',
          frames: () => [close(closePayload(1000, 'r'.repeat(124)))],
          code: 1002,
        },
        { name: 'continuation without a start', frames: () => [cont('orphan')], code: 1002 },
        {
          name: 'new message inside a fragmented one',
          frames: () => [text('a', false), text('b')],
          code: 1002,
        },
        {
          name: 'ping between fragments is fine',
          frames: () => [text('frag', false), frame({ opcode: Op.ping, payload: 'p' }), cont('mented')],
          echoes: [
            { opcode: Op.pong, payload: 'p' },
            { opcode: Op.text, payload: 'fragmented' },
          ],
        },
      ]);
    });

    it('1007 for invalid UTF-8 in text, also split across fragments; valid splits are reassembled', async () => {
      const grin = Buffer.from('😀');
      await check([
        { name: 'byte 0xff', frames: () => [text(Buffer.from([0x61, 0xff]))], code: 1007 },
        { name: 'overlong /', frames: () => [text(Buffer.from([0xc0, 0xaf]))], code: 1007 },
        { name: 'UTF-16 surrogate', frames: () => [text(Buffer.from([0xed, 0xa0, 0x80]))], code: 1007 },
        { name: 'above U+10FFFF', frames: () => [text(Buffer.from([0xf4, 0x90, 0x80, 0x80]))], code: 1007 },
        {
          name: 'invalid sequence split across fragments',
          frames: () => [text(Buffer.from([0x61, 0xf0, 0x9f]), false), cont(Buffer.from([0x41, 0x62]))],
          code: 1007,
        },
        {
          name: 'truncated sequence at the end of a fragmented message',
          frames: () => [text('ok', false), cont(grin.subarray(0, 3))],
          code: 1007,
        },
        {
          name: 'valid 4-byte sequence split across three fragments',
          frames: () => [
            text(grin.subarray(0, 1), false),
            cont(grin.subarray(1, 3), false),
            cont(grin.subarray(3)),
          ],
          echoes: [{ opcode: Op.text, payload: '😀' }],
        },
        {
          name: 'invalid UTF-8 in binary is fine',
          frames: () => [frame({ opcode: Op.binary, payload: Buffer.from([0xff]) })],
          echoes: [{ opcode: Op.binary, payload: Buffer.from([0xff]) }],
        },
      ]);
    });

    it('close frames: bad codes are 1002, a non-UTF-8 reason is 1007, valid codes are echoed', async () => {
      const bad = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535];
      const good = [1000, 1001, 1003, 1007, 1008, 1011, 1014, 3000, 4000, 4999];
      await check([
        ...bad.map((code) => ({
          name: `close code ${code}`,
          frames: () => [close(closePayload(code))],
          code: 1002,
        })),
        { name: 'one-byte close payload', frames: () => [close(Buffer.from([0x03]))], code: 1002 },
        {
          name: 'non-UTF-8 close reason',
          frames: () => [close(closePayload(1000, Buffer.from([0xc3, 0x28])))],
          code: 1007,
        },
        ...good.map((code) => ({
          name: `close code ${code}`,
          frames: () => [close(closePayload(code, 'bye'))],
          code,
        })),
        { name: 'empty close', frames: () => [close(Buffer.alloc(0))], code: 1005 },
      ]);
    });

    it('nothing after the close frame is read: a data frame behind it is never delivered', async () => {
      await check([
        {
          name: 'text after close',
          frames: () => [close(closePayload(1000)), text('late')],
          code: 1000,
        },
        {
          name: 'text after close, split over writes',
          frames: () => [Buffer.concat([close(closePayload(4001)), text('late'), text('later')])],
          code: 4001,
        },
      ]);
    });

    it(`1009 above maxPayload (the 1 MiB default and a route's own), also when fragmented`, async () => {
      const mib = 1 << 20;
      await check([
        {
          name: '1 MiB + 1 at the default',
          frames: () => [frame({ opcode: Op.binary, payload: Buffer.alloc(mib + 1) })],
          code: 1009,
        },
        {
          name: 'exactly 1 MiB at the default',
          frames: () => [frame({ opcode: Op.binary, payload: Buffer.alloc(mib, 7) })],
          echoes: [{ opcode: Op.binary, payload: Buffer.alloc(mib, 7) }],
        },
        {
          name: 'a 2^53 length announced, no payload',
          frames: () => [frame({ opcode: Op.binary, announcedLength: 2 ** 53 })],
          code: 1009,
        },
        {
          name: `route maxPayload ${SMALL} + 1`,
          path: '/small',
          frames: () => [text('x'.repeat(SMALL + 1))],
          code: 1009,
        },
        {
          name: `route maxPayload: two fragments over ${SMALL}`,
          path: '/small',
          frames: () => [text('x'.repeat(600), false), cont('y'.repeat(600))],
          code: 1009,
        },
        {
          name: `route maxPayload: exactly ${SMALL}`,
          path: '/small',
          frames: () => [text('z'.repeat(SMALL))],
          echoes: [{ opcode: Op.text, payload: 'z'.repeat(SMALL) }],
        },
      ]);
    });

    it('permessage-deflate: a small frame inflating past maxPayload (deflate bomb) is 1009', async () => {
      const offer = { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' };
      for (const base of [t.url, ref.url]) {
        const raw = await RawSocket.open(`${base}/deflate`, { headers: offer });
        const deadline = setTimeout(() => raw.destroy(), ANSWER_MS);
        try {
          expect(raw.headers['sec-websocket-extensions'], base).toMatch(/^permessage-deflate/);
          const bomb = deflatePayload(Buffer.alloc(8 << 20));
          expect(bomb.length).toBeLessThan(16 * 1024);
          raw.write(frame({ opcode: Op.text, payload: deflatePayload(Buffer.from('hello')), rsv1: true }));
          const hello = await raw.next();
          expect(hello && describeFrame(hello), base).toBe(summary(Op.text, 'hello'));
          raw.write(frame({ opcode: Op.binary, payload: bomb, rsv1: true }));
          expect(await raw.ending(), base).toEqual({ code: 1009, before: [] });
        } finally {
          clearTimeout(deadline);
          raw.destroy();
        }
      }
      const ws = await openClient(`${t.wsUrl}/deflate`, { perMessageDeflate: true });
      ws.send('still up');
      expect(await nextMessage(ws)).toBe('still up');
      ws.close();
    });

    // ws (since 8.18) caps a message at 16384 fragments with 1008: an adapter must keep that cap.
    it('200k one-byte fragments are 1008 (ws caps fragments at 16384); 16384 are reassembled', async () => {
      const cap = 16_384;
      await check([
        { name: '200k fragments', frames: () => [tinyFragments(200_000, Op.text)], code: 1008 },
        { name: `${cap + 1} fragments`, frames: () => [tinyFragments(cap + 1, Op.binary)], code: 1008 },
        {
          name: `${cap} fragments`,
          frames: () => [tinyFragments(cap, Op.text)],
          echoes: [{ opcode: Op.text, payload: 'a'.repeat(cap) }],
        },
        {
          name: `${SMALL + 1} fragments on a ${SMALL}-byte route`,
          path: '/small',
          frames: () => [tinyFragments(SMALL + 1, Op.binary)],
          code: 1009,
        },
      ]);
    });
  });
}
