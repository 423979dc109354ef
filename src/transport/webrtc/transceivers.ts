/**
 * How the session reads werift's transceivers: their media kind, whether they send or receive
 * after negotiation, and their codecs as our `CodecDescription`s. Shared by both media paths.
 */
import type { RTCPeerConnection, RTCRtpCodecParameters, RTCRtpTransceiver } from 'werift';
import type { CodecDescription } from '../../media/rtp-media.js';
import type { RtpKind } from '../../rtp/rtp-session.js';

export function toKind(kind: string): RtpKind {
  return kind === 'audio' ? 'AUDIO' : 'VIDEO';
}

export function describeCodec(codec: RTCRtpCodecParameters): CodecDescription {
  return {
    mimeType: codec.mimeType,
    clockRate: codec.clockRate,
    ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
    ...(codec.parameters ? { parameters: codec.parameters } : {}),
  };
}

/** Whether a codec carries media, rather than repairing it (RTX, RED, FEC). */
export function isMediaCodec(codec: RTCRtpCodecParameters): boolean {
  return !['rtx', 'red', 'ulpfec'].includes(codec.name.toLowerCase());
}

/** Whether the negotiation left the transceiver sending. */
export function isSending(t: RTCRtpTransceiver): boolean {
  return !t.stopped && (t.currentDirection === 'sendrecv' || t.currentDirection === 'sendonly');
}

/** Whether the negotiation left the transceiver receiving. */
export function isReceiving(t: RTCRtpTransceiver): boolean {
  return !t.stopped && (t.currentDirection === 'sendrecv' || t.currentDirection === 'recvonly');
}

/** The first transceiver of a kind that sends, once negotiated. */
export function sendingTransceiver(pc: RTCPeerConnection | undefined, kind: RtpKind): RTCRtpTransceiver | undefined {
  return pc?.getTransceivers().find((t) => toKind(t.kind) === kind && isSending(t));
}

/** The first transceiver of a kind that receives, once negotiated. */
export function receivingTransceiver(pc: RTCPeerConnection | undefined, kind: RtpKind): RTCRtpTransceiver | undefined {
  return pc?.getTransceivers().find((t) => toKind(t.kind) === kind && isReceiving(t));
}
