// A real ws client: connects, sends one message, resolves with the first reply (or rejects on an
// unexpected response, an error or a close before any reply).
import WebSocket from 'ws';

export function roundTrip(url: string, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => ws.send(message));
    ws.once('message', (data) => {
      ws.close(1000);
      ws.once('close', () => resolve(String(data)));
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode} from ${url}`)));
    ws.once('error', reject);
  });
}

/** Fails the process with a message naming what did not hold. */
export function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`smoke check failed: ${what}`);
}
