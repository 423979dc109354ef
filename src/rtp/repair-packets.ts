/**
 * Repair packets (RFC 4588 RTX). Out: what an RTP session sends besides forwarded media on the
 * repair stream of one of its outgoing streams, a retransmission of a packet from the source's
 * history and a probe's padding-only packet, each written into the caller's buffer (leaving
 * `headerRoom` bytes after the fixed header for our header extension; the length is returned).
 * In: the packet a peer's retransmission carries.
 */
import { RTP_FIXED_HEADER, copyWithoutExtensions, payloadOffset, rewriteHeader, timestamp as readTimestamp } from './rtp-header.js';

/** Padding bytes in a probe packet: the most one RTP padding count can say. */
export const PADDING_BYTES = 255;

export interface RepairStream {
  /** Our SSRC and payload type for the media, and the RTX ones (when negotiated). */
  ssrc: number;
  payloadType: number;
  rtxSsrc: number | undefined;
  rtxPayloadType: number | undefined;
  nextRtxSequence(): number;
}

/**
 * A retransmission of our packet `seq` (the source's `kept` packet, with our timestamp `ts`): as
 * RTX when negotiated (RFC 4588 §4: the original sequence number, then the original payload),
 * else again as itself. `rewrite` adjusts the payload (VP8 picture ids) before it is wrapped.
 */
export function writeRetransmission(out: Buffer, headerRoom: number, kept: { packet: Buffer; length: number }, seq: number, ts: number, stream: RepairStream, rewrite?: (buf: Buffer, payloadOffset: number, length: number) => void): number {
  const headerLength = RTP_FIXED_HEADER + headerRoom;
  let length = copyWithoutExtensions(kept.packet, kept.length, out, headerRoom);
  rewrite?.(out, headerLength, length);
  if (stream.rtxSsrc !== undefined && stream.rtxPayloadType !== undefined) {
    out.copy(out, headerLength + 2, headerLength, length);
    out.writeUInt16BE(seq, headerLength);
    length += 2;
    rewriteHeader(out, { ssrc: stream.rtxSsrc, sequenceNumber: stream.nextRtxSequence(), timestamp: ts, payloadType: stream.rtxPayloadType });
  } else {
    rewriteHeader(out, { ssrc: stream.ssrc, sequenceNumber: seq, timestamp: ts, payloadType: stream.payloadType });
  }
  return length;
}

/**
 * A probe's padding (RFC 3550 §5.1): an RTX packet with only padding in it, which the peer counts
 * in its transport-wide feedback and then discards. Undefined without RTX.
 */
export function writePadding(out: Buffer, headerRoom: number, stream: RepairStream, timestamp: number): number | undefined {
  if (stream.rtxSsrc === undefined || stream.rtxPayloadType === undefined) return undefined;
  const headerLength = RTP_FIXED_HEADER + headerRoom;
  out[0] = 0xa0; // V=2, P=1
  out[1] = 0;
  rewriteHeader(out, { ssrc: stream.rtxSsrc, sequenceNumber: stream.nextRtxSequence(), timestamp, payloadType: stream.rtxPayloadType });
  out.fill(0, headerLength, headerLength + PADDING_BYTES - 1);
  out[headerLength + PADDING_BYTES - 1] = PADDING_BYTES;
  return headerLength + PADDING_BYTES;
}

/**
 * The original packet inside an RTX packet (the original sequence number leads its payload), as
 * stream `originalSsrc` with payload type `originalPt`; undefined for padding-only packets.
 */
export function readRetransmission(rtx: Buffer, originalSsrc: number, originalPt: number): Buffer | undefined {
  const offset = payloadOffset(rtx, rtx.length);
  const padding = rtx[0]! & 0x20 ? rtx[rtx.length - 1]! : 0;
  if (rtx.length - padding - offset < 3) return undefined;
  const out = Buffer.allocUnsafe(rtx.length - 2);
  rtx.copy(out, 0, 0, offset);
  rtx.copy(out, offset, offset + 2, rtx.length);
  rewriteHeader(out, { ssrc: originalSsrc, sequenceNumber: rtx.readUInt16BE(offset), timestamp: readTimestamp(rtx), payloadType: originalPt });
  return out;
}
