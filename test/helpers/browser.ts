/**
 * Headless Debian Chromium for media tests, driven by playwright-core (which never downloads a
 * browser of its own: we point it at /usr/bin/chromium). Fake camera and microphone, loopback ICE
 * allowed, a throwaway profile directory. Every page gets test/pages/instrument.js injected, so
 * WebRTC stats and <video> state can be read from any page, including the examples'.
 *
 * PeerPage drives test/pages/peer.html: the test process plays the application server and moves
 * SDP and ICE candidates between the page and the media server (or another page).
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PAGES_DIR } from './page-server.js';
import { pollUntil } from './poll.js';

// Re-exported: browser tests wait on page stats with it.
export { pollUntil };

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags from DESIGN.md §5; headless mode itself is Playwright's `headless` option. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Without it Chromium drops 127.0.0.1 candidates, and every test here runs on loopback.
  '--allow-loopback-in-peer-connection',
  // Pages analyse remote sound with WebAudio, which stays suspended without a user gesture otherwise.
  '--autoplay-policy=no-user-gesture-required',
];


// ---- Shapes of the JSON that instrument.js and peer.js return (keep in step with them) ----

export interface InboundRtpStats {
  kind: 'audio' | 'video';
  mid?: string;
  codec?: string;
  packetsReceived?: number;
  packetsLost?: number;
  bytesReceived?: number;
  framesReceived?: number;
  framesDecoded?: number;
  keyFramesDecoded?: number;
  frameWidth?: number;
  frameHeight?: number;
  framesPerSecond?: number;
  totalSamplesReceived?: number;
  audioLevel?: number;
  nackCount?: number;
  pliCount?: number;
  firCount?: number;
}

export interface OutboundRtpStats {
  kind: 'audio' | 'video';
  mid?: string;
  rid?: string;
  codec?: string;
  packetsSent?: number;
  bytesSent?: number;
  framesEncoded?: number;
  framesSent?: number;
  frameWidth?: number;
  frameHeight?: number;
  framesPerSecond?: number;
  targetBitrate?: number;
  qualityLimitationReason?: string;
}

export interface CandidateStats {
  candidateType?: string;
  protocol?: string;
  address?: string;
  port?: number;
  relayProtocol?: string;
  tcpType?: string;
}

export interface PeerConnectionStats {
  connectionState: string;
  iceConnectionState: string;
  signalingState: string;
  inbound: InboundRtpStats[];
  outbound: OutboundRtpStats[];
  candidatePair: {
    state?: string;
    currentRoundTripTime?: number;
    availableOutgoingBitrate?: number;
    local?: CandidateStats;
    remote?: CandidateStats;
  } | null;
  dataChannels: { label?: string; state?: string; messagesSent?: number; messagesReceived?: number }[];
}

export interface VideoState {
  videoWidth: number;
  videoHeight: number;
  currentTime: number;
  paused: boolean;
  readyState: number;
  hasSource: boolean;
  totalVideoFrames: number;
}

export const inboundVideo = (s: PeerConnectionStats): InboundRtpStats | undefined => s.inbound.find((r) => r.kind === 'video');
export const inboundAudio = (s: PeerConnectionStats): InboundRtpStats | undefined => s.inbound.find((r) => r.kind === 'audio');
export const outboundVideo = (s: PeerConnectionStats): OutboundRtpStats | undefined => s.outbound.find((r) => r.kind === 'video');

/** What the page's instrument.js installs on window. */
interface HarnessWindow {
  __harness: { stats(): Promise<PeerConnectionStats[]>; video(selector: string): VideoState | null };
}

/** Events peer.js pushes to the test through the exposed `__harnessEmit`. */
export type PeerEvent =
  | { type: 'icecandidate'; candidate: IceCandidateInit }
  | { type: 'gatheringdone' }
  | { type: 'connectionstate'; state: string }
  | { type: 'datachannelopen'; label: string }
  | { type: 'datachannelmessage'; label: string; data: string };

export class TestPage {
  /** Console errors and uncaught exceptions of the page, for tests to assert there were none. */
  readonly consoleErrors: string[] = [];
  /** Every console line, to print when a test fails. */
  readonly consoleLog: string[] = [];
  protected readonly listeners = new Set<(event: PeerEvent) => void>();

  constructor(readonly page: Page) {
    page.on('console', (message) => {
      const line = `${message.type()}: ${message.text()}`;
      this.consoleLog.push(line);
      if (message.type() === 'error') this.consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => {
      this.consoleLog.push(`pageerror: ${error.message}`);
      this.consoleErrors.push(error.message);
    });
  }

  /** Opens `url` in a new tab of the context; events from the page start flowing before it loads. */
  static async open<P extends TestPage>(this: new (page: Page) => P, context: BrowserContext, url: string): Promise<P> {
    const page = await context.newPage();
    const opened = new this(page);
    await page.exposeFunction('__harnessEmit', (event: PeerEvent) => opened.dispatch(event));
    await page.goto(url);
    return opened;
  }

  protected dispatch(event: PeerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  onEvent(listener: (event: PeerEvent) => void): void {
    this.listeners.add(listener);
  }

  /** page.evaluate for JSON-serialisable arguments (Playwright's own typing unboxes handles). */
  evaluate<R, A>(pageFunction: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
    return this.page.evaluate(pageFunction as (arg: unknown) => R | Promise<R>, arg);
  }

  /** Evaluates `pageFunction` in the page every 100 ms until `predicate` holds for its result. */
  waitFor<T>(pageFunction: () => T | Promise<T>, predicate: (value: T) => boolean, timeoutMs = 10_000, description?: string): Promise<T> {
    return pollUntil(() => this.page.evaluate(pageFunction) as Promise<T>, predicate, timeoutMs, description);
  }

  /** Stats of every peer connection the page has negotiated (whatever library created it). */
  stats(): Promise<PeerConnectionStats[]> {
    return this.page.evaluate(() => (globalThis as unknown as HarnessWindow).__harness.stats());
  }

  /** Polls the stats of the page's peer connections until `predicate` holds. */
  waitForStats(predicate: (stats: PeerConnectionStats[]) => boolean, timeoutMs = 10_000, description = 'peer connection stats'): Promise<PeerConnectionStats[]> {
    return pollUntil(() => this.stats(), predicate, timeoutMs, description);
  }

  video(selector: string): Promise<VideoState | null> {
    return this.page.evaluate((s) => (globalThis as unknown as HarnessWindow).__harness.video(s), selector);
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface PeerOptions {
  direction?: 'sendrecv' | 'sendonly' | 'recvonly';
  audio?: boolean;
  /** true, or getUserMedia video constraints. */
  video?: boolean | Record<string, unknown>;
  /** Restrict video to this codec (through RTCRtpTransceiver.setCodecPreferences). */
  codec?: 'VP8' | 'VP9' | 'H264' | 'AV1';
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
  iceTransportPolicy?: 'all' | 'relay';
  bundlePolicy?: 'balanced' | 'max-bundle' | 'max-compat';
  /** Hand out no UDP candidates (ICE-TCP tests). */
  tcpOnly?: boolean;
  /** Wait for ICE gathering and put every candidate in the SDP instead of trickling. */
  nonTrickle?: boolean;
  /** Label of a data channel to create before the offer. */
  dataChannel?: string;
  /** Restrict audio to this codec (through RTCRtpTransceiver.setCodecPreferences). */
  audioCodec?: 'opus' | 'PCMU' | 'PCMA' | 'G722';
  /**
   * Send a picture and sound the test knows instead of the fake devices: one colour fills the
   * picture, two make left and right halves, three or four make quadrants (row by row); `tone`
   * is a sine in Hz, at `toneGain` of full scale (1 by default: several mixed together clip).
   */
  synthetic?: { colors?: string[]; tone?: number; toneGain?: number; width?: number; height?: number; frameRate?: number };
  /** Send video as one SVC encoding in this scalability mode (e.g. 'L3T3_KEY' with VP9). */
  scalabilityMode?: string;
  /** Send video as this many simulcast layers in the legacy form (`a=ssrc-group:SIM` put into the offer). */
  legacySimulcast?: number;
  /** Send video as simulcast layers: the sender's encodings (rid, scaleResolutionDownBy, maxBitrate). */
  simulcast?: { rid: string; scaleResolutionDownBy?: number; maxBitrate?: number }[];
}

/** The remote sound as the page analyses it. */
export interface RemoteTones {
  /** Level in dB at each frequency asked for. */
  levels: number[];
  /** The loudest frequency between 100 Hz and 8 kHz, and its level. */
  peakHz: number;
  peakDb: number;
}

/** window.peer of test/pages/peer.js. */
interface PeerApi {
  setup(options: PeerOptions): Promise<void>;
  createOffer(): Promise<string>;
  acceptAnswer(sdp: string): Promise<void>;
  acceptOffer(sdp: string): Promise<string>;
  addIceCandidate(candidate: IceCandidateInit | null): Promise<void>;
  restartIce(): Promise<string>;
  selectedPair(): Promise<{ id: string; local: string; remote: string } | null>;
  localCandidates(): IceCandidateInit[];
  localDescription(): string | null;
  remoteDescription(): string | null;
  state(): { connectionState: string; iceConnectionState: string; iceGatheringState: string; signalingState: string };
  stats(): Promise<PeerConnectionStats>;
  remoteVideo(): VideoState | null;
  sampleRemoteVideo(points: [number, number][]): [number, number, number][] | null;
  remoteTones(frequencies: number[]): RemoteTones | null;
  setToneGain(gain: number): void;
  createDataChannel(label: string): void;
  sendData(label: string, text: string): boolean;
  dataChannel(label: string): { state: string; messages: string[] } | null;
  close(): void;
}

type PeerMethod = keyof PeerApi;
type PeerResult<K extends PeerMethod> = Awaited<ReturnType<PeerApi[K]>>;

export class PeerPage extends TestPage {
  private readonly candidates: IceCandidateInit[] = [];
  private gatheringDone = false;

  constructor(page: Page) {
    super(page);
    this.listeners.add((event) => {
      if (event.type === 'icecandidate') this.candidates.push(event.candidate);
      if (event.type === 'gatheringdone') this.gatheringDone = true;
    });
  }

  /** Calls window.peer[method](...args) in the page. */
  call<K extends PeerMethod>(method: K, ...args: Parameters<PeerApi[K]>): Promise<PeerResult<K>> {
    return this.page.evaluate(
      ([name, params]) => (globalThis as unknown as { peer: Record<string, (...a: unknown[]) => unknown> }).peer[name]!(...params),
      [method, args] as [string, unknown[]],
    ) as Promise<PeerResult<K>>;
  }

  setup(options: PeerOptions = {}): Promise<void> {
    return this.call('setup', options);
  }
  createOffer(): Promise<string> {
    return this.call('createOffer');
  }
  acceptAnswer(sdp: string): Promise<void> {
    return this.call('acceptAnswer', sdp);
  }
  acceptOffer(sdp: string): Promise<string> {
    return this.call('acceptOffer', sdp);
  }
  addIceCandidate(candidate: IceCandidateInit | null): Promise<void> {
    return this.call('addIceCandidate', candidate);
  }
  peerStats(): Promise<PeerConnectionStats> {
    return this.call('stats');
  }
  remoteVideo(): Promise<VideoState | null> {
    return this.call('remoteVideo');
  }
  /** RGB of the remote picture at relative points; null before the first frame. */
  sampleRemoteVideo(points: [number, number][]): Promise<[number, number, number][] | null> {
    return this.call('sampleRemoteVideo', points);
  }
  remoteTones(frequencies: number[]): Promise<RemoteTones | null> {
    return this.call('remoteTones', frequencies);
  }
  /** Sets the level of the page's synthetic tone (a share of full scale; 0 is silence). */
  setToneGain(gain: number): Promise<void> {
    return this.call('setToneGain', gain);
  }

  /** Polls this page's own connection until `predicate` holds; resolves with the last stats. */
  waitForPeerStats(predicate: (stats: PeerConnectionStats) => boolean, timeoutMs = 10_000, description = 'peer stats'): Promise<PeerConnectionStats> {
    return pollUntil(() => this.peerStats(), predicate, timeoutMs, description);
  }

  /**
   * Calls `listener` for every local candidate: those gathered so far first, then new ones, and
   * null once gathering is done. Registering late loses nothing.
   */
  onIceCandidate(listener: (candidate: IceCandidateInit | null) => void): void {
    for (const candidate of this.candidates) listener(candidate);
    if (this.gatheringDone) listener(null);
    this.listeners.add((event) => {
      if (event.type === 'icecandidate') listener(event.candidate);
      else if (event.type === 'gatheringdone') listener(null);
    });
  }
}

/** Sends `from`'s candidates to `to` (call once both descriptions are set). Errors go to `onError`. */
export function relayCandidates(from: PeerPage, to: PeerPage, onError: (err: Error) => void): void {
  from.onIceCandidate((candidate) => {
    if (candidate) to.addIceCandidate(candidate).catch(onError);
  });
}

export interface LaunchOptions {
  /** A .y4m or .mjpeg clip for the fake camera instead of Chromium's generated clock. */
  fakeVideoFile?: string;
  /** A .wav file for the fake microphone instead of Chromium's beep. */
  fakeAudioFile?: string;
  args?: string[];
  /** Another Chromium executable (a wrapper that runs it in a network namespace, say). */
  executablePath?: string;
}

export class TestBrowser {
  private closed = false;

  private constructor(
    readonly context: BrowserContext,
    private readonly profileDir: string,
  ) {}

  static async launch(options: LaunchOptions = {}): Promise<TestBrowser> {
    const args = [...CHROMIUM_ARGS, ...(options.args ?? [])];
    if (options.fakeVideoFile) args.push(`--use-file-for-fake-video-capture=${options.fakeVideoFile}`);
    if (options.fakeAudioFile) args.push(`--use-file-for-fake-audio-capture=${options.fakeAudioFile}`);
    // Playwright refuses --user-data-dir in args: a persistent context is how it takes a profile.
    const profileDir = await mkdtemp(join(tmpdir(), 'kuroshio-chromium-'));
    try {
      const context = await chromium.launchPersistentContext(profileDir, {
        executablePath: options.executablePath ?? CHROMIUM_PATH,
        headless: true,
        args,
        permissions: ['camera', 'microphone'],
      });
      await context.addInitScript({ path: join(PAGES_DIR, 'instrument.js') });
      return new TestBrowser(context, profileDir);
    } catch (err) {
      await rm(profileDir, { recursive: true, force: true });
      throw err;
    }
  }

  open(url: string): Promise<TestPage> {
    return TestPage.open(this.context, url);
  }

  /** Opens test/pages/peer.html from a page server (see page-server.ts). */
  openPeer(pageServerUrl: string): Promise<PeerPage> {
    return PeerPage.open(this.context, `${pageServerUrl}/peer.html`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.context.close();
    } finally {
      await rm(this.profileDir, { recursive: true, force: true });
    }
  }
}
