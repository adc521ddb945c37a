import type { GateOptions } from '../options.js';

/**
 * The gate options with the framework's own defaults where the app left a key undefined: its logger
 * (Fastify's `fastify.log`) and its proxy setting as `trustProxy` (Express's `trust proxy`, Koa's
 * `app.proxy`, Fastify's `trustProxy`), so the gate sees the same client the app does. A default that is
 * itself undefined is left out.
 */
export function frameworkDefaults<TUser>(
  options: GateOptions<TUser>,
  defaults: { [K in 'logger' | 'trustProxy']?: GateOptions<TUser>[K] | undefined },
): GateOptions<TUser> {
  const merged = { ...options };
  if (merged.logger === undefined && defaults.logger !== undefined) merged.logger = defaults.logger;
  if (merged.trustProxy === undefined && defaults.trustProxy !== undefined)
    merged.trustProxy = defaults.trustProxy;
  return merged;
}
