/**
 * kuroshio-client: a typed promise client for the Kurento Protocol, for Kuroshio and for Kurento
 * Media Server, in Node and in browsers. The classes, their methods, properties and events are
 * generated from Kuroshio's API description (`generated/api.ts`).
 */
export { KurentoClient, Transaction, type ClientEvents, type CreateArgs } from './client.js';
export { type ConnectionOptions, type SocketFactory, type SocketLike } from './connection.js';
export { ConnectionError, KurentoError, KURENTO_ERROR_CODES, isKurentoError, type ErrorCode, type KurentoErrorType } from './errors.js';
export { RemoteObject, type Subscription } from './remote-object.js';
export * from './generated/api.js';
