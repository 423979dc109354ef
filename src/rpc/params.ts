/**
 * Reading the `params` of a Kurento request the way KMS's JsonRpcUtils does: a missing member is
 * "'x' parameter is required", a member of the wrong JSON type is "'x' parameter should be a …",
 * both with the generic server error code -32000. Scalars convert as jsoncpp converts them (a
 * number passes for a string).
 */
import { JsonRpcCode, RpcError } from '../errors.js';

export type RequestParams = Record<string, unknown>;

export function isObject(value: unknown): value is RequestParams {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `'params' is required`, with KMS's INVALID_PARAMS data. */
export function requireParams(params: unknown): RequestParams {
  if (params === undefined || params === null) {
    throw new RpcError(JsonRpcCode.INVALID_PARAMS, "'params' is required", { type: 'INVALID_PARAMS' });
  }
  // KMS indexes whatever it got; anything but an object has no members.
  return isObject(params) ? params : {};
}

function required(params: RequestParams, name: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(params, name)) {
    throw new RpcError(JsonRpcCode.SERVER_ERROR, `'${name}' parameter is required`);
  }
  return params[name];
}

export function getString(params: RequestParams, name: string): string {
  const value = required(params, name);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return '';
  throw new RpcError(JsonRpcCode.SERVER_ERROR, `'${name}' parameter should be a string`);
}

export function getBoolean(params: RequestParams, name: string): boolean {
  const value = required(params, name);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (value === null) return false;
  throw new RpcError(JsonRpcCode.SERVER_ERROR, `'${name}' parameter should be a boolean`);
}

export function getArray(params: RequestParams, name: string): unknown[] {
  const value = required(params, name);
  if (!Array.isArray(value)) throw new RpcError(JsonRpcCode.SERVER_ERROR, `'${name}' parameter should be an array`);
  return value;
}

/** The request's session, or a new one when it names none (or names it badly). */
export function sessionOrNew(params: RequestParams, newId: () => string): string {
  try {
    return getString(params, 'sessionId');
  } catch {
    // getString's error (missing, or not a scalar) is the answer here: such a request is not
    // refused, it starts a new session.
    return newId();
  }
}
