import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** The response Node's HTTP server is still writing on a keep-alive socket, if any. */
function inFlight(socket: Duplex): ServerResponse | null {
  return (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
}

/** Whether a response is still being written on the socket (`afterInFlight` would wait for it). */
export function busy(socket: Duplex): boolean {
  return inFlight(socket) !== null;
}

/**
 * An upgrade pipelined behind a plain request on one keep-alive connection reaches `'upgrade'` while
 * that request's response is still being written: anything written now (a 101, a refusal) would land
 * ahead of it, and a framework cannot even bind a response to the socket. Waits for every response in
 * flight to finish, then calls `run`; a socket that closes meanwhile is dropped, and one whose earlier
 * response never finishes is destroyed after `timeout` ms (nothing may be written ahead of it).
 *
 * @returns false when nothing is in flight (the caller goes on at once).
 */
export function afterInFlight(socket: Duplex, run: () => void, timeout: number): boolean {
  const busy = inFlight(socket);
  if (busy === null) return false;
  const timer = setTimeout(() => socket.destroy(), timeout);
  timer.unref();
  const onClose = (): void => {
    clearTimeout(timer);
    busy.off('finish', onFinish);
  };
  // Node's own 'finish' listener ran first: it detached the response and assigned the next one queued.
  const onFinish = (): void => {
    clearTimeout(timer);
    socket.off('close', onClose);
    if (socket.destroyed) return;
    // That response said `Connection: close`: the socket is ending and the upgrade goes with it.
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    if (!afterInFlight(socket, run, timeout)) run();
  };
  busy.once('finish', onFinish);
  socket.once('close', onClose);
  return true;
}
