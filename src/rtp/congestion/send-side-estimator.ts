/**
 * Send-side bandwidth estimation for one peer, from its transport-wide feedback: what the path
 * to the peer carries, in the manner of Google Congestion Control. The delay trend
 * (`delay-trend.ts`) drives the rate controller (`aimd-rate.ts`); loss caps the result; probes
 * (`probe-clusters.ts`) raise it when we send less than the link could carry.
 *
 * It also measures the queueing delay of each packet (its one-way delay above the lowest seen in
 * the last 10 s), which is what congestion costs a viewer in latency.
 */
import type { TransportFeedback } from '../transport-feedback.js';
import { AimdRate } from './aimd-rate.js';
import { DelayTrend } from './delay-trend.js';
import { ProbeClusters, type ProbeCluster } from './probe-clusters.js';
import { SentPackets, type SentPacket } from './sent-packets.js';

export type { ProbeCluster };

const START_BPS = 300_000;
/** SRTP's authentication tag (10), UDP (8) and IPv4 (20) headers around each RTP packet. */
const PACKET_OVERHEAD_BYTES = 38;
/** The RTP header of what we send: 12 bytes, and the 8-byte block of the sequence number. */
const RTP_HEADER_BYTES = 20;
const PAYLOAD_SHARE_SMOOTHING = 0.01;
/**
 * Loss while the delay trend shows a queue overflowing is the queue's tail drop, which the delay
 * controller already answered; only loss without it (a policer, a lossy radio link) lowers the
 * loss cap. Otherwise each overflow is paid for twice, and the estimate falls far below the link.
 */
const OVERFLOW_MEMORY_MS = 1000;
const MIN_BPS = 30_000;
const MAX_BPS = 20_000_000;
/** The acknowledged rate is what arrived over this window. */
const ACKED_WINDOW_MS = 500;
/** Loss (RFC-style fractions over at least this many packets) above 10 % lowers the estimate, under 2 % lets it grow. */
const LOSS_MIN_PACKETS = 20;
const LOSS_HIGH = 0.1;
const LOSS_LOW = 0.02;
const LOSS_DECREASE_SPACING_MS = 300;
const LOSS_FLOOR_SHARE = 0.85;
/** The first estimate is given once the initial probes are measured, or after this long. */
const FIRST_ESTIMATE_MS = 1500;
const MIN_DELAY_BUCKET_MS = 1000;
const MIN_DELAY_BUCKETS = 10;

export class SendSideEstimator {
  private readonly sentPackets = new SentPackets();
  private readonly trend = new DelayTrend();
  private readonly rate = new AimdRate(START_BPS, MIN_BPS, MAX_BPS);
  private readonly probes = new ProbeClusters();
  private readonly packet: SentPacket = { sequence: 0, sendMs: 0, bytes: 0, cluster: -1, clusterIndex: -1 };
  /** Arrivals in the acknowledged-rate window: [arrival ms, bytes] pairs, oldest first. */
  private readonly arrivals: number[] = [];
  private arrivalBytes = 0;
  private lossLimitBps = Number.POSITIVE_INFINITY;
  private lossCounted = 0;
  private lossLost = 0;
  private lossDecreasedMs = Number.NEGATIVE_INFINITY;
  private overuseSeenMs = Number.NEGATIVE_INFINITY;
  private lossUpdatedMs = Number.NaN;
  private firstSendMs = Number.NaN;
  /** Lowest one-way delay (receiver clock minus ours) per second of the last ten. */
  private readonly minDelays: number[] = [];
  private minDelayBucketMs = Number.NEGATIVE_INFINITY;
  /** Queueing delay of the latest packet reported received, ms. */
  queueDelayMs = 0;
  /** Packets reported lost and received, since the start. */
  lostPackets = 0;
  receivedPackets = 0;

  /** The estimate in bits per second on the wire (headers included), once there is one worth acting on (0 before). */
  get estimateBps(): number {
    return this.ready ? Math.min(this.rate.estimateBps, this.lossLimitBps) : 0;
  }

  /**
   * The share of the estimate media payloads can use: what layers' and encoders' bitrates are
   * measured in (headers are 5 to 10 % of a video packet).
   */
  get payloadEstimateBps(): number {
    return this.estimateBps * this.payloadShare;
  }

  /** Payload bytes over wire bytes of the media packets sent, smoothed. */
  private payloadShare = 0.95;

  /** What arrived at the peer over the last half second, bps (0 before any feedback). */
  ackedBps = 0;

  private ready = false;

  /**
   * Records a packet of `bytes` (RTP, before SRTP) going out now; returns the transport-wide
   * sequence number to stamp on it. Rates count what the path carries: SRTP's tag, UDP and IP too.
   */
  onSent(rtpBytes: number, nowMs: number, padding = false): number {
    const bytes = rtpBytes + PACKET_OVERHEAD_BYTES;
    if (!padding) this.payloadShare += PAYLOAD_SHARE_SMOOTHING * (Math.max(0, rtpBytes - RTP_HEADER_BYTES) / bytes - this.payloadShare);
    if (Number.isNaN(this.firstSendMs)) this.firstSendMs = nowMs;
    const cluster = this.probes.active?.cluster.id ?? -1;
    const index = cluster < 0 ? -1 : this.probes.sent(bytes, nowMs);
    return this.sentPackets.add(nowMs, bytes, cluster, index);
  }

  /** The probe cluster to send now, if one is due. */
  probeDue(nowMs: number): ProbeCluster | undefined {
    return this.probes.due(nowMs, Math.min(this.rate.estimateBps, this.lossLimitBps), this.ackedBps);
  }

  /** Whether the cluster being sent has had its bytes (packets count as `onSent` records them). */
  get probeComplete(): boolean {
    return this.probes.complete;
  }

  probeClosed(nowMs: number): void {
    this.probes.close(nowMs);
  }

  /** Applies one feedback packet; returns whether the estimate may have changed. */
  onFeedback(feedback: TransportFeedback, rttMs: number, nowMs: number): boolean {
    const base = this.sentPackets.unwrap(feedback.baseSequence);
    let latestArrival = Number.NaN;
    for (let i = 0; i < feedback.arrivalMs.length; i++) {
      const arrival = feedback.arrivalMs[i]!;
      const state = this.sentPackets.lookup(base + i, this.packet);
      if (state === 'unknown' || state === 'received-before') continue;
      const received = !Number.isNaN(arrival);
      if (state === 'lost-before' && !received) continue;
      this.sentPackets.markReported(this.packet.sequence, received);
      if (this.packet.cluster >= 0) this.probes.reported(this.packet.cluster, this.packet.clusterIndex, arrival);
      if (!received) {
        this.lostPackets++;
        this.lossLost++;
        this.lossCounted++;
        continue;
      }
      this.receivedPackets++;
      this.lossCounted++;
      if (state === 'lost-before') this.lossLost = Math.max(0, this.lossLost - 1);
      this.trend.add(this.packet.sendMs, arrival);
      this.addArrival(arrival, this.packet.bytes);
      this.trackQueueDelay(arrival - this.packet.sendMs, nowMs);
      latestArrival = Number.isNaN(latestArrival) ? arrival : Math.max(latestArrival, arrival);
    }
    if (!Number.isNaN(latestArrival)) this.ackedBps = this.ackedRate(latestArrival);
    if (this.trend.signal === 'overusing') this.overuseSeenMs = nowMs;
    this.rate.update(this.trend.signal, this.ackedBps, rttMs, nowMs);
    const probed = this.probes.results(nowMs);
    if (probed !== undefined && this.trend.signal !== 'overusing' && probed > this.rate.estimateBps) {
      this.rate.set(probed);
      if (probed > this.lossLimitBps) this.lossLimitBps = probed;
    }
    this.updateLossLimit(rttMs, nowMs);
    if (!this.ready && (this.probes.initialDone || nowMs - this.firstSendMs >= FIRST_ESTIMATE_MS)) this.ready = true;
    return this.ready;
  }

  private addArrival(arrivalMs: number, bytes: number): void {
    this.arrivals.push(arrivalMs, bytes);
    this.arrivalBytes += bytes;
  }

  private ackedRate(latestArrivalMs: number): number {
    let oldest = 0;
    while (oldest < this.arrivals.length && this.arrivals[oldest]! < latestArrivalMs - ACKED_WINDOW_MS) {
      this.arrivalBytes -= this.arrivals[oldest + 1]!;
      oldest += 2;
    }
    if (oldest > 0) this.arrivals.splice(0, oldest);
    const span = this.arrivals.length > 0 ? latestArrivalMs - this.arrivals[0]! : 0;
    // Until half a second has arrived, the rate over what there is (at least 100 ms of it).
    return span < 100 ? this.ackedBps : (this.arrivalBytes * 8000) / span;
  }

  private updateLossLimit(rttMs: number, nowMs: number): void {
    const elapsedMs = Number.isNaN(this.lossUpdatedMs) ? 0 : Math.min(nowMs - this.lossUpdatedMs, 1000);
    if (this.lossCounted < LOSS_MIN_PACKETS) return;
    this.lossUpdatedMs = nowMs;
    const loss = this.lossLost / this.lossCounted;
    this.lossCounted = 0;
    this.lossLost = 0;
    const current = Math.min(this.rate.estimateBps, this.lossLimitBps);
    if (loss > LOSS_HIGH) {
      const overflowing = nowMs - this.overuseSeenMs < OVERFLOW_MEMORY_MS;
      if (!overflowing && nowMs - this.lossDecreasedMs >= LOSS_DECREASE_SPACING_MS + rttMs) {
        // Never below what got through: on a link we flood (a sender not yet told the estimate),
        // what arrives is the link's rate, however much was lost.
        this.lossLimitBps = Math.max(MIN_BPS, current * (1 - loss / 2), LOSS_FLOOR_SHARE * this.ackedBps);
        this.lossDecreasedMs = nowMs;
      }
    } else if (loss < LOSS_LOW && Number.isFinite(this.lossLimitBps)) {
      this.lossLimitBps *= 1.08 ** (elapsedMs / 1000);
      if (this.lossLimitBps >= this.rate.estimateBps) this.lossLimitBps = Number.POSITIVE_INFINITY;
    }
  }

  /** The estimator's state, for logs and benchmarks. */
  snapshot(): Record<string, number | string> {
    const kbps = (bps: number): number => Math.round(bps / 1000);
    return {
      estimateKbps: kbps(this.estimateBps), payloadKbps: kbps(this.payloadEstimateBps), delayBasedKbps: kbps(this.rate.estimateBps), lossLimitKbps: Number.isFinite(this.lossLimitBps) ? kbps(this.lossLimitBps) : -1,
      ackedKbps: kbps(this.ackedBps), signal: this.trend.signal, trend: Number(this.trend.modifiedTrend.toFixed(1)), queueDelayMs: Math.round(this.queueDelayMs),
      lost: this.lostPackets, received: this.receivedPackets,
      lastProbe: this.probes.lastResult ? `${kbps(this.probes.lastResult.bps)}->${kbps(this.probes.lastResult.resultBps)}` : '',
    };
  }

  /** One-way delay above the lowest of the last ten seconds: the time the packet queued. */
  private trackQueueDelay(oneWayMs: number, nowMs: number): void {
    if (nowMs - this.minDelayBucketMs >= MIN_DELAY_BUCKET_MS) {
      this.minDelayBucketMs = nowMs;
      this.minDelays.push(oneWayMs);
      if (this.minDelays.length > MIN_DELAY_BUCKETS) this.minDelays.shift();
    } else if (oneWayMs < this.minDelays[this.minDelays.length - 1]!) {
      this.minDelays[this.minDelays.length - 1] = oneWayMs;
    }
    this.queueDelayMs = oneWayMs - Math.min(...this.minDelays);
  }
}
