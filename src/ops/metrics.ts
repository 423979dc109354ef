/**
 * The server's Prometheus metrics, exposed in the text format by `prom-client`.
 *
 * Everything is read when the endpoint is scraped, never counted on the media path: the control
 * process's own figures (sessions, connections, objects by type, JSON-RPC requests) from its
 * state, and each media worker's (process, RTP counters, decoders and encoders) by one `metrics`
 * request per worker per scrape. A worker that does not answer in time is left out of that scrape
 * rather than holding it up.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MediaServer } from '../control/media-server.js';
import type { MediaWorker } from '../control/media-worker.js';
import type { WorkerMetrics } from '../ipc/protocol.js';
import type { Logger } from '../log.js';

/** How long a scrape waits for a worker's figures. */
const WORKER_METRICS_TIMEOUT_MS = 2_000;

/** Buckets of the JSON-RPC latency histogram, in seconds: sub-millisecond to a slow SDP negotiation. */
const RPC_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsSources {
  media: MediaServer;
  /** WebSocket connections open now. */
  connections(): number;
}

/**
 * Gives a counter the value of a total kept elsewhere (a worker's cumulative count), in its
 * `collect` after a `reset()`: prom-client counters have no `set`.
 */
function setCounter<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string | number>>, value: number): void {
  counter.inc(labels, value);
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly rpcRequests: Counter<'method'>;
  private readonly rpcErrors: Counter<'method' | 'code'>;
  private readonly rpcLatency: Histogram<'method'>;
  /** Figures of each worker from the current scrape. */
  private workerFigures = new Map<MediaWorker, WorkerMetrics>();
  private processMetricsOn = false;

  constructor(
    private readonly sources: MetricsSources,
    private readonly log: Logger,
  ) {
    const registers = [this.registry];
    this.rpcRequests = new Counter({ name: 'kuroshio_rpc_requests_total', help: 'JSON-RPC requests answered, by method', labelNames: ['method'], registers });
    this.rpcErrors = new Counter({ name: 'kuroshio_rpc_errors_total', help: 'JSON-RPC requests answered with an error, by method and error code', labelNames: ['method', 'code'], registers });
    this.rpcLatency = new Histogram({ name: 'kuroshio_rpc_request_duration_seconds', help: 'Time to answer a JSON-RPC request, by method', labelNames: ['method'], buckets: RPC_LATENCY_BUCKETS, registers });
    this.defineServerGauges();
    this.defineWorkerMetrics();
  }

  /** The dispatcher's request observer (see `RpcDispatcher`). */
  readonly observeRequest = (method: string, seconds: number, errorCode: number | undefined): void => {
    this.rpcRequests.inc({ method });
    this.rpcLatency.observe({ method }, seconds);
    if (errorCode !== undefined) this.rpcErrors.inc({ method, code: String(errorCode) });
  };

  /** The exposition text of every metric, after asking the workers for their figures. */
  async render(): Promise<string> {
    this.collectProcessMetrics();
    await this.refreshWorkers();
    return this.registry.metrics();
  }

  /**
   * prom-client's process and Node.js metrics, from the first scrape on: their event-loop lag
   * monitor wakes the process 100 times a second, which cost an idle control process more CPU
   * than everything else it does (7 ms/s in all, 3 without them). A server nobody scrapes pays
   * nothing; the lag and GC histograms count from the first scrape.
   */
  private collectProcessMetrics(): void {
    if (this.processMetricsOn) return;
    this.processMetricsOn = true;
    collectDefaultMetrics({ register: this.registry });
    // These three are gauges named like counters, which Prometheus' linter (promtool) refuses;
    // the handle and request counts they give are of no use for a media server anyway.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async refreshWorkers(): Promise<void> {
    const figures = new Map<MediaWorker, WorkerMetrics>();
    await Promise.all(
      this.sources.media.workers.map(async (worker) => {
        if (!worker.isReady) return;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), WORKER_METRICS_TIMEOUT_MS)));
        try {
          const result = await Promise.race([worker.request('metrics', {}), timeout]);
          if (result) figures.set(worker, result);
          else this.log.warn('media worker did not report its metrics in time', { worker: worker.index, timeoutMs: WORKER_METRICS_TIMEOUT_MS });
        } catch (err) {
          // A worker that died meanwhile has nothing to report; its slot shows as down.
          this.log.debug('media worker metrics unavailable', { worker: worker.index, error: (err as Error).message });
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    this.workerFigures = figures;
  }

  private defineServerGauges(): void {
    const registers = [this.registry];
    const media = this.sources.media;
    new Gauge({
      name: 'kuroshio_sessions', help: 'Kurento sessions known to the server', registers,
      collect() { this.set(media.sessions.size); },
    });
    const sources = this.sources;
    new Gauge({
      name: 'kuroshio_websocket_connections', help: 'Open WebSocket connections of clients', registers,
      collect() { this.set(sources.connections()); },
    });
    new Gauge({
      name: 'kuroshio_pipelines', help: 'Media pipelines alive', registers,
      collect() { this.set(media.registry.all().filter((o) => !o.released && o.worker && !o.parent).length); },
    });
    new Gauge({
      name: 'kuroshio_elements', help: 'Media elements alive, by type', labelNames: ['type'], registers,
      collect() {
        this.reset();
        for (const o of media.registry.all()) if (!o.released && o.parent) this.inc({ type: o.cls.name });
      },
    });
    new Gauge({
      name: 'kuroshio_filters_active', help: 'Filters (elements deriving from Filter) alive', registers,
      collect() { this.set(media.registry.all().filter((o) => !o.released && media.catalog.isA(o.cls, 'Filter')).length); },
    });
  }

  private defineWorkerMetrics(): void {
    const registers = [this.registry];
    const media = this.sources.media;
    const figures = (): Map<MediaWorker, WorkerMetrics> => this.workerFigures;
    const worker = 'worker';
    new Gauge({
      name: 'kuroshio_worker_up', help: 'Whether each media worker slot has a worker ready (1) or not (0)', labelNames: [worker], registers,
      collect() {
        for (const w of media.workers) this.set({ worker: w.index }, w.isReady ? 1 : 0);
      },
    });
    new Counter({
      name: 'kuroshio_worker_restarts_total', help: 'Media workers started to replace one that died, by slot', labelNames: [worker], registers,
      collect() {
        this.reset();
        media.workerRestarts.forEach((n, index) => setCounter(this, { worker: index }, n));
      },
    });
    new Gauge({
      name: 'kuroshio_worker_pipelines', help: 'Media pipelines placed on each media worker', labelNames: [worker], registers,
      collect() {
        for (const w of media.workers) this.set({ worker: w.index }, w.isAlive ? w.pipelines : 0);
      },
    });
    /** A metric whose value per worker is read from that worker's figures. */
    const perWorker = (kind: 'gauge' | 'counter', name: string, help: string, read: (m: WorkerMetrics) => number): void => {
      const collect = function (this: Gauge<'worker'> | Counter<'worker'>): void {
        this.reset();
        for (const [w, m] of figures()) {
          if (this instanceof Gauge) this.set({ worker: w.index }, read(m));
          else setCounter(this, { worker: w.index }, read(m));
        }
      };
      if (kind === 'gauge') new Gauge({ name, help, labelNames: [worker], registers, collect });
      else new Counter({ name, help, labelNames: [worker], registers, collect });
    };
    perWorker('counter', 'kuroshio_worker_cpu_seconds_total', 'CPU time (user and system) used by each media worker, in seconds', (m) => m.cpuSeconds);
    perWorker('gauge', 'kuroshio_worker_resident_memory_bytes', 'Resident memory of each media worker, in bytes', (m) => m.rssBytes);
    perWorker('gauge', 'kuroshio_worker_heap_used_bytes', 'JavaScript heap used by each media worker, in bytes', (m) => m.heapUsedBytes);
    perWorker('gauge', 'kuroshio_transcoders_active', 'Encoders of the decoded-media layer running in each media worker', (m) => m.encoders);
    perWorker('gauge', 'kuroshio_decoders_active', 'Decoders of the decoded-media layer running in each media worker', (m) => m.decoders);
    new Gauge({
      name: 'kuroshio_worker_event_loop_delay_seconds', help: 'Event-loop delay of each media worker since the previous scrape (mean, p99, max)', labelNames: [worker, 'stat'], registers,
      collect() {
        this.reset();
        for (const [w, m] of figures()) for (const stat of ['mean', 'p99', 'max'] as const) this.set({ worker: w.index, stat }, m.eventLoopDelay[stat]);
      },
    });
    /** An RTP counter per worker and media kind, optionally split by direction. */
    const rtpCounter = (name: string, help: string, split: { label: string; values: Record<string, (t: WorkerMetrics['rtp']['AUDIO']) => number> }): void => {
      new Counter({
        name, help, labelNames: [worker, 'kind', split.label], registers,
        collect() {
          this.reset();
          for (const [w, m] of figures()) {
            for (const kind of ['AUDIO', 'VIDEO'] as const) {
              for (const [value, read] of Object.entries(split.values)) setCounter(this, { worker: w.index, kind: kind.toLowerCase(), [split.label]: value }, read(m.rtp[kind]));
            }
          }
        },
      });
    };
    rtpCounter('kuroshio_rtp_packets_total', 'RTP packets received from peers (in) and sent to them (out)', { label: 'direction', values: { in: (t) => t.packetsIn, out: (t) => t.packetsOut } });
    rtpCounter('kuroshio_rtp_bytes_total', 'RTP payload bytes received from peers (in) and sent to them (out)', { label: 'direction', values: { in: (t) => t.bytesIn, out: (t) => t.bytesOut } });
    rtpCounter('kuroshio_rtp_packets_lost_total', 'RTP packets peers sent that never arrived', { label: 'direction', values: { in: (t) => t.packetsLost } });
    rtpCounter('kuroshio_rtcp_nacks_total', 'NACK messages sent to peers and received from them', { label: 'direction', values: { sent: (t) => t.nacksSent, received: (t) => t.nacksReceived } });
    rtpCounter('kuroshio_rtcp_plis_total', 'Picture loss indications (keyframe requests) received from peers', { label: 'direction', values: { received: (t) => t.plisReceived } });
    rtpCounter('kuroshio_keyframes_requested_total', 'Keyframes requested from peers (PLI sent)', { label: 'direction', values: { sent: (t) => t.plisSent } });
  }
}
