/** Marks a wrapper, so a method is wrapped once however many gates (or adapter copies) ask. */
const kWrapper = Symbol.for('wsgate.wrapper');

/**
 * Replaces `target[name]` with `wrap(original)`, once: adapters hook a framework's own method where it
 * offers no hook (Express's router `handle`, Fastify's `Reply#callNotFound`), and a framework object is
 * shared by every gate and app that uses it. The wrapper is an own, non-enumerable property of `target`
 * (often a prototype), so it acts for every object that inherits from it; it should act only on requests
 * a gate prepared (`PreparedUpgrade.of(req)`) and leave every other call as it was.
 */
export function wrapMethod<T extends object, K extends keyof T>(
  target: T,
  name: K,
  wrap: (original: T[K]) => T[K],
): void {
  const original = target[name];
  if (typeof original !== 'function' || (original as { [kWrapper]?: true })[kWrapper]) return;
  const wrapper = Object.assign(wrap(original) as object, { [kWrapper]: true as const });
  Object.defineProperty(target, name, { value: wrapper, configurable: true, writable: true });
}
