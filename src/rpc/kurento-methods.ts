/**
 * The thirteen methods a Kurento server registers, with KMS's parameter handling and result
 * shapes. Each reads its params, calls the media server, and returns the `result` object.
 */
import type { MediaServer } from '../control/media-server.js';
import { KurentoError } from '../errors.js';
import { SessionStore } from '../session/session-store.js';
import type { JsonRpcResponse, RpcDispatcher } from './dispatcher.js';
import { getArray, getBoolean, getString, isObject, requireParams, sessionOrNew, type RequestParams } from './params.js';

const NEW_REF = 'newref:';

export function registerKurentoMethods(dispatcher: RpcDispatcher, server: MediaServer): void {
  const newSession = SessionStore.newId;

  dispatcher.register('ping', (raw) => {
    const params = isObject(raw) ? raw : {};
    const result: RequestParams = { value: 'pong' };
    try {
      result.sessionId = getString(params, 'sessionId');
    } catch {
      // A ping without a session is answered without one.
    }
    return result;
  });

  dispatcher.register('connect', (raw) => {
    if (raw === undefined || raw === null) return { sessionId: newSession(), serverId: server.serverId };
    const params = requireParams(raw);
    let sessionId: string;
    try {
      sessionId = getString(params, 'sessionId');
      server.keepAlive(sessionId);
    } catch (err) {
      if (err instanceof KurentoError) throw err;
      sessionId = newSession();
    }
    return { sessionId, serverId: server.serverId };
  });

  dispatcher.register('create', async (raw) => {
    const params = requireParams(raw);
    const type = getString(params, 'type');
    const sessionId = sessionOrNew(params, newSession);
    const value = await server.create(sessionId, type, params.constructorParams);
    return { value, sessionId };
  });

  dispatcher.register('describe', (raw) => {
    const params = requireParams(raw);
    const sessionId = sessionOrNew(params, newSession);
    const objectId = getString(params, 'object');
    return { sessionId, ...server.describe(sessionId, objectId) };
  });

  dispatcher.register('invoke', async (raw) => {
    const params = requireParams(raw);
    const operation = getString(params, 'operation');
    const objectId = getString(params, 'object');
    const sessionId = sessionOrNew(params, newSession);
    const value = await server.invoke(sessionId, objectId, operation, params.operationParams);
    return { value, sessionId };
  });

  dispatcher.register('subscribe', (raw) => {
    const params = requireParams(raw);
    const eventType = getString(params, 'type');
    const objectId = getString(params, 'object');
    const sessionId = sessionOrNew(params, newSession);
    return { value: server.subscribe(sessionId, objectId, eventType), sessionId };
  });

  dispatcher.register('unsubscribe', (raw) => {
    const params = requireParams(raw);
    const objectId = getString(params, 'object');
    const subscription = getString(params, 'subscription');
    const sessionId = getString(params, 'sessionId');
    server.unsubscribe(sessionId, objectId, subscription);
    return { sessionId };
  });

  dispatcher.register('release', async (raw) => {
    const params = requireParams(raw);
    const objectId = getString(params, 'object');
    const sessionId = sessionOrNew(params, newSession);
    await server.release(objectId);
    return { sessionId };
  });

  dispatcher.register('ref', (raw) => {
    const params = requireParams(raw);
    const objectId = getString(params, 'object');
    const sessionId = getString(params, 'sessionId');
    server.ref(sessionId, objectId);
    return { sessionId };
  });

  dispatcher.register('unref', async (raw) => {
    const params = requireParams(raw);
    const objectId = getString(params, 'object');
    const sessionId = getString(params, 'sessionId');
    await server.unref(sessionId, objectId);
    return { sessionId };
  });

  dispatcher.register('keepAlive', (raw) => {
    const params = requireParams(raw);
    const sessionId = getString(params, 'sessionId');
    server.keepAlive(sessionId);
    return { sessionId };
  });

  dispatcher.register('closeSession', async (raw) => {
    const params = requireParams(raw);
    let release = false;
    try {
      release = getBoolean(params, 'release');
    } catch {
      // `release` is optional.
    }
    const sessionId = getString(params, 'sessionId');
    await server.closeSession(sessionId, release);
    return null;
  });

  dispatcher.register('transaction', async (raw) => {
    const params = requireParams(raw);
    const sessionId = sessionOrNew(params, newSession);
    const operations = getArray(params, 'operations');
    const batch = newSession();
    const responses: JsonRpcResponse[] = [];
    for (let i = 0; i < operations.length; i++) {
      const operation = isObject(operations[i]) ? (operations[i] as RequestParams) : {};
      if (transactionIndex(operation.id) !== i) {
        throw new KurentoError('MALFORMED_TRANSACTION', `Id of request '${i}' should be '${i}'`);
      }
      const opParams = isObject(operation.params) ? operation.params : {};
      opParams.sessionId = sessionId;
      const resolved = resolveNewRefs(opParams, responses) as RequestParams;
      const response = await dispatcher.process({ ...operation, params: resolved, id: `${batch}_${i}` });
      const answered: JsonRpcResponse = { ...(response ?? { jsonrpc: '2.0', id: i, result: null }), id: i };
      responses.push(answered);
      if (answered.error) break;
    }
    return { value: responses, sessionId };
  });
}

/**
 * An operation's id read as KMS reads it, as an unsigned integer the jsoncpp way: a missing or
 * null id is 0, a boolean 0 or 1, an integral number itself; anything else (strings included)
 * has no index.
 */
function transactionIndex(id: unknown): number | undefined {
  if (id === undefined || id === null) return 0;
  if (typeof id === 'boolean') return id ? 1 : 0;
  if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= 0xffffffff) return id;
  return undefined;
}

/** Replaces every `"newref:<i>"` string (at any depth) with the value of operation i's result. */
function resolveNewRefs(value: unknown, responses: readonly JsonRpcResponse[]): unknown {
  if (typeof value === 'string') {
    if (value.length <= NEW_REF.length || !value.startsWith(NEW_REF)) return value;
    const index = Number.parseInt(value.slice(NEW_REF.length), 10);
    if (Number.isNaN(index)) throw new KurentoError('MALFORMED_TRANSACTION', `Invalid index of newref '${value.slice(NEW_REF.length)}'`);
    const result = responses[index]?.result;
    if (!isObject(result)) throw new KurentoError('MALFORMED_TRANSACTION', `Result not found on request ${index}`);
    // A result without a value (keepAlive, release, ...) is referenced as null, as in KMS.
    return result.value ?? null;
  }
  if (Array.isArray(value)) return value.map((v) => resolveNewRefs(v, responses));
  if (isObject(value)) {
    const out: RequestParams = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveNewRefs(v, responses);
    return out;
  }
  return value;
}
