/**
 * A lean JSON-RPC client for the benchmark: one socket, one request outstanding at a time, no
 * bookkeeping beyond the pending request, so the client costs as little as possible of the
 * machine the server is measured on.
 */
import WebSocket from 'ws';

export interface RpcResult {
  value?: unknown;
  sessionId?: string;
}

export class BenchClient {
  private nextId = 1;
  private waiting: { id: number; resolve: (r: RpcResult) => void; reject: (e: Error) => void } | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: RpcResult; error?: unknown; method?: string };
      const waiting = this.waiting;
      if (message.method !== undefined || !waiting || message.id !== waiting.id) return; // events, stray answers
      this.waiting = undefined;
      if (message.error !== undefined) waiting.reject(new Error(`request ${waiting.id} failed: ${JSON.stringify(message.error)}`));
      else waiting.resolve(message.result ?? {});
    });
    socket.on('close', () => this.waiting?.reject(new Error('connection closed')));
  }

  static connect(url: string): Promise<BenchClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new BenchClient(socket)));
      socket.once('error', reject);
    });
  }

  request(method: string, params: Record<string, unknown>): Promise<RpcResult> {
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting = { id, resolve, reject };
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** One create+release cycle as applications do it: a pipeline, an element in it, release the pipeline. */
export async function createReleaseCycle(client: BenchClient): Promise<void> {
  const pipeline = (await client.request('create', { type: 'MediaPipeline', constructorParams: {}, properties: {} })).value as string;
  await client.request('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline }, properties: {} });
  await client.request('release', { object: pipeline });
}

async function connectMany(url: string, count: number): Promise<BenchClient[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => BenchClient.connect(url)));
  // A first request gives each client its session, so the timed loops measure steady state only.
  await Promise.all(clients.map((c) => c.request('ping', {})));
  return clients;
}

/** Sequential create+release cycles from one client, per second. */
export async function cyclesPerSecond(url: string, cycles: number): Promise<number> {
  const [client] = await connectMany(url, 1);
  const started = performance.now();
  for (let i = 0; i < cycles; i++) await createReleaseCycle(client!);
  const seconds = (performance.now() - started) / 1000;
  client!.close();
  return cycles / seconds;
}

/** `getName` on one object from `count` clients for `durationMs`; round trips per second. */
export async function roundTripsPerSecond(url: string, count: number, objectId: string, durationMs: number): Promise<number> {
  const clients = await connectMany(url, count);
  const params = { object: objectId, operation: 'getName', operationParams: {} };
  const started = performance.now();
  const deadline = started + durationMs;
  const counts = await Promise.all(
    clients.map(async (client) => {
      let done = 0;
      while (performance.now() < deadline) {
        await client.request('invoke', params);
        done++;
      }
      return done;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const c of clients) c.close();
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

/** `cycles` create+release cycles spread over `count` concurrent clients. */
export async function churn(url: string, count: number, cycles: number): Promise<void> {
  const clients = await connectMany(url, count);
  await Promise.all(
    clients.map(async (client, i) => {
      const share = Math.floor(cycles / count) + (i < cycles % count ? 1 : 0);
      for (let k = 0; k < share; k++) await createReleaseCycle(client);
    }),
  );
  for (const c of clients) c.close();
}
