/**
 * A WebRTC client peer in Node on werift, for tests and benchmarks that drive a WebRtcEndpoint
 * without a browser: it offers or answers, applies the server's trickled candidates, sends
 * synthetic RTP and counts what it receives (after SRTP, without decoding anything).
 *
 * Everything stays on loopback: the peer gathers only 127.0.0.1 host candidates.
 */
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  type RTCRtpTransceiver,
} from 'werift';

export type PeerDirection = 'sendrecv' | 'sendonly' | 'recvonly';
export type PeerKind = 'audio' | 'video';

export interface ServerCandidate {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
}

/** What the peer puts in its offer: one m-line per kind given. */
export interface OfferShape {
  audio?: PeerDirection;
  video?: PeerDirection;
}

/** A packet as received: when (wall clock, ms with sub-ms precision), and what. */
export type RtpListener = (kind: PeerKind, packet: RtpPacket, receivedAtMs: number) => void;

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export class WeriftPeer {
  readonly pc: RTCPeerConnection;
  readonly packetsReceived: Record<PeerKind, number> = { audio: 0, video: 0 };
  /** Why sends failed (tests assert it stays empty). */
  readonly sendFailures: string[] = [];
  private readonly rtpListeners = new Set<RtpListener>();
  private readonly transceivers = new Map<PeerKind, RTCRtpTransceiver>();
  private readonly sequence: Record<PeerKind, number> = { audio: 0, video: 0 };
  private readonly timestamp: Record<PeerKind, number> = { audio: 0, video: 0 };

  /** `videoCodecs`: the only video codecs the peer offers (werift's defaults otherwise). */
  constructor(options: { videoCodecs?: RTCRtpCodecParameters[] } = {}) {
    this.pc = new RTCPeerConnection({
      ...(options.videoCodecs ? { codecs: { audio: [OPUS_CODEC()], video: options.videoCodecs } } : {}),
      // Loopback only: werift skips loopback when it discovers addresses (and would then fall
      // back to every other interface), so discovery is off and 127.0.0.1 is named explicitly.
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv4: false,
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
    });
    this.pc.onRemoteTransceiverAdded.subscribe((t) => this.watch(t));
  }

  /** Calls `listener` for every RTP packet received; returns a function that removes it. */
  onRtp(listener: RtpListener): () => void {
    this.rtpListeners.add(listener);
    return () => this.rtpListeners.delete(listener);
  }

  /** Resolves when the first RTP packet of `kind` arrives. */
  firstRtp(kind: PeerKind, timeoutMs = 15_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`werift peer: no ${kind} RTP within ${timeoutMs} ms (got ${JSON.stringify(this.packetsReceived)})`));
      }, timeoutMs);
      const off = this.onRtp((k, _packet, at) => {
        if (k !== kind) return;
        clearTimeout(timer);
        off();
        resolve(at);
      });
    });
  }

  /** Makes an offer; with `complete`, waits for gathering so the SDP carries the candidates. */
  async offer(shape: OfferShape, complete = true): Promise<string> {
    for (const kind of ['audio', 'video'] as const) {
      const direction = shape[kind];
      if (!direction) continue;
      const transceiver = this.pc.addTransceiver(kind, { direction });
      this.transceivers.set(kind, transceiver);
      this.watch(transceiver);
    }
    await this.pc.setLocalDescription(await this.pc.createOffer());
    if (complete) await this.gatheringComplete();
    return this.pc.localDescription!.sdp;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Answers a server offer (the `generateOffer` flow), with the candidates in the SDP. */
  async answer(offerSdp: string, direction: PeerDirection = 'sendrecv'): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    for (const t of this.pc.getTransceivers()) {
      t.setDirection(direction);
      this.transceivers.set(t.kind as PeerKind, t);
    }
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gatheringComplete();
    return this.pc.localDescription!.sdp;
  }

  /**
   * An ICE restart (`restartIce()`): a new offer with new credentials and the same media, with
   * the candidates of the new generation in it.
   */
  async restartIce(): Promise<string> {
    this.pc.restartIce();
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.gatheringComplete();
    return this.pc.localDescription!.sdp;
  }

  /**
   * Applies the answer to a restart. werift's connect() skips ICE when DTLS is already
   * connected, so the restarted agent is started here (the server does the same, see
   * src/transport/webrtc/ice-restart.ts).
   */
  async acceptRestartAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    const transport = this.pc.iceTransports[0]!;
    // werift says 'completed' once gathering ends, before any check: no nominated pair is what counts.
    if (!transport.connection.nominated) void transport.start().catch((err: Error) => console.log('# peer restart start failed', err.message));
  }

  async addCandidate(candidate: ServerCandidate): Promise<void> {
    await this.pc.addIceCandidate(candidate);
  }

  waitConnected(timeoutMs = 15_000): Promise<void> {
    if (this.pc.connectionState === 'connected') return Promise.resolve();
    let unsubscribe: (() => void) | undefined;
    const connected = new Promise<void>((resolve, reject) => {
      unsubscribe = this.pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') resolve();
        if (state === 'failed') reject(new Error('werift peer: connection failed'));
      }).unSubscribe;
    });
    return withTimeout(connected, timeoutMs, 'werift peer: not connected').finally(() => unsubscribe?.());
  }

  /**
   * Sends one synthetic RTP packet of `kind` with `payload`; sequence numbers and timestamps
   * advance per packet (`timestampStep` clock ticks). Returns false when werift cannot send yet.
   */
  send(kind: PeerKind, payload: Buffer, options: { marker?: boolean; timestampStep?: number } = {}): boolean {
    const transceiver = this.transceivers.get(kind);
    if (!transceiver?.sender.codec) return false;
    const header = new RtpHeader({
      payloadType: transceiver.sender.codec.payloadType,
      sequenceNumber: this.sequence[kind],
      timestamp: this.timestamp[kind],
      marker: options.marker ?? true,
    });
    this.sequence[kind] = (this.sequence[kind] + 1) & 0xffff;
    this.timestamp[kind] = (this.timestamp[kind] + (options.timestampStep ?? 0)) >>> 0;
    transceiver.sender.sendRtp(new RtpPacket(header, payload)).catch((err: Error) => this.sendFailures.push(err.message));
    return true;
  }

  async close(): Promise<void> {
    await this.pc.close();
  }

  private watch(transceiver: RTCRtpTransceiver): void {
    const kind = transceiver.kind as PeerKind;
    if (!this.transceivers.has(kind)) this.transceivers.set(kind, transceiver);
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((packet) => {
        const at = wallClockMs();
        this.packetsReceived[kind]++;
        for (const listener of this.rtpListeners) listener(kind, packet, at);
      });
    });
  }

  async gatheringComplete(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return;
    await withTimeout(
      new Promise<void>((resolve) => {
        this.pc.iceGatheringStateChange.subscribe((state) => {
          if (state === 'complete') resolve();
        });
      }),
      10_000,
      'werift peer: ICE gathering did not complete',
    );
  }
}

const VIDEO_FEEDBACK = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }];

const OPUS_CODEC = (): RTCRtpCodecParameters => new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 });

/** Video codec lists for peers that take only one codec. */
export const ONLY_VP8 = (): RTCRtpCodecParameters[] => [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: VIDEO_FEEDBACK })];
export const ONLY_H264 = (): RTCRtpCodecParameters[] => [
  new RTCRtpCodecParameters({
    mimeType: 'video/H264',
    clockRate: 90000,
    payloadType: 102,
    parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    rtcpFeedback: VIDEO_FEEDBACK,
  }),
];

/** Synthetic VP8 payload: a payload descriptor (start of partition), a key/delta flag, filler. */
export function vp8Payload(size: number, keyframe: boolean, stamp?: number): Buffer {
  const payload = Buffer.alloc(Math.max(size, 12));
  payload[0] = 0x10; // S=1, partition 0
  payload[1] = keyframe ? 0x00 : 0x01; // VP8 header: P bit clear on keyframes
  if (stamp !== undefined) payload.writeDoubleBE(stamp, 2);
  return payload;
}

/** Synthetic audio payload (opaque bytes), optionally with a send time stamp. */
export function audioPayload(size: number, stamp?: number): Buffer {
  const payload = Buffer.alloc(Math.max(size, 10));
  if (stamp !== undefined) payload.writeDoubleBE(stamp, 2);
  return payload;
}

/** The send time stamped by `vp8Payload`/`audioPayload`. */
export function stampOf(payload: Buffer): number {
  return payload.readDoubleBE(2);
}

export interface PumpOptions {
  videoPacketsPerSecond?: number;
  audioPacketsPerSecond?: number;
  videoBytes?: number;
  audioBytes?: number;
  /** Packets of a video frame (the last has the marker bit); the first frame is a keyframe, then one every `keyframeEvery` frames. */
  packetsPerFrame?: number;
  keyframeEvery?: number;
}

/**
 * Sends synthetic media from `peer` until stopped: VP8-like video and opaque audio payloads
 * that each carry their send time (see `stampOf`). Timers tick every 10 ms and send what is due,
 * so rates hold without one timer per packet. Returns the function that stops it.
 */
export function pumpMedia(peer: WeriftPeer, options: PumpOptions = {}): () => void {
  const videoRate = options.videoPacketsPerSecond ?? 60;
  const audioRate = options.audioPacketsPerSecond ?? 50;
  const perFrame = options.packetsPerFrame ?? 1;
  const keyframeEvery = options.keyframeEvery ?? 30;
  const frameTicks = Math.round(90_000 / (videoRate / perFrame));
  const started = performance.now();
  let videoSent = 0;
  let audioSent = 0;
  const timer = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    while (videoSent < elapsed * videoRate) {
      const frame = Math.floor(videoSent / perFrame);
      const last = videoSent % perFrame === perFrame - 1;
      const payload = vp8Payload(options.videoBytes ?? 1000, frame % keyframeEvery === 0, wallClockMs());
      peer.send('video', payload, { marker: last, timestampStep: last ? frameTicks : 0 });
      videoSent++;
    }
    while (audioSent < elapsed * audioRate) {
      peer.send('audio', audioPayload(options.audioBytes ?? 120, wallClockMs()), { timestampStep: 960 });
      audioSent++;
    }
  }, 10);
  return () => clearInterval(timer);
}

export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (after ${timeoutMs} ms)`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
