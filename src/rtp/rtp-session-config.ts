/**
 * What an RTP session is configured with (from the negotiation) and the events it raises: the
 * contract between the WebRTC and RTP endpoint sessions that set one up and `rtp-session.ts`.
 */
import type { CodecDescription } from '../media/rtp-media.js';
import type { ReceiveStream } from './receive-stream.js';

export type RtpKind = 'AUDIO' | 'VIDEO';

export interface NegotiatedCodec {
  payloadType: number;
  codec: CodecDescription;
  /** Payload type of the RTX stream repairing this codec, if negotiated. */
  rtxPayloadType?: number;
}

export interface RtpSessionConfig {
  cname: string;
  /** SSRC we use for RTCP when we only receive. */
  rtcpSsrc: number;
  /** What we send, per kind: our SSRCs and the codecs the peer accepts, in its preference order. */
  send: Partial<Record<RtpKind, { ssrc: number; rtxSsrc?: number; codecs: NegotiatedCodec[] }>>;
  /** What the peer may send us, per kind. */
  receive: Partial<Record<RtpKind, { codecs: NegotiatedCodec[] }>>;
  /** SSRCs the peer announced, with their kind and, for RTX, the SSRC they repair. */
  remoteSsrcs: Map<number, { kind: RtpKind; repairs?: number }>;
  /**
   * Feedback the peer takes (RFC 4585): NACKs for our losses, and how to ask for a keyframe.
   * WebRTC peers take all of it (the default); a plain RTP/AVP peer none.
   */
  feedback?: { nack: boolean; keyframe: 'pli' | 'fir' | 'none'; remb: boolean };
  /**
   * Video the peer sends as simulcast layers: the layers' names, lowest first, and either (RFC
   * 8853) the ids of the header extensions naming the RID of a stream (rtp-stream-id) and of its
   * RTX stream (repaired-rtp-stream-id), streams being bound to layers as their packets name
   * them, or (the legacy `a=ssrc-group:SIM` form) each layer's SSRC, bound from the start.
   */
  simulcast?: { rids: string[]; ridExtension?: number; repairedRidExtension?: number; ssrcs?: number[] };
  /**
   * The peer gives transport-wide feedback on the video we send (draft-holmer-rmcat-transport-
   * wide-cc-extensions): the id of the header extension carrying the sequence numbers. Our own
   * estimate of the path then replaces the peer's REMB.
   */
  transportCc?: { extensionId: number };
  /** We give transport-wide feedback on the packets the peer sends us that carry this extension. */
  transportFeedback?: { extensionId: number };
}

export interface RtpSessionEvents {
  /** A decrypted packet from the peer (`buf` holds exactly the packet). */
  rtp: [RtpKind, Buffer, CodecDescription, ReceiveStream];
  keyframeRequest: [RtpKind];
  /**
   * What the peer's link takes of what we send, bits/s: the peer's REMB, or (`measured`) our own
   * estimate from its transport-wide feedback, which probes keep up to date.
   */
  bitrateEstimate: [RtpKind, number, boolean];
  /** The share of what we send that the peer reports lost since its last report (0..1). */
  receiverLoss: [RtpKind, number];
  /** Any RTCP from the peer (its media session is alive). */
  rtcp: [];
  /** The peer said goodbye (RTCP BYE) for these SSRCs. */
  bye: [number[]];
  senderReport: [{ ssrc: number; ntpSeconds: number; ntpFraction: number; rtpTimestamp: number }];
}
