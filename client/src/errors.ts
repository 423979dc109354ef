/**
 * Errors the client rejects its promises with. A server's error answer becomes a `KurentoError`
 * carrying the JSON-RPC code (Kurento's 40xxx codes, or the -32xxx envelope codes) and, for
 * Kurento's, the symbolic type (`MEDIA_OBJECT_NOT_FOUND`); `isKurentoError(err, type)` narrows.
 * Failures of the connection itself are `ConnectionError`s.
 */

import { KURENTO_ERROR_CODES } from './generated/api.js';

export { KURENTO_ERROR_CODES };

export type KurentoErrorType = keyof typeof KURENTO_ERROR_CODES;
/** JSON-RPC's own codes: parse error, invalid request, method not found, invalid params, internal, server. */
export type JsonRpcErrorCode = -32700 | -32600 | -32601 | -32602 | -32603 | -32000;
export type ErrorCode = (typeof KURENTO_ERROR_CODES)[KurentoErrorType] | JsonRpcErrorCode;

/** The server answered a request with an error. */
export class KurentoError<T extends KurentoErrorType | undefined = KurentoErrorType | undefined> extends Error {
  override readonly name = 'KurentoError';

  constructor(
    /** The JSON-RPC error code: Kurento's 40xxx, or a -32xxx envelope code. */
    readonly code: ErrorCode | number,
    message: string,
    /** Kurento's symbolic type, when the server gave one. */
    readonly type: T,
    readonly data: Record<string, unknown> | undefined,
  ) {
    super(message);
  }

  static fromBody(body: { code: number; message: string; data?: unknown }): KurentoError {
    const data = typeof body.data === 'object' && body.data !== null ? (body.data as Record<string, unknown>) : undefined;
    const named = typeof data?.type === 'string' && data.type in KURENTO_ERROR_CODES ? (data.type as KurentoErrorType) : undefined;
    return new KurentoError(body.code, body.message, named, data);
  }
}

/** True when `err` is a server error, of the given Kurento type if one is named. */
export function isKurentoError<T extends KurentoErrorType>(err: unknown, type?: T): err is KurentoError<T> {
  return err instanceof KurentoError && (type === undefined || err.type === type);
}

/** The connection failed, closed, or a request timed out. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}
