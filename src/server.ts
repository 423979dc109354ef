/**
 * Kuroshio assembled: the media server model, the JSON-RPC dispatcher with Kurento's methods,
 * and the WebSocket endpoint. `start()` brings it up; `stop()` takes it down in order (clients
 * first, then workers, which release their media and flush their files).
 */
import type { ServerConfig } from './config.js';
import { MediaServer } from './control/media-server.js';
import type { Logger } from './log.js';
import { RpcDispatcher, type JsonRpcResponse } from './rpc/dispatcher.js';
import { registerKurentoMethods } from './rpc/kurento-methods.js';
import { KurentoWsServer } from './rpc/ws-server.js';
import { RequestCache } from './session/request-cache.js';

const REQUEST_CACHE_TTL_MS = 20_000;

export class KuroshioServer {
  readonly media: MediaServer;
  private readonly ws: KurentoWsServer;
  private port = 0;

  constructor(
    readonly config: ServerConfig,
    private readonly log: Logger,
  ) {
    this.media = new MediaServer(config, log.child('media'));
    const cache = config.disableRequestCache ? undefined : new RequestCache<JsonRpcResponse>(REQUEST_CACHE_TTL_MS);
    const dispatcher = new RpcDispatcher(cache);
    registerKurentoMethods(dispatcher, this.media);
    this.ws = new KurentoWsServer(
      { host: config.host, port: config.port, path: config.path, maxMessageBytes: config.maxMessageBytes },
      dispatcher,
      (sessionId, connection) => this.media.bindConnection(sessionId, connection),
      log.child('ws'),
    );
  }

  /** Starts workers and the WebSocket endpoint; resolves with the port listened on. */
  async start(): Promise<number> {
    await this.media.start();
    this.port = await this.ws.listen();
    this.log.info('Kuroshio listening', { url: `ws://${this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host}:${this.port}/${this.config.path}`, workers: this.config.workers });
    return this.port;
  }

  async stop(): Promise<void> {
    this.log.info('shutting down');
    await this.ws.close();
    await this.media.close();
    this.log.info('stopped');
  }
}
