/**
 * JSON-RPC 2.0 processing as KMS does it: envelope checks, session injection, the duplicate
 * request cache, notifications, and the mapping of failures to error responses. Methods are
 * plain async functions from params to result; this layer knows nothing of what they do.
 */
import { JsonRpcCode, toErrorBody, type RpcErrorBody } from '../errors.js';
import type { RequestCache } from '../session/request-cache.js';
import { isObject, type RequestParams } from './params.js';

export type RequestId = string | number | null;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
  id?: RequestId;
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: RequestId;
  result?: unknown;
  error?: RpcErrorBody;
}

/**
 * Sees every request the dispatcher answers (metrics): its method, how long it took, and the
 * error code it was answered with, if any. Called once per request, after it completed.
 */
export type RequestObserver = (method: string, seconds: number, errorCode: number | undefined) => void;

/** A Kurento method: takes the request params (possibly undefined), returns the result. */
export type MethodHandler = (params: unknown) => Promise<unknown> | unknown;

const INVALID_REQUEST: RpcErrorBody = { code: JsonRpcCode.INVALID_REQUEST, message: 'Invalid JSON-RPC request.' };

function invalidRequest(): JsonRpcResponse {
  return { jsonrpc: '2.0', id: null, error: INVALID_REQUEST };
}

function hasId(message: RequestParams): boolean {
  return message.id !== undefined && message.id !== null;
}

export class RpcDispatcher {
  private readonly methods = new Map<string, MethodHandler>();

  constructor(
    private readonly cache: RequestCache<JsonRpcResponse> | undefined,
    private readonly observer?: RequestObserver,
  ) {}

  register(name: string, handler: MethodHandler): void {
    this.methods.set(name, handler);
  }

  /** Parses one text frame: the message, or the response to send when it is not JSON. */
  parse(text: string): { message: unknown } | { response: JsonRpcResponse } {
    try {
      return { message: JSON.parse(text) as unknown };
    } catch {
      // Not JSON: the parser's detail is of no use to the client, which gets the standard error.
      return { response: { jsonrpc: '2.0', id: null, error: { code: JsonRpcCode.PARSE_ERROR, message: 'Parse error.' } } };
    }
  }

  /** Handles one text frame. Returns the response to send, if any. */
  async processText(text: string, connectionSession: string | undefined): Promise<JsonRpcResponse | undefined> {
    const parsed = this.parse(text);
    if ('response' in parsed) return parsed.response;
    return this.processMessage(parsed.message, connectionSession);
  }

  /** Handles one parsed frame received on a connection bound to `connectionSession`, if any. */
  async processMessage(message: unknown, connectionSession: string | undefined): Promise<JsonRpcResponse | undefined> {
    if (connectionSession !== undefined) injectSession(message, connectionSession);
    return this.process(message);
  }

  /** Handles one parsed request. Returns undefined for a notification that produced nothing. */
  async process(message: unknown): Promise<JsonRpcResponse | undefined> {
    if (!isObject(message) || message.jsonrpc !== '2.0') return invalidRequest();
    if (Array.isArray(message.id) || isObject(message.id)) return invalidRequest();
    if (typeof message.method !== 'string') return invalidRequest();
    const id = (message.id ?? null) as RequestId;
    const handler = message.method !== '' ? this.methods.get(message.method) : undefined;
    let response: JsonRpcResponse;
    if (!handler) {
      response = { jsonrpc: '2.0', id, error: { code: JsonRpcCode.METHOD_NOT_FOUND, message: 'Method not found.' } };
    } else {
      const cached = this.fromCache(message);
      if (cached) return cached;
      const started = this.observer ? performance.now() : 0;
      try {
        const result = await handler(message.params);
        if (!hasId(message)) {
          if (result === undefined || result === null) return undefined;
          // KMS answers a notification whose method returned something with this error.
          response = {
            jsonrpc: '2.0',
            id: null,
            error: { code: JsonRpcCode.SERVER_ERROR, message: 'Ignoring response because of a notification request', data: result as Record<string, unknown> },
          };
        } else {
          response = { jsonrpc: '2.0', id, result: result ?? null };
        }
      } catch (err) {
        response = { jsonrpc: '2.0', id, error: toErrorBody(err) };
      }
      this.observer?.(message.method, (performance.now() - started) / 1000, response.error?.code);
    }
    this.toCache(message, response);
    return response;
  }

  private fromCache(message: RequestParams): JsonRpcResponse | undefined {
    if (!this.cache) return undefined;
    const requestId = cacheableId(message.id);
    const params = message.params;
    if (requestId === undefined || !isObject(params) || typeof params.sessionId !== 'string') return undefined;
    return this.cache.get(params.sessionId, requestId);
  }

  private toCache(message: RequestParams, response: JsonRpcResponse): void {
    if (!this.cache) return;
    const requestId = cacheableId(message.id);
    if (requestId === undefined) return;
    const result = response.result;
    let sessionId: unknown = isObject(result) ? result.sessionId : undefined;
    if (typeof sessionId !== 'string' && isObject(message.params)) sessionId = message.params.sessionId;
    if (typeof sessionId === 'string') this.cache.put(sessionId, requestId, response);
  }
}

/** Ids KMS can use as cache keys (anything convertible to a string). */
function cacheableId(id: unknown): string | number | undefined {
  if (typeof id === 'string' || typeof id === 'number') return id;
  if (typeof id === 'boolean') return String(id);
  return undefined;
}

/**
 * Adds the connection's session to a request that names none. A request without params gets
 * params holding just the session, as jsoncpp does when KMS indexes a missing member.
 */
function injectSession(message: unknown, sessionId: string): void {
  if (!isObject(message)) return;
  if (message.params === undefined || message.params === null) {
    message.params = { sessionId };
  } else if (isObject(message.params)) {
    const current = message.params.sessionId;
    // KMS replaces a session id it cannot read as a string, as well as a missing one.
    if (current === undefined || isObject(current) || Array.isArray(current)) message.params.sessionId = sessionId;
  }
}
