/** @module @wsgate/core/adapter: the kit framework adapters are built from (what @wsgate/express, /fastify and /koa import). */
// @wsgate/core/adapter: the kit framework adapters are built from (what `@wsgate/express`,
// `@wsgate/fastify` and `@wsgate/koa` import), apart from what an app writes (`@wsgate/core`). A gate
// subclass overrides `runFramework` (send one prepared upgrade through the framework) and calls
// `frameworkError` for errors its framework answered; its route handlers find their upgrade with
// `PreparedUpgrade.of(req)` and finish it with `accept`.
export { Gate } from './gate.js';
export { redactUrl } from './logger.js';
export type { Settings } from './options.js';
export { routeArgs } from './routes/route-args.js';
export { compilePattern, RouteTable, splitUrl } from './routes/router.js';
export { errorAnswer } from './upgrade/http-error.js';
export { type AcceptOptions, PreparedUpgrade } from './upgrade/prepared-upgrade.js';
export type { TrustProxy } from './upgrade/proxy.js';
export { peerAddress, type Refusal, type RefusalInfo } from './upgrade/refusal.js';
export { writeRejection } from './upgrade/reject.js';
