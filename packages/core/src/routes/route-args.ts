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
