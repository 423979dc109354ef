/**
 * The WebSocket endpoint (`ws://host:port/kurento`): checks the path, enforces the message size
 * limit, and runs each text frame through the dispatcher. A connection is bound to the session of
 * the last response that carried one; that is where the session's events go. Requests of one
 * connection run concurrently, except around those that may change that binding.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { WebSocket, RawData, WebSocketServer as WsServer } from 'ws';
import { JsonRpcCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { ClientConnection } from '../session/session-store.js';
import type { JsonRpcResponse, RpcDispatcher } from './dispatcher.js';

// ws is CommonJS: required, not imported, so Node does not run its CommonJS export lexer over
// it (see ops/metrics.ts: an idle control process keeps that lexer's optimised code and memory).
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: typeof WsServer };

export interface WsServerOptions {
  host: string;
  port: number;
  path: string;
  maxMessageBytes: number;
  /** Serve `wss://` with this certificate and key (PEM) instead of plain `ws://`. */
  tls?: { cert: string; key: string; passphrase?: string };
  /**
   * Plain HTTP requests on the port (not WebSocket upgrades): the handler answers those it knows
   * (metrics, health, console) and returns false for the others, which get 426.
   */
  httpHandler?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/** Frames above this multiple of the limit are not even read: the socket is closed (1009). */
const HARD_LIMIT_FACTOR = 16;

class Connection implements ClientConnection {
  session: string | undefined;
  /** Requests started and not finished yet. */
  private readonly running = new Set<Promise<void>>();
  /** The last exclusive request (see `schedule`); later requests start after it. */
  private lastExclusive: Promise<void> = Promise.resolve();

  constructor(private readonly socket: WebSocket) {}

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  notify(message: object): void {
    this.send(message);
  }

  send(message: object): void {
    if (this.isOpen) this.socket.send(JSON.stringify(message));
  }

  /**
   * Runs one request of this connection. KMS handles a connection's requests strictly one at a
   * time; Kuroshio lets them run concurrently, so that one slow or stuck media worker does not
   * stall the other pipelines an application drives over the same socket, nor its pings. What
   * must stay in order is the session binding: an *exclusive* request (one that may bind the
   * connection to a session: it arrived while the connection had none, or it names another one)
   * waits for every earlier request, and every later request waits for it — so a burst of
   * requests on a fresh socket shares the session the first one opened, as with KMS.
   */
  schedule(exclusive: boolean, task: () => Promise<void>, onFailure: (err: unknown) => void): void {
    const after = exclusive ? Promise.all([this.lastExclusive, ...this.running]) : this.lastExclusive;
    // A failed task is logged and does not block the requests waiting for it.
    const run = after.then(task).catch(onFailure);
    this.running.add(run);
    void run.then(() => this.running.delete(run));
    if (exclusive) this.lastExclusive = run;
  }
}

/** True when the request names a session other than `bound` (or the connection has none). */
function mayRebind(message: unknown, bound: string | undefined): boolean {
  if (bound === undefined) return true;
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return false;
  const params = (message as { params?: unknown }).params;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return false;
  const named = (params as { sessionId?: unknown }).sessionId;
  return named !== undefined && named !== bound;
}

export class KurentoWsServer {
  private readonly http: Server;
  private readonly wss: WsServer;
  private readonly connections = new Set<WebSocket>();

  constructor(
    private readonly options: WsServerOptions,
    private readonly dispatcher: RpcDispatcher,
    private readonly onSessionBound: (sessionId: string, connection: ClientConnection) => void,
    private readonly log: Logger,
  ) {
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      if (options.httpHandler?.(req, res)) return;
      res.writeHead(426, { 'content-type': 'text/plain' }).end('Kurento Protocol: connect with a WebSocket\n');
    };
    this.http = options.tls ? createTlsServer(options.tls, onRequest) : createServer(onRequest);
    this.wss = new WebSocketServer({
      server: this.http,
      maxPayload: Math.max(options.maxMessageBytes * HARD_LIMIT_FACTOR, 16 * 1024 * 1024),
      perMessageDeflate: false,
    });
    this.wss.on('connection', (socket, request) => this.accept(socket, request));
    // The HTTP server's errors (a port in use) are reported by `listen`; ws repeats them here.
    this.wss.on('error', (err) => this.log.debug('websocket server error', { error: err.message }));
  }

  /** WebSocket connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ host: this.options.host, port: this.options.port, ipv6Only: false }, () => resolve());
    });
    const address = this.http.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  async close(): Promise<void> {
    for (const socket of this.connections) socket.close(1001, 'Server shutting down');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const socket of this.connections) socket.terminate();
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const path = (request.url ?? '/').split('?')[0]!.replace(/^\/+/, '');
    if (path !== this.options.path) {
      socket.close(1002, 'Invalid path');
      return;
    }
    this.connections.add(socket);
    const connection = new Connection(socket);
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    this.log.debug('client connected', { remote });
    socket.on('message', (data) => this.receive(connection, data, remote));
    socket.on('close', (code) => {
      this.connections.delete(socket);
      this.log.debug('client disconnected', { remote, code, sessionId: connection.session });
    });
    socket.on('error', (err) => this.log.warn('client socket error', { remote, error: err.message }));
  }

  /** Takes one frame off the socket: refuses it, or schedules it (see `Connection.schedule`). */
  private receive(connection: Connection, data: RawData, remote: string): void {
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
    if (bytes > this.options.maxMessageBytes) {
      this.log.warn('message over the size limit refused', { bytes, limit: this.options.maxMessageBytes, sessionId: connection.session });
      connection.send({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: JsonRpcCode.INVALID_REQUEST,
          message: `Message of ${bytes} bytes exceeds the limit of ${this.options.maxMessageBytes} bytes`,
          data: { type: 'MESSAGE_TOO_LARGE' },
        },
      });
      return;
    }
    // Binary frames are read as text too, as KMS does.
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = this.dispatcher.parse(text);
    if ('response' in parsed) {
      connection.send(parsed.response);
      return;
    }
    connection.schedule(
      mayRebind(parsed.message, connection.session),
      () => this.handle(connection, parsed.message),
      (err) => this.log.error('failure handling a message', { remote, error: err instanceof Error ? err.stack : String(err) }),
    );
  }

  private async handle(connection: Connection, message: unknown): Promise<void> {
    let response: JsonRpcResponse | undefined;
    try {
      // The session is read now, not on arrival: an exclusive request before may have changed it.
      response = await this.dispatcher.processMessage(message, connection.session);
    } catch (err) {
      this.log.error('unexpected failure processing a request', { error: err instanceof Error ? err.stack : String(err) });
      response = { jsonrpc: '2.0', id: null, error: { code: JsonRpcCode.INTERNAL_ERROR, message: 'Unexpected error while processing method' } };
    }
    if (!response) return;
    const result = response.result;
    if (!response.error && typeof result === 'object' && result !== null) {
      const sessionId = (result as { sessionId?: unknown }).sessionId;
      if (typeof sessionId === 'string' && sessionId !== '') {
        connection.session = sessionId;
        this.onSessionBound(sessionId, connection);
      }
    }
    connection.send(response);
  }
}
