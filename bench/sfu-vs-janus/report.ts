/**
 * The bench's output: one table (medians over the runs of each scenario, Kuroshio next to
 * Janus), the fan-out search, and the conditions of the measurement, printed and written to
 * bench/results/ as markdown (for the docs) and JSON (everything, run by run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioResult } from './measure.js';
import { LOSS_LIMIT, type SearchResult } from './search.js';
import { SERVERS, type ServerName } from './servers.js';
import { median } from './stats.js';

export interface Conditions {
  date: string;
  quick: boolean;
  cpu: string;
  cores: number;
  pinning: string;
  node: string;
  janus: string;
  kuroshio: string;
  /** Whether Kuroshio's native SRTP addon was built (without it the fast path uses JS SRTP). */
  srtpAddon: boolean;
  runs: number;
  windowSeconds: number;
  warmupSeconds: number;
  loadBefore: number[];
  loadAfter: number[];
  publisherLoad: string;
}

/** The medians of one scenario on one server. */
export interface Summary {
  scenario: string;
  /** A simulcast scenario: the single-layer scenario it is compared with. */
  simulcastOf?: string;
  server: ServerName;
  subscribers: number;
  forwardedPerSecond: number;
  cpuPerThousand: number;
  serverCore: number;
  serverCoreInterrupts: number;
  loss: number;
  latencyP50: number;
  latencyP99: number;
  rssPerSubscriberKiB: number;
  clientCore: number;
  /** Sums over the runs: loss causes and recovery. */
  corruptSamples: number;
  nacked: number;
  duplicates: number;
  serverSocketDrops: number;
  clientSocketDrops: number;
  setupSeconds: number;
}

/** A scenario that could not be measured on a server. */
export interface Failure {
  server: ServerName;
  scenario: string;
  error: string;
}

export function summarize(result: ScenarioResult): Summary {
  type Run = ScenarioResult['runs'][number];
  const of = (pick: (r: Run) => number): number => median(result.runs.map(pick));
  const sum = (pick: (r: Run) => number): number => result.runs.reduce((total, r) => total + pick(r), 0);
  return {
    scenario: result.scenario.label,
    ...(result.scenario.simulcastOf !== undefined ? { simulcastOf: result.scenario.simulcastOf } : {}),
    server: result.server,
    subscribers: result.subscribers,
    forwardedPerSecond: of((r) => r.forwardedPerSecond),
    cpuPerThousand: of((r) => r.cpuPerThousand),
    serverCore: of((r) => r.serverCore),
    serverCoreInterrupts: of((r) => r.serverCoreInterrupts),
    loss: of((r) => r.loss),
    latencyP50: of((r) => r.report.latencyP50),
    latencyP99: of((r) => r.report.latencyP99),
    rssPerSubscriberKiB: (result.rssLoadedKiB - result.rssBaselineKiB) / result.subscribers,
    clientCore: of((r) => r.clientCore),
    corruptSamples: sum((r) => r.report.corrupt),
    nacked: sum((r) => r.report.nacked),
    duplicates: sum((r) => r.report.duplicates),
    serverSocketDrops: sum((r) => r.serverSocketDrops),
    clientSocketDrops: sum((r) => r.clientSocketDrops),
    setupSeconds: result.setupSeconds,
  };
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const percent = (value: number, digits = 0): string => `${fixed(value * 100, digits)}%`;

/**
 * A Kuroshio row's CPU per forwarded packet over Janus's, for the same scenario; a simulcast
 * row's over the same server's single-layer row.
 */
function ratio(summaries: readonly Summary[], row: Summary): string {
  if (row.simulcastOf !== undefined) {
    const single = summaries.find((s) => s.server === row.server && s.scenario === row.simulcastOf);
    return single ? `${fixed(row.cpuPerThousand / single.cpuPerThousand, 2)}× 1 layer` : '';
  }
  if (row.server === 'janus') return '';
  const janus = summaries.find((s) => s.server === 'janus' && s.scenario === row.scenario);
  return janus ? `${fixed(row.cpuPerThousand / janus.cpuPerThousand, 1)}×` : '';
}

function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((h, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function resultsTable(summaries: readonly Summary[]): string {
  const header = ['scenario', 'server', 'fwd pkt/s', 'CPU s / 1k pkt', '× Janus', 'server core', 'loss', 'latency p50 ms', 'p99 ms', 'RSS / sub KiB', 'client core'];
  const rows = summaries.map((s) => [
    s.scenario,
    SERVERS[s.server].label,
    fixed(s.forwardedPerSecond, 0),
    fixed(s.cpuPerThousand, 3),
    ratio(summaries, s),
    percent(s.serverCore),
    percent(s.loss, 2),
    fixed(s.latencyP50, 2),
    fixed(s.latencyP99, 1),
    fixed(s.rssPerSubscriberKiB, 0),
    percent(s.clientCore),
  ]);
  return markdownTable(header, rows);
}

/** Where loss came from and what recovery cost, summed over the runs. */
function diagnosticsTable(summaries: readonly Summary[]): string {
  const header = ['scenario', 'server', 'setup s', 'interrupts on server core', 'NACKed by server', 'duplicates at subscribers', 'drops at server sockets', 'drops at client sockets', 'bad samples'];
  const rows = summaries.map((s) => [
    s.scenario,
    SERVERS[s.server].label,
    fixed(s.setupSeconds, 1),
    percent(s.serverCoreInterrupts),
    String(s.nacked),
    String(s.duplicates),
    String(s.serverSocketDrops),
    String(s.clientSocketDrops),
    String(s.corruptSamples),
  ]);
  return markdownTable(header, rows);
}

function searchLine(result: SearchResult): string {
  const reason: Record<SearchResult['limit'], string> = {
    pass: '',
    loss: `loss ≥ ${percent(LOSS_LIMIT, 1)}`,
    'server-cpu': 'server core saturated',
    client: 'the client, not the server, lost packets or saturated its core: a lower bound',
    error: 'setup failed',
    budget: 'time budget spent before any failure: a lower bound',
    ceiling: 'search ceiling reached: a lower bound',
  };
  const failed = result.failedAt === undefined ? '' : `, fails at ${result.failedAt}`;
  const probes = result.probes.map((p) => `${p.subscribers}:${p.verdict}`).join(' ');
  return `- ${SERVERS[result.server].label}: **${result.sustained}** subscribers${failed} (${reason[result.limit]}) — probes ${probes}`;
}

function conditionsText(c: Conditions): string {
  return [
    `${c.date}${c.quick ? ' — QUICK SMOKE RUN (short windows, few runs): noisy, not for the docs' : ''}`,
    `machine: ${c.cpu}, ${c.cores} cores; load average before ${c.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${c.loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
    `pinning: ${c.pinning}`,
    `servers: Janus ${c.janus} (VideoRoom, WebSocket transport); Kuroshio ${c.kuroshio} (--workers 1, native SRTP addon ${c.srtpAddon ? 'built' : 'MISSING'}); Node ${c.node}`,
    `load per publisher: ${c.publisherLoad}`,
    `timing: ${c.runs} run(s) of ${c.windowSeconds} s per scenario after a ${c.warmupSeconds} s warm-up; figures are medians over the runs`,
  ].join('\n');
}

const NOTES = [
  'Servers: "Kuroshio" is the build as it is (fast RTP path, native SRTP); "werift RTP path" is Kuroshio with KUROSHIO_RTP_PATH=werift (werift\'s own RTP and SRTP, the path before the fast path); "fast path, JS SRTP" is KUROSHIO_SRTP=js.',
  '"4 rooms × (1+4)": 4 independent rooms, each with 1 publisher and 4 subscribers (16 subscribers).',
  'fwd pkt/s: RTP packets received by all subscribers per second. CPU s / 1k pkt: user+system CPU of the server process tree (Kuroshio: control process + media worker) per 1,000 forwarded packets; × Janus: that figure over Janus\'s in the same scenario (for the simulcast scenario, over the same server\'s single-layer scenario: its publisher sends three layers, of which each subscriber gets the top one).',
  'server core / client core: share of one core used during the window. loss: 1 − received/expected, expected from RTP sequence numbers per subscriber and stream.',
  'latency: publisher send → subscriber socket, from a send-time stamp in the payload, on sampled packets (both ends in the client process, one clock); it includes the client\'s own encryption and event-loop delays.',
  'RSS / sub: growth of the server tree\'s resident memory from publishers-only to all subscribers connected, per subscriber; Kuroshio\'s processes collect their garbage before each reading (through their inspectors), so both servers are read at what they hold.',
  'Diagnostics: interrupt and softirq time on the server\'s core (median share; the kernel accounts the loopback delivery of what the server sends there, not to the server, and the search counts it towards saturation), packets the server asked the publisher to resend (NACK), copies of already received packets at the subscribers, datagrams the kernel dropped at full receive buffers of the server\'s and the clients\' sockets, sampled packets failing SRTP authentication or missing their stamp.',
];

export function renderMarkdown(conditions: Conditions, summaries: readonly Summary[], failures: readonly Failure[], searches: readonly SearchResult[]): string {
  const parts = ['# Kuroshio vs Janus: SFU fan-out', '', '```', conditionsText(conditions), '```', '', resultsTable(summaries), ''];
  if (failures.length > 0) parts.push('Not measured:', '', ...failures.map((f) => `- ${f.scenario}, ${SERVERS[f.server].label}: ${f.error}`), '');
  if (searches.length > 0) {
    parts.push(`Largest fan-out one core sustains with < ${percent(LOSS_LIMIT, 1)} loss (1 publisher at ~1.5 Mbit/s):`, '', ...searches.map(searchLine), '');
  }
  parts.push(...NOTES.map((n) => `- ${n}`), '', 'Diagnostics (interrupts: median share; counts: summed over the runs):', '', diagnosticsTable(summaries), '');
  return parts.join('\n');
}

/** Writes `<name>.md` and `<name>.json` under `dir`; returns their paths. */
export function writeResults(dir: string, name: string, markdown: string, data: unknown): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, `${name}.md`), join(dir, `${name}.json`)];
  writeFileSync(files[0]!, markdown);
  writeFileSync(files[1]!, `${JSON.stringify(data, null, 2)}\n`);
  return files;
}
