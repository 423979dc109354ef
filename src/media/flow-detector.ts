/**
 * Media-flow detection: a stream is FLOWING from its first packet and NOT_FLOWING once no packet
 * has passed for a while. The per-packet cost is one counter increment; a single shared ticker
 * looks at the counters, and only while some stream is flowing.
 */
import type { MediaFlowState } from './types.js';

/** How long a stream may be silent before it counts as stopped. */
export const FLOW_TIMEOUT_MS = 2000;
const TICK_MS = 250;

const active = new Set<FlowDetector>();
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  for (const detector of active) detector.check();
  if (active.size === 0 && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

export class FlowDetector {
  private packets = 0;
  private seenAtLastCheck = 0;
  private silentTicks = 0;
  private state: MediaFlowState = 'NOT_FLOWING';

  constructor(private readonly onChange: (state: MediaFlowState) => void) {}

  get flowing(): boolean {
    return this.state === 'FLOWING';
  }

  /** Counts one packet; the first one after silence reports FLOWING at once. */
  mark(): void {
    this.packets++;
    if (this.state === 'FLOWING') return;
    this.state = 'FLOWING';
    this.silentTicks = 0;
    this.seenAtLastCheck = this.packets;
    active.add(this);
    ticker ??= setInterval(tick, TICK_MS).unref();
    this.onChange('FLOWING');
  }

  /** Called by the ticker. */
  check(): void {
    if (this.packets !== this.seenAtLastCheck) {
      this.seenAtLastCheck = this.packets;
      this.silentTicks = 0;
      return;
    }
    if (++this.silentTicks * TICK_MS >= FLOW_TIMEOUT_MS) this.stop();
  }

  /** Reports NOT_FLOWING now (the stream is known to have ended). */
  stop(): void {
    active.delete(this);
    if (this.state === 'NOT_FLOWING') return;
    this.state = 'NOT_FLOWING';
    this.onChange('NOT_FLOWING');
  }

  /** Forgets the detector without reporting anything (its element is gone). */
  dispose(): void {
    active.delete(this);
  }
}
