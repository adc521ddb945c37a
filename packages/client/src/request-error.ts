/**
 * A request that failed: `timeout` (no reply in time), `closed` (the client was closed, or the connection
 * dropped after the request was sent), `queue-full`, or the server's error code (`no-handler`, `busy`,
 * `failed`, or the application's own).
 */
export class RequestError extends Error {
  /**
   * The error a received `res` or `error` frame carries, as sent: the client reads frames unvalidated, so
   * a code that is not a string is stringified and a message that is not one is left out. @internal
   */
  static fromWire(error: { code?: unknown; message?: unknown }): RequestError {
    return new RequestError(
      String(error.code),
      typeof error.message === 'string' ? error.message : undefined,
    );
  }

  /** The error code. */
  readonly code: string;
  constructor(code: string, message?: string) {
    super(message ?? code);
    this.name = 'RequestError';
    this.code = code;
  }
}
