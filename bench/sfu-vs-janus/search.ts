/**
 * The largest fan-out one server core sustains: one publisher at 1.5 Mbit/s, N subscribers,
 * N doubled until a probe fails, then bisected. A probe is one server and client setup measured
 * over several windows; it fails when the median window loses 0.5% or more, when the server
 * uses a whole core (it would lose next), or when setup fails. Medians keep one disturbed window
 * (a neighbour on the server's core) from deciding. When the client is the limit (its core
 * saturated, or its sockets dropped most of the lost packets), the answer is only a lower bound
 * and says so. The search stops when its time budget is spent,
 * reporting what it established.
 */
import type { Scenario } from './client-protocol.js';
import { measureScenario, type RunResult, type Timing } from './measure.js';
import type { ServerName } from './servers.js';
import { median } from './stats.js';
import type { Pinning } from './system.js';

export const LOSS_LIMIT = 0.005;
/** A server core this busy (server + interrupts) is saturated, whatever the loss says yet. */
const SATURATED = 0.95;
/** Above this share the client process may be what loses packets. */
const CLIENT_SATURATED = 0.9;

export type Verdict = 'pass' | 'loss' | 'server-cpu' | 'client' | 'error';

/** The median window of a probe, and whether the client dropped most of what was lost. */
interface Medians {
  loss: number;
  serverCore: number;
  serverCoreInterrupts: number;
  clientCore: number;
  clientDropped: boolean;
}

export interface Probe {
  subscribers: number;
  verdict: Verdict;
  medians?: Medians;
  runs?: RunResult[];
  error?: string;
}

export interface SearchResult {
  server: ServerName;
  /** Largest N that passed, 0 if none did. */
  sustained: number;
  /** Smallest N that failed, if one did. */
  failedAt?: number;
  /** Why `failedAt` failed, or why the search stopped without a failure. */
  limit: Verdict | 'budget' | 'ceiling';
  probes: Probe[];
}

export interface SearchOptions {
  start: number;
  ceiling: number;
  budgetSeconds: number;
  timing: Timing;
}

function verdictOf(m: Medians): Verdict {
  const saturated = m.serverCore + m.serverCoreInterrupts >= SATURATED;
  if (m.loss < LOSS_LIMIT && !saturated) return 'pass';
  if ((m.clientCore >= CLIENT_SATURATED || m.clientDropped) && !saturated) return 'client';
  return m.loss >= LOSS_LIMIT ? 'loss' : 'server-cpu';
}

const sum = (runs: readonly RunResult[], pick: (r: RunResult) => number): number => runs.reduce((total, r) => total + pick(r), 0);

function describe(m: Medians, runs: readonly RunResult[]): string {
  const pct = (x: number, digits = 0): string => `${(x * 100).toFixed(digits)}%`;
  return `(median loss ${pct(m.loss, 2)}, server core ${pct(m.serverCore)} + interrupts ${pct(m.serverCoreInterrupts)}, client core ${pct(m.clientCore)}; drops server/client ${sum(runs, (r) => r.serverSocketDrops)}/${sum(runs, (r) => r.clientSocketDrops)}, NACKed ${sum(runs, (r) => r.report.nacked)})`;
}

async function probe(name: ServerName, subscribers: number, timing: Timing, pinning: Pinning): Promise<Probe> {
  const scenario: Scenario = { label: `fan-out ${subscribers}`, rooms: 1, subscribersPerRoom: subscribers };
  try {
    const { runs } = await measureScenario(name, scenario, timing, pinning);
    const medians: Medians = {
      loss: median(runs.map((r) => r.loss)),
      serverCore: median(runs.map((r) => r.serverCore)),
      serverCoreInterrupts: median(runs.map((r) => r.serverCoreInterrupts)),
      clientCore: median(runs.map((r) => r.clientCore)),
      clientDropped: sum(runs, (r) => r.clientSocketDrops) > sum(runs, (r) => r.report.expected - r.report.received) / 2,
    };
    return { subscribers, verdict: verdictOf(medians), medians, runs };
  } catch (err) {
    return { subscribers, verdict: 'error', error: (err as Error).message.split('\n')[0] };
  }
}

export async function searchFanOut(name: ServerName, options: SearchOptions, pinning: Pinning, progress: (line: string) => void): Promise<SearchResult> {
  const deadline = performance.now() + options.budgetSeconds * 1000;
  const probes: Probe[] = [];
  let passed = 0;
  let failed: Probe | undefined;
  let n = options.start;
  for (;;) {
    const started = performance.now();
    const p = await probe(name, n, options.timing, pinning);
    probes.push(p);
    progress(`  ${name} N=${n}: ${p.verdict} ${p.medians && p.runs ? describe(p.medians, p.runs) : (p.error ?? '')}`);
    if (p.verdict === 'pass') passed = n;
    else failed = p;
    const done = (limit: SearchResult['limit']): SearchResult => ({ server: name, sustained: passed, ...(failed ? { failedAt: failed.subscribers } : {}), limit, probes });
    if (passed >= options.ceiling) return done('ceiling');
    const resolution = Math.max(2, Math.ceil(passed * 0.1));
    if (failed && failed.subscribers - passed <= resolution) return done(failed.verdict);
    n = failed ? Math.floor((passed + failed.subscribers) / 2) : Math.min(options.ceiling, n * 2);
    // Probes grow with N: stop when the next one would likely overrun the budget.
    if (performance.now() + (performance.now() - started) * 1.5 > deadline) return done(failed?.verdict ?? 'budget');
  }
}
