/** Close codes wsgate sends, in one place (RFC 6455 section 7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  /** The session's credential expired (contracts/expiry.ts); 4401 as graphql-ws: authenticate again. */
  credentialExpired: 4401,
} as const;

/** Whether a code may be sent in a close frame (ws's rule: 1000-1014 minus the reserved ones, 3000-4999). */
export function isValidCloseCode(code: number): boolean {
  return (
    (Number.isInteger(code) &&
      code >= 1000 &&
      code <= 1014 &&
      code !== 1004 &&
      code !== 1005 &&
      code !== 1006) ||
    (Number.isInteger(code) && code >= 3000 && code <= 4999)
  );
}

/** Validates `close(code, reason)` arguments, throwing a TypeError that says what was wrong. */
export function checkClose(code: number | undefined, reason: string | undefined): void {
  if (code !== undefined && !isValidCloseCode(code)) {
    throw new TypeError(`wsgate: close code ${code} is not valid; use 1000, 1001, 1008, 1011 or 3000-4999`);
  }
  if (reason !== undefined) {
    if (typeof reason !== 'string') throw new TypeError('wsgate: close reason must be a string');
    if (Buffer.byteLength(reason) > 123)
      throw new TypeError('wsgate: close reason must be at most 123 bytes');
  }
}

/** A close wsgate decides on its own: the code and the reason the client is sent. */
export interface CloseDecision {
  readonly code: number;
  readonly reason: string;
}

/**
 * Every close code wsgate decides, named, in one place (the protocol layer's wsgate.v1 closes live in
 * protocol/; ws itself sends 1002, 1007 and 1009 for frames it refuses).
 */
export const closeFor = {
  /** A handler or a session listener threw: the server's fault, not the client's. */
  handlerFailed: { code: CloseCode.internalError, reason: 'Internal error' },
  /** The client stopped reading past `backpressure.limit` (policy 'close'). */
  slowConsumer: { code: CloseCode.tryAgainLater, reason: 'backpressure limit exceeded' },
  /** The client sent faster than `limits.messages` allows. */
  rateLimited: { code: CloseCode.policyViolation, reason: 'message rate limit exceeded' },
  /** `gate.close()`: 1001 unless the caller chose a code; 1012 says the service restarts. */
  shutdown(code: number = CloseCode.goingAway, reason?: string): CloseDecision {
    return {
      code,
      reason: reason ?? (code === CloseCode.serviceRestart ? 'server restarting' : 'server shutting down'),
    };
  },
} as const;
