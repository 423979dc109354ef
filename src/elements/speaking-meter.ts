/**
 * Who is speaking, for a WebRtcEndpoint: the levels its peer's audio packets carry (RFC 6464, see
 * `rtp/audio-level.ts`) through a `SpeakingDetector`, reported as a change of state and read by
 * getStats as `audioLevel`. A peer whose SDP does not name the extension costs nothing.
 */
import { AUDIO_LEVEL_EXTENSION, linearLevel, readAudioLevel, SpeakingDetector } from '../rtp/audio-level.js';
import { headerExtensionId } from '../transport/webrtc/header-extension-sdp.js';

/** While speaking, how often speech that ended without a packet saying so (DTX, a sender gone) is looked for. */
const FADE_CHECK_MS = 250;

export class SpeakingMeter {
  private readonly detector: SpeakingDetector;
  /** The remote SDP the extension id was read from, and the id (undefined: not negotiated). */
  private sdp: string | undefined;
  private extensionId: number | undefined;
  private levelSeen = false;
  private fadeTimer: NodeJS.Timeout | undefined;

  constructor(
    thresholdDbov: number,
    private readonly changed: (speaking: boolean, audioLevel: number) => void,
  ) {
    this.detector = new SpeakingDetector(thresholdDbov);
  }

  get thresholdDbov(): number {
    return this.detector.thresholdDbov;
  }

  set thresholdDbov(value: number) {
    this.detector.thresholdDbov = value;
  }

  /** The latest level as W3C statistics give it (0 to 1), or undefined before any. */
  get audioLevel(): number | undefined {
    return this.levelSeen ? linearLevel(this.detector.lastDbov) : undefined;
  }

  /** One audio packet of the peer (header included), under the session's current remote SDP. */
  onPacket(packet: Buffer, remoteSdp: string | undefined): void {
    if (remoteSdp !== this.sdp) {
      this.sdp = remoteSdp;
      this.extensionId = remoteSdp ? headerExtensionId(remoteSdp, 'audio', AUDIO_LEVEL_EXTENSION) : undefined;
    }
    if (this.extensionId === undefined) return;
    const level = readAudioLevel(packet, packet.length, this.extensionId);
    if (level === undefined) return;
    this.levelSeen = true;
    if (this.detector.push(level, Date.now())) this.report();
  }

  close(): void {
    if (this.fadeTimer) clearInterval(this.fadeTimer);
    this.fadeTimer = undefined;
  }

  private report(): void {
    const speaking = this.detector.speaking;
    this.changed(speaking, linearLevel(this.detector.lastDbov));
    if (speaking && !this.fadeTimer) {
      this.fadeTimer = setInterval(() => {
        if (this.detector.fadedBy(Date.now())) this.report();
      }, FADE_CHECK_MS);
      this.fadeTimer.unref();
    } else if (!speaking) {
      this.close();
    }
  }
}
