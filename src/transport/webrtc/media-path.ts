/**
 * What carries a WebRTC session's RTP and RTCP once it is negotiated. There are two:
 *
 * - werift's own RTP stack (`werift-media-path.ts`), from the start of the session until DTLS
 *   connects, and for the whole session with `KUROSHIO_RTP_PATH=werift`;
 * - ours (`fast-media-path.ts` over `rtp/rtp-session.ts`), which takes the media over as soon as
 *   DTLS has produced the SRTP keys.
 *
 * The session talks to whichever is current through this interface; both report what the peer
 * sends as the same events.
 */
import type { LayerPreference } from '../../media/simulcast/layer-policy.js';
import type { RtpMedia } from '../../media/rtp-media.js';
import type { RtpKind } from '../../rtp/rtp-session.js';
import type { StreamCounters } from '../../rtp/stream-counters.js';
import { TypedEmitter } from '../../typed-emitter.js';

export type { RtpKind, StreamCounters };

/** Traffic a media path carries outside werift's DTLS transport (and so outside its counters). */
export interface BypassCounters {
  bytesSent: number;
  bytesReceived: number;
  /** Datagrams dropped: undecryptable, malformed, or from streams never negotiated. */
  dropped: number;
}

export interface MediaPathEvents {
  /** A packet from the peer. */
  rtp: [RtpMedia];
  /** The peer asks for a keyframe of what we send (PLI or FIR). */
  keyframeRequest: [RtpKind];
  /** The peer's link for what we send, bits per second: its REMB, or (`measured`) our own estimate. */
  bitrateEstimate: [RtpKind, number, boolean];
  /** The share of what we send that the peer reports lost (receiver reports), 0..1. */
  receiverLoss: [RtpKind, number];
  /** RTCP from the peer: its media session is alive. */
  rtcp: [];
  /** Sending something to the peer failed. */
  failure: [string];
}

export abstract class MediaPath extends TypedEmitter<MediaPathEvents> {
  /**
   * Sends a packet to the peer with the payload type it negotiated for the packet's codec.
   * False when it cannot be sent (no such codec negotiated, nothing sending that kind).
   */
  abstract sendRtp(media: RtpMedia): boolean;

  /**
   * Whether a keyframe request of this kind can be made now. The session checks this before
   * spacing requests, so that a request that cannot go out does not delay the next one.
   */
  abstract canRequestKeyframe(kind: RtpKind): boolean;

  /** Asks the peer for a keyframe of what it sends us (PLI); false when it could not be sent. */
  abstract requestKeyframe(kind: RtpKind): boolean;

  /** Tells the peer the most we want to receive of a kind (REMB), in bits per second. */
  abstract sendRemb(kind: RtpKind, bitsPerSecond: number): void;

  /**
   * Where the peer's wishes for the spatial layers of VP9 SVC come from. Only our own RTP path
   * drops layers; werift's forwards all of them.
   */
  setLayerPreference(_preference: () => LayerPreference | undefined): void {}

  /** Whether the video sent to the peer is VP9 with spatial layers (SVC). */
  forwardsSpatialLayers(): boolean {
    return false;
  }

  abstract streamCounters(): StreamCounters[];

  abstract bypassCounters(): BypassCounters;

  abstract close(): void;
}
