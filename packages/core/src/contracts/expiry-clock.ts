import { CloseCode } from '../close-policy.js';
import type { Session } from '../session/session.js';
import type { Expiry } from './expiry.js';

/**
 * The expiry deadlines of one gate's sessions: one timer, armed for the earliest deadline and unref'd
 * (nothing here keeps the process alive), over a binary min-heap, so a million expiring sessions cost a
 * heap entry each, not a timer. A deadline passed: `onExpire` is asked, then the session is extended or
 * closed with 4401 `'credential expired'`.
 */

interface Entry {
  at: number;
  session: Session<unknown>;
  index: number;
}

/** Node runs a timer longer than 2^31-1 ms after 1 ms: far deadlines are approached in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export class ExpiryClock {
  readonly #heap: Entry[] = [];
  readonly #entries = new WeakMap<Session<unknown>, Entry>();
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #fire = (): void => this.#fireDue();

  /** Sets (or moves, or with `undefined` cancels) when a session expires. */
  schedule(session: Session<unknown>, at: number | undefined): void {
    let e = this.#entries.get(session);
    if (at === undefined) {
      if (e) this.#remove(e);
      return;
    }
    if (session._closed) return;
    if (e) {
      e.at = at;
      this.#up(e.index);
      this.#down(e.index);
    } else {
      e = { at, session, index: this.#heap.length };
      this.#entries.set(session, e);
      this.#heap.push(e);
      this.#up(e.index);
      // Forgotten when the session closes, not at its deadline: a closed session is not kept alive by us.
      session.once('close', () => {
        const current = this.#entries.get(session);
        if (current) this.#remove(current);
      });
    }
    this.#arm();
  }

  /** For tests: the number of pending deadlines and whether a timer is armed. */
  get state(): { pending: number; armed: boolean } {
    return { pending: this.#heap.length, armed: this.#timer !== undefined };
  }

  #remove(e: Entry): void {
    const heap = this.#heap;
    this.#entries.delete(e.session);
    const last = heap.pop()!;
    if (last !== e) {
      heap[e.index] = last;
      last.index = e.index;
      this.#up(last.index);
      this.#down(last.index);
    }
    this.#arm();
  }

  #arm(): void {
    const next = this.#heap[0]?.at ?? Number.POSITIVE_INFINITY;
    if (next === this.#armedFor && this.#timer !== undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = next;
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(this.#fire, Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
    this.#timer.unref();
  }

  #fireDue(): void {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const heap = this.#heap;
    const now = Date.now();
    while (heap.length > 0 && heap[0]!.at <= now) {
      const e = heap[0]!;
      this.#remove(e);
      this.#expired(e.session);
    }
    this.#arm();
  }

  /** A deadline passed: ask `onExpire`, then extend or close. */
  #expired(session: Session<unknown>): void {
    if (session.readyState !== 1) return;
    const hook = session._settings.onExpire;
    if (!hook) {
      close(session);
      return;
    }
    let answer: ReturnType<typeof hook>;
    try {
      answer = hook(session);
    } catch (err) {
      hookFailed(session, err);
      return;
    }
    if (
      answer !== null &&
      typeof answer === 'object' &&
      typeof (answer as Promise<unknown>).then === 'function'
    ) {
      (answer as Promise<Expiry | undefined>).then(
        (next) => this.#extendOrClose(session, next),
        (err: unknown) => hookFailed(session, err),
      );
    } else this.#extendOrClose(session, answer as Expiry | undefined);
  }

  #extendOrClose(session: Session<unknown>, next: Expiry | undefined): void {
    if (session.readyState !== 1) return;
    const at = next === undefined || next === null ? Number.NaN : +next;
    if (at > Date.now()) this.schedule(session, at);
    else close(session);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const e = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (parent.at <= e.at) break;
      heap[i] = parent;
      parent.index = i;
      i = p;
    }
    heap[i] = e;
    e.index = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const e = heap[i]!;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]!.at < heap[l]!.at ? r : l;
      const child = heap[c]!;
      if (child.at >= e.at) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = e;
    e.index = i;
  }
}

function hookFailed(session: Session<unknown>, err: unknown): void {
  session._host.listenerError(err, session); // reported, closed with 1011
}

function close(session: Session<unknown>): void {
  if (session.readyState === 1) session.close(CloseCode.credentialExpired, 'credential expired');
}
