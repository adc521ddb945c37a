/** @module @wsgate/core/adapter: the kit framework adapters are built from (what @wsgate/express, /fastify and /koa import). */
// @wsgate/core/adapter: the kit framework adapters are built from (what `@wsgate/express`,
// `@wsgate/fastify` and `@wsgate/koa` import), apart from what an app writes (`@wsgate/core`). A gate
// subclass overrides `runFramework` (send one prepared upgrade through the framework) and `addRoute` (where
// `gate.route()` goes), and calls `frameworkError` for errors its framework answered; its route handlers
// find their upgrade with `PreparedUpgrade.of(req)` and finish it with `acceptOnce` (or `accept`).
export { Gate } from './gate.js';
export { acceptOnce, type RouteAccept } from './kit/accept-once.js';
export { DeclaredRoutes, type RouteSink } from './kit/declared-routes.js';
export { frameworkDefaults } from './kit/framework-defaults.js';
export { wrapMethod } from './kit/wrap-method.js';
export { redactUrl } from './logger.js';
export type { Settings } from './options.js';
export { chainArgs, routeArgs } from './routes/route-args.js';
export { compilePattern, RoutePaths, RouteTable, splitUrl } from './routes/router.js';
export { errorAnswer } from './upgrade/http-error.js';
export { type AcceptOptions, PreparedUpgrade } from './upgrade/prepared-upgrade.js';
export type { TrustProxy } from './upgrade/proxy.js';
export { peerAddress, type Refusal, type RefusalInfo } from './upgrade/refusal.js';
export { writeRejection } from './upgrade/reject.js';
