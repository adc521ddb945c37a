/**
 * The soak's client side, run as a child process (`fork`) so that clients and servers do not share one
 * process's file-descriptor limit or heap. Driven over IPC by soak.test.ts; see protocol.ts.
 */
import WebSocket from 'ws';
import { expectedFor, roomOf, type SoakPlan, type ToChild, type ToParent } from './protocol.ts';

interface Conn {
  ws: WebSocket;
  /** `<target>#<index>`, for error messages. */
  id: string;
  index: number;
  expected: number;
  received: number;
  nextDirect: number;
  nextGate: number;
  /** Next expected publish sequence per publishing connection. */
  nextFrom: Map<string, number>;
}

const conns: Conn[] = [];
const errors: string[] = [];
let plan: SoakPlan;
let received = 0;
let closing = false;
let waitingForDone: (() => void) | undefined;

const send = (m: ToParent): void => {
  process.send?.(m);
};
const fail = (conn: Conn, what: string): void => {
  // Bounded: a systematic fault must not turn into a million-line IPC message.
  if (errors.length < 50) errors.push(`${conn.id}: ${what}`);
};

function onMessage(conn: Conn, data: string): void {
  const [kind, from = '', seqText = ''] = data.split('|');
  const seq = Number(seqText);
  if (kind === 'd') {
    if (from !== String(conn.index) || seq !== conn.nextDirect)
      fail(conn, `direct ${data}, expected d|${conn.index}|${conn.nextDirect}`);
    conn.nextDirect = seq + 1;
  } else if (kind === 'g') {
    if (seq !== conn.nextGate) fail(conn, `gate publish ${data}, expected seq ${conn.nextGate}`);
    conn.nextGate = seq + 1;
  } else if (kind === 'p') {
    const want = conn.nextFrom.get(from) ?? 0;
    if (from === String(conn.index)) fail(conn, `received its own publish ${data}`);
    if (Number(from) % plan.rooms !== conn.index % plan.rooms)
      fail(conn, `publish from another room ${data}`);
    if (seq !== want) fail(conn, `publish ${data}, expected seq ${want} from ${from}`);
    conn.nextFrom.set(from, seq + 1);
  } else {
    fail(conn, `unexpected message ${data.slice(0, 40)}`);
  }
  conn.received++;
  received++;
  if (conn.received > conn.expected) fail(conn, `more than the ${conn.expected} messages expected`);
  if (waitingForDone && conns.every((c) => c.received >= c.expected)) waitingForDone();
}

function open(target: { name: string; wsUrl: string }, index: number): Promise<Conn | string> {
  const localAddress = `127.0.0.${2 + (index % plan.sourceAddresses)}`;
  const ws = new WebSocket(`${target.wsUrl}/soak/${roomOf(index, plan.rooms)}?c=${index}`, {
    localAddress,
    perMessageDeflate: false,
  });
  const conn: Conn = {
    ws,
    id: `${target.name}#${index}`,
    index,
    expected: 0,
    received: 0,
    nextDirect: 0,
    nextGate: 0,
    nextFrom: new Map(),
  };
  ws.on('message', (data, isBinary) => onMessage(conn, isBinary ? '' : data.toString()));
  // A connection the server drops mid-soak fails the run at once instead of stalling it.
  ws.once('close', (code) => {
    if (closing) return;
    fail(conn, `closed early with ${code} after ${conn.received}/${conn.expected} messages`);
    conn.expected = conn.received;
    if (waitingForDone && conns.every((c) => c.received >= c.expected)) waitingForDone();
  });
  return new Promise((resolve) => {
    ws.once('open', () => resolve(conn));
    ws.once('unexpected-response', (_req, res) => resolve(`${conn.id}: HTTP ${res.statusCode}`));
    ws.once('error', (err) => resolve(`${conn.id}: ${err.message}`));
  });
}

async function connectAll(): Promise<void> {
  const failed: string[] = [];
  await Promise.all(
    plan.targets.map(async (target) => {
      let next = 0;
      // A fixed number of workers per target bounds the handshakes in flight.
      const worker = async () => {
        while (next < plan.connections) {
          const result = await open(target, next++);
          if (typeof result === 'string') failed.push(result);
          else conns.push(result);
        }
      };
      await Promise.all(Array.from({ length: plan.concurrency }, worker));
    }),
  );
  send({ type: 'connected', open: conns.length, failed: failed.slice(0, 50) });
}

function go(round: number): void {
  const done = new Promise<void>((resolve) => {
    waitingForDone = resolve;
  });
  for (const c of conns) if (c.ws.readyState === WebSocket.OPEN) c.expected += expectedFor(c.index, plan);
  send({ type: 'going' });
  // If a round stalls, say where: which connections are short, and by how much.
  const report = setInterval(() => {
    const short = conns.filter((c) => c.received < c.expected);
    const sample = short
      .slice(0, 5)
      .map(
        (c) =>
          `${c.id} ${c.received}/${c.expected} state ${c.ws.readyState} (next direct ${c.nextDirect}, ` +
          `gate ${c.nextGate}, from peers ${[...c.nextFrom].map(([from, n]) => `${from}:${n}`).join(' ')})`,
      );
    // Short of their own echoes: the server has not read (or not answered) what these sent.
    const echoes = (round + 1) * plan.direct;
    const unanswered = conns.filter((c) => c.nextDirect < echoes);
    const senders = unanswered.slice(0, 5).map((c) => {
      const socket = (c.ws as unknown as { _socket?: import('node:net').Socket })._socket;
      return `${c.id} ${c.nextDirect}/${echoes} (unsent ${c.ws.bufferedAmount} B, socket ${socket?.writableLength ?? '-'} B queued, written ${socket?.bytesWritten ?? '-'} B)`;
    });
    console.error(
      `soak clients: round ${round}: ${short.length} connections short; ${sample.join('; ')}; ` +
        `${unanswered.length} short of their own echoes: ${senders.join('; ')}`,
    );
  }, 15_000);
  // Directs and publishes interleaved, all written at once: the server sees bursts, not a trickle.
  for (const c of conns) {
    for (let s = 0; s < Math.max(plan.direct, plan.publishes); s++) {
      if (s < plan.direct) c.ws.send(`d|${c.index}|${round * plan.direct + s}`);
      if (s < plan.publishes) c.ws.send(`p|${c.index}|${round * plan.publishes + s}`);
    }
  }
  if (conns.every((c) => c.received >= c.expected)) waitingForDone?.();
  void done.then(() => {
    clearInterval(report);
    waitingForDone = undefined;
    send({ type: 'done', received, errors });
  });
}

async function closeAll(): Promise<void> {
  closing = true;
  const codes: Record<string, number> = {};
  await Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.ws.once('close', (code) => {
            codes[code] = (codes[code] ?? 0) + 1;
            resolve();
          });
          c.ws.close(1000, 'soak done');
        }),
    ),
  );
  send({ type: 'closed', codes });
}

process.on('message', (m: ToChild) => {
  if (m.type === 'connect') {
    plan = m.plan;
    void connectAll();
  } else if (m.type === 'go') go(m.round);
  else if (m.type === 'close') void closeAll();
});
// The parent going away (a failed test) must not leave this process behind.
process.on('disconnect', () => process.exit(0));
