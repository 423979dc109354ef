/**
 * `npm run bench:rpc`: the cost of Kuroshio's protocol layer, side by side with a minimal echo
 * JSON-RPC server. There is no Kurento Media Server on this machine to compare with; the echo
 * server shows what WebSocket + JSON alone cost here, so the ratio is Kuroshio's own overhead.
 *
 * Measured for both in one run: create+release cycles per second; `getName` round trips per
 * second with 1 and with 50 clients (each with one request outstanding); resident memory of the
 * whole process tree (server + media workers) around 20,000 create+release cycles. The memory
 * must come back within 10% of where it started (PASS/FAIL).
 *
 * The machine is shared (two cores, other jobs): the rates are measured in interleaved rounds
 * and the best round counts, which is the figure least disturbed by the neighbours.
 */
import { availableParallelism, loadavg } from 'node:os';
import { BenchClient, churn, cyclesPerSecond, roundTripsPerSecond } from './client.js';
import { collectGarbage, heapFigures, inspectorUrls, processTree, rssKiB, type HeapFigures } from './proc.js';
import { startEcho, startKuroshio, type Target } from './targets.js';

const WORKERS = 2;
const RATE_ROUNDS = 3;
const RATE_CYCLES = 2_000;
const ROUND_TRIP_MS = 2_000;
const MANY_CLIENTS = 50;
const CHURN_CYCLES = 20_000;
const CHURN_CLIENTS = 10;
const SETTLE_MS = 3_000;
const MEMORY_TOLERANCE = 0.1;

/** Resident memory of the target's first process and of its children (media workers), KiB. */
interface RssSample {
  server: number;
  workers: number;
  total: number;
}

interface Rates {
  cyclesPerSecond: number;
  oneClientRps: number;
  manyClientsRps: number;
}

interface Memory {
  processes: number;
  cold: RssSample;
  before: RssSample;
  after: RssSample;
  settled: RssSample;
  final: RssSample;
  heapBefore: HeapFigures;
  heapFinal: HeapFigures;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (what: string): void => void process.stderr.write(`${what}\n`);

function sampleRss(root: number): RssSample {
  const [server, ...children] = processTree(root);
  const sample = { server: rssKiB(server!), workers: children.reduce((sum, pid) => sum + rssKiB(pid), 0) };
  return { ...sample, total: sample.server + sample.workers };
}

/** An object for `getName`: a pipeline on Kuroshio, any id on the echo server. */
async function createHolder(target: Target): Promise<{ client: BenchClient; objectId: string }> {
  const client = await BenchClient.connect(target.url);
  const created = await client.request('create', { type: 'MediaPipeline', constructorParams: {}, properties: {} });
  return { client, objectId: String(created.value) };
}

async function measureRates(target: Target, objectId: string): Promise<Rates> {
  return {
    cyclesPerSecond: await cyclesPerSecond(target.url, RATE_CYCLES),
    oneClientRps: await roundTripsPerSecond(target.url, 1, objectId, ROUND_TRIP_MS),
    manyClientsRps: await roundTripsPerSecond(target.url, MANY_CLIENTS, objectId, ROUND_TRIP_MS),
  };
}

/**
 * Two identical rounds of CHURN_CYCLES; the leak check compares the second with the first. The
 * first round brings the processes to their steady state: V8 grows its young generation (up to
 * 16 MiB per semi-space) under a sustained allocation rate and keeps those pages resident, and
 * glibc keeps its arena's high-water mark. Both are bounded and reached once; a leak grows with
 * every round. The cold figure is reported too.
 */
async function measureMemory(target: Target, cold: RssSample): Promise<Memory> {
  const inspectors = inspectorUrls(target.stderr());
  const processes = processTree(target.pid).length;
  if (inspectors.length !== processes) throw new Error(`${target.name}: ${processes} processes but ${inspectors.length} inspectors`);
  /** Lets the target's response cache expire, then forces a full GC everywhere. */
  const settle = async (alreadyWaitedMs = 0): Promise<void> => {
    await delay(Math.max(0, target.cacheWindowMs - alreadyWaitedMs));
    await collectGarbage(inspectors);
    await delay(1000);
  };
  progress(`[${target.name}] memory: first round of ${CHURN_CYCLES} cycles`);
  await churn(target.url, CHURN_CLIENTS, CHURN_CYCLES);
  await settle();
  const before = sampleRss(target.pid);
  const heapBefore = await heapFigures(inspectors);
  progress(`[${target.name}] memory: measured round of ${CHURN_CYCLES} cycles`);
  await churn(target.url, CHURN_CLIENTS, CHURN_CYCLES);
  const after = sampleRss(target.pid);
  await collectGarbage(inspectors);
  await delay(SETTLE_MS);
  const settled = sampleRss(target.pid);
  await settle(SETTLE_MS);
  const final = sampleRss(target.pid);
  const heapFinal = await heapFigures(inspectors);
  return { processes, cold, before, after, settled, final, heapBefore, heapFinal };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('   ')).join('\n');
}

function report(kr: Rates, er: Rates, km: Memory, em: Memory, cacheWindowMs: number): boolean {
  const n = (x: number): string => x.toFixed(0);
  const mib = (kib: number): string => (kib / 1024).toFixed(1);
  const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
  const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const change = (m: Memory, from: RssSample): number => (m.final.total - from.total) / from.total;
  const rate = (label: string, pick: (r: Rates) => number): string[] => [label, n(pick(kr)), n(pick(er)), ratio(pick(kr), pick(er))];
  const rss = (label: string, pick: (m: Memory) => RssSample): string[] => [label, mib(pick(km).total), mib(pick(em).total), ratio(pick(km).total, pick(em).total)];
  const split = (label: string, pick: (m: Memory) => RssSample): string[] => [label, `${mib(pick(km).server)} + ${mib(pick(km).workers)}`, mib(pick(em).server), ''];
  const rows = [
    ['metric', 'Kuroshio', 'echo baseline', 'Kuroshio/echo'],
    rate(`create+release cycles/s (1 client, ${RATE_CYCLES} cycles)`, (r) => r.cyclesPerSecond),
    rate(`getName round trips/s (1 client)`, (r) => r.oneClientRps),
    rate(`getName round trips/s (${MANY_CLIENTS} clients)`, (r) => r.manyClientsRps),
    ['processes measured (server + media workers)', String(km.processes), String(em.processes), ''],
    rss('RSS cold (just started), MiB', (m) => m.cold),
    // The control process loads no media library (FFmpeg, werift): its own start is the figure.
    split('  control process + media workers at start, MiB', (m) => m.cold),
    rss(`RSS before: after a first ${CHURN_CYCLES} cycles, cache expired, GC`, (m) => m.before),
    split('  server + workers, MiB', (m) => m.before),
    rss(`RSS right after ${CHURN_CYCLES} more cycles (${CHURN_CLIENTS} clients)`, (m) => m.after),
    rss(`RSS after GC + ${SETTLE_MS / 1000} s`, (m) => m.settled),
    rss(`RSS final: cache expired (${cacheWindowMs / 1000} s), GC`, (m) => m.final),
    split('  server + workers, MiB', (m) => m.final),
    ['RSS change, final vs before', pct(change(km, km.before)), pct(change(em, em.before)), ''],
    ['RSS change, final vs cold (steady-state growth)', pct(change(km, km.cold)), pct(change(em, em.cold)), ''],
    ['JS heap used (all processes), before / final, MiB', `${mb(km.heapBefore.heapUsed)} / ${mb(km.heapFinal.heapUsed)}`, `${mb(em.heapBefore.heapUsed)} / ${mb(em.heapFinal.heapUsed)}`, ''],
  ];
  const pass = Math.abs(change(km, km.before)) <= MEMORY_TOLERANCE;
  process.stdout.write(`\nKuroshio JSON-RPC benchmark — node ${process.version}, ${availableParallelism()} CPUs, ${WORKERS} media workers, load average ${loadavg()[0]!.toFixed(1)}\n`);
  process.stdout.write(`rates: best of ${RATE_ROUNDS} interleaved rounds, round trips over ${ROUND_TRIP_MS / 1000} s; RSS in MiB\n\n`);
  process.stdout.write(table(rows) + '\n\n');
  process.stdout.write(`memory returns within ${MEMORY_TOLERANCE * 100}% of the starting figure after ${CHURN_CYCLES} cycles: ${pass ? 'PASS' : 'FAIL'} (${pct(change(km, km.before))})\n`);
  return pass;
}

function best(rounds: Rates[]): Rates {
  return {
    cyclesPerSecond: Math.max(...rounds.map((r) => r.cyclesPerSecond)),
    oneClientRps: Math.max(...rounds.map((r) => r.oneClientRps)),
    manyClientsRps: Math.max(...rounds.map((r) => r.manyClientsRps)),
  };
}

async function main(): Promise<number> {
  const started = performance.now();
  const kuroshio = await startKuroshio(WORKERS);
  const echo = await startEcho();
  try {
    const targets = [kuroshio, echo];
    const cold = targets.map((t) => sampleRss(t.pid));
    const holders = await Promise.all(targets.map(createHolder));
    progress('warming up');
    for (const [i, t] of targets.entries()) {
      await cyclesPerSecond(t.url, 500);
      await roundTripsPerSecond(t.url, 1, holders[i]!.objectId, 1000);
    }
    const rounds: Rates[][] = [[], []];
    for (let round = 1; round <= RATE_ROUNDS; round++) {
      progress(`rates, round ${round} of ${RATE_ROUNDS}`);
      for (const [i, t] of targets.entries()) rounds[i]!.push(await measureRates(t, holders[i]!.objectId));
    }
    const memory: Memory[] = [];
    for (const [i, t] of targets.entries()) memory.push(await measureMemory(t, cold[i]!));
    for (const h of holders) h.client.close();
    const pass = report(best(rounds[0]!), best(rounds[1]!), memory[0]!, memory[1]!, kuroshio.cacheWindowMs);
    process.stdout.write(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    return pass ? 0 : 1;
  } finally {
    await Promise.all([kuroshio.stop(), echo.stop()]);
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
