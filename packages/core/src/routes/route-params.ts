import type { Params } from './router.js';

/**
 * The params a route path declares, typed from the path string: `'/rooms/:room'` gives `{ room: string }`,
 * an optional `'/files/:name?'` gives `{ name?: string | undefined }`, a wildcard `'/assets/*'` gives
 * `{ '*': string }` and a named one `'/assets/*rest'` gives `{ rest: string }` (possibly `''`). A path that
 * is not a literal (a `string` variable) gives {@link Params}. Pass it as the second type argument of
 * `Session` to type a handler written apart from its route:
 *
 * @example
 * const join = (session: Session<User, RouteParams<'/rooms/:room'>>) => session.join(session.params.room);
 */
export type RouteParams<TPath extends string> = string extends TPath ? Params : Flatten<PathParams<TPath>>;

type PathParams<TPath extends string> = TPath extends `${infer Head}/${infer Rest}`
  ? SegmentParams<Head> & PathParams<Rest>
  : SegmentParams<TPath>;

type SegmentParams<TSegment extends string> = TSegment extends `:${infer Name}?`
  ? { [K in NameOf<Name>]?: string | undefined }
  : TSegment extends `:${infer Name}`
    ? { [K in NameOf<Name>]: string }
    : TSegment extends `*${infer Name}`
      ? { [K in Name extends '' ? '*' : Name]: string }
      : Record<never, never>;

/** A param name without a find-my-way regex constraint (Fastify's `:id(^\\d+$)`). */
type NameOf<TName extends string> = TName extends `${infer Name}(${string}` ? Name : TName;

/** One object type instead of an intersection, so editors and type errors show `{ room: string }`. */
type Flatten<T> = { [K in keyof T]: T[K] } & {};
