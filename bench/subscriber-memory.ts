/**
 * `npm run bench:subscriber-memory`: what one more WebRTC subscriber costs a media worker, and
 * what that memory is made of. One publisher (bench:sfu's load) on a one-worker Kuroshio, then N
 * subscribers (werift peers, bench:sfu's); the worker is measured after a forced garbage
 * collection with the publisher only and again with the subscribers connected and receiving:
 * resident memory, V8 heap and external memory per subscriber, and a diff of two heap snapshots
 * by constructor (the objects each subscriber adds, by kind).
 *
 *   npm run bench:subscriber-memory [-- --subscribers 30]
 */
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { collectGarbage, heapFigures, inspectorEnv, inspectorUrls } from '../test/helpers/inspector.js';
import { startServer } from '../test/helpers/server-process.js';
import { KurentoSignalling } from './sfu-vs-janus/kurento.js';
import { Publisher, Subscriber } from './sfu-vs-janus/peers.js';
import { rssKiB } from './proc.js';

const { values } = parseArgs({ options: { subscribers: { type: 'string', default: '30' }, top: { type: 'string', default: '20' } } });
const count = Number(values.subscribers);
const SETTLE_MS = 3_000;
const WARM_UP = 5;

/** Self size by constructor (or node type and name for non-objects), from a heap snapshot. */
async function snapshotBySize(url: string): Promise<Map<string, { size: number; count: number }>> {
  // The snapshot arrives as chunk events on the inspector socket; gather them with a raw session.
  const { default: WebSocket } = await import('ws');
  const socket = new WebSocket(url, { maxPayload: 1 << 30 });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const chunks: string[] = [];
  await new Promise<void>((resolve) => {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; method?: string; params?: { chunk: string } };
      if (message.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(message.params!.chunk);
      else if (message.id === 1) resolve();
    });
    socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.takeHeapSnapshot', params: { reportProgress: false } }));
  });
  socket.close();
  const snapshot = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    const name = snapshot.strings[snapshot.nodes[i + nameAt]!]!;
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${name}${type === 'object' ? '' : ` (${type})`}` : `(${type})`;
    const entry = out.get(key) ?? { size: 0, count: 0 };
    entry.size += snapshot.nodes[i + sizeAt]!;
    entry.count++;
    out.set(key, entry);
  }
  return out;
}

const server = await startServer({ args: ['--workers', '1'], env: { ...inspectorEnv(), KMS_NETWORK_INTERFACES: 'lo' } });
const signalling = await KurentoSignalling.connect(server.url);
const peers: (Publisher | Subscriber)[] = [];
try {
  const deadline = Date.now() + 15_000;
  while (server.workerPids().length === 0 && Date.now() < deadline) await delay(50);
  const worker = server.workerPids()[0]!;
  const urls = inspectorUrls(server.logs.map((r) => String(r.msg)));
  // The worker's inspector is the one that is not the control process's (announced first).
  const workerUrl = urls[urls.length - 1]!;
  const publisher = new Publisher('127.0.0.1');
  peers.push(publisher);
  const room = await signalling.createRoom(publisher);
  publisher.start();
  await delay(SETTLE_MS);
  const latencies: number[] = [];
  const join = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const subscriber = new Subscriber('127.0.0.1', Number.MAX_SAFE_INTEGER, latencies, true);
      peers.push(subscriber);
      await room.subscribe(subscriber);
      await subscriber.receiving;
    }
  };
  // A few subscribers before the baseline: what the first ones compile and allocate once (code,
  // caches, pools) is not what each one costs.
  await join(WARM_UP);
  await delay(SETTLE_MS);
  await collectGarbage([workerUrl]);
  const rss0 = rssKiB(worker);
  const heap0 = await heapFigures([workerUrl]);
  const snap0 = await snapshotBySize(workerUrl);
  await join(count);
  await delay(SETTLE_MS);
  await collectGarbage([workerUrl]);
  const rss1 = rssKiB(worker);
  const heap1 = await heapFigures([workerUrl]);
  const snap1 = await snapshotBySize(workerUrl);
  const per = (a: number, b: number): string => ((b - a) / count / 1024).toFixed(1);
  console.log(`Per subscriber: ${count} more subscribers of one publisher (after ${WARM_UP}) on one worker (KiB, after a forced GC)\n`);
  console.log('| resident | V8 heap used | external (Buffers, native) |');
  console.log('| ---: | ---: | ---: |');
  console.log(`| ${((rss1 - rss0) / count).toFixed(1)} | ${per(heap0.heapUsed, heap1.heapUsed)} | ${per(heap0.external, heap1.external)} |`);
  const growth = [...snap1]
    .map(([name, after]) => {
      const before = snap0.get(name) ?? { size: 0, count: 0 };
      return { name, size: (after.size - before.size) / count, objects: (after.count - before.count) / count };
    })
    .sort((a, b) => b.size - a.size)
    .slice(0, Number(values.top));
  console.log(`\nHeap snapshot growth per subscriber, by constructor (self size)\n`);
  console.log('| constructor | bytes | objects |');
  console.log('| --- | ---: | ---: |');
  for (const g of growth) console.log(`| ${g.name.slice(0, 60).replace(/\|/g, '\\|')} | ${Math.round(g.size)} | ${g.objects.toFixed(1)} |`);
} finally {
  await signalling.close().catch(() => undefined);
  await Promise.allSettled(peers.map((p) => p.close()));
  await server.stop();
}
