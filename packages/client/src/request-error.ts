/**
 * A request that failed: `timeout` (no reply in time), `closed` (the client was closed, or the connection
 * dropped after the request was sent), `queue-full`, or the server's error code (`no-handler`, `busy`,
 * `failed`, or the application's own).
 */
export class RequestError extends Error {
  /** The error code. */
  readonly code: string;
  constructor(code: string, message?: string) {
    super(message ?? code);
    this.name = 'RequestError';
    this.code = code;
  }
}
