import Koa from 'koa';
import Koa2 from 'koa2';
import { koaTarget } from '../targets/koa.ts';
import { runConformance } from './suite.ts';

// Both majors through `app.ws` on `app.listen()`; `ctx.ws()` in @koa/router routes on a custom server
// once (the Koa 2/3 differences are in the chain both styles share, which the first two cover).
runConformance(koaTarget('koa 3 (app.ws)', Koa, 'app.ws'), 'pipeline');
runConformance(koaTarget('koa 2 (app.ws)', Koa2, 'app.ws'), 'pipeline');
runConformance(koaTarget('koa 3 (@koa/router + ctx.ws)', Koa, 'router'), 'pipeline');
