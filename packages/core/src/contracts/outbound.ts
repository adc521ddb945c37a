import type { Contract } from './contract.js';
import { describeIssue } from './issues.js';
import type { StandardSchemaV1 } from './schema.js';

/**
 * `session.send(value)` on a route with a `send` schema: the value as JSON text. Outside production a
 * synchronous validation catches a value the schema refuses (a TypeError: a server bug, not a client's);
 * an async validator cannot hold a synchronous send and is skipped.
 */
export function encodeSend(contract: Contract, value: unknown): string {
  if (contract.checkSend) {
    const result = (contract.send as StandardSchemaV1)['~standard'].validate(value);
    if (typeof (result as Promise<unknown>).then !== 'function') {
      const issue = (result as StandardSchemaV1.Result<unknown>).issues?.[0];
      if (issue)
        throw new TypeError(
          `wsgate: send() value refused by the route's send schema (${describeIssue(issue).slice(17)})`,
        );
    }
  }
  const text = JSON.stringify(value);
  if (text === undefined)
    throw new TypeError(`wsgate: send() cannot send ${typeof value} (it has no JSON representation)`);
  return text;
}
