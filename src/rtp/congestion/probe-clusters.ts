/**
 * Probing: short clusters of packets sent at a chosen rate, whose arrival spacing shows whether
 * the path carries that rate. A sender that sends less than its link could carry (a viewer on a
 * low simulcast layer) learns nothing about the link from its media; a probe shows it at once
 * instead of the 8 % a second the rate controller would grow by.
 *
 * This file decides when to probe and at what rate, and measures each cluster from the feedback
 * on its packets (sent rate, received rate: the lower is what the path carried, and a received
 * rate clearly below the sent one means the probe filled the link).
 *
 * Links are often shaped by a token bucket, which lets a burst of a few kilobytes through at line
 * rate whatever the rate it holds to. A short probe fits in the bucket and shows a fast link that
 * is not there. So a cluster lasts 200 ms, at least 500 kbit/s above the estimate, and it is
 * measured on its tail: the packets of its last 40 %, sent after such a bucket (8 kB in our
 * tests) has run dry.
 */

export interface ProbeCluster {
  id: number;
  bps: number;
  /** Bytes to send in the cluster, media sent meanwhile included. */
  bytes: number;
  durationMs: number;
}

interface ClusterTrace {
  cluster: ProbeCluster;
  sentPackets: number;
  sentBytes: number;
  /** Per packet, in the order sent: send time, size and arrival time (NaN until reported or if lost). */
  sendMs: number[];
  bytes: number[];
  arrivalMs: number[];
  reported: number;
  received: number;
  closedMs: number;
}

const CLUSTER_MS = 200;
/** The share of a cluster (by send time, at its end) measured. */
const TAIL_SHARE = 0.4;
const MIN_CLUSTER_PACKETS = 5;
/** At start: probe at 3 times the start estimate (the link is unknown); further probes go on from there. */
const INITIAL_FACTORS = [3];
/** A probe that reached this share of its rate was not limited by the link: try twice as high. */
const FURTHER_PROBE_SHARE = 0.7;
/**
 * While sending clearly less than the estimate allows, probe this often, at twice the estimate;
 * after a probe that found the link full, half as often (each probe queues a little on a tight
 * link), until one finds room again.
 */
const PERIODIC_PROBE_MS = 3000;
const PERIODIC_PROBE_MAX_MS = 6000;
/** A probe goes at least this far above the rate it starts from (see the bucket above). */
const MIN_PROBE_STEP_BPS = 500_000;
const APP_LIMITED_SHARE = 0.75;
/** No periodic probe once the estimate exceeds what we send by this factor: enough is known. */
const ENOUGH_HEADROOM = 2.5;
const MAX_PROBE_BPS = 8_000_000;
/** A received rate below this share of the sent rate: the probe filled the link. */
const SATURATED_SHARE = 0.9;
const SATURATED_UTILISATION = 0.95;
const MIN_RECEIVED_SHARE = 0.8;
/** A cluster not fully reported this long after it ended is measured with what came. */
const REPORT_WAIT_MS = 1000;

export class ProbeClusters {
  private readonly queue: number[] = [];
  private readonly traces = new Map<number, ClusterTrace>();
  private nextId = 1;
  private lastProbeMs = Number.NEGATIVE_INFINITY;
  private periodMs = PERIODIC_PROBE_MS;
  private started = false;
  /** The last cluster measured: the rate it was sent at and what it showed. */
  lastResult: { bps: number; resultBps: number } | undefined;
  /** The cluster being sent, if any (every packet sent meanwhile belongs to it). */
  active: ClusterTrace | undefined;

  /** Whether the initial probes were sent and measured (or given up on). */
  get initialDone(): boolean {
    return this.started && this.queue.length === 0 && this.traces.size === 0 && !this.active;
  }

  /**
   * The next cluster to send now, if one is due: the initial ones, a further one after a probe
   * that the link carried, or a periodic one while we send less than the estimate allows.
   */
  due(nowMs: number, estimateBps: number, ackedBps: number): ProbeCluster | undefined {
    if (this.active) return undefined;
    if (!this.started) {
      this.started = true;
      for (const factor of INITIAL_FACTORS) this.queue.push(factor * estimateBps);
    }
    if (this.queue.length === 0 && this.traces.size === 0 && nowMs - this.lastProbeMs >= this.periodMs && this.wantsMore(estimateBps, ackedBps)) {
      this.queue.push(stepUp(estimateBps));
    }
    const bps = this.queue.shift();
    if (bps === undefined) return undefined;
    const capped = Math.min(bps, MAX_PROBE_BPS);
    const cluster = { id: this.nextId++, bps: capped, bytes: Math.max((capped * CLUSTER_MS) / 8000, MIN_CLUSTER_PACKETS * 250), durationMs: CLUSTER_MS };
    this.active = { cluster, sentPackets: 0, sentBytes: 0, sendMs: [], bytes: [], arrivalMs: [], reported: 0, received: 0, closedMs: Number.NaN };
    this.traces.set(cluster.id, this.active);
    this.lastProbeMs = nowMs;
    return cluster;
  }

  private wantsMore(estimateBps: number, ackedBps: number): boolean {
    return ackedBps > 0 && ackedBps < APP_LIMITED_SHARE * estimateBps && estimateBps < ENOUGH_HEADROOM * ackedBps && estimateBps < MAX_PROBE_BPS;
  }

  /**
   * A packet of the active cluster went out (its index in the cluster is returned, for feedback
   * to name it); `complete` then says whether the cluster has had its bytes.
   */
  sent(bytes: number, nowMs: number): number {
    const trace = this.active;
    if (!trace) return -1;
    trace.sentPackets++;
    trace.sentBytes += bytes;
    trace.sendMs.push(nowMs);
    trace.bytes.push(bytes);
    trace.arrivalMs.push(Number.NaN);
    return trace.sentPackets - 1;
  }

  get complete(): boolean {
    const trace = this.active;
    return !trace || (trace.sentBytes >= trace.cluster.bytes && trace.sentPackets >= MIN_CLUSTER_PACKETS);
  }

  /** The active cluster is over. */
  close(nowMs: number): void {
    if (this.active) this.active.closedMs = nowMs;
    this.active = undefined;
  }

  /** Feedback on packet `index` of cluster `id`: `arrivalMs` NaN when lost. */
  reported(id: number, index: number, arrivalMs: number): void {
    const trace = this.traces.get(id);
    if (!trace || index < 0 || index >= trace.sentPackets) return;
    trace.reported++;
    if (Number.isNaN(arrivalMs)) return;
    trace.received++;
    trace.arrivalMs[index] = arrivalMs;
  }

  /**
   * Measures the clusters whose feedback is complete (or overdue): returns the rate the best of
   * them showed the path carries, or undefined. A probe the link carried whole is followed by
   * one at twice its rate.
   */
  results(nowMs: number): number | undefined {
    let best: number | undefined;
    for (const [id, trace] of this.traces) {
      if (trace === this.active) continue;
      const complete = trace.reported >= trace.sentPackets;
      if (!complete && nowMs - trace.closedMs < REPORT_WAIT_MS) continue;
      this.traces.delete(id);
      const rate = measure(trace);
      if (rate === undefined) continue;
      this.lastResult = { bps: trace.cluster.bps, resultBps: rate };
      best = Math.max(best ?? 0, rate);
      const carried = rate >= FURTHER_PROBE_SHARE * trace.cluster.bps;
      this.periodMs = carried ? PERIODIC_PROBE_MS : Math.min(PERIODIC_PROBE_MAX_MS, this.periodMs * 2);
      if (carried && this.queue.length === 0 && stepUp(rate) <= MAX_PROBE_BPS) this.queue.push(stepUp(rate));
    }
    return best;
  }
}

function stepUp(bps: number): number {
  return Math.max(2 * bps, bps + MIN_PROBE_STEP_BPS);
}

/** What the tail of a cluster shows the path carries, or undefined if too little of it came. */
function measure(trace: ClusterTrace): number | undefined {
  if (trace.received < MIN_RECEIVED_SHARE * trace.sentPackets) return undefined;
  const first = trace.sendMs[0]!;
  const last = trace.sendMs[trace.sentPackets - 1]!;
  const tailFrom = last - TAIL_SHARE * (last - first);
  let start = trace.sendMs.findIndex((t) => t >= tailFrom);
  if (trace.sentPackets - start < MIN_CLUSTER_PACKETS) start = Math.max(0, trace.sentPackets - MIN_CLUSTER_PACKETS);
  let sentBytes = 0;
  let receivedBytes = 0;
  let firstArrival = Number.POSITIVE_INFINITY;
  let firstArrivalBytes = 0;
  let lastArrival = Number.NEGATIVE_INFINITY;
  for (let i = start; i < trace.sentPackets; i++) {
    if (i < trace.sentPackets - 1) sentBytes += trace.bytes[i]!;
    const arrival = trace.arrivalMs[i]!;
    if (Number.isNaN(arrival)) continue;
    receivedBytes += trace.bytes[i]!;
    if (arrival < firstArrival) {
      firstArrival = arrival;
      firstArrivalBytes = trace.bytes[i]!;
    }
    lastArrival = Math.max(lastArrival, arrival);
  }
  const sendMs = last - trace.sendMs[start]!;
  const arrivalMs = lastArrival - firstArrival;
  if (sendMs <= 0 || !(arrivalMs > 0)) return undefined;
  const sentBps = (sentBytes * 8000) / sendMs;
  const receivedBps = ((receivedBytes - firstArrivalBytes) * 8000) / arrivalMs;
  if (receivedBps < SATURATED_SHARE * sentBps) return SATURATED_UTILISATION * receivedBps;
  return Math.min(sentBps, receivedBps);
}
