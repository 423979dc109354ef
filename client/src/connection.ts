/**
 * JSON-RPC 2.0 over one WebSocket to a Kurento server, kept open: requests with their pending
 * answers (and a timeout), server notifications, and reconnection after the socket drops.
 *
 * After a drop the connection reconnects with a growing delay and tells its owner (`onReopen`),
 * which resumes the session with `connect {sessionId}`, as Kurento's own clients do. Requests
 * made meanwhile wait for the socket; requests that were in flight are sent again with the same
 * id, which the server's request cache answers without running them twice.
 *
 * The socket is the browser's `WebSocket`, or the `ws` package in Node (loaded only there).
 */
import { ConnectionError, KurentoError } from './errors.js';

/** What the client needs of a WebSocket: the browser's API, which `ws` also implements. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export interface ConnectionOptions {
  /** How long a request may wait for its answer (default 20 s, as kurento-client). */
  requestTimeoutMs?: number;
  /** Delay before the first reconnection attempt, doubled up to `maxReconnectDelayMs`. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Give up (and fail every request) after this many attempts in a row (default: never). */
  maxReconnectAttempts?: number;
  /** Makes the socket; by default the global WebSocket, or `ws` in Node. */
  socketFactory?: SocketFactory;
}

interface Pending {
  message: Record<string, unknown>;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

async function defaultFactory(): Promise<SocketFactory> {
  const global = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (global) return (url) => new global(url);
  const { default: WebSocket } = (await import('ws')) as unknown as { default: new (url: string) => SocketLike };
  return (url) => new WebSocket(url);
}

export class JsonRpcConnection {
  private socket: SocketLike | undefined;
  private factory: SocketFactory | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private attempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Requests held while the socket is down or the session is being resumed. */
  private held = true;
  private readonly options: Required<Omit<ConnectionOptions, 'socketFactory' | 'maxReconnectAttempts'>> & Pick<ConnectionOptions, 'maxReconnectAttempts'>;

  /** Notifications from the server (`onEvent`). */
  onNotification: (method: string, params: unknown) => void = () => undefined;
  /** The socket opened again after a drop; the owner resumes its session, then calls `release()`. */
  onReopen: () => void = () => undefined;
  /** The socket dropped (the connection will retry unless closed). */
  onDrop: () => void = () => undefined;
  /** Reconnection gave up (`maxReconnectAttempts`). */
  onGiveUp: (err: Error) => void = () => undefined;

  constructor(
    readonly url: string,
    options: ConnectionOptions = {},
  ) {
    this.options = {
      requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
      reconnectDelayMs: options.reconnectDelayMs ?? 200,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 5_000,
      maxReconnectAttempts: options.maxReconnectAttempts,
    };
    this.factory = options.socketFactory;
  }

  /** Opens the socket; rejects if the first attempt fails (later drops are retried). */
  async open(): Promise<void> {
    this.factory ??= await defaultFactory();
    await new Promise<void>((resolve, reject) => {
      const socket = this.factory!(this.url);
      this.socket = socket;
      socket.onopen = () => {
        this.attach(socket);
        this.held = false;
        resolve();
      };
      socket.onerror = () => reject(new ConnectionError(`cannot connect to ${this.url}`));
      socket.onclose = () => reject(new ConnectionError(`cannot connect to ${this.url}`));
    });
  }

  /** Sends a request and resolves with its `result` (rejects with a KurentoError for an error answer). */
  request(method: string, params?: Record<string, unknown>, options: { bypassHold?: boolean } = {}): Promise<unknown> {
    if (this.closed) return Promise.reject(new ConnectionError('the client is closed'));
    const id = this.nextId++;
    const message: Record<string, unknown> = { jsonrpc: '2.0', method, id, ...(params !== undefined ? { params } : {}) };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new ConnectionError(`${method} got no answer within ${this.options.requestTimeoutMs} ms`));
      }, this.options.requestTimeoutMs);
      this.pending.set(id, { message, resolve, reject, timer });
      if (!this.held || options.bypassHold) this.transmit(message);
    });
  }

  /** Sends the requests held during a reconnection (the owner calls it once the session is resumed). */
  release(): void {
    this.held = false;
    for (const p of this.pending.values()) this.transmit(p.message);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.failAll(new ConnectionError('the client is closed'));
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
  }

  /** Drops the socket as a network failure would (tests; a stuck connection). */
  dropSocket(): void {
    this.socket?.close();
  }

  private transmit(message: Record<string, unknown>): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private attach(socket: SocketLike): void {
    this.attempts = 0;
    socket.onmessage = (event) => this.receive(String(event.data));
    socket.onerror = () => undefined; // the close that follows is what matters
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.closed) return;
      this.held = true;
      this.onDrop();
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const max = this.options.maxReconnectAttempts;
    if (max !== undefined && this.attempts >= max) {
      const err = new ConnectionError(`lost the connection to ${this.url} and could not reconnect after ${max} attempts`);
      this.closed = true;
      this.failAll(err);
      this.onGiveUp(err);
      return;
    }
    const delay = Math.min(this.options.reconnectDelayMs * 2 ** this.attempts, this.options.maxReconnectDelayMs);
    this.attempts++;
    this.reconnectTimer = setTimeout(() => {
      if (this.closed) return;
      const socket = this.factory!(this.url);
      this.socket = socket;
      socket.onopen = () => {
        this.attach(socket);
        this.onReopen();
      };
      socket.onerror = () => undefined;
      socket.onclose = () => {
        if (this.socket === socket && !this.closed) this.scheduleReconnect();
      };
    }, delay);
  }

  private receive(text: string): void {
    let message: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // not JSON: nothing a Kurento server sends
    }
    if (typeof message.method === 'string' && message.id === undefined) {
      this.onNotification(message.method, message.params);
      return;
    }
    const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!pending) return;
    this.pending.delete(message.id as number);
    clearTimeout(pending.timer);
    if (message.error) pending.reject(KurentoError.fromBody(message.error));
    else pending.resolve(message.result);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}
