/**
 * The WebSocket endpoint (`ws://host:port/kurento`): checks the path, enforces the message size
 * limit, and runs each text frame through the dispatcher. A connection is bound to the session of
 * the last response that carried one; that is where the session's events go. Requests of one
 * connection run concurrently, except around those that may change that binding.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { JsonRpcCode, RpcError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ClientConnection } from '../session/session-store.js';
import type { JsonRpcResponse, RpcDispatcher } from './dispatcher.js';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from './frame-limits.js';
import { assertAllowed, type AccessControl, type Role } from './access-control.js';

export interface WsServerOptions {
  host: string;
  port: number;
  path: string;
  maxMessageBytes: number;
  /**
   * Bytes of responses and events waiting to be sent to one client above which it is taken for
   * a client that stopped reading and is disconnected (its session stays, for the GC).
   */
  maxOutgoingBytes: number;
  /** Who may connect and with which role (all off when absent). */
  access?: AccessControl;
  /** Serve `wss://` with this certificate and key (PEM) instead of plain `ws://`. */
  tls?: { cert: string; key: string; passphrase?: string };
  /**
   * Plain HTTP requests on the port (not WebSocket upgrades): the handler answers those it knows
   * (metrics, health, console) and returns false for the others, which get 426.
   */
  httpHandler?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/**
 * Frames above this multiple of the limit are not even read: ws checks a frame's announced length
 * before taking its payload, and closes the socket (1009). Frames between the limit and this are
 * read and answered with an error, so a client learns why.
 */
const HARD_LIMIT_FACTOR = 4;

class Connection implements ClientConnection {
  session: string | undefined;
  /** The last exclusive request (see `schedule`); later requests start after it. */
  private lastExclusive: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    readonly role: Role,
    private readonly maxOutgoingBytes: number,
    private readonly onStalled: (buffered: number) => void,
  ) {}

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  notify(message: object): void {
    this.send(message);
  }

  send(message: object): void {
    if (!this.isOpen) return;
    this.socket.send(JSON.stringify(message));
    // What the kernel would not take stays in ws's queue: a client that stopped reading makes it
    // grow without end. Past the bound the socket is dropped (no closing handshake: the client
    // would not read that either), which frees the queue.
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.maxOutgoingBytes) {
      this.onStalled(buffered);
      this.socket.terminate();
    }
  }

  /**
   * Runs one request of this connection. KMS handles a connection's requests strictly one at a
   * time; Kuroshio lets them run concurrently, so that one slow or stuck media worker does not
   * stall the other pipelines an application drives over the same socket, nor its pings. What
   * must stay in order is the session binding: an *exclusive* request (one that may bind the
   * connection to a session: it arrived while the connection had none, or it names another one)
   * starts after the exclusive request before it, and every later request waits for it — so a
   * burst of requests on a fresh socket shares the session the first one opened, as with KMS.
   * An exclusive request does not wait for the other requests still running: one that takes long
   * (`getUsedCpu` over a minute) must not hold up requests for another session; answered later,
   * it does not undo the binding made meanwhile (see `KurentoWsServer.handle`).
   */
  schedule(exclusive: boolean, task: () => Promise<void>, onFailure: (err: unknown) => void): void {
    // A failed task is logged and does not block the requests waiting for it.
    const run = this.lastExclusive.then(task).catch(onFailure);
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
  private readonly wss: WebSocketServer;
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
      maxPayload: options.maxMessageBytes * HARD_LIMIT_FACTOR,
      perMessageDeflate: false,
      ...(options.access ? { verifyClient: (info, done) => this.verify(options.access!, info.req, done) } : {}),
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

  /** The roles of admitted upgrade requests, until their connection is accepted. */
  private readonly admitted = new WeakMap<IncomingMessage, Role>();

  private verify(access: AccessControl, request: IncomingMessage, done: (ok: boolean, status?: number, reason?: string) => void): void {
    access.admit(request).then(
      (admission) => {
        if ('role' in admission) {
          this.admitted.set(request, admission.role);
          done(true);
        } else {
          this.log.info('connection refused', { remote: request.socket.remoteAddress, reason: admission.reason });
          done(false, admission.status, admission.reason);
        }
      },
      () => done(false, 500, 'Internal error'),
    );
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const path = (request.url ?? '/').split('?')[0]!.replace(/^\/+/, '');
    if (path !== this.options.path) {
      socket.close(1002, 'Invalid path');
      return;
    }
    this.connections.add(socket);
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    const connection = new Connection(socket, this.admitted.get(request) ?? 'full', this.options.maxOutgoingBytes, (buffered) =>
      this.log.warn('client not reading its messages disconnected', { remote, buffered, limit: this.options.maxOutgoingBytes, sessionId: connection.session }),
    );
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
    if (nestsDeeperThan(text, MAX_NESTING_DEPTH)) {
      connection.send({
        jsonrpc: '2.0',
        id: null,
        error: { code: JsonRpcCode.INVALID_REQUEST, message: `Message nests deeper than ${MAX_NESTING_DEPTH} levels`, data: { type: 'MESSAGE_TOO_DEEP' } },
      });
      return;
    }
    const parsed = this.dispatcher.parse(text);
    if ('response' in parsed) {
      connection.send(parsed.response);
      return;
    }
    const exclusive = mayRebind(parsed.message, connection.session);
    connection.schedule(
      exclusive,
      () => this.handle(connection, parsed.message, exclusive),
      (err) => this.log.error('failure handling a message', { remote, error: err instanceof Error ? err.stack : String(err) }),
    );
  }

  private async handle(connection: Connection, message: unknown, exclusive: boolean): Promise<void> {
    let response: JsonRpcResponse | undefined;
    try {
      assertAllowed(connection.role, message);
      // The session is read now, not on arrival: an exclusive request before may have changed it.
      response = await this.dispatcher.processMessage(message, connection.session);
    } catch (err) {
      if (err instanceof RpcError) {
        const id = (message as { id?: unknown }).id;
        connection.send({ jsonrpc: '2.0', id: typeof id === 'string' || typeof id === 'number' ? id : null, error: err.toBody() });
        return;
      }
      this.log.error('unexpected failure processing a request', { error: err instanceof Error ? err.stack : String(err) });
      response = { jsonrpc: '2.0', id: null, error: { code: JsonRpcCode.INTERNAL_ERROR, message: 'Unexpected error while processing method' } };
    }
    if (!response) return;
    const result = response.result;
    if (!response.error && typeof result === 'object' && result !== null) {
      const sessionId = (result as { sessionId?: unknown }).sessionId;
      // A request that was not exclusive ran on the session bound when it started. It binds
      // that session again (taking it back from another socket, as any response does in KMS),
      // but must not undo the binding an exclusive request made while it ran.
      if (typeof sessionId === 'string' && sessionId !== '' && (exclusive || sessionId === connection.session)) {
        connection.session = sessionId;
        this.onSessionBound(sessionId, connection);
      }
    }
    connection.send(response);
  }
}
