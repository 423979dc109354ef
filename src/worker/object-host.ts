/**
 * The objects of one media worker, and the requests that reach them.
 *
 * The host is transport-agnostic: it takes requests as plain data and hands responses and events
 * to a `send` function, so the same code runs in a worker process or inside the control process.
 * It implements `ElementHost`, the only thing elements know of the worker, and builds objects
 * through the factories it is given (`elements/index.ts`), never by naming their classes.
 */
import { ApiCatalog } from '../api/catalog.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../config.js';
import { allModules } from '../api/modules/index.js';
import type { ModuleSpec } from '../api/spec.js';
import { KurentoError, toErrorBody } from '../errors.js';
import type { Socket } from 'node:net';
import { isConnectionTaker, isPeerSessionOwner, type ElementFactory, type ElementHost, type MediaObjectImpl, type Params } from '../elements/media-object.js';
import type { FromWorkerMessage, RequestMessage, WorkerLoad, WorkerRequestMap } from '../ipc/protocol.js';
import { WorkerMetricsCollector } from './metrics.js';

export class ObjectHost implements ElementHost {
  private readonly objects = new Map<string, MediaObjectImpl>();
  /** Ids whose creation waits for their class's code to load. */
  private readonly creating = new Set<string>();
  private readonly catalog: ApiCatalog;
  private readonly factories: ReadonlyMap<string, ElementFactory>;
  private readonly metrics = new WorkerMetricsCollector();

  constructor(
    private readonly send: (message: FromWorkerMessage) => void,
    factories: readonly ElementFactory[],
    /** The server configuration (port range, ICE defaults, ...). */
    readonly config: ServerConfig = DEFAULT_CONFIG,
    /** Descriptions of the plugin modules whose classes the factories include. */
    plugins: readonly ModuleSpec[] = [],
  ) {
    this.catalog = new ApiCatalog([...allModules, ...plugins]);
    this.factories = new Map(factories.map((f) => [f.type, f]));
  }

  private get configuredDefaults(): { mtu?: number; encoderBitrate?: number; minEncoderBitrate?: number; maxEncoderBitrate?: number } {
    const { mtu, encoderBitrate, minEncoderBitrate, maxEncoderBitrate } = this.config;
    return { mtu, encoderBitrate, minEncoderBitrate, maxEncoderBitrate };
  }

  /** Module-qualified names of the classes this host can build. */
  get factoryNames(): string[] {
    return [...this.factories.keys()];
  }

  get objectCount(): number {
    return this.objects.size;
  }

  /** Handles one request and sends its response. Never throws. */
  async handle(request: RequestMessage): Promise<void> {
    try {
      const result = await this.dispatch(request);
      this.send({ kind: 'response', id: request.id, result: result ?? null });
    } catch (err) {
      this.send({ kind: 'response', id: request.id, error: toErrorBody(err) });
    }
  }

  /** An HTTP connection the control process routed to one of our objects (an upload). */
  acceptConnection(objectId: string, socket: Socket | undefined, head: Buffer): void {
    if (!socket) return;
    const target = this.find(objectId);
    if (target && isConnectionTaker(target)) target.acceptConnection(socket, Buffer.from(head));
    else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  }

  emitEvent(objectId: string, type: string, data: Params): void {
    this.send({ kind: 'event', objectId, type, data, timestamp: Date.now() });
  }

  find(id: string): MediaObjectImpl | undefined {
    const found = this.objects.get(id);
    return found && !found.isReleased ? found : undefined;
  }

  propertyDefault(className: string, property: string): unknown {
    // Defaults a Kurento configuration folder sets (MediaElement.conf.ini, BaseRtpEndpoint.conf.ini).
    const configured = this.configuredDefaults[property as keyof ObjectHost['configuredDefaults']];
    if (configured !== undefined) return configured;
    const cls = this.catalog.findClass(className);
    if (!cls) return null;
    return this.catalog.allProperties(cls).find((p) => p.name === property)?.defaultValue ?? null;
  }

  load(): WorkerLoad {
    const usage = process.cpuUsage();
    return {
      objects: this.objects.size,
      rssBytes: process.memoryUsage.rss(),
      cpuSeconds: (usage.user + usage.system) / 1e6,
    };
  }

  /**
   * Releases everything (worker shutdown), children first (their ids extend their parent's). One
   * failure does not keep the other objects' media alive: failures are returned for the caller to log.
   */
  async releaseAll(): Promise<{ objectId: string; error: Error }[]> {
    const ids = [...this.objects.keys()].sort((a, b) => b.length - a.length);
    const failures: { objectId: string; error: Error }[] = [];
    for (const id of ids) {
      try {
        await this.release({ objectId: id });
      } catch (err) {
        failures.push({ objectId: id, error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
    return failures;
  }

  private async dispatch(request: RequestMessage): Promise<unknown> {
    switch (request.method) {
      case 'create':
        return this.create(request.params as WorkerRequestMap['create']['params']);
      case 'invoke': {
        const p = request.params as WorkerRequestMap['invoke']['params'];
        const target = this.find(p.objectId);
        if (!target) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${p.objectId}' not found`);
        return target.invoke(p.kind, p.operation, p.member, p.params);
      }
      case 'endPeerSession': {
        const p = request.params as WorkerRequestMap['endPeerSession']['params'];
        const target = this.find(p.objectId);
        if (!target) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${p.objectId}' not found`);
        if (!isPeerSessionOwner(target)) throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', `${p.objectId} has no peer session`);
        await target.endPeerSession();
        return null;
      }
      case 'release':
        return this.release(request.params as WorkerRequestMap['release']['params']);
      case 'ping':
        return this.load();
      case 'metrics':
        return this.metrics.collect(this.objects.values());
    }
    throw new KurentoError('UNEXPECTED_ERROR', `Unknown worker request '${String(request.method)}'`);
  }

  private async create(params: WorkerRequestMap['create']['params']): Promise<null> {
    const factory = this.factories.get(params.type);
    if (!factory) throw new KurentoError('NOT_IMPLEMENTED', `${params.type} is not implemented yet in Kuroshio`);
    if (this.objects.has(params.objectId) || this.creating.has(params.objectId)) throw new KurentoError('UNEXPECTED_ERROR', `Object '${params.objectId}' exists`);
    const parent = params.parentId === undefined ? undefined : this.find(params.parentId);
    this.creating.add(params.objectId);
    let created: MediaObjectImpl;
    try {
      created = await factory.create({
        id: params.objectId,
        className: params.type.slice(params.type.lastIndexOf('.') + 1),
        params: params.params,
        host: this,
        pipelineId: params.pipelineId,
        ...(params.parentId !== undefined ? { parentId: params.parentId } : {}),
      });
    } finally {
      this.creating.delete(params.objectId);
    }
    // The first object of a class waits for its code to load; its parent may be released meanwhile.
    if (parent?.isReleased) {
      await created.release();
      throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${params.parentId}' not found`);
    }
    this.objects.set(params.objectId, created);
    return null;
  }

  private async release(params: WorkerRequestMap['release']['params']): Promise<null> {
    const found = this.objects.get(params.objectId);
    if (!found) return null;
    this.objects.delete(params.objectId);
    this.metrics.retire(found);
    await found.release();
    return null;
  }
}
