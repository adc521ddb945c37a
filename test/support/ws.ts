import { once } from 'node:events';
import WebSocket from 'ws';

export { WebSocket };

type Received = string | Buffer;
interface Inbox {
  messages: Received[];
  waiters: Array<() => void>;
}
const inboxes = new WeakMap<WebSocket, Inbox>();

/**
 * Records every message from the moment the client exists. ws emits the first message on the tick after
 * 'open' (before a promise continuation runs), so listeners attached after `await open` can miss it.
 */
export function track(ws: WebSocket): WebSocket {
  if (inboxes.has(ws)) return ws;
  const box: Inbox = { messages: [], waiters: [] };
  inboxes.set(ws, box);
  const wake = () => {
    for (const w of box.waiters.splice(0)) w();
  };
  ws.on('message', (data, isBinary) => {
    box.messages.push(isBinary ? (data as Buffer) : data.toString());
    wake();
  });
  ws.on('close', wake);
  return ws;
}

/** Opens a ws client and waits for 'open' (rejects with the HTTP status on 'unexpected-response'). */
export function openClient(
  url: string,
  options: WebSocket.ClientOptions & { protocols?: string | string[] } = {},
): Promise<WebSocket> {
  const { protocols, ...rest } = options;
  const ws = track(new WebSocket(url, protocols ?? [], rest));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        ws.terminate();
        reject(
          Object.assign(new Error(`unexpected response ${res.statusCode}: ${body}`), {
            status: res.statusCode,
            body,
            headers: res.headers,
          }),
        );
      });
    });
    ws.once('error', reject);
  });
}

/** Resolves with the next message (text as string, binary as Buffer); the client must be tracked. */
export async function nextMessage(ws: WebSocket): Promise<string | Buffer> {
  const [m] = await collect(ws, 1);
  return m!;
}

/** Collects the next `n` messages in order; rejects if the client closes first. */
export async function collect(ws: WebSocket, n: number): Promise<Array<string | Buffer>> {
  track(ws);
  const box = inboxes.get(ws)!;
  while (box.messages.length < n) {
    if (ws.readyState === WebSocket.CLOSED)
      throw new Error(`closed after ${box.messages.length}/${n} messages`);
    await new Promise<void>((r) => box.waiters.push(r));
  }
  return box.messages.splice(0, n);
}

/** Resolves with the close code and reason once the client sees the close. */
export async function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return { code: (ws as any)._closeCode ?? 1006, reason: '' };
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}

/** Waits until `predicate` holds, checking on every turn of the event loop (no fixed sleeps). */
export async function until(predicate: () => boolean, what = 'condition', timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
