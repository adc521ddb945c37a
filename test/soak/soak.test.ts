import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Session } from '@wsgate/core';
import { afterAll, expect, it } from 'vitest';
import type { StartedTarget } from '../conformance/target.ts';
import { LiveTimers } from '../faults/live-timers.ts';
import { loadTargets } from '../faults/targets.ts';
import { until } from '../support/ws.ts';
import type { SoakPlan, ToChild, ToParent } from './protocol.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
/** Connections per target; the defaults keep a CI run around a minute on two cores. */
const CONNECTIONS = env('WSGATE_SOAK_CONNECTIONS', 1_000);
/** Traffic rounds while the connections stay open. */
const ROUNDS = env('WSGATE_SOAK_ROUNDS', 4);
// Several heartbeat rounds per run, yet slow enough that a client process busy with thousands of
// sockets always answers in time.
const HEARTBEAT = { interval: 4_001, timeout: 3_989 };
const WSGATE_TIMER_MS = [HEARTBEAT.interval, HEARTBEAT.timeout, 3_001, 7_001];
/** Heap growth allowed after everything closed: far below what leaking one object per session would cost. */
const HEAP_SLACK = 12 * 1024 * 1024;

// `global.gc` without depending on how the runner was started.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapUsed(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const started: StartedTarget[] = [];
let child: ChildProcess | undefined;
afterAll(async () => {
  child?.kill('SIGKILL');
  for (const t of started.splice(0)) await t.close();
});

/** The soak route: join the room, echo directs, relay publishes to the rest of the room. */
function soakHandler(s: Session): void {
  const topic = `room:${s.params.room}`;
  s.subscribe(topic);
  s.on('message', (m) => {
    if (typeof m !== 'string') return;
    if (m.startsWith('d|')) s.send(m);
    else if (m.startsWith('p|')) s.publish(topic, m);
  });
}

function nextFromChild<T extends ToParent['type']>(
  c: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<ToParent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' from the soak clients`)), timeoutMs);
    const onMessage = (m: ToParent) => {
      if (m.type !== type) return;
      cleanup();
      resolve(m as Extract<ToParent, { type: T }>);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`soak clients exited (${code}) while waiting for '${type}'`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      c.off('message', onMessage);
      c.off('exit', onExit);
    };
    c.on('message', onMessage);
    c.once('exit', onExit);
  });
}

it('soak: thousands of connections on every target, every message accounted for, back to zero afterwards', async () => {
  const found = await loadTargets();
  expect(found.length).toBeGreaterThan(0);
  const options = {
    heartbeat: HEARTBEAT,
    closeTimeout: 3_001,
    handshakeTimeout: 7_001,
    logger: { warn: () => {}, error: (o: object, m?: string) => console.error(m, o) },
  };
  for (const { target } of found) {
    started.push(await target.start(options, [{ path: '/soak/:room', handler: soakHandler }]));
  }
  const plan: SoakPlan = {
    targets: found.map(({ target }, i) => ({ name: target.name, wsUrl: started[i]!.wsUrl })),
    connections: CONNECTIONS,
    rooms: Math.max(1, Math.round(CONNECTIONS / 10)),
    direct: 20,
    publishes: 5,
    gatePublishes: 5,
    sourceAddresses: 50,
    concurrency: 50,
  };

  // Warm up every path once (lazy ws servers, JIT), so the baseline is not inflated by first use.
  child = fork(fileURLToPath(new URL('./clients.ts', import.meta.url)), [], {
    execArgv: ['--conditions=@wsgate/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const toChild = (m: ToChild) => child?.send(m);
  const warm = { ...plan, connections: 20, rooms: 2 };
  toChild({ type: 'connect', plan: warm });
  await nextFromChild(child, 'connected', 30_000);
  toChild({ type: 'go', round: 0 });
  await nextFromChild(child, 'going', 30_000);
  for (const t of started) for (let r = 0; r < warm.rooms; r++) publishAll(t, `r${r}`, 0, warm.gatePublishes);
  expect((await nextFromChild(child, 'done', 30_000)).errors).toEqual([]);
  toChild({ type: 'close' });
  await nextFromChild(child, 'closed', 30_000);
  child.kill();
  await once(child, 'exit');
  for (const t of started) await until(() => t.gate.sessions.size === 0, 'warm-up sessions to go', 10_000);

  const timers = new LiveTimers().start();
  const heapBefore = heapUsed();
  const t0 = performance.now();
  child = fork(fileURLToPath(new URL('./clients.ts', import.meta.url)), [], {
    execArgv: ['--conditions=@wsgate/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const base = started.map((t) => t.gate.stats());
  toChild({ type: 'connect', plan });
  const connected = await nextFromChild(child, 'connected', 120_000);
  expect(connected.failed).toEqual([]);
  const total = plan.connections * started.length;
  expect(connected.open).toBe(total);
  const tConnected = performance.now();
  for (const t of started) {
    await until(() => t.gate.sessions.size === plan.connections, 'every session registered', 10_000);
    let members = 0;
    for (let r = 0; r < plan.rooms; r++) members += t.gate.topicMembers(`room:r${r}`).size;
    expect(members).toBe(plan.connections);
  }
  expect(timers.pending(HEARTBEAT.interval).length).toBeGreaterThanOrEqual(1);

  // Rounds keep the connections open through several heartbeat rounds while traffic comes and goes.
  let done: Extract<ToParent, { type: 'done' }> | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    toChild({ type: 'go', round });
    await nextFromChild(child, 'going', 30_000);
    for (const t of started)
      for (let r = 0; r < plan.rooms; r++)
        publishAll(t, `r${r}`, round * plan.gatePublishes, plan.gatePublishes);
    // If the round stalls, say what each server has read so far (the clients say what they miss).
    const sentBy = plan.connections * (plan.direct + plan.publishes);
    const stalled = setInterval(() => {
      const read = started.map(
        (t, i) => `${plan.targets[i]!.name} ${t.gate.stats().messagesIn - base[i]!.messagesIn}`,
      );
      // Bytes a socket holds but has not written: corked (by the broadcast) or queued behind the kernel.
      const held = started.map((t, i) => {
        let corked = 0;
        let queued = 0;
        let paused = 0;
        let pausedByGate = 0;
        let wsPaused = 0;
        let unread = 0;
        let notReading = 0;
        const parsing = 0;
        const parseSamples: string[] = [];
        for (const s of t.gate.sessions) {
          const socket = (s.raw as unknown as { _socket?: Socket })._socket;
          if (socket?.writableCorked) corked++;
          if (socket?.writableLength) queued++;
          if (socket?.isPaused()) paused++;
          if ((s as unknown as { _pausedByGate?: boolean })._pausedByGate) pausedByGate++;
          if (s.raw.isPaused) wsPaused++;
          if (socket?.readableLength) unread++;
          // libuv's side: a handle that stopped reading (readStop) while the stream looks flowing.
          if ((socket as unknown as { _handle?: { reading?: boolean } })?._handle?.reading === false)
            notReading++;
        }
        return `${plan.targets[i]!.name} ${corked} corked, ${queued} with bytes queued, ${paused} paused (${pausedByGate} by the gate, ${wsPaused} ws paused), ${unread} with unread bytes, ${notReading} handles not reading, ${parsing} parsers holding bytes ${parseSamples.join(' | ')}`;
      });
      // The kernel's view: bytes waiting in a receive queue (nobody reads) or a send queue (not acked).
      let queues = '';
      try {
        const ss = execFileSync('ss', ['-tnH', 'state', 'established'], { encoding: 'utf8' });
        // Soak connections only: the clients bind 127.0.0.2 and up, the servers listen on 127.0.0.1.
        const count = { serverRecv: 0, serverSend: 0, clientRecv: 0, clientSend: 0 };
        const samples: string[] = [];
        for (const line of ss.split('\n')) {
          const [rq, sq, local = '', peer = ''] = line.trim().split(/\s+/);
          const client = /^127\.0\.0\.([2-9]|[1-9]\d):/.test(local);
          const server = /^127\.0\.0\.([2-9]|[1-9]\d):/.test(peer);
          if (!client && !server) continue;
          if (Number(rq) > 0) count[client ? 'clientRecv' : 'serverRecv']++;
          if (Number(sq) > 0) count[client ? 'clientSend' : 'serverSend']++;
          if ((Number(rq) > 0 || Number(sq) > 0) && samples.length < 4)
            samples.push(`${rq}/${sq} ${local} ${peer}`);
        }
        queues = `; kernel queues (sockets with bytes): ${JSON.stringify(count)} ${samples.join(' | ')}`;
      } catch {}
      console.error(
        `soak server: round ${round}: messages read ${read.join(', ')} (of ${sentBy * (round + 1)} each); ` +
          `sockets: ${held.join('; ')}${queues}`,
      );
    }, 15_000);
    done = await nextFromChild(child, 'done', 120_000).finally(() => clearInterval(stalled));
    expect(done.errors).toEqual([]);
  }
  const tDone = performance.now();
  if (!done) throw new Error('no traffic round ran');
  let expectedReceived = 0;
  for (let i = 0; i < plan.connections; i++) {
    const room =
      Math.floor(plan.connections / plan.rooms) + (i % plan.rooms < plan.connections % plan.rooms ? 1 : 0);
    expectedReceived += plan.direct + (room - 1) * plan.publishes + plan.gatePublishes;
  }
  expect(done.received).toBe(expectedReceived * started.length * ROUNDS);
  for (const [i, t] of started.entries()) {
    // The server saw exactly what the clients sent: nothing lost or doubled on the way in either.
    expect(t.gate.stats().messagesIn - base[i]!.messagesIn).toBe(
      plan.connections * (plan.direct + plan.publishes) * ROUNDS,
    );
  }

  toChild({ type: 'close' });
  const closedCodes = (await nextFromChild(child, 'closed', 120_000)).codes;
  expect(closedCodes).toEqual({ 1000: total });
  for (const t of started) {
    await until(() => t.gate.sessions.size === 0, 'all sessions to close', 30_000);
    const c = (t.gate as unknown as { _counters(): Record<string, number> })._counters();
    expect(c).toEqual({ pending: 0, perIp: 0, sessions: 0, topics: 0 });
  }
  await until(
    () => timers.pending().every((x) => !WSGATE_TIMER_MS.includes(x.ms)),
    'wsgate timers to go',
    10_000,
  );
  timers.stop();
  child.kill();
  await once(child, 'exit');
  child = undefined;
  const heapAfter = heapUsed();
  const tEnd = performance.now();

  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  console.log(
    [
      `soak: ${started.length} targets (${found.map((f) => f.target.name).join(', ')})`,
      `  connections: ${total} (${plan.connections} per target, ${plan.rooms} rooms each, ${plan.sourceAddresses} source addresses)`,
      `  messages: ${total * (plan.direct + plan.publishes) * ROUNDS} sent by clients in ${ROUNDS} rounds, ${done.received} received, 0 lost/duplicated/reordered`,
      `  duration: connect ${((tConnected - t0) / 1000).toFixed(1)} s, traffic ${((tDone - tConnected) / 1000).toFixed(1)} s, total ${((tEnd - t0) / 1000).toFixed(1)} s`,
      `  heap: before ${mib(heapBefore)}, after ${mib(heapAfter)} (${heapAfter >= heapBefore ? '+' : ''}${mib(heapAfter - heapBefore)})`,
    ].join('\n'),
  );
  expect(heapAfter - heapBefore).toBeLessThan(HEAP_SLACK);
});

/** `gate.publish` to one room, numbered from `from`, in one tick (the order must survive batching). */
function publishAll(t: StartedTarget, room: string, from: number, n: number): void {
  for (let s = from; s < from + n; s++) t.gate.publish(`room:${room}`, `g|${room}|${s}`);
}
