/**
 * Assertions on whole JSON-RPC responses: the tests compare exactly what a client receives, so
 * an extra or missing member (`data`, `sessionId`, ...) fails them.
 */
import assert from 'node:assert/strict';
import type { Message } from './raw-client.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ExpectedError {
  id: unknown;
  code: number;
  message: string;
  /** `error.data.type`; omitted when the error must carry no `data` at all. */
  type?: string;
}

/** The response is exactly this error, with `data` only when `type` is given. */
export function assertRpcError(response: Message, expected: ExpectedError): void {
  const error: Message = { code: expected.code, message: expected.message };
  if (expected.type !== undefined) error.data = { type: expected.type };
  assert.deepEqual(response, { jsonrpc: '2.0', id: expected.id, error });
}

/** The response is a success with exactly this result. */
export function assertResult(response: Message, id: unknown, result: unknown): void {
  assert.deepEqual(response, { jsonrpc: '2.0', id, result });
}

/** The `result` of a successful response; fails with the error otherwise. */
export function resultOf(response: Message): any {
  assert.equal(response.error, undefined, `unexpected error: ${JSON.stringify(response.error)}`);
  assert.equal(response.jsonrpc, '2.0');
  return response.result;
}
