/**
 * A bare JSON-RPC client over WebSocket, for tests that check the protocol byte by byte: it sends
 * exactly what it is given and records everything the server sends back.
 */
import WebSocket from 'ws';

export type Message = Record<string, any>;

export class RawClient {
  readonly received: Message[] = [];
  private readonly socket: WebSocket;
  private nextId = 1;
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

  static async connect(url: string): Promise<RawClient> {
    const client = new RawClient(url);
    await client.opened;
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
  async request(method: string, params?: Message, id?: number | string, timeoutMs = 10_000): Promise<Message> {
    const requestId = id ?? this.nextId++;
    const message: Message = { jsonrpc: '2.0', method, id: requestId };
    if (params !== undefined) message.params = params;
    const response = this.waitFor((m) => m.id === requestId && (m.result !== undefined || m.error !== undefined), timeoutMs);
    this.send(message);
    return response;
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
}
