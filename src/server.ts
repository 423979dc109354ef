/**
 * Kuroshio assembled: the media server model, the JSON-RPC dispatcher with Kurento's methods,
 * and the WebSocket endpoint. `start()` brings it up; `stop()` takes it down in order (clients
 * first, then workers, which release their media and flush their files).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { ModuleSpec } from './api/spec.js';
import type { ServerConfig } from './config.js';
import { defaultHost } from './control/http-endpoint-server.js';
import { MediaServer } from './control/media-server.js';
import type { Logger } from './log.js';
import { ConsoleServer } from './ops/console-server.js';
import { OpsEndpoints } from './ops/http-endpoints.js';
import { ServerMetrics } from './ops/metrics.js';
import { RpcDispatcher, type JsonRpcResponse } from './rpc/dispatcher.js';
import { AccessControl } from './rpc/access-control.js';
import { registerKurentoMethods } from './rpc/kurento-methods.js';
import { KurentoWsServer, type WsServerOptions } from './rpc/ws-server.js';
import { RequestCache } from './session/request-cache.js';

const REQUEST_CACHE_TTL_MS = 20_000;

export class KuroshioServer {
  readonly media: MediaServer;
  private readonly ws: KurentoWsServer;
  private port = 0;
  // ---- operations: metrics and health endpoints, console, wss:// ----
  readonly metrics: ServerMetrics;
  private readonly ops: OpsEndpoints;
  private readonly console: ConsoleServer | undefined;
  private readonly secureWs: KurentoWsServer | undefined;
  private opsServer: Server | undefined;

  constructor(
    readonly config: ServerConfig,
    private readonly log: Logger,
    /** Descriptions of the plugin modules (`plugins/module-loader.ts` loads them). */
    plugins: readonly ModuleSpec[] = [],
  ) {
    this.media = new MediaServer(config, log.child('media'), plugins);
    const cache = config.disableRequestCache ? undefined : new RequestCache<JsonRpcResponse>(REQUEST_CACHE_TTL_MS);
    this.metrics = new ServerMetrics({ media: this.media, connections: () => this.ws.connectionCount + (this.secureWs?.connectionCount ?? 0) }, log.child('metrics'));
    const dispatcher = new RpcDispatcher(cache, this.metrics.observeRequest);
    registerKurentoMethods(dispatcher, this.media);
    if (config.console) {
      const token = config.consoleToken ?? randomBytes(18).toString('base64url');
      this.console = new ConsoleServer(this.media, token, log.child('console'));
    }
    this.ops = new OpsEndpoints(this.media, this.metrics, log.child('ops'), this.console ? [this.console] : []);
    // WHIP and WHEP always live on the WebSocket port (their URLs name it); the operator's
    // endpoints too unless they have a port of their own.
    const whip = this.media.whip.handle;
    const ops = config.metricsPort === undefined ? this.ops.handle : undefined;
    const httpHandler: NonNullable<WsServerOptions['httpHandler']> = (request, response) => whip(request, response) || (ops?.(request, response) ?? false);
    const bind = (sessionId: string, connection: Parameters<MediaServer['bindConnection']>[1]): void => this.media.bindConnection(sessionId, connection);
    const access = new AccessControl({
      ...(config.accessToken !== undefined ? { accessToken: config.accessToken } : {}),
      ...(config.jwtSecret !== undefined ? { jwtSecret: config.jwtSecret } : {}),
      ...(config.monitorToken !== undefined ? { monitorToken: config.monitorToken } : {}),
      ...(config.allowedOrigins !== undefined ? { allowedOrigins: config.allowedOrigins } : {}),
    });
    const wsOptions = {
      host: config.host,
      path: config.path,
      maxMessageBytes: config.maxMessageBytes,
      maxOutgoingBytes: config.maxOutgoingBytes,
      access,
      httpHandler,
    };
    this.ws = new KurentoWsServer({ ...wsOptions, port: config.port }, dispatcher, bind, log.child('ws'));
    if (config.securePort !== undefined && config.certificate) {
      // KMS takes one PEM file holding the certificate chain and the private key.
      const pem = readFileSync(config.certificate, 'utf8');
      const tls = { cert: pem, key: pem, ...(config.certificatePassword ? { passphrase: config.certificatePassword } : {}) };
      this.secureWs = new KurentoWsServer({ ...wsOptions, port: config.securePort, tls }, dispatcher, bind, log.child('wss'));
    }
  }

  /** Starts workers and the WebSocket endpoint; resolves with the port listened on. */
  async start(): Promise<number> {
    await this.media.start();
    this.port = await this.ws.listen();
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    const extra: Record<string, unknown> = {};
    // WHIP/WHEP URLs name where clients reach this port: the configured public URL (behind a
    // proxy or TLS terminator), else this host and port as the HttpEndpoint URLs pick a host.
    this.media.whip.setBaseUrl(this.config.whipBaseUrl ?? `http://${urlHost(this.config)}:${this.port}`);
    if (this.secureWs) extra.secureUrl = `wss://${host}:${await this.secureWs.listen()}/${this.config.path}`;
    let opsPort = this.port;
    if (this.config.metricsPort !== undefined) {
      const server = this.ops.createServer();
      this.opsServer = server;
      opsPort = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.config.host, port: this.config.metricsPort, ipv6Only: false }, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : 0);
        });
      });
    }
    extra.metricsUrl = `http://${host}:${opsPort}/metrics`;
    // Logs the URL with its token, as notebook servers do: whoever reads the server's log may open it.
    if (this.console) extra.consoleUrl = `http://${host}:${opsPort}${this.console.prefix}/?token=${this.console.token}`;
    this.log.info('Kuroshio listening', { url: `ws://${host}:${this.port}/${this.config.path}`, workers: this.config.workers, ...extra });
    return this.port;
  }

  async stop(): Promise<void> {
    this.log.info('shutting down');
    this.console?.close();
    if (this.opsServer) await new Promise<void>((resolve) => this.opsServer!.close(() => resolve()));
    await this.secureWs?.close();
    await this.ws.close();
    await this.media.close();
    this.log.info('stopped');
  }
}

/** The host WHIP/WHEP URLs name: the bound address when it is one, else as HttpEndpoint URLs pick it. */
function urlHost(config: ServerConfig): string {
  const host = defaultHost({ address: config.host, ...(config.networkInterfaces !== undefined ? { networkInterfaces: config.networkInterfaces } : {}) });
  return host.includes(':') ? `[${host}]` : host;
}
