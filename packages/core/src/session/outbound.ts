import type { Socket } from 'node:net';
import { closeFor } from '../close-policy.js';
import { canWriteFramed, frameMessage, JOIN_BELOW, type WsInternals } from '../topics/framing.js';
import { sizeOfSendData } from './send-data.js';
import type { SendData, Session } from './session.js';
import { settleBefore } from './topic-membership.js';

/**
 * The outbound path of a session and its backpressure: every write to a client (`send`, `sendJson`, the
 * protocol's frames, a contract's error reply, a broadcast, a pong) passes {@link admit} before and
 * {@link afterWrite} after. Above `backpressure.limit` bytes still unsent the client has stopped reading:
 * the message is dropped, or the session closed (1013), as `backpressure.policy` says. Above
 * `highWaterMark` writes return false and the session emits `drain` once the client caught up.
 */

type AnySession = Session<unknown>;

/** Writes one message as is (after the protocol's envelope, if any); what `send` returns. */
export function write(session: AnySession, data: SendData): boolean {
  const size = sizeOfSendData(data, 'send()');
  const raw = session.raw;
  if (raw.readyState !== 1) return false;
  // A broadcast published earlier may still be on its way to this session: it goes first.
  settleBefore(session);
  if (!admit(session)) return false;
  if (size <= JOIN_BELOW && (typeof data === 'string' || Buffer.isBuffer(data)) && canWriteFramed(raw)) {
    // The common small message, framed by us into one buffer and written straight to the socket (as a
    // broadcast is): ws.send would write a header and the payload apart, a string as a string chunk
    // (Node's slower writev path). canWriteFramed holds us to ws's own rules: an idle sender, no
    // compression, an open socket; anything else goes through ws.send, which queues behind it.
    const socket = (raw as unknown as WsInternals)._socket as Socket;
    socket.write(frameMessage(data, typeof data !== 'string', size)[0]!);
  } else raw.send(data);
  session._host.stats.sent(size);
  return afterWrite(session);
}

/**
 * Applies the backpressure limit before a message is written. Only what is already buffered counts: more
 * than `limit` bytes still unsent means the client stopped reading. The message's own size does not, or
 * one message larger than the limit would close (or be dropped for) a client that reads, and a large
 * publish would close every subscriber. A session so buffers at most `limit` plus one message.
 */
export function admit(session: AnySession): boolean {
  const { limit, policy } = session._settings.backpressure;
  const raw = session.raw;
  if (raw.bufferedAmount <= limit) return true;
  session._host.stats.slowConsumer(policy);
  if (policy === 'close') {
    if (raw.readyState === 1) raw.close(closeFor.slowConsumer.code, closeFor.slowConsumer.reason);
  }
  return false;
}

/** After a write: true while under the high-water mark, else arms `drain`. */
export function afterWrite(session: AnySession): boolean {
  if (session.raw.bufferedAmount <= session._settings.backpressure.highWaterMark) return true;
  if (!session._drainArmed) {
    const socket = (session.raw as unknown as { _socket?: Socket | null })._socket;
    if (socket && !socket.destroyed) {
      session._drainArmed = true;
      // Not the socket's 'drain' event: it fires only after a write() returned false, i.e. above the
      // socket's own highWaterMark (16 KiB on Node 20, 64 KiB from Node 22), which may be above ours.
      // One closure per crossing of the high-water mark, never per message.
      const check = () => checkDrain(session);
      // A zero-length write's callback runs once everything queued before it has been flushed. When the
      // socket holds nothing, the bytes are still in ws's sender (being compressed): a zero-length write
      // would complete at once and spin, starving zlib's completion, so look again on the next turn.
      if (socket.writableLength > 0) socket.write(EMPTY, check);
      else setImmediate(check);
    }
  }
  return false;
}

function checkDrain(session: AnySession): void {
  session._drainArmed = false;
  if (session.raw.readyState !== 1) return;
  if (session.raw.bufferedAmount <= session._settings.backpressure.highWaterMark) session.emit('drain');
  else afterWrite(session);
}

const EMPTY = Buffer.alloc(0);
