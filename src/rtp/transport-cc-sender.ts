/**
 * Transport-wide congestion control on what an RTP session sends to its peer: every video packet
 * carries a transport-wide sequence number (the header extension the peer negotiated), the
 * peer's feedback on them feeds the send-side estimator, and probe clusters of padding go out
 * when the estimator asks for them, paced over 5 ms ticks.
 *
 * The session builds and sends the packets; this decides the numbers, the probes and the
 * estimate it reports.
 */
import { createLogger } from '../log.js';
import { SendSideEstimator, type ProbeCluster } from './congestion/send-side-estimator.js';
import { writeSequenceExtension } from './rtp-header.js';
import type { TransportFeedback } from './transport-feedback.js';

const log = createLogger('bwe');
/** At trace level, the estimator's state this often per peer. */
const LOG_INTERVAL_MS = 250;
const PROBE_TICK_MS = 5;
/** How often the session's sends look for a due probe (a time compare per packet otherwise). */
const PROBE_CHECK_MS = 100;
/** A change of the estimate smaller than this is not reported, unless a second went by. */
const REPORT_CHANGE = 0.05;
const REPORT_REFRESH_MS = 1000;

export interface TransportCcPeer {
  /** Builds, stamps (through `stamp`) and sends one padding packet; returns its size, 0 if none can go. */
  sendPadding(): number;
  /** The round-trip time to the peer, ms. */
  roundTripTimeMs(): number;
  /** The estimate changed enough to tell (bits per second of media payload). */
  estimate(bps: number): void;
}

export class TransportCcSender {
  readonly estimator = new SendSideEstimator();
  private nextProbeCheckMs = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private reportedBps = 0;
  private reportedAtMs = 0;
  private closed = false;
  private loggedAtMs = 0;

  constructor(
    readonly extensionId: number,
    private readonly peer: TransportCcPeer,
  ) {}

  /**
   * Numbers a packet about to be sent, whose extension block room is right after its fixed
   * header (`SEQUENCE_EXTENSION_BYTES`), and records it.
   */
  stamp(packet: Buffer, length: number, nowMs: number, padding = false): void {
    writeSequenceExtension(packet, this.extensionId, this.estimator.onSent(length, nowMs, padding));
    if (this.probeTimer && this.estimator.probeComplete) this.endProbe(nowMs);
  }

  /** Called as packets go out: starts a probe when the estimator wants one. */
  maybeProbe(nowMs: number): void {
    if (nowMs < this.nextProbeCheckMs || this.probeTimer || this.closed) return;
    this.nextProbeCheckMs = nowMs + PROBE_CHECK_MS;
    const cluster = this.estimator.probeDue(nowMs);
    if (cluster) this.startProbe(cluster, nowMs);
  }

  onFeedback(feedback: TransportFeedback, nowMs: number): void {
    const ready = this.estimator.onFeedback(feedback, this.peer.roundTripTimeMs(), nowMs);
    if (nowMs - this.loggedAtMs >= LOG_INTERVAL_MS) {
      this.loggedAtMs = nowMs;
      log.trace('estimate', this.estimator.snapshot());
    }
    if (!ready) return;
    // In payload terms, as the layers' bitrates and the publisher's encoder count.
    const bps = this.estimator.payloadEstimateBps;
    const changed = Math.abs(bps - this.reportedBps) > REPORT_CHANGE * this.reportedBps;
    if (changed || nowMs - this.reportedAtMs >= REPORT_REFRESH_MS) {
      this.reportedBps = bps;
      this.reportedAtMs = nowMs;
      this.peer.estimate(bps);
    }
  }

  close(): void {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  /** Sends the cluster's bytes at its rate, tick by tick; media sent meanwhile counts towards them. */
  private startProbe(cluster: ProbeCluster, startMs: number): void {
    let budget = 0;
    let lastTickMs = startMs;
    const tick = (): void => {
      const now = Date.now();
      if (now - startMs > cluster.durationMs * 3) {
        this.endProbe(now); // media alone never filled it, and padding cannot go: give up
        return;
      }
      budget += (cluster.bps * Math.max(now - lastTickMs, PROBE_TICK_MS)) / 8000;
      lastTickMs = now;
      while (budget > 0 && this.probeTimer) {
        const sent = this.peer.sendPadding();
        if (sent === 0) {
          this.endProbe(now);
          return;
        }
        budget -= sent;
      }
    };
    this.probeTimer = setInterval(tick, PROBE_TICK_MS);
    this.probeTimer.unref();
    tick();
  }

  private endProbe(nowMs: number): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.estimator.probeClosed(nowMs);
  }
}
