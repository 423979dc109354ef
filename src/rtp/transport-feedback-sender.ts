/**
 * Transport-wide feedback on what a peer sends us: the arrival time of each packet carrying a
 * transport-wide sequence number, reported every 100 ms (RTCP RTPFB FMT 15), so that the peer's
 * own send-side estimator (a browser's Google Congestion Control) can pace its encoder to its
 * uplink. The timer runs only while packets come.
 */
import { performance } from 'node:perf_hooks';
import { buildTransportFeedback } from './transport-feedback.js';

const CAPACITY = 4096;
const MASK = CAPACITY - 1;
const FEEDBACK_INTERVAL_MS = 100;
/** Statuses per feedback packet: its chunks and deltas stay well inside one datagram. */
const MAX_STATUSES = 400;

export class TransportFeedbackSender {
  private readonly arrivals = new Float64Array(CAPACITY).fill(Number.NaN);
  /** The unwrapped sequence number of the first packet not reported yet, once one came. */
  private nextToReport: number | undefined;
  private highest = -1;
  private feedbackCount = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly senderSsrc: () => number,
    private readonly send: (packets: Buffer[]) => void,
  ) {}

  /** A packet arrived now carrying this 16-bit transport-wide sequence number. */
  received(seq16: number): void {
    const now = performance.now();
    const sequence = this.highest < 0 ? seq16 : this.unwrap(seq16);
    if (this.nextToReport === undefined) this.nextToReport = sequence;
    if (sequence < this.nextToReport) return; // reported already (as lost): too late to say otherwise
    if (sequence - this.nextToReport >= CAPACITY) {
      this.flush(); // a jump: report what there is, then start from here
      this.nextToReport = sequence;
    }
    this.arrivals[sequence & MASK] = now;
    if (sequence > this.highest) this.highest = sequence;
    if (!this.timer) {
      this.timer = setInterval(() => this.flush(), FEEDBACK_INTERVAL_MS);
      this.timer.unref();
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private unwrap(seq16: number): number {
    const delta = ((seq16 - (this.highest & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    return this.highest + delta;
  }

  /** Reports every packet from the first unreported one to the highest seen; stops the timer when idle. */
  private flush(): void {
    if (this.nextToReport === undefined || this.highest < this.nextToReport) {
      this.close();
      return;
    }
    const packets: Buffer[] = [];
    while (this.nextToReport <= this.highest) {
      const count = Math.min(MAX_STATUSES, this.highest - this.nextToReport + 1);
      const times = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const slot = (this.nextToReport + i) & MASK;
        times[i] = this.arrivals[slot]!;
        this.arrivals[slot] = Number.NaN;
      }
      packets.push(buildTransportFeedback(this.senderSsrc(), 0, this.nextToReport & 0xffff, this.feedbackCount++, times));
      this.nextToReport += count;
    }
    for (const packet of packets) this.send([packet]);
  }
}
