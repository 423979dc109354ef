/**
 * A bare JSON-RPC client over WebSocket, for tests that check the protocol byte by byte: it sends
 * exactly what it is given and records everything the server sends back.
 */
import { after, before } from 'node:test';
import WebSocket from 'ws';
import { setUp, startServer, type RunningServer, type StartOptions } from './server-process.js';

export type Message = Record<string, any>;

/**
 * Request ids are unique across every client of the test process: KMS caches responses by
 * (session, request id), so two sockets sharing a session must never reuse each other's ids.
 */
let nextRequestId = 1;

export class RawClient {
  readonly received: Message[] = [];
  private readonly socket: WebSocket;
  private waiters = new Set<{ predicate: (m: Message) => boolean; resolve: (m: Message) => void }>();
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as Message;
      this.received.push(message);
      for (const w of [...this.waiters]) {
        if (w.predicate(message)) {
          this.waiters.delete(w);
          w.resolve(message);
        }
      }
    });
  }

  static async connect(url: string, timeoutMs = 10_000): Promise<RawClient> {
    const client = new RawClient(url);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`could not connect to ${url} within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([client.opened, timeout]);
    } catch (err) {
      client.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** Sends raw text exactly as given. */
  sendText(text: string): void {
    this.socket.send(text);
  }

  send(message: Message): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Sends a request with a fresh numeric id (or the one given) and waits for its response. */
  async request(method: string, params?: Message, id?: number | string | boolean, timeoutMs = 10_000): Promise<Message> {
    const requestId = id ?? nextRequestId++;
    const message: Message = { jsonrpc: '2.0', method, id: requestId };
    if (params !== undefined) message.params = params;
    const response = this.waitFor((m) => m.id === requestId && (m.result !== undefined || m.error !== undefined), timeoutMs);
    this.send(message);
    return response;
  }

  /** Sends a notification: a request without an id. */
  notify(method: string, params?: Message): void {
    const message: Message = { jsonrpc: '2.0', method };
    if (params !== undefined) message.params = params;
    this.send(message);
  }

  /** Resolves with the next message that is a response (has `result` or `error`). */
  nextResponse(timeoutMs = 10_000): Promise<Message> {
    return this.waitFor((m) => 'result' in m || 'error' in m, timeoutMs);
  }

  /**
   * A ping round trip. The server writes to a socket in order, so once the pong is here,
   * everything the server sent this client before handling the ping has been received too.
   */
  async barrier(): Promise<void> {
    const pong = await this.request('ping');
    if (pong.result?.value !== 'pong') throw new Error(`unexpected ping answer: ${JSON.stringify(pong)}`);
  }

  /** Like `request`, but fails the test when the server answers with an error. */
  async call(method: string, params?: Message): Promise<any> {
    const response = await this.request(method, params);
    if (response.error) throw new Error(`${method} failed: ${JSON.stringify(response.error)}`);
    return response.result;
  }

  /** Resolves with the first message (already received or future) that matches. */
  waitFor(predicate: (m: Message) => boolean, timeoutMs = 10_000, includeReceived = false): Promise<Message> {
    if (includeReceived) {
      const seen = this.received.find(predicate);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const entry = {
        predicate,
        resolve: (m: Message) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(entry);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a message`));
      }, timeoutMs);
      this.waiters.add(entry);
    });
  }

  /** Waits for an `onEvent` notification of the given type (and object, if given). */
  waitForEvent(type: string, objectId?: string, timeoutMs = 10_000): Promise<Message> {
    return this.waitFor(
      (m) => m.method === 'onEvent' && m.params?.value?.type === type && (objectId === undefined || m.params.value.object === objectId),
      timeoutMs,
      true,
    );
  }

  events(type?: string): Message[] {
    return this.received.filter((m) => m.method === 'onEvent' && (type === undefined || m.params.value.type === type)).map((m) => m.params.value);
  }

  close(): void {
    this.socket.close();
  }

  /** Closes the socket and waits until the server has acknowledged the close. */
  async closeAndWait(): Promise<void> {
    this.socket.close();
    await this.closed;
  }
}

/** A server shared by the tests of one file, and raw clients on it. */
export interface RawClientFixture {
  readonly server: RunningServer;
  /** Connects a new client (to the server, or to another `url` of it); all are closed after the file's last test. */
  client(url?: string): Promise<RawClient>;
}

/**
 * Registers node:test hooks that start a server (with these `args`, or these start options)
 * before the file's first test and, after its last, close the clients made with `client()` and
 * stop the server.
 *
 * What else the file's tests need goes in `setup`, which runs once the server is up: a top-level
 * `before` of the file would not wait for it (Node 20 starts top-level `before` hooks at once).
 */
export function useRawClients(options: string[] | StartOptions = ['--workers', '1'], setup?: (fixture: RawClientFixture) => Promise<void>): RawClientFixture {
  let server: RunningServer | undefined;
  const clients: RawClient[] = [];
  const fixture: RawClientFixture = {
    get server() {
      return setUp(server, 'the server');
    },
    async client(url = setUp(server, 'the server').url) {
      const c = await RawClient.connect(url);
      clients.push(c);
      return c;
    },
  };
  before(async () => {
    server = await startServer(Array.isArray(options) ? { args: options } : options);
    await setup?.(fixture);
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });
  return fixture;
}
