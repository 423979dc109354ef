/**
 * The operator's HTTP endpoints, off the media path: `/metrics` (Prometheus text format),
 * `/health` (the control process answers) and `/ready` (a media worker is up and can take
 * pipelines), for load balancers and Kubernetes probes; and the console's pages when it is
 * enabled. They are served on the WebSocket port (plain HTTP requests there are not the Kurento
 * Protocol) or on a port of their own (`--metrics-port`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { MediaServer } from '../control/media-server.js';
import type { Logger } from '../log.js';
import type { ServerMetrics } from './metrics.js';

/** Something else served under a path prefix (the console). */
export interface PathHandler {
  readonly prefix: string;
  handle(request: IncomingMessage, response: ServerResponse, path: string): void;
}

export class OpsEndpoints {
  constructor(
    private readonly media: MediaServer,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
    private readonly extra: readonly PathHandler[] = [],
  ) {}

  /** Answers the request if its path is one of ours; false otherwise. */
  readonly handle = (request: IncomingMessage, response: ServerResponse): boolean => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (path === '/metrics') {
      this.serveMetrics(response);
      return true;
    }
    if (path === '/health') {
      sendJson(response, 200, { status: 'ok' });
      return true;
    }
    if (path === '/ready') {
      const workers = this.media.workers;
      const ready = workers.filter((w) => w.isReady).length;
      sendJson(response, ready > 0 ? 200 : 503, { ready: ready > 0, workersReady: ready, workers: workers.length });
      return true;
    }
    for (const handler of this.extra) {
      if (path === handler.prefix || path.startsWith(`${handler.prefix}/`)) {
        handler.handle(request, response, path);
        return true;
      }
    }
    return false;
  };

  /** A server of its own for these endpoints (`--metrics-port`); unknown paths get 404. */
  createServer(): Server {
    return createServer((request, response) => {
      if (!this.handle(request, response)) sendJson(response, 404, { error: 'not found' });
    });
  }

  private serveMetrics(response: ServerResponse): void {
    this.metrics.render().then(
      (text) => response.writeHead(200, { 'content-type': this.metrics.contentType }).end(text),
      (err: Error) => {
        this.log.error('cannot render metrics', { error: err.message });
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot render metrics: ${err.message}\n`);
      },
    );
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
