import { backoffDelay, closeDecision, parseRetryAfter, statusDecision } from './backoff.js';
import { Emitter } from './emitter.js';
import { type Data, dataOf, payload } from './envelope.js';
import { RequestError } from './request-error.js';
import type {
  ClientEvents,
  CloseInfo,
  ConnectOptions,
  RequestHandler,
  State,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';

const PROTOCOL = 'wsgate.v1';
/** A connection that stayed open this long resets the backoff. */
const STABLE = 5_000;

interface Waiter {
  resolve(value: unknown): void;
  reject(err: RequestError): void;
  timer: ReturnType<typeof setTimeout>;
  /** Sent on the current connection (fails with `closed` when it drops), or still queued. */
  sent: boolean;
}

interface Frame {
  t?: unknown;
  id?: unknown;
  d?: unknown;
  b?: unknown;
  topic?: unknown;
  e?: unknown;
  o?: unknown;
  resumed?: unknown;
  code?: unknown;
  message?: unknown;
  error?: { code?: unknown; message?: unknown };
}

type Sendable = string | ArrayBuffer | ArrayBufferView;

/**
 * A `wsgate.v1` connection that comes back by itself: reconnects with jittered backoff honouring the
 * server's close codes, resumes topics from the last positions seen, queues sends while offline, carries
 * requests both ways and detects a dead connection with application pings. Create it with {@link connect}.
 */
export class Client extends Emitter<ClientEvents> {
  #state: State = 'connecting';
  #info: CloseInfo | undefined;

  readonly #url: string;
  readonly #o: ConnectOptions;
  readonly #WS: WebSocketConstructor;
  /** Last position seen per topic, presented in the next `hello`. */
  readonly #positions = new Map<string, { e: string; o: number }>();
  readonly #waiting = new Map<number, Waiter>();
  /** Frames waiting for a connection; `id` marks a request (skipped when it timed out meanwhile). */
  #queue: Array<[frame: string, id?: number]> = [];
  #ws: WebSocketLike | undefined;
  #nextId = 1;
  #attempt = 0;
  #failures = 0;
  #openedAt = 0;
  #status: { status: number; retryAfter?: number } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #awaiting = false;
  #handler: RequestHandler | undefined;

  constructor(url: string, options: ConnectOptions = {}) {
    super();
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (typeof WS !== 'function')
      throw new TypeError('wsgate: no WebSocket; pass options.WebSocket (for example WebSocket from ws)');
    this.#url = url;
    this.#o = options;
    this.#WS = WS;
    this.#open();
  }

  /** The current state. */
  get state(): State {
    return this.#state;
  }

  /** Why the last connection ended (set on `reconnecting` and `closed`). */
  get info(): CloseInfo | undefined {
    return this.#info;
  }

  /** The last position seen of each topic (what the next connection presents to resume). */
  get positions(): ReadonlyMap<string, { readonly epoch: string; readonly offset: number }> {
    return new Map([...this.#positions].map(([t, p]) => [t, { epoch: p.e, offset: p.o }]));
  }

  /**
   * Sends an application message (text, or bytes). While not connected it is queued, up to `queue`
   * messages and requests, and sent after the next `hello`, in order. Returns false when it was dropped:
   * the queue is full (the newest message is the one refused) or the client is closed.
   */
  send(data: Sendable): boolean {
    if (typeof data !== 'string' && !(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data))
      throw new TypeError('wsgate: send() takes a string, ArrayBuffer or typed array');
    return this.#send(`{"t":"msg",${payload(data)}}`);
  }

  /**
   * Sends a request (any JSON value, or bytes) and resolves with the server's reply, or rejects with a
   * {@link RequestError}: the server's error, `timeout`, `closed` (the connection dropped after the request
   * was sent; it may or may not have run) or `queue-full`. A request made while offline is queued and its
   * timeout runs from the call.
   */
  request(data: unknown, options: { timeout?: number } = {}): Promise<unknown> {
    const timeout = options.timeout ?? this.#o.timeout ?? 10_000;
    const id = this.#nextId++;
    const frame = `{"t":"req","id":${id},${payload(data)}}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(id, new RequestError('timeout')), timeout);
      const w: Waiter = {
        resolve,
        reject,
        timer,
        sent: this.#ws?.readyState === 1 && this.#state === 'open',
      };
      this.#waiting.set(id, w);
      if (!this.#send(frame, id))
        this.#settle(id, new RequestError(this.#state === 'closed' ? 'closed' : 'queue-full'));
    });
  }

  /** Answers the server's requests; without a handler they are answered `no-handler`. */
  onRequest(handler: RequestHandler | undefined): void {
    this.#handler = handler;
  }

  /** Closes for good (code 1000): pending requests fail with `closed`, the queue is dropped. */
  close(): void {
    this.#stop({ code: 1000, reason: 'client closed' });
  }

  #send(frame: string, id?: number): boolean {
    if (this.#state === 'closed') return false;
    const ws = this.#ws;
    if (this.#state === 'open' && ws?.readyState === 1) {
      ws.send(frame);
      return true;
    }
    if (this.#queue.length >= (this.#o.queue ?? 100)) return false;
    this.#queue.push(id === undefined ? [frame] : [frame, id]);
    return true;
  }

  #settle(id: number, error: RequestError | undefined, data?: unknown): void {
    const w = this.#waiting.get(id);
    if (!w) return; // late or unknown reply: ignored
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    if (error) w.reject(error);
    else w.resolve(data);
  }

  #setState(state: State, info?: CloseInfo): void {
    if (info) this.#info = info;
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state, info);
  }

  #open(): void {
    this.#status = undefined;
    const ws = new this.#WS(this.#url, PROTOCOL) as WebSocketLike;
    this.#ws = ws;
    // ws (Node) shows the refusal's status and Retry-After; browsers and Node's global WebSocket do not.
    const emitter = ws as unknown as {
      on?: (e: string, f: (...a: never[]) => void) => void;
      terminate?(): void;
    };
    emitter.on?.(
      'unexpected-response',
      (_req: unknown, res: { statusCode: number; headers: Record<string, string> }) => {
        this.#status = { status: res.statusCode };
        const after = parseRetryAfter(res.headers['retry-after']);
        if (after !== undefined) this.#status.retryAfter = after;
        emitter.terminate?.();
      },
    );
    ws.onopen = () => this.#opened(ws);
    ws.onmessage = (ev) => this.#receive(ws, ev.data);
    ws.onclose = (ev) => this.#closed(ws, { code: ev.code, reason: ev.reason });
    // A close event follows. ws (unlike browsers) fails the handshake when the server selected no
    // subprotocol: that is a route without wsgate.v1, not a network failure worth retrying.
    ws.onerror = (ev) => {
      if (/no subprotocol/.test(String((ev as { message?: unknown })?.message))) this.#status = { status: 0 };
    };
  }

  #opened(ws: WebSocketLike): void {
    if (ws.protocol !== PROTOCOL) {
      this.#stop({ code: 1000, reason: 'protocol-not-negotiated' });
      return;
    }
    const topics: Record<string, { e: string; o: number }> = {};
    for (const [t, p] of this.#positions) topics[t] = p;
    ws.send(JSON.stringify(this.#positions.size ? { t: 'hello', topics } : { t: 'hello' }));
    this.#openedAt = Date.now();
    this.#failures = 0;
    // What was queued goes first: a send from an 'open' listener must not overtake it.
    for (const [frame, id] of this.#queue.splice(0)) {
      if (id === undefined) ws.send(frame);
      else {
        const w = this.#waiting.get(id);
        if (!w) continue; // timed out while queued
        w.sent = true;
        ws.send(frame);
      }
    }
    this.#ping(ws);
    this.#setState('open');
  }

  /**
   * Liveness: a ping `interval` ms after the last answer; any frame answers it. Silence for `timeout` ms
   * after a ping drops the connection.
   */
  #ping(ws: WebSocketLike): void {
    const ping = this.#o.ping;
    if (ping === false) return;
    this.#awaiting = false;
    clearTimeout(this.#pingTimer);
    this.#pingTimer = setTimeout(() => {
      if (ws !== this.#ws) return;
      this.#awaiting = true;
      ws.send('{"t":"ping"}');
      this.#pingTimer = setTimeout(() => {
        if (ws !== this.#ws) return;
        // A dead TCP connection would take minutes to report its close: let it go and move on now.
        ws.onclose = ws.onmessage = null;
        const terminate = (ws as { terminate?: () => void }).terminate;
        if (terminate) terminate.call(ws);
        else ws.close(4000, 'ping timeout');
        this.#closed(ws, { code: 1006, reason: 'ping timeout' });
      }, ping?.timeout ?? 10_000);
    }, ping?.interval ?? 20_000);
  }

  #receive(ws: WebSocketLike, raw: unknown): void {
    if (this.#awaiting) this.#ping(ws);
    let f: Frame;
    try {
      f = JSON.parse(String(raw));
    } catch {
      this.emit('error', new Error('wsgate: a frame from the server is not JSON'));
      return;
    }
    const topic = typeof f.topic === 'string' ? f.topic : '';
    const positioned = typeof f.e === 'string' && typeof f.o === 'number';
    switch (f.t) {
      case 'msg':
        this.emit('message', dataOf(f) as Data, undefined);
        break;
      case 'pub': {
        if (!positioned) {
          this.emit('message', dataOf(f) as Data, { topic });
          break;
        }
        const e = f.e as string;
        const o = f.o as number;
        const last = this.#positions.get(topic);
        if (last && last.e === e && o <= last.o) break; // already delivered
        if (last && (last.e !== e || o > last.o + 1)) this.emit('reset', topic); // a gap nobody filled
        this.#positions.set(topic, { e, o });
        this.emit('message', dataOf(f) as Data, { topic, epoch: e, offset: o });
        break;
      }
      case 'sub':
        if (f.resumed === false) {
          this.#positions.delete(topic);
          this.emit('reset', topic);
        }
        if (positioned && f.resumed !== true)
          this.#positions.set(topic, { e: f.e as string, o: f.o as number });
        break;
      case 'unsub':
        this.#positions.delete(topic);
        break;
      case 'res':
        if (typeof f.id === 'number') {
          this.#settle(f.id, f.error ? RequestError.fromWire(f.error) : undefined, dataOf(f));
        }
        break;
      case 'req':
        if (typeof f.id === 'number') this.#answer(ws, f.id, dataOf(f));
        break;
      case 'error':
        this.emit('error', RequestError.fromWire(f));
        break;
      // 'pong' only proves liveness; unknown types are ignored (docs/protocol.md section 9).
    }
  }

  async #answer(ws: WebSocketLike, id: number, data: unknown): Promise<void> {
    let frame: string;
    try {
      if (!this.#handler) throw new RequestError('no-handler');
      frame = `{"t":"res","id":${id},${payload(await this.#handler(data))}}`;
    } catch (err) {
      const e = err instanceof RequestError ? err : new RequestError('failed', 'request failed');
      frame = JSON.stringify({ t: 'res', id, error: { code: e.code, message: e.message } });
    }
    if (ws === this.#ws && ws.readyState === 1) ws.send(frame);
  }

  #closed(ws: WebSocketLike, info: CloseInfo): void {
    if (ws !== this.#ws || this.#state === 'closed') return;
    clearTimeout(this.#pingTimer);
    this.#ws = undefined;
    // Requests that went out on this connection may or may not have run: they fail with `closed`.
    for (const [id, w] of this.#waiting) if (w.sent) this.#settle(id, new RequestError('closed'));
    const wasOpen = this.#openedAt > 0;
    if (wasOpen && Date.now() - this.#openedAt >= STABLE) this.#attempt = 0;
    this.#openedAt = 0;
    const s = this.#status;
    if (s) Object.assign(info, s);
    if (info.code === 1009)
      this.emit('error', new Error('wsgate: the server refused a message as too big (1009)'));
    this.#decide(info, wasOpen);
  }

  async #decide(info: CloseInfo, wasOpen: boolean): Promise<void> {
    const o = this.#o;
    if (info.status === 0) return this.#stop({ code: 1000, reason: 'protocol-not-negotiated' });
    let status = info.status;
    if (!wasOpen && status === undefined && o.probe) {
      try {
        status = (await o.probe()) ?? undefined;
      } catch {}
      if (this.#state === 'closed') return;
      if (status !== undefined) info.status = status;
    }
    let again: boolean;
    if (o.reconnect === false) again = false;
    else if (o.shouldReconnect) again = o.shouldReconnect(info);
    else if (status !== undefined) again = statusDecision(status) === 'reconnect';
    else if (wasOpen) again = closeDecision(info.code) === 'reconnect';
    else {
      again = ++this.#failures < (o.maxHandshakeFailures ?? 10);
      if (!again) info.reason = 'handshake-failed';
    }
    if (!again) {
      this.#stop(info);
      return;
    }
    let delay = backoffDelay(this.#attempt++, o.reconnect || {});
    if (info.retryAfter !== undefined) delay = Math.max(delay, info.retryAfter);
    if (info.code === 1013) delay = Math.max(delay, 1_000);
    this.#setState('reconnecting', info);
    this.#timer = setTimeout(() => this.#open(), delay);
  }

  #stop(info: CloseInfo): void {
    if (this.#state === 'closed') return;
    clearTimeout(this.#timer);
    clearTimeout(this.#pingTimer);
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws && ws.readyState < 2) ws.close(1000);
    this.#queue = [];
    this.#setState('closed', info);
    for (const id of [...this.#waiting.keys()]) this.#settle(id, new RequestError('closed'));
  }
}

/**
 * Opens a `wsgate.v1` connection to `url` that reconnects, resumes and carries requests; see
 * docs/protocol.md for what it speaks and {@link ConnectOptions} for the defaults.
 */
export function connect(url: string, options?: ConnectOptions): Client {
  return new Client(url, options);
}
