/**
 * What every arm serves, so the arms differ only in the library under test:
 *   /echo          echoes every message; joins the fan-out topic (and, every other connection, one extra topic)
 *   /auth          the same behind the framework's own auth hook (401 without the bearer token)
 *   /rooms/:room   joins `room:<room>` too; every message is published to the room (sender included)
 */
import type { GateOptions } from '@wsgate/core';

export const TOKEN = 'Bearer bench';
/**
 * How much slower than real time the server runs: under callgrind (BENCH_CALLGRIND) about 50x, so timers
 * and timeouts are stretched as much.
 */
export const SLOWED = process.env.BENCH_CALLGRIND ? 50 : 1;

/**
 * The keepalive interval of the arms that have one (wsgate's heartbeat, socket.io's ping): 10 minutes, so
 * that no round falls inside a measured phase. A round pings every connection: at the 30 s default one
 * landed in phases of the 10k window when the timing said so (a profiled rooms phase: `Heartbeat#ping`
 * 6 % of its CPU, before the pongs), billing a per-time cost to whichever phase it hit. The heartbeat
 * still runs (its timer, bookkeeping and per-session state are all there); its cost per idle connection
 * is not an operation's.
 */
export const KEEPALIVE_MS = 600_000 * SLOWED;
export const FAN = 'fan';
export const MAX_PAYLOAD = 1 << 20;

/** A started arm: its port and the hooks the server process drives (the stats side lives in server.ts). */
export interface Arm {
  port: number;
  /** Open connections, as the library counts them. */
  count(): number;
  /** A publish to a topic: the library's broadcast, or the naive send loop where it has none. */
  publish(topic: string, data: string): void;
  /**
   * The reconnect storm's rolling restart: closes every connection open now, spread over `window` ms
   * (`closeSpread`), with 1012 where the library takes a close code, and keeps serving. Returns how many.
   */
  restart(window: number): number;
}

/**
 * The topics a connection joins, from a per-server sequence number: the fan-out topic, its room, and for
 * every other connection one of 16 extra topics, so a connection holds 1-3 topics.
 */
export function topicsFor(seq: number, room: string | undefined): string[] {
  const topics = [FAN];
  if (room !== undefined) topics.push(`room:${room}`);
  if (seq % 2 === 1) topics.push(`extra:${seq % 16}`);
  return topics;
}

/**
 * Gate options for every wsgate arm: defaults, except that the benchmark opens 10k connections from one IP
 * and ping-pongs far above the default 100 messages/s per session.
 */
export const GATE_OPTIONS = {
  limits: { connections: 100_000, connectionsPerIp: 100_000, pendingHandshakes: 10_000, messages: false },
  heartbeat: { interval: KEEPALIVE_MS, timeout: 10_000 * SLOWED },
  logger: { debug() {}, info() {}, warn() {}, error() {} },
} satisfies GateOptions;
