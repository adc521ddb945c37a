import { compilePattern } from '../routes/router.js';
import type { ContractOptions } from './contract.js';
import type { StandardJSONSchemaV1Props, StandardSchemaV1 } from './schema.js';

/** Options of `gate.asyncapi()`. */
export interface AsyncApiOptions {
  /** The document's `info` object: `title` and `version` at least (AsyncAPI 3.0 requires both). */
  info: { title: string; version: string; description?: string; [key: string]: unknown };
  /** AsyncAPI `servers`, copied as given (e.g. `{ production: { host: 'chat.example', protocol: 'wss' } }`). */
  servers?: Record<string, Record<string, unknown>>;
  /**
   * Converts a schema with no JSON Schema export of its own (neither Standard JSON Schema `~standard.jsonSchema`
   * nor a `toJsonSchema()`/`toJSONSchema()` method) to JSON Schema; without it such a payload is documented
   * as any value. zod 4.2+ and arktype 2.1.28+ need nothing; valibot: wrap the schema with
   * `toStandardJsonSchema` from `@valibot/to-json-schema`, or pass its `toJsonSchema` here.
   * @default undefined
   */
  jsonSchema?: (schema: StandardSchemaV1) => Record<string, unknown>;
}

/** An AsyncAPI 3.0 document (plain JSON: serialize it with `JSON.stringify`). */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: AsyncApiOptions['info'];
  servers?: Record<string, Record<string, unknown>>;
  channels: Record<string, Record<string, unknown>>;
  operations: Record<string, Record<string, unknown>>;
}

/** A route as `asyncapi()` sees it. */
export interface DescribedRoute {
  path: string;
  options: object | undefined;
}

/**
 * Builds the document: a channel per route (address `/rooms/{room}`, one parameter per path param), with
 * a `receive` operation for what clients send (`message`) and a `send` operation for what the server sends
 * (`send`); a route without a schema documents its messages as any payload.
 */
export function buildAsyncApi(routes: readonly DescribedRoute[], options: AsyncApiOptions): AsyncApiDocument {
  if (!options || typeof options.info?.title !== 'string' || typeof options.info.version !== 'string')
    throw new TypeError('wsgate: asyncapi() needs { info: { title, version } }');
  const channels: AsyncApiDocument['channels'] = {};
  const operations: AsyncApiDocument['operations'] = {};
  const taken = new Set<string>();
  for (const { path, options: o } of routes) {
    const id = uniqueId(channelId(path), taken);
    const contract = (o ?? {}) as ContractOptions;
    const { address, parameters } = addressOf(path);
    const messages: Record<string, unknown> = {
      [`${id}.client`]: message(
        'What clients send',
        contract.message,
        contract.message ? 'application/json' : undefined,
        options,
      ),
      [`${id}.server`]: message(
        'What the server sends',
        contract.send,
        contract.send ? 'application/json' : undefined,
        options,
      ),
    };
    channels[id] = {
      address,
      ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
      messages,
    };
    operations[`${id}.receive`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: `Messages clients send on ${path}`,
      messages: [{ $ref: `#/channels/${id}/messages/${id}.client` }],
    };
    operations[`${id}.send`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: `Messages the server sends on ${path}`,
      messages: [{ $ref: `#/channels/${id}/messages/${id}.server` }],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: options.info,
    ...(options.servers ? { servers: options.servers } : {}),
    channels,
    operations,
  };
}

function message(
  summary: string,
  schema: StandardSchemaV1 | undefined,
  contentType: string | undefined,
  options: AsyncApiOptions,
): Record<string, unknown> {
  return {
    summary,
    ...(contentType ? { contentType } : {}),
    ...(schema ? { payload: toJsonSchema(schema, options) } : {}),
  };
}

/**
 * A schema's JSON Schema, by its library's own export: Standard JSON Schema first (draft-07, the dialect
 * AsyncAPI schemas extend), then a `toJsonSchema()`/`toJSONSchema()` method, then the caller's converter.
 */
export function toJsonSchema(
  schema: StandardSchemaV1,
  options: Pick<AsyncApiOptions, 'jsonSchema'> = {},
): Record<string, unknown> {
  const standard = (schema['~standard'] as StandardJSONSchemaV1Props).jsonSchema?.input;
  let out: Record<string, unknown> | undefined;
  if (standard) {
    try {
      out = standard({ target: 'draft-07' });
    } catch {
      out = standard({ target: 'draft-2020-12' });
    }
  } else {
    const own = schema as {
      toJsonSchema?: () => Record<string, unknown>;
      toJSONSchema?: () => Record<string, unknown>;
    };
    if (typeof own.toJsonSchema === 'function') out = own.toJsonSchema();
    else if (typeof own.toJSONSchema === 'function') out = own.toJSONSchema();
    else if (options.jsonSchema) out = options.jsonSchema(schema);
  }
  if (!out) return {};
  const { $schema: _dialect, ...rest } = out;
  return rest;
}

/** `/rooms/:room` → `/rooms/{room}` and its parameters; a wildcard becomes `{wildcard}` (or its name). */
function addressOf(path: string): { address: string; parameters: Record<string, unknown> } {
  compilePattern(path); // the same TypeError as route() for a malformed pattern
  const parameters: Record<string, unknown> = {};
  const address = path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        const optional = seg.endsWith('?');
        const name = seg.slice(1, optional ? -1 : undefined).replace(/\(.*$/, '');
        parameters[name] = { description: optional ? `${name} (optional)` : name };
        return `{${name}}`;
      }
      if (seg.startsWith('*')) {
        const name = seg.slice(1) || 'wildcard';
        parameters[name] = { description: `${name}: the rest of the path` };
        return `{${name}}`;
      }
      return seg;
    })
    .join('/');
  return { address, parameters };
}

function channelId(path: string): string {
  const id = path
    .replace(/[:*?]/g, '')
    .split('/')
    .filter(Boolean)
    .join('-')
    .replace(/[^\w.-]/g, '_');
  return id === '' ? 'root' : id;
}

function uniqueId(id: string, taken: Set<string>): string {
  let out = id;
  for (let i = 2; taken.has(out); i++) out = `${id}-${i}`;
  taken.add(out);
  return out;
}
