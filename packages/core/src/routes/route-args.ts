/**
 * The route-argument parser every adapter shares: `(options, handler)`, `(handler)`, and the older
 * `(handler, options)` Express once took. A missing handler is a TypeError that names the call, at
 * registration rather than on the first upgrade.
 *
 * @param call how the user wrote the call, for the message (`route /chat`, `fastify.ws('/chat', options?, handler)`)
 */
export function routeArgs<TOptions extends object, THandler extends (...args: never[]) => unknown>(
  call: string,
  a: TOptions | THandler | undefined,
  b?: TOptions | THandler,
): { options: TOptions | undefined; handler: THandler } {
  const [handler, options] = typeof a === 'function' ? [a, b] : [b, a];
  if (typeof handler !== 'function') throw new TypeError(`wsgate: ${call} needs a handler function`);
  return { handler, options: options as TOptions | undefined };
}

/**
 * The arguments after the path of `app.ws(path, options?, ...middleware, handler)` (Express, Koa): route
 * options when the first is a plain object followed by more (an array is Express middleware), then the
 * framework's middleware, then the handler, which must be a function (a TypeError that names the call).
 *
 * @param call how the user wrote the call, for the message (`app.ws('/chat')`)
 */
export function chainArgs<
  TOptions extends object,
  TMiddleware,
  THandler extends (...args: never[]) => unknown,
>(
  call: string,
  args: readonly unknown[],
): { options: TOptions | undefined; middleware: TMiddleware[]; handler: THandler } {
  const first = args[0];
  const hasOptions = args.length > 1 && typeof first === 'object' && first !== null && !Array.isArray(first);
  const handler = args.at(-1);
  if (typeof handler !== 'function') throw new TypeError(`wsgate: ${call} needs a handler function last`);
  return {
    options: hasOptions ? (first as TOptions) : undefined,
    middleware: args.slice(hasOptions ? 1 : 0, -1) as TMiddleware[],
    handler: handler as THandler,
  };
}
