/**
 * KurentoClient: one session with a Kurento server (Kuroshio, or Kurento Media Server itself),
 * with typed remote objects generated from the API description.
 *
 *     const client = await KurentoClient.connect('ws://localhost:8888/kurento');
 *     const pipeline = await client.create('MediaPipeline');
 *     const endpoint = await client.create('WebRtcEndpoint', { mediaPipeline: pipeline });
 *     await endpoint.on('IceCandidateFound', (event) => send(event.candidate));
 *     const answer = await endpoint.processOffer(offer);
 *
 * Every call returns a promise that rejects with a `KurentoError` carrying the server's code.
 * After a network drop the client reconnects and resumes its session (`connect` with the session
 * id): its objects and subscriptions stay valid and `reconnected` says so; if the server no longer
 * knows the session (it restarted), the client starts a new one and says that instead.
 */
import { JsonRpcConnection, type ConnectionOptions } from './connection.js';
import { isKurentoError } from './errors.js';
import { CLASSES, EVENT_OBJECT_FIELDS, type Constructors, type ServerManager } from './generated/api.js';
import { RemoteObject, type Executor, type ObjectHome, type Returns, type Subscription } from './remote-object.js';
import { TransactionCore } from './transaction.js';

const SERVER_MANAGER_ID = 'manager_ServerManager';

/** The params of a class's constructor: optional when every one of them is. */
export type CreateArgs<K extends keyof Constructors> = {} extends Constructors[K]['params'] ? [params?: Constructors[K]['params']] : [params: Constructors[K]['params']];

export interface ClientEvents {
  /** The connection dropped; the client is reconnecting. */
  disconnected: [];
  /** The connection is back: `sameSession` false means the server lost the session and its objects. */
  reconnected: [{ sameSession: boolean }];
  /** Reconnection gave up; every request fails from now on. */
  failed: [Error];
}

type Listener = (event: unknown) => void;

export class KurentoClient implements Executor, ObjectHome {
  private sessionId: string | undefined;
  private readonly objects = new Map<string, RemoteObject>();
  /** Listeners by object id, then event type; one server subscription per pair. */
  private readonly listeners = new Map<string, Map<string, { subscription: Promise<string>; listeners: Set<Listener> }>>();
  private readonly clientListeners = new Map<keyof ClientEvents, Set<(...args: never[]) => void>>();

  private constructor(private readonly connection: JsonRpcConnection) {
    connection.onNotification = (method, params) => {
      if (method === 'onEvent') void this.dispatch(params);
    };
    connection.onDrop = () => this.emit('disconnected');
    connection.onReopen = () => void this.resume();
    connection.onGiveUp = (err) => this.emit('failed', err);
  }

  /** Connects and opens a session. */
  static async connect(url: string, options: ConnectionOptions = {}): Promise<KurentoClient> {
    const connection = new JsonRpcConnection(url, options);
    await connection.open();
    const client = new KurentoClient(connection);
    const result = (await connection.request('connect')) as { sessionId: string };
    client.sessionId = result.sessionId;
    return client;
  }

  /** The session id the server gave this client. */
  get session(): string | undefined {
    return this.sessionId;
  }

  /** Creates an object: `client.create('WebRtcEndpoint', { mediaPipeline })`. */
  async create<K extends keyof Constructors & string>(type: K, ...args: CreateArgs<K>): Promise<Constructors[K]['object']> {
    const params = (args[0] ?? {}) as Record<string, unknown>;
    const result = await this.rpc('create', { type, constructorParams: this.encode(params, (o) => o.id), properties: {} });
    return this.construct(type, result.value as string) as unknown as Constructors[K]['object'];
  }

  /** The server itself (`manager_ServerManager`): info, pipelines, sessions, CPU and memory use. */
  getServerManager(): ServerManager {
    return this.construct('ServerManager', SERVER_MANAGER_ID) as unknown as ServerManager;
  }

  /** The object with this id, of the class the server says it is. */
  async getMediaObjectById(id: string): Promise<RemoteObject> {
    return this.objectFor(id);
  }

  beginTransaction(): Transaction {
    return new Transaction(
      new TransactionCore({
        encode: (value, ref) => this.encode(value, ref),
        decode: (value, returns) => this.decode(value, returns),
        construct: (type, id) => this.construct(type, id),
        adopt: (object) => this.objects.set(object.id, object),
        send: async (operations) => (await this.rpc('transaction', { operations })).value as unknown[],
      }),
    );
  }

  /** Runs `body` in a transaction and commits it. */
  async transaction<T>(body: (tx: Transaction) => T): Promise<T> {
    const tx = this.beginTransaction();
    const result = body(tx);
    await tx.commit();
    return result;
  }

  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): this {
    let set = this.clientListeners.get(event);
    if (!set) this.clientListeners.set(event, (set = new Set()));
    set.add(listener as (...args: never[]) => void);
    return this;
  }

  /** Closes the connection (the session's objects stay on the server until released or collected). */
  close(): void {
    this.connection.close();
  }

  /** Drops the network connection as a failure would: the client reconnects and resumes (for tests). */
  simulateNetworkDrop(): void {
    this.connection.dropSocket();
  }

  // ---- Executor and ObjectHome: what remote objects call -------------------------------------

  async invoke(target: RemoteObject, operation: string, params: Record<string, unknown>, returns: Returns): Promise<unknown> {
    const result = await this.rpc('invoke', { object: target.id, operation, operationParams: this.encode(params, (o) => o.id) });
    return this.decode(result.value ?? null, returns);
  }

  async release(target: RemoteObject): Promise<void> {
    await this.rpc('release', { object: target.id });
    this.objects.delete(target.id);
    this.listeners.delete(target.id);
  }

  async subscribe(target: RemoteObject, event: string, listener: Listener): Promise<Subscription> {
    let byType = this.listeners.get(target.id);
    if (!byType) this.listeners.set(target.id, (byType = new Map()));
    let entry = byType.get(event);
    if (!entry) {
      const subscription = this.rpc('subscribe', { object: target.id, type: event }).then((r) => r.value as string);
      entry = { subscription, listeners: new Set() };
      byType.set(event, entry);
      subscription.catch(() => byType!.delete(event));
    }
    entry.listeners.add(listener);
    const id = await entry.subscription;
    const current = entry;
    return {
      id,
      unsubscribe: async () => {
        current.listeners.delete(listener);
        if (current.listeners.size > 0) return;
        byType!.delete(event);
        await this.rpc('unsubscribe', { object: target.id, subscription: id });
      },
    };
  }

  // ---- internals -----------------------------------------------------------------------------

  private async rpc(method: string, params: Record<string, unknown>): Promise<{ value?: unknown; sessionId?: string }> {
    const result = (await this.connection.request(method, { ...params, ...(this.sessionId ? { sessionId: this.sessionId } : {}) })) as { value?: unknown; sessionId?: string } | null;
    if (result?.sessionId) this.sessionId = result.sessionId;
    return result ?? {};
  }

  /** After a drop: the same session if the server still has it, else a new one. */
  private async resume(): Promise<void> {
    let sameSession = true;
    try {
      const result = (await this.connection.request('connect', this.sessionId ? { sessionId: this.sessionId } : undefined, { bypassHold: true })) as { sessionId: string };
      this.sessionId = result.sessionId;
    } catch (err) {
      if (!isKurentoError(err, 'INVALID_SESSION')) {
        // The socket dropped again during the resumption: the next reopen tries again.
        return;
      }
      sameSession = false;
      this.objects.clear();
      this.listeners.clear();
      const result = (await this.connection.request('connect', undefined, { bypassHold: true })) as { sessionId: string };
      this.sessionId = result.sessionId;
    }
    this.connection.release();
    this.emit('reconnected', { sameSession });
  }

  /** The object of a class with an id (made once per id); without an id, one a transaction creates. */
  private construct(type: string, id: string | undefined): RemoteObject {
    if (id !== undefined) {
      const known = this.objects.get(id);
      if (known) return known;
    }
    const Class = CLASSES[type] ?? RemoteObject;
    const object = new Class(this, id);
    if (id !== undefined) this.objects.set(id, object);
    return object;
  }

  /** The object an id names: known already, or described (its class) and made. */
  private async objectFor(id: string): Promise<RemoteObject> {
    const known = this.objects.get(id);
    if (known) return known;
    const described = (await this.rpc('describe', { object: id })) as { type?: string; hierarchy?: string[] } & Record<string, unknown>;
    const type = [described.type, ...((described.hierarchy as string[] | undefined) ?? []).map((q) => q.slice(q.lastIndexOf('.') + 1))].find((t) => t !== undefined && CLASSES[t]);
    return this.construct(type ?? 'MediaObject', id);
  }

  private async decode(value: unknown, returns: Returns): Promise<unknown> {
    if (returns === 'object') return value === null || value === undefined ? null : this.objectFor(value as string);
    if (returns === 'objects') return Promise.all((value as string[]).map((id) => this.objectFor(id)));
    return value;
  }

  /** Remote objects in params become their ids (or a transaction's `newref:`). */
  private encode(value: unknown, ref: (object: RemoteObject) => string): unknown {
    if (value instanceof RemoteObject) return ref(value);
    if (Array.isArray(value)) return value.map((v) => this.encode(v, ref));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, this.encode(v, ref)]));
    }
    return value;
  }

  /** An `onEvent` from the server: its object fields made objects, then to the listeners. */
  private async dispatch(params: unknown): Promise<void> {
    const value = (params as { value?: { data?: Record<string, unknown>; object?: string; type?: string } } | undefined)?.value;
    if (!value?.object || !value.type) return;
    const entry = this.listeners.get(value.object)?.get(value.type);
    if (!entry || entry.listeners.size === 0) return;
    const data: Record<string, unknown> = { ...value.data };
    for (const field of EVENT_OBJECT_FIELDS[value.type] ?? ['source']) {
      const raw = data[field];
      try {
        if (typeof raw === 'string') data[field] = await this.objectFor(raw);
        else if (Array.isArray(raw)) data[field] = await Promise.all(raw.map((id) => this.objectFor(String(id))));
      } catch {
        // The object is gone already (released meanwhile): the listener gets its id.
      }
    }
    for (const listener of [...entry.listeners]) listener(data);
  }

  private emit<E extends keyof ClientEvents>(event: E, ...args: ClientEvents[E]): void {
    for (const listener of this.clientListeners.get(event) ?? []) (listener as (...a: ClientEvents[E]) => void)(...args);
  }
}

/** A transaction of this client (see `transaction.ts`): typed `create`, and `with(object)` to queue calls. */
export class Transaction {
  constructor(private readonly core: TransactionCore) {}

  create<K extends keyof Constructors & string>(type: K, ...args: CreateArgs<K>): Constructors[K]['object'] {
    return this.core.createObject(type, (args[0] ?? {}) as Record<string, unknown>) as unknown as Constructors[K]['object'];
  }

  /** The object as seen by this transaction: its calls are queued, and settle at commit. */
  with<T extends RemoteObject>(object: T): T {
    return object.withExecutor(this.core);
  }

  commit(): Promise<void> {
    return this.core.commit();
  }
}
