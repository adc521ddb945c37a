import type { PathGuards } from '../conformance/target.ts';

/** Whether a guard written on the raw path takes it: koa-mount's prefix rule, or the exact path. */
export function needsToken(path: string, { prefix, exact }: PathGuards): boolean {
  return path === prefix || path.startsWith(`${prefix}/`) || path === exact;
}
