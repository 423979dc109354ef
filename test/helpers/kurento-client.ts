/**
 * The official `kurento-client@7.3.0`, loaded and driven the way a Node application drives it,
 * with promise helpers over its callback API so compatibility tests read top to bottom.
 *
 * Why the indirections (see DESIGN.md §5):
 * - The client's transactions subclass `domain.Domain`, which throws on current Node; with
 *   `domain.Domain` hidden while it loads, it takes its own browser fallback.
 * - Its reconnector re-emits socket errors and crashes the process when nobody listens, so every
 *   client gets a listener on `client._re`.
 * - Client and media objects are thenables whose `then` resolves to a stripped copy, so they must
 *   never be resolved from a promise: helpers hand out `Remote` wrappers (not thenable) and keep
 *   the client's own object in `Remote.proxy`, and all calls go through the callback API.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before } from 'node:test';
import { setUp, startServer, type RunningServer } from './server-process.js';

const require = createRequire(import.meta.url);

/** How long a single request may take before the test fails instead of hanging. */
const CALL_TIMEOUT_MS = 10_000;
/** How long to wait for an event the test has caused. */
const EVENT_TIMEOUT_MS = 5_000;
/**
 * How long the client remembers answered requests (to drop duplicated responses). Its default is
 * 20 s, and `close()` never clears those timers, so every closed client would keep the test
 * process alive for 20 s more.
 */
const DUPLICATES_TIMEOUT_MS = 500;

// ---- the client's shapes (only what the tests use) -------------------------------------------

/** An error as the client reports it: server errors keep their `code` and `data`. */
export interface ClientError extends Error {
  code?: number;
  data?: { type?: string; [key: string]: unknown };
}

/** The `data` of an `onEvent` notification, as the client emits it. */
export type EventData = Record<string, unknown> & {
  source?: string;
  type?: string;
  timestampMillis?: string;
  tags?: Array<Record<string, unknown>>;
};

type Callback = (error: ClientError | null | undefined, result?: unknown) => void;
type Listener = (...args: never[]) => void;

interface Emitter {
  on(event: string, listener: Listener): unknown;
  once(event: string, listener: Listener): unknown;
  removeListener(event: string, listener: Listener): unknown;
  emit(event: string, ...args: unknown[]): boolean;
}

/** A class the client registered (kurento-client-core's generated proxies). */
interface ProxyClass {
  readonly name: string;
  readonly prototype: object;
  readonly events?: readonly string[];
}

/** The client's proxy of a remote object (`MediaObject` and subclasses). */
interface MediaObjectProxy extends Emitter {
  readonly id: string | null | undefined;
  readonly constructor: ProxyClass;
  _invoke(transaction: TransactionProxy | undefined, method: string, params: Record<string, unknown> | undefined, callback: Callback): unknown;
}

/** A transaction as `beginTransaction()` returns it. */
export interface TransactionProxy {
  commit(callback: Callback): unknown;
  rollback(callback?: Callback): unknown;
  readonly commited: boolean;
}

/** The websocket-stream the client writes to; `websocketStream.ws` is its `ws@0.4` socket. */
interface WireStream {
  write(data: unknown): unknown;
  on(event: 'data', listener: (data: unknown) => void): unknown;
  websocketStream?: { ws?: { terminate(): void } };
}

/** reconnect-core's emitter (`client._re`). */
interface Reconnector extends Emitter {
  readonly connected: boolean;
  readonly _connection?: WireStream;
}

interface ClientProxy extends Emitter {
  readonly sessionId: string;
  readonly _re: Reconnector;
  getServerManager(callback: Callback): unknown;
  getMediaobjectById(id: string | string[], callback: Callback): unknown;
  create(...args: unknown[]): MediaObjectProxy;
  beginTransaction(): TransactionProxy;
  transaction(fn: () => void, callback: Callback): unknown;
  connect(...args: unknown[]): unknown;
  close(): void;
}

export interface ClientOptions {
  strict?: boolean;
  useImplicitTransactions?: boolean;
  enableTransactions?: boolean;
  failAfter?: number;
  request_timeout?: number;
  duplicates_timeout?: number;
  /** Sent as `?access_token=` on connect. */
  access_token?: string;
}

interface ClientModule {
  (uri: string, options: ClientOptions, callback: Callback): ClientProxy;
  readonly register: { readonly classes: Record<string, ProxyClass | undefined>; readonly modules: readonly string[] };
}

// ---- loading -----------------------------------------------------------------------------------

let loaded: ClientModule | undefined;

/** The client module, loaded once with `domain.Domain` hidden (restored right after). */
export function clientModule(): ClientModule {
  if (loaded) return loaded;
  const domain = require('node:domain') as { Domain: unknown };
  const saved = domain.Domain;
  domain.Domain = undefined;
  try {
    loaded = require('kurento-client') as ClientModule;
  } finally {
    domain.Domain = saved;
  }
  return loaded;
}

// ---- promise helpers ---------------------------------------------------------------------------

function isProxy(value: unknown): value is MediaObjectProxy {
  return typeof value === 'object' && value !== null && typeof (value as { _invoke?: unknown })._invoke === 'function';
}

/** Client results with the client's object proxies replaced by (non-thenable) `Remote`s. */
function wrapResult(value: unknown): unknown {
  if (isProxy(value)) return new Remote(value);
  if (Array.isArray(value) && value.length > 0 && value.every(isProxy)) return value.map((v: MediaObjectProxy) => new Remote(v));
  return value;
}

function unwrapArg(value: unknown): unknown {
  return value instanceof Remote ? value.proxy : value;
}

/** A promise settled by a client callback, failing after a timeout. */
function pending<T>(what: string, timeoutMs = CALL_TIMEOUT_MS): { promise: Promise<T>; settle: Callback; cancel: () => void } {
  let settle: Callback = () => undefined;
  let cancel: () => void = () => undefined;
  const promise = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    settle = (error, result) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(wrapResult(result) as T);
    };
    cancel = () => clearTimeout(timer);
  });
  return { promise, settle, cancel };
}

/** Runs a callback-style client call as a promise; a synchronous throw rejects it too. */
function viaCallback<T>(what: string, start: (callback: Callback) => void, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
  const p = pending<T>(what, timeoutMs);
  try {
    start(p.settle);
  } catch (err) {
    p.settle(err as ClientError);
  }
  return p.promise;
}

/** Starts a create and returns the client's proxy at once; a synchronous throw propagates. */
function startCreate(what: string, create: (callback: Callback) => MediaObjectProxy): { object: Remote; created: Promise<Remote> } {
  const p = pending<Remote>(what);
  let proxy: MediaObjectProxy;
  try {
    proxy = create(p.settle);
  } catch (err) {
    p.cancel();
    throw err;
  }
  return { object: new Remote(proxy), created: p.promise };
}

/** Collects the events of one type raised on an object, in order. */
export class EventQueue {
  readonly received: EventData[] = [];
  private consumed = 0;
  private waiter: ((data: EventData) => void) | undefined;
  private readonly listener = (data: EventData): void => {
    this.received.push(data);
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = undefined;
      this.consumed++;
      wake(data);
    }
  };

  constructor(
    private readonly proxy: MediaObjectProxy,
    readonly type: string,
  ) {
    // The first listener makes the client send `subscribe`.
    proxy.on(type, this.listener);
  }

  /** The next event not yet returned by `next`, waiting for it if need be. */
  next(timeoutMs = EVENT_TIMEOUT_MS): Promise<EventData> {
    const ready = this.received[this.consumed];
    if (ready) {
      this.consumed++;
      return Promise.resolve(ready);
    }
    if (this.waiter) return Promise.reject(new Error('EventQueue.next is already waiting'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no ${this.type} event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (data) => {
        clearTimeout(timer);
        resolve(data);
      };
    });
  }

  /** Removes the listener (the last one makes the client send `unsubscribe`). */
  stop(): void {
    this.proxy.removeListener(this.type, this.listener);
  }
}

/** A remote object as a test holds it: the client's own proxy, and promise helpers around it. */
export class Remote {
  constructor(readonly proxy: MediaObjectProxy) {}

  /** The id the server gave the object. */
  get id(): string {
    const id = this.proxy.id;
    if (typeof id !== 'string') throw new Error('the object has no id: it was not created, or creating it failed');
    return id;
  }

  /** The client class of the proxy (`MediaPipeline`, `PassThrough`, ...). */
  get type(): string {
    return this.proxy.constructor.name;
  }

  /** Calls a method of the client's proxy; `Remote` arguments are passed as their proxies. */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const fn = (this.proxy as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`${this.type} proxy has no method ${method}`));
    return viaCallback<T>(`${this.type}.${method}`, (callback) => {
      (fn as (...a: unknown[]) => unknown).apply(this.proxy, [...args.map(unwrapArg), callback]);
    });
  }

  /** Calls a method of another client class on this object (the client's generated code as is). */
  callAs<T = unknown>(className: string, method: string, ...args: unknown[]): Promise<T> {
    const cls = clientModule().register.classes[className];
    const fn = cls ? (cls.prototype as Record<string, unknown>)[method] : undefined;
    if (typeof fn !== 'function') return Promise.reject(new TypeError(`client class ${className} has no method ${method}`));
    return viaCallback<T>(`${className}.${method} on ${this.type}`, (callback) => {
      (fn as (...a: unknown[]) => unknown).apply(this.proxy, [...args.map(unwrapArg), callback]);
    });
  }

  /** The client's generic invoke (`MediaObject#_invoke`), which sends any operation name. */
  invoke<T = unknown>(operation: string, params?: Record<string, unknown>): Promise<T> {
    return viaCallback<T>(`invoke ${operation}`, (callback) => {
      this.proxy._invoke(undefined, operation, params, callback);
    });
  }

  /** Sends `subscribe` through the client's RPC channel, bypassing its event-name check. */
  subscribeRaw(type: string): Promise<unknown> {
    return viaCallback(`subscribe ${type}`, (callback) => {
      this.proxy.emit('_rpc', undefined, 'subscribe', { object: this.proxy, type }, callback);
    });
  }

  /** Creates an object in this pipeline (or hub) and waits for the server's answer. */
  create(type: string, params?: Record<string, unknown>): Promise<Remote> {
    return viaCallback(`create ${type}`, (callback) => {
      (this.proxy as unknown as { create(...a: unknown[]): unknown }).create(type, ...(params ? [mapValues(params, unwrapArg)] : []), callback);
    });
  }

  /**
   * Starts creating an object in this pipeline and returns its proxy at once (it has no id until
   * the server answers, or until the transaction it belongs to is committed).
   */
  createPending(type: string, params?: Record<string, unknown>, transaction?: TransactionProxy): { object: Remote; created: Promise<Remote> } {
    const create = (this.proxy as unknown as { create(...a: unknown[]): MediaObjectProxy }).create;
    return startCreate(`create ${type}`, (callback) => {
      const args: unknown[] = [type, ...(params ? [mapValues(params, unwrapArg)] : []), callback];
      return create.apply(this.proxy, transaction ? [transaction, ...args] : args);
    });
  }

  beginTransaction(): TransactionProxy {
    return (this.proxy as unknown as { beginTransaction(): TransactionProxy }).beginTransaction();
  }

  /** `pipeline.transaction(fn)`: operations issued inside `fn` go out as one transaction. */
  transaction(fn: () => void): Promise<unknown> {
    return viaCallback('pipeline transaction', (callback) => {
      (this.proxy as unknown as { transaction(f: () => void, cb: Callback): unknown }).transaction(fn, callback);
    });
  }

  /** Subscribes (through the client's `on`) and collects the events of one type. */
  events(type: string): EventQueue {
    return new EventQueue(this.proxy, type);
  }

  /** Waits for one event of a type (subscribing first); the subscription is dropped after. */
  async once(type: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<EventData> {
    const queue = this.events(type);
    try {
      return await queue.next(timeoutMs);
    } finally {
      queue.stop();
    }
  }

  release(): Promise<void> {
    return this.call<void>('release');
  }
}

function mapValues(params: Record<string, unknown>, f: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, f(v)]));
}

/** One JSON-RPC message as the client wrote it on the socket. */
export type WireMessage = Record<string, unknown> & { method?: string; id?: number; params?: Record<string, unknown> };

/** A connected official client. */
export class Kurento {
  /** Every message the client wrote, across reconnections, parsed. */
  readonly sent: WireMessage[] = [];
  /** Every message the client received, across reconnections, parsed. */
  readonly received: WireMessage[] = [];
  /** Errors the reconnector reported (socket errors; kept so a test can inspect them). */
  readonly socketErrors: Error[] = [];

  private constructor(readonly raw: ClientProxy) {
    // Wrap each new socket's `write` before the client adopts it as its transport ('connect'
    // is emitted just before the 'connection' the client itself listens to).
    raw._re.on('connect', (stream: WireStream) => {
      const write = stream.write;
      stream.write = (data: unknown): unknown => {
        if (typeof data === 'string') this.sent.push(JSON.parse(data) as WireMessage);
        return write.call(stream, data);
      };
      stream.on('data', (data) => {
        if (typeof data === 'string') this.received.push(JSON.parse(data) as WireMessage);
      });
    });
    raw._re.on('error', (err: Error) => this.socketErrors.push(err));
  }

  /** Connects (strict mode unless told otherwise) and waits for the client's constructor callback. */
  static connect(url: string, options: ClientOptions = {}, timeoutMs = CALL_TIMEOUT_MS): Promise<Kurento> {
    return new Promise((resolve, reject) => {
      // The client calls back asynchronously, so `wrapper` is set by then.
      let wrapper: Kurento | undefined;
      const timer = setTimeout(() => {
        wrapper?.raw.close();
        reject(new Error(`kurento-client did not connect to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const raw = clientModule()(url, { duplicates_timeout: DUPLICATES_TIMEOUT_MS, ...options }, (error) => {
        clearTimeout(timer);
        if (error) {
          wrapper?.raw.close();
          reject(error);
        } else resolve(wrapper!);
      });
      wrapper = new Kurento(raw);
    });
  }

  get sessionId(): string {
    return this.raw.sessionId;
  }

  /** Messages written with a given method. */
  sentWith(method: string): WireMessage[] {
    return this.sent.filter((m) => m.method === method);
  }

  /** The `value` of every `onEvent` notification received, optionally of one event type. */
  receivedEvents(type?: string): Array<{ data: EventData; object: string; type: string }> {
    return this.received
      .filter((m) => m.method === 'onEvent')
      .map((m) => (m.params as { value: { data: EventData; object: string; type: string } }).value)
      .filter((v) => type === undefined || v.type === type);
  }

  serverManager(): Promise<Remote> {
    return viaCallback('getServerManager', (callback) => this.raw.getServerManager(callback));
  }

  getById(id: string): Promise<Remote> {
    return viaCallback(`getMediaobjectById ${id}`, (callback) => this.raw.getMediaobjectById(id, callback));
  }

  getByIds(ids: string[]): Promise<Remote[]> {
    return viaCallback('getMediaobjectById [...]', (callback) => this.raw.getMediaobjectById(ids, callback));
  }

  /** `client.create(type, params)`; `Remote` params are passed as their proxies. */
  create(type: string, params?: Record<string, unknown>): Promise<Remote> {
    return viaCallback(`create ${type}`, (callback) => {
      this.raw.create(type, ...(params ? [mapValues(params, unwrapArg)] : []), callback);
    });
  }

  /**
   * `client.create([{type, params}, ...])`: several objects at once; a `mediaPipeline` param may
   * be the index of a pipeline in the same list (the client then uses one transaction).
   */
  createMany(requests: Array<{ type: string; params?: Record<string, unknown> }>): Promise<Remote[]> {
    return viaCallback('create [...]', (callback) => {
      this.raw.create(requests.map((r) => ({ type: r.type, ...(r.params ? { params: mapValues(r.params, unwrapArg) } : {}) })), callback);
    });
  }

  /** Like `create`, but returns the proxy at once (for transactions). */
  createPending(type: string, params?: Record<string, unknown>): { object: Remote; created: Promise<Remote> } {
    return startCreate(`create ${type}`, (callback) => this.raw.create(type, ...(params ? [mapValues(params, unwrapArg)] : []), callback));
  }

  /** `client.connect(a, b, ...)`. */
  connectElements(...elements: Remote[]): Promise<unknown> {
    return viaCallback('client.connect', (callback) => {
      this.raw.connect(...elements.map((e) => e.proxy), callback);
    });
  }

  /** `client.transaction(fn)`: operations issued inside `fn` go out as one transaction. */
  transaction(fn: () => void): Promise<unknown> {
    return viaCallback('client transaction', (callback) => this.raw.transaction(fn, callback));
  }

  commit(transaction: TransactionProxy): Promise<unknown> {
    return viaCallback('commit', (callback) => transaction.commit(callback));
  }

  /** Resolves with the `sameSession` flag of the client's next `reconnected` event. */
  nextReconnection(timeoutMs = CALL_TIMEOUT_MS): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const listener = (sameSession: boolean): void => {
        clearTimeout(timer);
        resolve(sameSession);
      };
      const timer = setTimeout(() => {
        this.raw.removeListener('reconnected', listener);
        reject(new Error(`no reconnected event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.raw.once('reconnected', listener);
    });
  }

  /** Cuts the client's WebSocket as a network failure would (no close handshake). */
  dropConnection(): void {
    const ws = this.raw._re._connection?.websocketStream?.ws;
    if (!ws) throw new Error('the client has no open WebSocket');
    ws.terminate();
  }

  /** Closes the client and waits until its socket is gone. */
  close(timeoutMs = CALL_TIMEOUT_MS): Promise<void> {
    const re = this.raw._re;
    if (!re.connected) {
      this.raw.close();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('kurento-client did not close its socket')), timeoutMs);
      re.once('disconnect', () => {
        clearTimeout(timer);
        resolve();
      });
      this.raw.close();
    });
  }
}

/** A server and a connected official client, shared by the tests of one file. */
export interface KurentoFixture {
  readonly server: RunningServer;
  readonly kurento: Kurento;
}

/**
 * Registers node:test hooks that start a server with one media worker before the file's first
 * test and connect the official client to it, then close both after its last test. Call it at the
 * top level of a test file; `server` and `kurento` are there once the tests run.
 *
 * What else the file's tests need goes in `setup`, which runs once both are up: a top-level
 * `before` of the file would not wait for them (Node 20 starts top-level `before` hooks at once).
 */
export function useKurento(setup?: (fixture: KurentoFixture) => Promise<void>): KurentoFixture {
  let server: RunningServer | undefined;
  let kurento: Kurento | undefined;
  const fixture: KurentoFixture = {
    get server() {
      return setUp(server, 'the server');
    },
    get kurento() {
      return setUp(kurento, 'the kurento-client');
    },
  };
  before(async () => {
    server = await startServer({ args: ['--workers', '1'] });
    kurento = await Kurento.connect(server.url);
    await setup?.(fixture);
  });
  after(async () => {
    await kurento?.close();
    await server?.stop();
  });
  return fixture;
}

/** What a user can see of a client error. */
export interface ErrorSummary {
  name: string;
  code: number | undefined;
  type: string | undefined;
  message: string;
}

/** Asserts-friendly view of a client error: what a user can see of it. */
export function errorSummary(err: unknown): ErrorSummary {
  if (typeof err !== 'object' || err === null) throw new Error(`expected an error object, got ${String(err)}`);
  const e = err as ClientError;
  return { name: e.constructor.name, code: e.code, type: e.data?.type, message: e.message };
}

/** The summary of the error a call that must fail failed with; the test fails if it succeeds. */
export function failureOf(call: Promise<unknown>): Promise<ErrorSummary> {
  return call.then(
    (value) => assert.fail(`expected an error, got ${JSON.stringify(value)}`),
    (err: unknown) => errorSummary(err),
  );
}
