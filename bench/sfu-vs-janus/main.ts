/**
 * `npm run bench:sfu`: Kuroshio's SFU path against Janus's VideoRoom, same clients, same load.
 *
 * Each scenario runs on a fresh server pinned to one core, with every publisher and subscriber
 * in one client process pinned to another (werift peers; see peers.ts for how subscribers stay
 * cheap). Scenarios: one publisher fanned out to 1, 10 and 30 subscribers, and 4 independent
 * rooms of 1 publisher + 4 subscribers; and, for Kuroshio only, one publisher sending three
 * simulcast layers (≈ 0.14, 0.5 and 1.5 Mbit/s) to 30 subscribers, compared with the
 * single-layer 30 (each subscriber gets the top layer: the bench's peers send no estimate).
 * Each is measured in several windows after a warm-up and reported as medians. Then a search finds the largest fan-out one core sustains with < 0.5%
 * loss, for each server.
 *
 * Needs Debian's `janus` package (.ci/run installs it) and taskset (util-linux).
 *
 *   npm run bench:sfu                 full run (3 × 10 s per scenario, search up to 8 min per server)
 *   npm run bench:sfu -- --quick      smoke run (2 × 4 s, short search): proves it works, noisy figures
 *
 * Servers (--servers, default janus,kuroshio-werift,kuroshio): janus; kuroshio as built (fast RTP
 * path, native SRTP); kuroshio-werift, its baseline on werift's own RTP stack (the path before the
 * fast path); kuroshio-jssrtp, the fast path with werift's JavaScript SRTP.
 *
 * Options: --runs N, --duration S, --warmup S, --servers LIST, --scenarios 1,10,30,4x5,30sim,
 * --no-search, --search-budget S (per server), --search-ceiling N, --server-cpu C, --client-cpu C,
 * --out DIR (default bench/results in the repository).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { srtpAddonAvailable } from '../../src/transport/srtp/index.js';
import type { Scenario } from './client-protocol.js';
import { PACKETS_PER_SECOND } from './load.js';
import { measureScenario, stopRunning, type ScenarioResult, type Timing } from './measure.js';
import { renderMarkdown, summarize, writeResults, type Conditions, type Failure, type Summary } from './report.js';
import { searchFanOut, type SearchResult } from './search.js';
import { JANUS_BINARY, SERVERS, type ServerName } from './servers.js';
import { canPin, choosePinning, pinTree, type Pinning } from './system.js';

const SCENARIOS: Record<string, Scenario> = {
  '1': { label: '1 subscriber', rooms: 1, subscribersPerRoom: 1 },
  '10': { label: '10 subscribers', rooms: 1, subscribersPerRoom: 10 },
  '30': { label: '30 subscribers', rooms: 1, subscribersPerRoom: 30 },
  '4x5': { label: '4 rooms × (1+4)', rooms: 4, subscribersPerRoom: 4 },
  // Kuroshio as built only (see main()).
  '30sim': { label: '30 subscribers, 3 simulcast layers', rooms: 1, subscribersPerRoom: 30, simulcastOf: '30 subscribers' },
};

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

interface Options {
  quick: boolean;
  timing: Timing;
  servers: ServerName[];
  scenarios: Scenario[];
  search: boolean;
  searchBudgetSeconds: number;
  searchCeiling: number;
  searchTiming: Timing;
  pinning: Pinning;
  out: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      servers: { type: 'string', default: 'janus,kuroshio-werift,kuroshio' },
      scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
      'no-search': { type: 'boolean', default: false },
      'search-budget': { type: 'string' },
      'search-ceiling': { type: 'string', default: '400' },
      'server-cpu': { type: 'string' },
      'client-cpu': { type: 'string' },
      out: { type: 'string', default: join(ROOT, 'bench', 'results') },
    },
  });
  const number = (value: string | undefined, fallback: number): number => (value === undefined ? fallback : Number(value));
  const quick = values.quick;
  const timing: Timing = {
    runs: number(values.runs, quick ? 2 : 3),
    windowSeconds: number(values.duration, quick ? 4 : 10),
    warmupSeconds: number(values.warmup, quick ? 2 : 5),
  };
  const servers = values.servers.split(',').map((name) => {
    if (!(name.trim() in SERVERS)) throw new Error(`unknown server '${name}' (${Object.keys(SERVERS).join(', ')})`);
    return name.trim() as ServerName;
  });
  const scenarios = values.scenarios.split(',').map((key) => {
    const scenario = SCENARIOS[key.trim()];
    if (!scenario) throw new Error(`unknown scenario '${key}' (${Object.keys(SCENARIOS).join(', ')})`);
    return scenario;
  });
  const serverCpu = values['server-cpu'] === undefined ? undefined : Number(values['server-cpu']);
  const clientCpu = values['client-cpu'] === undefined ? undefined : Number(values['client-cpu']);
  return {
    quick,
    timing,
    servers,
    scenarios,
    search: !values['no-search'],
    searchBudgetSeconds: number(values['search-budget'], quick ? 120 : 480),
    searchCeiling: number(values['search-ceiling'], 400),
    // Each probe is judged on the median of its windows, like the table; a shorter warm-up.
    searchTiming: { ...timing, warmupSeconds: Math.min(timing.warmupSeconds, 3) },
    pinning: canPin() ? choosePinning(serverCpu, clientCpu) : { server: undefined, client: undefined },
    out: values.out,
  };
}

function describePinning(p: Pinning): string {
  if (p.server === undefined && p.client === undefined) return 'none (taskset missing or a single core): server and clients share the machine';
  return `server tree on CPU ${p.server ?? 'any'} (taskset -a -p -c), client process and bench on CPU ${p.client ?? 'any'} (taskset -c)`;
}

/** A program's version from what it prints (`janus --version` exits with status 1). */
function version(command: string, args: string[], pattern: RegExp): string {
  const { stdout, error } = spawnSync(command, args, { encoding: 'utf8' });
  return error ? 'not installed' : (pattern.exec(stdout)?.[1] ?? 'unknown');
}

function conditions(options: Options, loadBefore: number[]): Conditions {
  const kuroshio = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
  const perSecond = PACKETS_PER_SECOND.video + PACKETS_PER_SECOND.audio;
  return {
    date: new Date().toISOString(),
    quick: options.quick,
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    // The machine's, not this process's: the bench pins itself to the client core.
    cores: cpus().length,
    pinning: describePinning(options.pinning),
    node: process.version,
    janus: version(JANUS_BINARY, ['--version'], /\((\d+\.\d+\.\d+)\)/),
    kuroshio,
    srtpAddon: srtpAddonAvailable(),
    runs: options.timing.runs,
    windowSeconds: options.timing.windowSeconds,
    warmupSeconds: options.timing.warmupSeconds,
    loadBefore,
    loadAfter: loadavg(),
    publisherLoad: `VP8 ~1.5 Mbit/s (${PACKETS_PER_SECOND.video.toFixed(0)} pkt/s, 880–1150 B, keyframe every 2 s) + Opus ${PACKETS_PER_SECOND.audio} pkt/s (100 B): ${perSecond.toFixed(0)} pkt/s`,
  };
}

/** On Ctrl-C or SIGTERM, stops the server and client of the current step before exiting. */
function exitOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping the current server and clients`);
      stopRunning().finally(() => process.exit(130));
    });
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  exitOnSignals();
  const loadBefore = loadavg();
  // The bench itself runs with the clients, off the server's core.
  pinTree(process.pid, options.pinning.client);
  progress(`pinning: ${describePinning(options.pinning)}`);

  const results: ScenarioResult[] = [];
  const failures: Failure[] = [];
  for (const scenario of options.scenarios) {
    for (const server of options.servers) {
      // Simulcast is Kuroshio's as built (its fast path); Janus's VideoRoom would need it set up its own way.
      if (scenario.simulcastOf !== undefined && server !== 'kuroshio') continue;
      progress(`${server}, ${scenario.label}: ${options.timing.runs} × ${options.timing.windowSeconds} s after ${options.timing.warmupSeconds} s warm-up`);
      try {
        results.push(await measureScenario(server, scenario, options.timing, options.pinning));
      } catch (err) {
        // One scenario failing (a server that cannot connect everyone) is a result, not the end.
        progress((err as Error).message);
        failures.push({ server, scenario: scenario.label, error: (err as Error).message.split('\n')[0]! });
      }
    }
  }
  const summaries: Summary[] = results.map(summarize);

  const searches: SearchResult[] = [];
  if (options.search) {
    for (const server of options.servers) {
      progress(`fan-out search, ${server} (budget ${options.searchBudgetSeconds} s)`);
      searches.push(await searchFanOut(server, { start: 10, ceiling: options.searchCeiling, budgetSeconds: options.searchBudgetSeconds, timing: options.searchTiming }, options.pinning, progress));
    }
  }

  const conditionsNow = conditions(options, loadBefore);
  const markdown = renderMarkdown(conditionsNow, summaries, failures, searches);
  process.stdout.write(`\n${markdown}`);
  const name = options.quick ? 'sfu-vs-janus.quick' : 'sfu-vs-janus';
  const files = writeResults(options.out, name, markdown, { conditions: conditionsNow, summaries, failures, searches, scenarios: results });
  progress(`written: ${files.join(', ')}`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
