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

/** Logs warnings and errors to stderr; what wsgate uses when no `logger` is given. */
export const consoleLogger: Logger = {
  warn: (obj, msg) => console.warn('[wsgate]', msg ?? '', obj),
  error: (obj, msg) => console.error('[wsgate]', msg ?? '', obj),
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
