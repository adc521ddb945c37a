import { DEFAULTS, type LimitOptions } from '../options.js';
import type { PreparedUpgrade } from './prepared-upgrade.js';
import type { Refusal } from './refusal.js';

/**
 * One gate's admission accounting (`limits.connections`, `connectionsPerIp`, `pendingHandshakes`): the
 * handshakes in progress, and what each client address holds (its open sessions plus its pending
 * handshakes). Per gate, never per process: two gates in one process count apart.
 */
export class Admission<TUser> {
  /** The handshakes between `prepare` and their end (a session, a refusal, or the client left). */
  readonly pending = new Set<PreparedUpgrade<TUser>>();
  /** Slots held per client address key (`ipKey`: IPv6 per /64); a key at zero is deleted. */
  readonly #perIp = new Map<string, number>();
  readonly #connections: number;
  readonly #connectionsPerIp: number;
  readonly #pendingHandshakes: number;

  constructor(limits: LimitOptions | undefined) {
    this.#connections = limits?.connections ?? DEFAULTS.connections;
    this.#connectionsPerIp = limits?.connectionsPerIp ?? DEFAULTS.connectionsPerIp;
    this.#pendingHandshakes = limits?.pendingHandshakes ?? DEFAULTS.pendingHandshakes;
  }

  /** How many client addresses hold a slot (for the tests' leak checks). */
  get addresses(): number {
    return this.#perIp.size;
  }

  /**
   * The refusal for one more handshake while `open` sessions are open, or null. Handshakes in progress
   * count: concurrent upgrades behind a slow authenticate or middleware would otherwise all pass this
   * check before the first of them opens.
   */
  full(open: number): Refusal | null {
    if (open + this.pending.size >= this.#connections)
      return { status: 503, reason: 'Too many connections', headers: { 'Retry-After': '5' } };
    if (this.pending.size >= this.#pendingHandshakes)
      return { status: 503, reason: 'Too many pending handshakes', headers: { 'Retry-After': '1' } };
    return null;
  }

  /** The refusal for one more handshake from the client address `key`, or null. */
  fullFor(key: string): Refusal | null {
    if ((this.#perIp.get(key) ?? 0) < this.#connectionsPerIp) return null;
    return { status: 429, reason: 'Too many connections from this address', headers: { 'Retry-After': '5' } };
  }

  /** Counts an upgrade that passed every check as pending, and against its client address. */
  admit(upgrade: PreparedUpgrade<TUser>): void {
    this.pending.add(upgrade);
    const key = upgrade.ipKey;
    this.#perIp.set(key, (this.#perIp.get(key) ?? 0) + 1);
  }

  /**
   * The upgrade ended: it no longer holds a pending slot. Its address slot is given back apart
   * ({@link Admission.release}): by the upgrade when it opened no session, else by the session as it closes.
   */
  settled(upgrade: PreparedUpgrade<TUser>): void {
    this.pending.delete(upgrade);
  }

  /** Gives back the address slot a session (or an upgrade) held; `undefined` held none. */
  release(key: string | undefined): void {
    if (key === undefined) return;
    const n = (this.#perIp.get(key) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(key);
    else this.#perIp.set(key, n);
  }
}
