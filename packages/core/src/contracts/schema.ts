/**
 * The Standard Schema interface (https://standardschema.dev, `@standard-schema/spec` v1), vendored as types
 * only: zod 4, valibot 1, arktype 2 and others implement it, and wsgate depends on none of them.
 */

/** A schema of any Standard Schema library. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  /** The properties every Standard Schema carries under `~standard`. */
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<Output> | Promise<Result<Output>>;
    readonly types?: Types<Input, Output> | undefined;
  }
  /** What `validate` returns. */
  type Result<Output> = SuccessResult<Output> | FailureResult;
  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }
  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One reason a value was refused. */
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  interface PathSegment {
    readonly key: PropertyKey;
  }
  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/**
 * Standard JSON Schema (`~standard.jsonSchema`), implemented by zod 4.2+ and arktype 2.1.28+: a schema's
 * own JSON Schema export, with no converter per library.
 */
export interface StandardJSONSchemaV1Props {
  readonly jsonSchema?: {
    readonly input?: (options: { target: string }) => Record<string, unknown>;
    readonly output?: (options: { target: string }) => Record<string, unknown>;
  };
}

/** The value a handler receives for a route's `message` schema: the schema's output. */
export type InferMessage<TSchema> = TSchema extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<TSchema>
  : never;

/** What `session.send` accepts for a route's `send` schema: the schema's input. */
export type InferSend<TSchema> = TSchema extends StandardSchemaV1
  ? StandardSchemaV1.InferInput<TSchema>
  : never;

/** Whether a value is a Standard Schema (a TypeError at registration otherwise). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof props === 'object' &&
    props !== null &&
    props.version === 1 &&
    typeof props.validate === 'function'
  );
}
