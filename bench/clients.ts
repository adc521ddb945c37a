/**
 * The load generator: ws clients (with bufferutil, which ws loads by itself) in their own process, pinned
 * to the other CPU, so the server's numbers are the server's alone. Speaks plain WebSocket messages, or
 * the engine.io/socket.io framing for the socket.io arm (`0{...}` open, `40` connect, `42[...]` events,
 * `2`/`3` ping/pong), so every arm is driven by the same client code.
 */
import WebSocket from 'ws';
import { SLOWED } from './arms/common.ts';
import { serve } from './lib/rpc.ts';

export interface Target {
  port: number;
  proto: 'ws' | 'sio';
  route: 'echo' | 'auth' | 'room';
  headers?: Record<string, string>;
}

const ROOM_SIZE = 10;
const sockets: WebSocket[] = [];
let received = 0;
let target = Number.POSITIVE_INFINITY;
let reached: (() => void) | undefined;
let armed: Promise<number> | undefined;
/** Set while an echo run is on: called with the socket a message arrived on. */
let onEcho: ((ws: WebSocket) => void) | undefined;

function url({ port, proto, route }: Target, index: number): string {
  const room = String(Math.floor(index / ROOM_SIZE));
  if (proto === 'sio') {
    const q = `EIO=4&transport=websocket&mode=${route}${route === 'room' ? `&room=${room}` : ''}`;
    return `ws://127.0.0.1:${port}/socket.io/?${q}`;
  }
  return `ws://127.0.0.1:${port}/${route === 'room' ? `rooms/${room}` : route}`;
}

/** The frame to send for an application message of `size` bytes. */
function frame(proto: Target['proto'], size: number): string {
  const body = 'e'.repeat(size);
  return proto === 'sio' ? `42["m","${body}"]` : body;
}

function count(ws: WebSocket): void {
  received++;
  onEcho?.(ws);
  if (received >= target && reached) {
    const r = reached;
    reached = undefined;
    r();
  }
}

/** Opens one connection; resolves once it can carry messages (for socket.io: after the namespace ack). */
function open(t: Target, index: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url(t, index), {
      perMessageDeflate: false,
      handshakeTimeout: 10_000 * SLOWED, // the server may run under callgrind
      ...(t.headers ? { headers: t.headers } : {}),
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed (${code}) before ready`)));
    const ready = () => {
      ws.removeAllListeners('error').removeAllListeners('close');
      ws.on('error', () => {});
      resolve(ws);
    };
    if (t.proto === 'ws') {
      ws.on('message', () => count(ws));
      ws.once('open', ready);
      return;
    }
    ws.once('open', () => ws.send('40'));
    let connected = false;
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('42')) count(ws);
      else if (text === '2') ws.send('3');
      else if (!connected && text.startsWith('40')) {
        connected = true;
        ready();
      } else if (text.startsWith('44')) ws.terminate();
    });
  });
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first): @wsgate/client's default backoff,
 * `random(0.5, 1) * min(30 s, 500 ms * 2^attempt)`, so clients that lost the same server spread out.
 */
function backoff(attempt: number): number {
  return (0.5 + Math.random() / 2) * Math.min(30_000, 500 * 2 ** attempt);
}

/** The reconnect storm in progress: every socket open when it was armed comes back once it is closed. */
interface Storm {
  left: number;
  failures: number;
  downtime: number[];
  lastBackAt: number;
  done: Promise<void>;
}
let storm: Storm | undefined;

function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve();
    else ws.once('close', () => resolve());
  });
}

function percentiles(samples: number[]): { p50: number; p99: number } {
  samples.sort((a, b) => a - b);
  const q = (p: number) =>
    samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99) };
}

serve({
  /** Opens `n` connections, at most `concurrency` handshakes at a time; the k-th joins room k / 10. */
  connect: async ({ target: t, n, concurrency }: { target: Target; n: number; concurrency: number }) => {
    let next = 0;
    const worker = async () => {
      while (next < n) sockets.push(await open(t, next++));
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
    return sockets.length;
  },
  /** Stops reading on every socket: the kernel buffers fill and the server must hold (or drop) the rest. */
  pause: () => {
    for (const ws of sockets) ws.pause();
    return true;
  },
  /** Ping-pong on every open socket until `messages` have gone out; client-side latency in ms. */
  echo: ({ proto, messages, size }: { proto: Target['proto']; messages: number; size: number }) =>
    new Promise<{ ms: number; p50: number; p99: number }>((resolve) => {
      const data = frame(proto, size);
      const sentAt = new Map<WebSocket, number>();
      const latency: number[] = [];
      let left = messages;
      let outstanding = 0;
      const started = performance.now();
      const send = (ws: WebSocket) => {
        left--;
        outstanding++;
        sentAt.set(ws, performance.now());
        ws.send(data);
      };
      onEcho = (ws) => {
        latency.push(performance.now() - (sentAt.get(ws) ?? 0));
        outstanding--;
        if (left > 0) send(ws);
        else if (outstanding === 0) {
          onEcho = undefined;
          resolve({ ms: performance.now() - started, ...percentiles(latency) });
        }
      };
      for (const ws of sockets) if (left > 0) send(ws);
    }),
  /** Starts counting: `wait` resolves with the elapsed ms once `total` messages have arrived. */
  arm: ({ total }: { total: number }) => {
    received = 0;
    target = total;
    const started = performance.now();
    armed = new Promise<number>((resolve) => {
      reached = () => resolve(performance.now() - started);
    });
    return true;
  },
  wait: () => armed,
  /** Every socket sends one message to its room, `waves` times, each wave once the last has arrived. */
  rooms: async ({ proto, waves, size }: { proto: Target['proto']; waves: number; size: number }) => {
    const data = frame(proto, size);
    const started = performance.now();
    for (let w = 0; w < waves; w++) {
      received = 0;
      target = sockets.length * ROOM_SIZE;
      const done = new Promise<void>((resolve) => {
        reached = resolve;
      });
      for (const ws of sockets) ws.send(data);
      await done;
    }
    return performance.now() - started;
  },
  /** Open + close cycles, `concurrency` at a time; handshake latency (to ready) in ms. */
  handshakes: async ({ target: t, n, concurrency }: { target: Target; n: number; concurrency: number }) => {
    const latency: number[] = [];
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < n) {
        const t0 = performance.now();
        const ws = await open(t, next++);
        latency.push(performance.now() - t0);
        const done = closed(ws);
        ws.close();
        await done;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
    return { ms: performance.now() - started, ...percentiles(latency) };
  },
  /**
   * Arms the reconnect storm: from now on each open socket, once the server closes it, reconnects with
   * jittered exponential backoff (a failed attempt backs off further) until it is open again.
   */
  storm: ({ target: t }: { target: Target }) => {
    let finish = () => {};
    const s: Storm = {
      left: sockets.length,
      failures: 0,
      downtime: [],
      lastBackAt: 0,
      done: new Promise<void>((resolve) => {
        finish = resolve;
      }),
    };
    storm = s;
    const comeBack = (i: number, attempt: number, closedAt: number) => {
      setTimeout(() => {
        open(t, i).then(
          (ws) => {
            sockets[i] = ws;
            s.lastBackAt = Date.now();
            s.downtime.push(performance.now() - closedAt);
            if (--s.left === 0) finish();
          },
          () => {
            s.failures++;
            comeBack(i, attempt + 1, closedAt);
          },
        );
      }, backoff(attempt));
    };
    sockets.forEach((ws, i) => {
      ws.once('close', () => comeBack(i, 0, performance.now()));
    });
    return sockets.length;
  },
  /** Resolves once every socket of the storm is open again: when the last came back (wall clock), and more. */
  stormDone: async () => {
    const s = storm;
    if (!s) throw new Error('no storm armed');
    await s.done;
    storm = undefined;
    return { lastBackAt: s.lastBackAt, failures: s.failures, ...percentiles(s.downtime) };
  },
  close: async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    return true;
  },
});
