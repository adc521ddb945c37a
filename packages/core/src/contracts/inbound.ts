import { CloseCode } from '../close-policy.js';
import { deliver, hold, release } from '../session/inbound.js';
import { write } from '../session/outbound.js';
import type { Session } from '../session/session.js';
import type { Contract } from './contract.js';
import { describeIssue, truncateReason } from './issues.js';
import type { StandardSchemaV1 } from './schema.js';

/**
 * The inbound path of a route with a `message` schema: parse, validate, deliver, strictly in arrival order.
 * A synchronous validator (zod, valibot and arktype without async refinements) delivers in the same turn
 * as the frame. An async one starts a queue: frames that arrive while a validation is pending wait in it
 * (counted against the session's inbound bound, so a slow validator pushes back on the client through TCP)
 * and are validated one after another, so a later message never overtakes an earlier one.
 */

type Entry = { buf: Buffer; binary: boolean };

/** Sessions with a validation in flight: frames waiting behind it; null once the session was refused. */
const waiting = new WeakMap<Session<unknown>, Entry[] | null>();

/** A frame for a route with a `message` schema (from `receive` in session/inbound.ts, after the rate limit). */
export function receiveChecked(
  session: Session<unknown>,
  contract: Contract,
  buf: Buffer,
  binary: boolean,
): void {
  const queue = waiting.get(session);
  if (queue === null) return; // refused: what the client sends while we close is dropped
  if (queue !== undefined) {
    queue.push({ buf, binary });
    hold(session, buf.length);
    return;
  }
  const pending = check(session, contract, buf, binary);
  if (pending !== undefined) {
    waiting.set(session, []);
    void pending.then(() => drain(session, contract));
  }
}

/** Validates the frames that waited behind an async validation, in order, until one is async again. */
function drain(session: Session<unknown>, contract: Contract): void {
  const queue = waiting.get(session);
  if (!queue) return;
  while (queue.length > 0) {
    const { buf, binary } = queue.shift()!;
    release(session, buf.length);
    const pending = check(session, contract, buf, binary);
    if (pending !== undefined) {
      void pending.then(() => drain(session, contract));
      return;
    }
    if (waiting.get(session) === null) return;
  }
  waiting.delete(session);
}

/** One frame: the answer for bad input, or the validated value delivered; a promise when async. */
function check(
  session: Session<unknown>,
  contract: Contract,
  buf: Buffer,
  binary: boolean,
): Promise<void> | undefined {
  if (binary) {
    refuse(session, CloseCode.unsupportedData, 'binary messages are not accepted on this route');
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(buf.toString('utf8'));
  } catch {
    refuse(session, CloseCode.invalidPayload, 'message is not valid JSON');
    return undefined;
  }
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = (contract.message as StandardSchemaV1)['~standard'].validate(data);
  } catch (err) {
    failed(session, err);
    return undefined;
  }
  if (typeof (result as Promise<unknown>).then !== 'function') {
    settle(session, contract, result as StandardSchemaV1.Result<unknown>, data, buf.length);
    return undefined;
  }
  return (result as Promise<StandardSchemaV1.Result<unknown>>).then(
    (r) => settle(session, contract, r, data, buf.length),
    (err: unknown) => failed(session, err),
  );
}

function settle(
  session: Session<unknown>,
  contract: Contract,
  result: StandardSchemaV1.Result<unknown>,
  data: unknown,
  size: number,
): void {
  if (waiting.get(session) === null) return;
  if (result.issues === undefined) {
    deliver(session, result.value, size);
    return;
  }
  const onInvalid = contract.onInvalid;
  if (onInvalid === 'close') {
    const first = result.issues[0];
    refuse(
      session,
      CloseCode.invalidPayload,
      truncateReason(first ? describeIssue(first) : 'invalid message'),
    );
  } else if (onInvalid === 'reply') {
    // A wsgate.v1 session gets the protocol's own error frame (docs/protocol.md, `error`), others ours.
    const first = result.issues[0];
    write(
      session,
      JSON.stringify(
        session._protocol !== undefined
          ? { t: 'error', code: 'invalid', message: first ? describeIssue(first) : 'invalid message' }
          : invalidReply(result.issues),
      ),
    );
  } else {
    try {
      onInvalid({ issues: result.issues, data }, session);
    } catch (err) {
      failed(session, err);
    }
  }
}

/**
 * The error a client gets for a refused message with `onInvalid: 'reply'`: a `type` and `code` it can
 * switch on, and each issue's message and path (keys only, as plain JSON).
 */
export function invalidReply(issues: ReadonlyArray<StandardSchemaV1.Issue>): {
  type: 'error';
  code: 'invalid_message';
  issues: { message: string; path: (string | number)[] }[];
} {
  return {
    type: 'error',
    code: 'invalid_message',
    issues: issues.map((i) => ({
      message: i.message,
      path: (i.path ?? []).map((p) => {
        const key = typeof p === 'object' && p !== null ? p.key : p;
        return typeof key === 'number' ? key : String(key);
      }),
    })),
  };
}

function refuse(session: Session<unknown>, code: number, reason: string): void {
  waiting.set(session, null);
  if (session.readyState === 1) session.close(code, reason);
}

/** A validator that threw or rejected: a bug on our side (1011, reported as a handler error), not the client's. */
function failed(session: Session<unknown>, err: unknown): void {
  waiting.set(session, null);
  session._host.listenerError(err, session);
}
