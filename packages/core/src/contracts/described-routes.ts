import { type AsyncApiDocument, type AsyncApiOptions, buildAsyncApi } from './asyncapi.js';

/**
 * The WebSocket routes one gate documents in `gate.asyncapi()`: core's own (`gate.route`) and those an
 * adapter declares (`gate.describeRoute`), by the pattern as declared (`/rooms/:room`). A path declared
 * again keeps its first place and takes the latest options.
 */
export class DescribedRoutes {
  readonly #routes = new Map<string, object | undefined>();

  /** Records a route; anything but a string path (an adapter's RegExp route) is not documented. */
  describe(path: string, options: object | undefined): void {
    if (typeof path === 'string') this.#routes.set(path, options);
  }

  /** The AsyncAPI 3.0 document of every recorded route (contracts/asyncapi.ts). */
  asyncapi(options: AsyncApiOptions): AsyncApiDocument {
    return buildAsyncApi(
      [...this.#routes].map(([path, o]) => ({ path, options: o })),
      options,
    );
  }
}
