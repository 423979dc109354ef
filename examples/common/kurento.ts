/**
 * The official `kurento-client` (7.3.0, unchanged), loaded and wrapped the way the one-to-many,
 * group-call and filter examples need (the others use kuroshio-client, see kuroshio.ts; both talk
 * to either server):
 * a handful of typed, promise-returning calls over the client's callback API.
 *
 * The client has quirks on current Node that any application must work around:
 * - its transactions subclass `domain.Domain`, which throws on Node >= 12: with `domain.Domain`
 *   hidden while it loads, it falls back to its own browser implementation;
 * - its reconnector re-emits socket errors and crashes the process if nobody listens to them;
 * - its client and media objects are thenables that resolve to stripped copies the client itself
 *   then rejects, so they are never handed to `resolve()`: the classes below hold them instead;
 * - many of its promises never settle on failure, so every call goes through a callback.
 */
import { createRequire } from 'node:module';
import type { IceCandidate } from './ice-candidate.js';
import type { ModuleSpec } from '../../src/api/spec.js';
import { clientModule as moduleClasses, type KurentoClientModule } from '../../src/client/module-classes.js';

const require = createRequire(import.meta.url);

type Callback<T = unknown> = (error: Error | null | undefined, result?: T) => void;

/** The client's proxies, as far as the examples use them. */
interface ClientProxy {
  create(type: 'MediaPipeline', callback: Callback<PipelineProxy>): unknown;
  close(): void;
  on(event: 'disconnect', listener: () => void): unknown;
  readonly _re: { on(event: 'error', listener: (err: Error) => void): unknown };
}
interface PipelineProxy {
  create(type: string, params: Record<string, unknown>, callback: Callback<ElementProxy>): unknown;
  release(callback: Callback): unknown;
}
/** Any media element's proxy: its methods are called by name (filters have their own). */
interface ElementProxy {
  connect(sink: ElementProxy, callback: Callback): unknown;
  on(event: string, listener: (event: Record<string, unknown>) => void): unknown;
  release(callback: Callback): unknown;
}
interface EndpointProxy extends ElementProxy {
  processOffer(offer: string, callback: Callback<string>): unknown;
  gatherCandidates(callback: Callback): unknown;
  addIceCandidate(candidate: object, callback: Callback): unknown;
}
interface HubProxy extends ElementProxy {
  createHubPort(callback: Callback<ElementProxy>): unknown;
}
interface ClientModule extends KurentoClientModule {
  (uri: string, options: { failAfter?: number }, callback: Callback): ClientProxy;
  getComplexType(name: 'IceCandidate'): (value: IceCandidate) => object;
}

export type { IceCandidate };

let clientModule: ClientModule | undefined;

function loadClient(): ClientModule {
  if (clientModule) return clientModule;
  const domain = require('node:domain') as { Domain: unknown };
  const saved = domain.Domain;
  domain.Domain = undefined;
  try {
    clientModule = require('kurento-client') as ClientModule;
  } finally {
    domain.Domain = saved;
  }
  return clientModule;
}

/** Runs one callback-style client call as a promise of a plain value (never a client object). */
function call<T>(start: (callback: Callback<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, result) => (error ? reject(error) : resolve(result as T)));
  });
}

/**
 * Like `call`, for calls that yield a client object: it comes back boxed, because resolving a
 * promise with the (thenable) object itself would adopt the stripped copy its `then` produces.
 */
function callForObject<T extends object>(start: (callback: Callback<T>) => unknown): Promise<{ proxy: T }> {
  return new Promise((resolve, reject) => {
    start((error, result) => (error ? reject(error) : resolve({ proxy: result as T })));
  });
}

/**
 * Registers the client classes of a plugin module (Kurento's example modules ship with Kuroshio as
 * plugins; their client classes are generated from the module's description).
 */
export function registerModule(spec: ModuleSpec): void {
  const client = loadClient();
  client.register(moduleClasses(spec, client));
}

/** Any media element: connect it, call its methods by name, listen to its events. */
export class MediaElement {
  constructor(readonly proxy: ElementProxy) {}

  /** Sends this element's media to `sink` (which may be this element itself: a loopback). */
  async connect(sink: MediaElement): Promise<void> {
    await call((cb) => this.proxy.connect(sink.proxy, cb));
  }

  /** Calls one of the element's methods (`setOverlayedImage`, `addWindow`...) with its arguments. */
  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const fn = (this.proxy as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') return Promise.reject(new Error(`the element has no method ${method}`));
    return call<T>((cb) => (fn as (...a: unknown[]) => unknown).apply(this.proxy, [...args, cb]));
  }

  on(event: string, listener: (event: Record<string, unknown>) => void): void {
    this.proxy.on(event, listener);
  }

  async release(): Promise<void> {
    await call((cb) => this.proxy.release(cb));
  }
}

export class WebRtcEndpoint extends MediaElement {
  constructor(override readonly proxy: EndpointProxy) {
    super(proxy);
  }

  /** Answers the browser's SDP offer. */
  processOffer(offer: string): Promise<string> {
    return call((cb) => this.proxy.processOffer(offer, cb));
  }

  /** Starts ICE gathering; candidates arrive through `onIceCandidate`. */
  async gatherCandidates(): Promise<void> {
    await call((cb) => this.proxy.gatherCandidates(cb));
  }

  async addIceCandidate(candidate: IceCandidate): Promise<void> {
    const typed = loadClient().getComplexType('IceCandidate')(candidate);
    await call((cb) => this.proxy.addIceCandidate(typed, cb));
  }

  onIceCandidate(listener: (candidate: IceCandidate) => void): void {
    this.proxy.on('IceCandidateFound', (event) => {
      const candidate = event.candidate as IceCandidate;
      listener({ candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex });
    });
  }

}

/** A participant's place in a hub. */
export class HubPort extends MediaElement {}

/** A hub (Composite: one grid of every port's picture, and everyone's sound but each port's own). */
export class Composite extends MediaElement {
  constructor(override readonly proxy: HubProxy) {
    super(proxy);
  }

  async createHubPort(): Promise<HubPort> {
    const { proxy } = await callForObject<ElementProxy>((cb) => this.proxy.createHubPort(cb));
    return new HubPort(proxy);
  }
}

export class MediaPipeline {
  constructor(private readonly proxy: PipelineProxy) {}

  async createWebRtcEndpoint(): Promise<WebRtcEndpoint> {
    const { proxy } = await callForObject<ElementProxy>((cb) => this.proxy.create('WebRtcEndpoint', {}, cb));
    return new WebRtcEndpoint(proxy as EndpointProxy);
  }

  async createComposite(): Promise<Composite> {
    const { proxy } = await callForObject<ElementProxy>((cb) => this.proxy.create('Composite', {}, cb));
    return new Composite(proxy as HubProxy);
  }

  /** Creates any element by type (`FaceOverlayFilter`, `chroma.ChromaFilter`...) with its constructor parameters. */
  async create(type: string, params: Record<string, unknown> = {}): Promise<MediaElement> {
    const { proxy } = await callForObject<ElementProxy>((cb) => this.proxy.create(type, params, cb));
    return new MediaElement(proxy);
  }

  async release(): Promise<void> {
    await call((cb) => this.proxy.release(cb));
  }
}

/**
 * One connection to the media server, opened on first use and opened again after it was lost.
 * A media server that cannot be reached fails the request at hand, not the application.
 */
export class MediaServerConnection {
  /** Boxed, for the same reason as in `callForObject`. */
  private client: Promise<{ proxy: ClientProxy }> | undefined;

  constructor(
    readonly wsUri: string,
    private readonly log: (message: string) => void = console.log,
  ) {}

  private connect(): Promise<{ proxy: ClientProxy }> {
    const attempt = new Promise<{ proxy: ClientProxy }>((resolve, reject) => {
      // A few attempts, so that a wrong --ws_uri is reported instead of retried forever.
      const proxy: ClientProxy = loadClient()(this.wsUri, { failAfter: 3 }, (error) => {
        if (!error) return resolve({ proxy });
        proxy.close();
        reject(new Error(`cannot reach the media server at ${this.wsUri}: ${error.message}`));
      });
      proxy._re.on('error', (err) => this.log(`media server connection: ${err.message}`));
      proxy.on('disconnect', () => {
        this.log(`lost the media server at ${this.wsUri}`);
        if (this.client === attempt) this.client = undefined;
      });
    });
    attempt.catch(() => {
      if (this.client === attempt) this.client = undefined;
    });
    return attempt;
  }

  async createPipeline(): Promise<MediaPipeline> {
    this.client ??= this.connect();
    const client = (await this.client).proxy;
    const { proxy } = await callForObject<PipelineProxy>((cb) => client.create('MediaPipeline', cb));
    return new MediaPipeline(proxy);
  }

  close(): void {
    this.client?.then((c) => c.proxy.close(), () => undefined);
    this.client = undefined;
  }
}
