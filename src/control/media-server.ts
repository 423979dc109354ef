/**
 * The control process's model of the media server: it validates every request against the API
 * catalog, keeps the object registry and the sessions, places pipelines on media workers,
 * forwards operations to them, and turns what the workers report into client events.
 *
 * This is the layer the Kurento methods (`rpc/kurento-methods.ts`) call; it knows nothing of
 * JSON-RPC framing.
 */
import { availableParallelism } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ApiCatalog, type ClassInfo } from '../api/catalog.js';
import { Marshaller, type ObjectResolver } from '../api/marshal.js';
import { allModules } from '../api/modules/index.js';
import type { JsonValue, TypeRef } from '../api/signature.js';
import type { ModuleSpec } from '../api/spec.js';
import type { ServerConfig } from '../config.js';
import { KurentoCode, KurentoError } from '../errors.js';
import type { EventMessage } from '../ipc/protocol.js';
import type { Logger } from '../log.js';
import { ObjectRegistry } from '../registry/object-registry.js';
import { RemoteObject } from '../registry/remote-object.js';
import { SessionStore, type ClientConnection } from '../session/session-store.js';
import { EventRouter } from './event-router.js';
import { HttpEndpointServer } from './http-endpoint-server.js';
import { ResourceGuard } from './resource-guard.js';
import { SERVER_MANAGER_ID, mediaObjectOperations, serverManagerOperations, type LocalOperation } from './local-operations.js';
import type { MediaWorker } from './media-worker.js';
import { WhipEndpoints } from './whip-endpoints.js';
import { WorkerPool } from './worker-pool.js';

/** The uuid of an object id (`<parent>/<uuid>_<module>.<Type>`). */
function uuidOf(id: string): string {
  const own = id.slice(id.lastIndexOf('/') + 1);
  return own.slice(0, own.indexOf('_'));
}

export interface DescribeResult {
  type: string;
  qualifiedType: string;
  hierarchy: string[];
}

export class MediaServer {
  readonly catalog: ApiCatalog;
  readonly sessions = new SessionStore();
  readonly serverId = randomUUID();
  private readonly marshaller: Marshaller;
  private readonly serverManager: RemoteObject;
  readonly registry: ObjectRegistry;
  private readonly events: EventRouter;
  private readonly pool: WorkerPool;
  private readonly commonOperations = mediaObjectOperations();
  private readonly managerOperations: Map<string, LocalOperation>;
  private gcTimer: NodeJS.Timeout | undefined;
  /** KMS's resource guard on `create`, when configured. */
  private readonly guard: ResourceGuard | undefined;
  /** The port of HttpEndpoint uploads, opened with the first one. */
  private readonly http: HttpEndpointServer;
  /** WHIP and WHEP for WebRtcEndpoints, served on the WebSocket's HTTP port (`server.ts` wires it). */
  readonly whip: WhipEndpoints;

  constructor(
    private readonly config: ServerConfig,
    private readonly log: Logger,
    /** Descriptions of the plugin modules, loaded before the server starts. */
    plugins: readonly ModuleSpec[] = [],
  ) {
    this.catalog = new ApiCatalog([...allModules, ...plugins]);
    this.marshaller = new Marshaller(this.catalog);
    this.serverManager = new RemoteObject(SERVER_MANAGER_ID, this.catalog.findClass('ServerManager')!, undefined, undefined);
    this.registry = new ObjectRegistry(this.serverManager);
    this.events = new EventRouter(this.catalog, this.marshaller, this.sessions, log.child('events'));
    this.pool = new WorkerPool(config.workers, {
      // Players and recorders run FFmpeg I/O on libuv's thread pool, and a network source that
      // stalls holds a thread until it times out: 4 threads (the default) would soon be all taken.
      UV_THREADPOOL_SIZE: '32',
      // glibc gives each thread that allocates an arena of its own (up to 8 per core): codec and
      // filter-graph pictures allocated on 32 pool threads then scatter over many arenas whose
      // freed pages are never given back, and a worker grew 25% over 50 hub join/leave cycles.
      // One arena per core keeps it flat (measured: +4% after 100 cycles) at no visible CPU cost.
      MALLOC_ARENA_MAX: String(Math.max(2, availableParallelism())),
      ...process.env,
      KUROSHIO_LOG_LEVEL: config.logLevel,
      KUROSHIO_CONFIG: JSON.stringify(config),
    }, log);
    this.managerOperations = serverManagerOperations({
      catalog: this.catalog,
      metadata: config.metadata,
      pipelines: () => this.pipelines(),
      sessionIds: () => this.sessions.ids(),
      pids: () => [process.pid, ...this.pool.all.flatMap((w) => (w.pid ? [w.pid] : []))],
    });
    this.http = new HttpEndpointServer(
      {
        port: config.httpEndpointPort,
        ...(config.httpEndpointAddress !== undefined ? { address: config.httpEndpointAddress } : {}),
        ...(config.httpEndpointAnnouncedAddress !== undefined ? { announcedAddress: config.httpEndpointAnnouncedAddress } : {}),
        ...(config.networkInterfaces !== undefined ? { networkInterfaces: config.networkInterfaces } : {}),
      },
      log.child('http'),
    );
    this.whip = new WhipEndpoints(log.child('whip'));
    if (config.resourceLimit !== undefined) {
      const range = { min: config.minPort, max: config.maxPort };
      this.guard = new ResourceGuard(config.resourceLimit, range, () => [process.pid, ...this.pool.all.flatMap((w) => (w.pid ? [w.pid] : []))]);
    }
    this.registry.on('released', (dead) => this.onReleased(dead));
    this.pool.on('event', (worker, message) => this.onWorkerEvent(worker, message));
    this.pool.on('worker-lost', (worker, how) => this.onWorkerLost(worker, how));
  }

  async start(): Promise<void> {
    await this.pool.start();
    this.gcTimer = setInterval(() => this.collectGarbage(), this.config.gcPeriod * 1000);
    this.gcTimer.unref();
  }

  async close(): Promise<void> {
    if (this.gcTimer) clearInterval(this.gcTimer);
    await this.http.close();
    await this.pool.close();
  }

  get workers(): readonly MediaWorker[] {
    return this.pool.all;
  }

  /** Replacement workers started per worker slot since the server started. */
  get workerRestarts(): readonly number[] {
    return this.pool.restartCounts;
  }

  /**
   * Every worker event (any object, any type, subscribed to or not), for observers such as the
   * console. Returns a function that stops the listening.
   */
  observeEvents(listener: (source: RemoteObject, type: string, data: Record<string, unknown>, timestamp: number) => void): () => void {
    const onEvent = (worker: MediaWorker, message: EventMessage): void => {
      const source = this.registry.find(message.objectId);
      if (source && source.worker === worker) listener(source, message.type, message.data, message.timestamp);
    };
    this.pool.on('event', onEvent);
    return () => this.pool.off('event', onEvent);
  }

  // ---- Kurento operations ---------------------------------------------------------------------

  async create(sessionId: string, type: string, rawParams: unknown): Promise<string> {
    const cls = this.catalog.findClass(type);
    if (!cls || cls.abstract || !cls.ctor) throw new KurentoError('MEDIA_OBJECT_NOT_AVAILABLE', `Factory '${type}' not found`);
    this.sessions.touch(sessionId);
    await this.guard?.check();
    const limit = this.config.maxSessionObjects;
    if (limit !== undefined && this.registry.heldBy(sessionId).length >= limit) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `Not enough resources: this session holds ${limit} objects, the most one may`);
    }
    const params = this.marshaller.decodeParams(cls.ctor, rawParams, 'constructorParams', cls.module, this.resolverFor(sessionId));
    const parent = this.parentFromParams(cls, params, sessionId);
    const uuid = randomUUID();
    const id = parent ? `${parent.id}/${uuid}_${cls.qualifiedName}` : `${uuid}_${cls.qualifiedName}`;
    if (parent?.released) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${parent.id}' not found`);
    // A pipeline is counted on its worker as it is placed; a child from here on.
    const worker = parent?.worker ?? (await this.pool.placePipeline());
    const load = parent ? 'elements' : 'pipelines';
    if (parent) worker.elements++;
    try {
      await this.createOn(worker, id, cls, params, parent);
    } catch (err) {
      worker[load]--;
      throw err;
    }
    this.registry.add(new RemoteObject(id, cls, parent, worker), sessionId);
    if (this.catalog.isA(cls, 'HttpEndpoint')) this.http.register(uuid, id, worker);
    if (!parent) this.log.debug('pipeline placed', { pipelineId: id, worker: worker.index, pid: worker.pid });
    this.events.deliver(this.serverManager, 'ObjectCreated', { object: id });
    return id;
  }

  /** Has `worker` build the object; throws (the worker having nothing of it) if it cannot. */
  private async createOn(worker: MediaWorker, id: string, cls: ClassInfo, params: Record<string, unknown>, parent: RemoteObject | undefined): Promise<void> {
    // Workers say what they can build when they start: the control process loads no element code.
    if (!worker.factories.has(cls.qualifiedName)) {
      throw new KurentoError('NOT_IMPLEMENTED', `${cls.qualifiedName} is described but not implemented yet in Kuroshio`);
    }
    // HttpEndpoints are served on the server's HTTP port: it opens with the first one (as in KMS).
    if (this.catalog.isA(cls, 'HttpEndpoint')) await this.http.ensureListening();
    await worker.request('create', {
      objectId: id,
      type: cls.qualifiedName,
      pipelineId: parent?.pipeline?.id ?? id,
      params,
      ...(parent ? { parentId: parent.id } : {}),
    });
    if (parent?.released) {
      // The parent died while the worker was creating the child: undo it. A failure is ignored on
      // purpose: it means the worker already lost the object (it died, or released the parent
      // and its children with it), and the client gets MEDIA_OBJECT_NOT_FOUND either way.
      void worker.request('release', { objectId: id }).catch(() => undefined);
      throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${parent.id}' not found`);
    }
  }

  async invoke(sessionId: string, objectId: string, operation: string, rawParams: unknown): Promise<JsonValue> {
    // KMS only creates a session once an object was found for it: look the object up first.
    const target = this.registry.acquire(sessionId, objectId);
    this.sessions.touch(sessionId);
    const resolved = this.catalog.resolveOperation(target.cls, operation);
    if (!resolved) {
      const count = rawParams && typeof rawParams === 'object' ? Object.keys(rawParams).length : 0;
      throw new KurentoError('MALFORMED_TRANSACTION', `Method '${operation}' with ${count} parameters not found`);
    }
    const resolver = this.resolverFor(sessionId);
    let params: Record<string, unknown>;
    let returns: TypeRef | undefined;
    if (resolved.kind === 'method') {
      params = this.marshaller.decodeParams(resolved.def.params, rawParams, 'operationParams', resolved.owner.module, resolver);
      returns = resolved.def.returns;
    } else if (resolved.kind === 'set') {
      params = this.marshaller.decodeParams([{ name: resolved.def.name, type: resolved.def.type, optional: false }], rawParams, 'operationParams', resolved.owner.module, resolver);
    } else {
      params = {};
      returns = resolved.def.type;
    }
    const local =
      resolved.owner.name === 'MediaObject' ? this.commonOperations.get(operation)
      : target === this.serverManager ? this.managerOperations.get(operation)
      : resolved.owner.name === 'HttpEndpoint' && operation === 'getUrl' ? (o: RemoteObject) => this.http.url(uuidOf(o.id))
      : resolved.owner.name === 'WebRtcEndpoint' && (operation === 'getWhipUrl' || operation === 'getWhepUrl')
        ? (o: RemoteObject, p: Record<string, unknown>) => this.whip.url(o, operation === 'getWhipUrl' ? 'whip' : 'whep', uuidOf(o.id), p.bearerToken as string)
      : undefined;
    let value: unknown;
    if (local) value = await local(target, params, sessionId);
    else if (target.worker) {
      value = await target.worker.request('invoke', { objectId: target.id, kind: resolved.kind, operation, member: resolved.def.name, params });
    } else throw new KurentoError('NOT_IMPLEMENTED', `${target.cls.name}.${operation} is not implemented`);
    if (!returns) return null;
    // Objects named in a result are not held by the caller (KMS references the objects a request
    // names, not those it answers with): a dashboard polling getPipelines must not keep a crashed
    // application's pipelines alive. The caller holds them once it names them in a request.
    return this.marshaller.encodeValue(returns, value, resolved.owner.module);
  }

  describe(sessionId: string, objectId: string): DescribeResult {
    const target = this.registry.acquire(sessionId, objectId);
    this.sessions.touch(sessionId);
    return { type: target.cls.name, qualifiedType: target.cls.qualifiedName, hierarchy: [...target.cls.hierarchy] };
  }

  subscribe(sessionId: string, objectId: string, eventType: string): string {
    const target = this.registry.acquire(sessionId, objectId);
    const session = this.sessions.touch(sessionId);
    if (!this.catalog.supportsEvent(target.cls, eventType)) {
      throw new KurentoError('MEDIA_OBJECT_EVENT_NOT_SUPPORTED', `Event '${eventType}' not supported`);
    }
    return this.sessions.subscribe(session, target.id, eventType).id;
  }

  unsubscribe(sessionId: string, objectId: string, subscriptionId: string): void {
    this.sessions.unsubscribe(sessionId, objectId, subscriptionId);
  }

  /** Releases an object and its descendants; unknown ids are not an error. */
  async release(objectId: string): Promise<void> {
    const target = this.registry.find(objectId);
    if (!target) return;
    await this.releaseAndWait(() => this.registry.release(target));
  }

  ref(sessionId: string, objectId: string): void {
    this.registry.acquire(sessionId, objectId);
    this.sessions.touch(sessionId);
  }

  async unref(sessionId: string, objectId: string): Promise<void> {
    const target = this.registry.find(objectId);
    if (!target) return;
    // As in KMS (MediaSet::unref), the session also loses its subscriptions to the object and
    // its descendants, even when other sessions keep them alive.
    const session = this.sessions.get(sessionId);
    if (session) for (const o of target.descendantsFirst()) this.sessions.dropObjectFor(session, o.id);
    await this.releaseAndWait(() => this.registry.unref(sessionId, target));
  }

  async closeSession(sessionId: string, release: boolean): Promise<void> {
    await this.releaseAndWait(() => (release ? this.registry.releaseSession(sessionId) : this.registry.unrefSession(sessionId)));
    this.sessions.remove(sessionId);
  }

  keepAlive(sessionId: string): void {
    this.sessions.keepAlive(sessionId);
  }

  bindConnection(sessionId: string, connection: ClientConnection): void {
    this.sessions.bind(sessionId, connection);
  }

  /** One pass of the session garbage collector. */
  collectGarbage(): void {
    for (const sessionId of this.sessions.collectIdle()) {
      this.log.info('collecting idle session', { sessionId, objects: this.registry.heldBy(sessionId).length });
      this.registry.unrefSession(sessionId);
      this.sessions.remove(sessionId);
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private resolverFor(sessionId: string): ObjectResolver {
    return {
      classOf: (id) => {
        const found = id === SERVER_MANAGER_ID ? this.serverManager : this.registry.get(id);
        this.registry.ref(sessionId, found);
        return found.cls;
      },
    };
  }

  /** The parent of a new object: the pipeline or hub its constructor names. */
  private parentFromParams(cls: ClassInfo, params: Record<string, unknown>, sessionId: string): RemoteObject | undefined {
    for (const def of cls.ctor ?? []) {
      const paramClass = this.catalog.findClass(def.type.name);
      if (def.type.container !== 'none' || !paramClass) continue;
      if (paramClass.name === 'MediaPipeline' || this.catalog.isA(paramClass, 'Hub')) {
        return this.registry.acquire(sessionId, params[def.name] as string);
      }
    }
    return undefined;
  }

  private pipelines(): string[] {
    return this.registry.all().filter((o) => o.cls.name === 'MediaPipeline' && !o.released).map((p) => p.id);
  }

  /** Runs a registry change and waits until the workers have freed what died. */
  private async releaseAndWait(change: () => void): Promise<void> {
    const pending: Promise<unknown>[] = [];
    const collect = (dead: RemoteObject[]): void => {
      for (const o of dead) if (o.worker?.isAlive) pending.push(this.workerRelease(o));
    };
    this.registry.on('released', collect);
    try {
      change();
    } finally {
      this.registry.off('released', collect);
    }
    await Promise.all(pending);
  }

  private readonly releasing = new Map<string, Promise<unknown>>();

  private workerRelease(object: RemoteObject): Promise<unknown> {
    let p = this.releasing.get(object.id);
    if (!p) {
      p = object.worker!.request('release', { objectId: object.id }).catch((err: Error) => {
        this.log.warn('worker failed to release object', { objectId: object.id, error: err.message });
      });
      this.releasing.set(object.id, p);
      void p.finally(() => this.releasing.delete(object.id));
    }
    return p;
  }

  private onReleased(dead: RemoteObject[]): void {
    for (const o of dead) {
      if (this.catalog.isA(o.cls, 'HttpEndpoint')) this.http.unregister(uuidOf(o.id));
      if (this.catalog.isA(o.cls, 'WebRtcEndpoint')) this.whip.forget(uuidOf(o.id));
      if (o.worker) {
        if (o.parent) o.worker.elements--;
        else o.worker.pipelines--;
        if (o.worker.isAlive) void this.workerRelease(o);
      }
      this.sessions.forgetObject(o.id);
      this.events.deliver(this.serverManager, 'ObjectDestroyed', { objectId: o.id });
    }
  }

  private onWorkerEvent(worker: MediaWorker, message: EventMessage): void {
    const source = this.registry.find(message.objectId);
    if (!source || source.worker !== worker) return;
    this.events.deliver(source, message.type, message.data, message.timestamp);
  }

  /** A worker died: its objects report the error and are released; other workers carry on. */
  private onWorkerLost(worker: MediaWorker, how: { code: number | null; signal: NodeJS.Signals | null }): void {
    const lost = this.registry.all().filter((o) => o.worker === worker);
    const cause = how.signal ? `signal ${how.signal}` : `exit code ${String(how.code)}`;
    this.log.error('releasing objects of a dead media worker', { worker: worker.index, objects: lost.length, cause });
    for (const o of lost) {
      this.events.deliver(o, 'Error', {
        description: `The media worker holding this object died (${cause}); the object has been released`,
        errorCode: KurentoCode.UNEXPECTED_ERROR,
        type: 'MEDIA_WORKER_DIED',
      });
    }
    for (const o of lost) if (!o.released && !o.parent) this.registry.release(o);
    for (const o of lost) if (!o.released) this.registry.release(o);
  }
}
