import type { TrustProxy } from '@wsgate/core/adapter';

/** The Koa app fields that decide whether `X-Forwarded-*` is believed. */
interface ProxySettings {
  proxy: boolean;
  maxIpsCount: number;
}

/**
 * `trustProxy` from `app.proxy` and `app.maxIpsCount`, read on every upgrade so a later `app.proxy = true`
 * applies. Koa takes `ctx.ip` from the last `maxIpsCount` entries of X-Forwarded-For (0: all of them);
 * trusting that many hops (the peer is hop 0) picks the same client address.
 */
export function trustFromApp(app: ProxySettings): TrustProxy {
  return (_address, hop) => app.proxy && (app.maxIpsCount > 0 ? hop < app.maxIpsCount : true);
}
