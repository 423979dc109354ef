/**
 * Errors the client rejects its promises with. A server's error answer becomes a `KurentoError`
 * carrying the JSON-RPC code (Kurento's 40xxx codes, or the -32xxx envelope codes) and, for
 * Kurento's, the symbolic type (`MEDIA_OBJECT_NOT_FOUND`); `isKurentoError(err, type)` narrows.
 * Failures of the connection itself are `ConnectionError`s.
 */

/** Kurento's error codes by symbolic type (the `data.type` of an error answer). */
export const KURENTO_ERROR_CODES = {
  MARSHALL_ERROR: 40001,
  UNEXPECTED_ERROR: 40003,
  CONNECT_ERROR: 40004,
  UNSUPPORTED_MEDIA_TYPE: 40005,
  NOT_IMPLEMENTED: 40006,
  INVALID_SESSION: 40007,
  MALFORMED_TRANSACTION: 40008,
  NOT_ENOUGH_RESOURCES: 40009,
  MEDIA_OBJECT_TYPE_NOT_FOUND: 40100,
  MEDIA_OBJECT_NOT_FOUND: 40101,
  MEDIA_OBJECT_CONSTRUCTOR_NOT_FOUND: 40104,
  MEDIA_OBJECT_METHOD_NOT_FOUND: 40105,
  MEDIA_OBJECT_EVENT_NOT_SUPPORTED: 40106,
  MEDIA_OBJECT_ILLEGAL_PARAM_ERROR: 40107,
  MEDIA_OBJECT_NOT_AVAILABLE: 40108,
  MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT: 40109,
  MEDIA_OBJECT_TAG_KEY_NOT_FOUND: 40110,
  MEDIA_OBJECT_OPERATION_NOT_SUPPORTED: 40111,
  SDP_CREATE_ERROR: 40200,
  SDP_PARSE_ERROR: 40201,
  SDP_END_POINT_NO_LOCAL_SDP_ERROR: 40202,
  SDP_END_POINT_NO_REMOTE_SDP_ERROR: 40203,
  SDP_END_POINT_GENERATE_OFFER_ERROR: 40204,
  SDP_END_POINT_PROCESS_OFFER_ERROR: 40205,
  SDP_END_POINT_PROCESS_ANSWER_ERROR: 40206,
  SDP_CONFIGURATION_ERROR: 40207,
  SDP_END_POINT_ALREADY_NEGOTIATED: 40208,
  SDP_END_POINT_NOT_OFFER_GENERATED: 40209,
  SDP_END_POINT_ANSWER_ALREADY_PROCCESED: 40210,
  SDP_END_POINT_CANNOT_CREATE_SESSON: 40211,
  HTTP_END_POINT_REGISTRATION_ERROR: 40300,
  ICE_GATHER_CANDIDATES_ERROR: 40400,
  ICE_ADD_CANDIDATE_ERROR: 40401,
  SERVER_MANAGER_ERROR_KMD_NOT_FOUND: 40500,
  URI_PATH_FILE_NOT_FOUND: 40600,
  PLAYER_SEEK_FAIL: 40700,
} as const;

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
