/**
 * An error that carries an HTTP status, for `authenticate` and route hooks to refuse an upgrade with a
 * specific answer. Any thrown value with a numeric `status` or `statusCode` works the same way (http-errors,
 * Koa's `ctx.throw`, @fastify/sensible); this class is for code that has none of those.
 *
 * @example
 * throw new HttpError(403, 'Not a member of this room');
 */
export class HttpError extends Error {
  /** The HTTP status sent to the client, 400-599. */
  readonly status: number;
  /** Alias of `status`, as Fastify and http-errors name it. */
  readonly statusCode: number;
  /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  readonly headers: Record<string, string> | undefined;
  /**
   * Whether `message` may be shown to the client.
   * @default true for 4xx, false for 5xx (the client then sees the status text)
   */
  readonly expose: boolean;

  constructor(
    status: number,
    message?: string,
    options?: { headers?: Record<string, string>; expose?: boolean },
  ) {
    super(message ?? defaultReason(status));
    this.name = 'HttpError';
    this.status = status;
    this.statusCode = status;
    this.headers = options?.headers;
    this.expose = options?.expose ?? status < 500;
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The reason phrase for a status, from a small table with `http.STATUS_CODES` as the fallback. */
export function defaultReason(status: number): string {
  return STATUS_TEXT[status] ?? 'Error';
}

/** What a thrown value means as an HTTP answer. */
export interface ErrorAnswer {
  status: number;
  message: string;
  headers: Record<string, string> | undefined;
  /** False when the value carried no usable status: a bug to report through `onError`. */
  expected: boolean;
}

/**
 * Reads a status-carrying error the way Express, Koa and Fastify do: `status` or `statusCode` in 400-599,
 * `headers`, and a message shown only when `expose` is true (defaulting to true for 4xx).
 */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (err !== null && typeof err === 'object') {
    const e = err as {
      status?: unknown;
      statusCode?: unknown;
      headers?: unknown;
      expose?: unknown;
      message?: unknown;
    };
    const status =
      typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : NaN;
    if (Number.isInteger(status) && status >= 400 && status <= 599) {
      const expose = typeof e.expose === 'boolean' ? e.expose : status < 500;
      const message =
        expose && typeof e.message === 'string' && e.message ? e.message : defaultReason(status);
      return { status, message, headers: plainHeaders(e.headers), expected: status < 500 };
    }
  }
  return { status: 500, message: defaultReason(500), headers: undefined, expected: false };
}

function plainHeaders(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  }
  return out;
}
