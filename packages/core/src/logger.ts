/**
 * A pino-compatible logger: `logger.warn(obj, msg)`. Adapters pass the framework's logger (Fastify's
 * `request.log`); any object with these methods works.
 */
export interface Logger {
  debug?(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * wsgate's messages start with `wsgate: ` so they can be told apart in a framework's shared log; the console
 * logger adds that prefix only to messages without it, so a line reads `wsgate: socket error`, once.
 */
function prefixed(msg: string | undefined): string {
  if (!msg) return 'wsgate:';
  return msg.startsWith('wsgate: ') ? msg : `wsgate: ${msg}`;
}

/**
 * Whether `DEBUG` names wsgate, as the `debug` package reads it (`DEBUG=wsgate`, `wsgate*`, `wsgate:*`,
 * `*`, comma- or space-separated): the switch for wsgate's debug lines on the console logger.
 */
export function debugEnabled(value: string | undefined): boolean {
  if (!value) return false;
  return value.split(/[\s,]+/).some((name) => name === '*' || /^wsgate(?::?\*)?$/.test(name));
}

/**
 * Logs to the console: errors and warnings to stderr, info (refused upgrades in development) to stdout,
 * and debug lines only when `DEBUG` names wsgate (`debugEnabled`, read once at startup). What wsgate
 * uses when no `logger` is given.
 */
export const consoleLogger: Logger = {
  ...(debugEnabled(process.env.DEBUG)
    ? { debug: (obj: object, msg?: string) => console.debug(prefixed(msg), obj) }
    : {}),
  info: (obj, msg) => console.info(prefixed(msg), obj),
  warn: (obj, msg) => console.warn(prefixed(msg), obj),
  error: (obj, msg) => console.error(prefixed(msg), obj),
};

/** A logger that drops everything. */
export const silentLogger: Logger = { warn() {}, error() {} };

/**
 * Replaces every query value of a request target with `[redacted]`: tokens in URLs (`?token=`,
 * `?access_token=`) are how browsers authenticate WebSockets, and must never reach a log line.
 */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  if (q === -1) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1 ? pair : `${pair.slice(0, eq)}=[redacted]`;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}
