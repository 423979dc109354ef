/**
 * Errors a client can see. Kurento errors carry a numeric code and a symbolic type that travel
 * to the client as `error.code` and `error.data.type`; JSON-RPC envelope errors use the
 * -32xxx range. Both survive the trip from a media worker to the control process as plain data.
 */

/** Kurento's error codes, with the symbolic type each one reports in `data.type`. */
export const KurentoCode = {
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

export type KurentoErrorType = keyof typeof KurentoCode;

/** JSON-RPC 2.0 envelope error codes, and the generic server error KMS uses for bad params. */
export const JsonRpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  SERVER_ERROR: -32000,
} as const;

/** The error object of a JSON-RPC response. */
export interface RpcErrorBody {
  code: number;
  message: string;
  data?: { type: string } | Record<string, unknown>;
}

/** An error that is answered to the client as is. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: RpcErrorBody['data'],
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toBody(): RpcErrorBody {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** A Kurento error: a 40xxx code whose symbolic name goes into `data.type`. */
export class KurentoError extends RpcError {
  constructor(
    readonly type: KurentoErrorType,
    message: string,
  ) {
    super(KurentoCode[type], message, { type });
    this.name = 'KurentoError';
  }
}

/** Turns anything thrown into the body of an error response; unexpected failures become -32603. */
export function toErrorBody(err: unknown): RpcErrorBody {
  if (err instanceof RpcError) return err.toBody();
  if (isRpcErrorBody(err)) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return { code: JsonRpcCode.INTERNAL_ERROR, message: `Unexpected error while processing method: ${detail}` };
}

export function isRpcErrorBody(value: unknown): value is RpcErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RpcErrorBody).code === 'number' &&
    typeof (value as RpcErrorBody).message === 'string'
  );
}

/** Rebuilds an error received as plain data (from a media worker) so it can be thrown again. */
export function errorFromBody(body: RpcErrorBody): RpcError {
  return new RpcError(body.code, body.message, body.data);
}
