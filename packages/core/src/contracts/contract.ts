import type { Message, SendData, Session } from '../session/session.js';
import { type InferMessage, type InferSend, isStandardSchema, type StandardSchemaV1 } from './schema.js';

/** A message the route's `message` schema refused, as `onInvalid` receives it. */
export interface InvalidMessage {
  /** The schema's issues, first one first (each a `message` and, when known, a `path`). */
  readonly issues: ReadonlyArray<StandardSchemaV1.Issue>;
  /** The parsed JSON value the client sent. */
  readonly data: unknown;
}

/**
 * What a message the `message` schema refuses gets: `'close'` closes with 1007 and a short reason naming
 * the first issue; `'reply'` sends that client `{"type":"error","code":"invalid_message","issues":[...]}` and
 * the session stays open; a function decides itself (reply, count, close) and the message is dropped.
 */
export type OnInvalid = 'close' | 'reply' | ((invalid: InvalidMessage, session: Session<unknown>) => void);

/** Per-route message contracts: what the client sends, what the server sends, what bad input gets. */
export interface ContractOptions<
  TMessage extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined,
  TSend extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined,
> {
  /**
   * The schema (any Standard Schema library: zod, valibot, arktype, ...) of what clients send. The route
   * then takes JSON text frames only: each is parsed and validated, in arrival order (async validators
   * included), and the handler receives the schema's output. Not JSON closes with 1007, a binary frame
   * with 1003, a value the schema refuses as `onInvalid` says.
   * @default undefined (messages reach the handler as `string` or `Buffer`)
   */
  message?: TMessage;
  /**
   * The schema of what the server sends: `session.send(value)` then takes the schema's input type and
   * sends it as JSON. Outside production (`NODE_ENV !== 'production'`) the value is also validated and a
   * refusal is a TypeError, a bug caught in development at no cost in production.
   * @default undefined (`send` takes strings and bytes)
   */
  send?: TSend;
  /** What a message the `message` schema refuses gets; see {@link OnInvalid}. @default 'close' */
  onInvalid?: OnInvalid;
}

/** The message type a handler receives for route options `O`. */
export type MessageOf<O> = O extends { message: infer S }
  ? S extends StandardSchemaV1
    ? InferMessage<S>
    : Message
  : Message;

/** What `session.send` accepts for route options `O`. */
export type SendOf<O> = O extends { send: infer S }
  ? S extends StandardSchemaV1
    ? InferSend<S>
    : SendData
  : SendData;

/** A route's contract, validated once when the route is defined. @internal */
export interface Contract {
  message: StandardSchemaV1 | undefined;
  send: StandardSchemaV1 | undefined;
  onInvalid: OnInvalid;
  /** Validate outbound values (development only). */
  checkSend: boolean;
}

/** The route option names of contracts (route-level only: a gate has no one message shape). */
export const CONTRACT_KEYS = ['message', 'send', 'onInvalid'] as const;

/** Validates contract options eagerly, with a TypeError naming the option. */
export function checkContractOptions(options: ContractOptions): void {
  for (const key of ['message', 'send'] as const) {
    const s = options[key];
    if (s !== undefined && !isStandardSchema(s))
      throw new TypeError(
        `wsgate: ${key} must be a Standard Schema (zod 3.24+, valibot 1, arktype 2, ...): an object with '~standard'`,
      );
  }
  const o = options.onInvalid;
  if (o !== undefined && o !== 'close' && o !== 'reply' && typeof o !== 'function')
    throw new TypeError("wsgate: onInvalid must be 'close', 'reply' or a function");
}

/** The contract of route options, or undefined when they declare none (the fast path stays untouched). */
export function compileContract(options: ContractOptions | undefined): Contract | undefined {
  if (options === undefined || (options.message === undefined && options.send === undefined))
    return undefined;
  return {
    message: options.message,
    send: options.send,
    onInvalid: options.onInvalid ?? 'close',
    checkSend: process.env.NODE_ENV !== 'production',
  };
}
