/**
 * What the console remembers of one element: its flows and transcoding state (from the events it
 * raises), its links and transcoding branches (from its latest stats), a sample per second of
 * bitrate, frame rate, packet loss and round-trip time over the last five minutes (differences of
 * its getStats counters), and its last events.
 */

/** getStats's answer: entries by id, each with its `type` (inboundrtp, outboundrtp, element...). */
export type StatsMap = Record<string, Record<string, unknown> & { type?: string }>;

export interface ElementSample {
  /** Milliseconds since the epoch. */
  t: number;
  inKbps: number;
  outKbps: number;
  /** Video frames per second: received from the peer, or sent to it when it sends nothing. */
  fps: number;
  /** Share of the peer's packets lost since the previous sample, in percent. */
  lossPercent: number;
  roundTripMs: number;
}

export interface LoggedEvent {
  t: number;
  type: string;
  data: Record<string, unknown>;
}

// ---- what the console's API answers (console/app.ts reads these types too) ----------------------

/** A link out of an element, from the `links` extension of its ElementStats. */
export interface LinkView {
  source: string;
  sink: string;
  type: 'AUDIO' | 'VIDEO' | 'DATA';
  sourceDescription: string;
  sinkDescription: string;
  codec?: string;
  route: 'direct' | 'transcoded' | 'decoded' | 'none';
}

/** The decoded-media layer of one source pad, from the `mediaProcessing` extension. */
export interface PadProcessingView {
  mediaType: string;
  description: string;
  decoder?: { codec?: string };
  encoders: { codec: string; targetBitrate: number }[];
}

/** One element as the page draws it (`/console/api/state`). */
export interface ElementView {
  id: string;
  type: string;
  name: string;
  /** Pads (`VIDEO/default`) whose media flows now. */
  flowingIn: string[];
  flowingOut: string[];
  transcoding: string[];
  links: LinkView[];
  processing: PadProcessingView[];
  latest: ElementSample | undefined;
}

export interface ConsoleState {
  time: number;
  pipelines: { id: string; name: string; worker?: number; elements: ElementView[] }[];
}

/** One element's plots and event log (`/console/api/element`). */
export interface ElementDetails {
  id: string;
  type: string;
  samples: ElementSample[];
  events: LoggedEvent[];
}

/** Five minutes at one sample a second. */
const MAX_SAMPLES = 300;
const MAX_EVENTS = 100;

interface Totals {
  t: number;
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  packetsIn: number;
  lost: number;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export class ElementHistory {
  readonly samples: ElementSample[] = [];
  readonly events: LoggedEvent[] = [];
  links: LinkView[] = [];
  processing: PadProcessingView[] = [];
  private readonly flows = new Map<string, boolean>();
  private readonly transcoding = new Map<string, boolean>();
  private previous: Totals | undefined;

  onEvent(type: string, data: Record<string, unknown>, t: number): void {
    this.events.push({ t, type, data });
    if (this.events.length > MAX_EVENTS) this.events.shift();
    const pad = `${String(data.mediaType)}/${String(data.padName ?? data.binName ?? 'default')}`;
    if (type === 'MediaFlowInStateChanged') this.flows.set(`in:${pad}`, data.state === 'FLOWING');
    else if (type === 'MediaFlowOutStateChanged') this.flows.set(`out:${pad}`, data.state === 'FLOWING');
    else if (type === 'MediaTranscodingStateChanged') this.transcoding.set(pad, data.state === 'TRANSCODING');
  }

  /** Pads (`VIDEO/default`) of a direction whose media flows now. */
  flowing(direction: 'in' | 'out'): string[] {
    return [...this.flows].filter(([key, on]) => on && key.startsWith(`${direction}:`)).map(([key]) => key.slice(direction.length + 1));
  }

  transcodingPads(): string[] {
    return [...this.transcoding].filter(([, on]) => on).map(([pad]) => pad);
  }

  onStats(stats: StatsMap, t: number): void {
    const now: Totals = { t, bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0, packetsIn: 0, lost: 0 };
    let roundTrip = 0;
    for (const entry of Object.values(stats)) {
      const video = String(entry.id ?? '').includes('VIDEO');
      if (entry.type === 'inboundrtp') {
        now.bytesIn += num(entry.bytesReceived);
        now.packetsIn += num(entry.packetsReceived);
        now.lost += num(entry.packetsLost);
        if (video) now.framesIn += num(entry.framesReceived);
      } else if (entry.type === 'outboundrtp') {
        now.bytesOut += num(entry.bytesSent);
        if (video) now.framesOut += num(entry.framesSent);
        roundTrip = Math.max(roundTrip, num(entry.roundTripTime));
      } else if (entry.type === 'element') {
        this.links = Array.isArray(entry.links) ? (entry.links as LinkView[]) : [];
        this.processing = Array.isArray(entry.mediaProcessing) ? (entry.mediaProcessing as PadProcessingView[]) : [];
      }
    }
    const before = this.previous;
    this.previous = now;
    if (!before) return;
    const seconds = (now.t - before.t) / 1000;
    if (seconds <= 0) return;
    // Counters restart when a stream does: a negative difference counts as nothing.
    const rate = (a: number, b: number): number => Math.max(0, a - b) / seconds;
    const framesIn = rate(now.framesIn, before.framesIn);
    const lost = Math.max(0, now.lost - before.lost);
    const received = Math.max(0, now.packetsIn - before.packetsIn);
    this.samples.push({
      t,
      inKbps: (rate(now.bytesIn, before.bytesIn) * 8) / 1000,
      outKbps: (rate(now.bytesOut, before.bytesOut) * 8) / 1000,
      fps: framesIn > 0 ? framesIn : rate(now.framesOut, before.framesOut),
      lossPercent: lost + received > 0 ? (100 * lost) / (lost + received) : 0,
      roundTripMs: roundTrip * 1000,
    });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }
}
