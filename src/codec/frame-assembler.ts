/**
 * Turns the RTP packets of one video stream into whole frames, in order.
 *
 * A frame is a run of consecutive sequence numbers sharing one timestamp and ending with the
 * marker bit. Packets may arrive out of order (retransmissions): they wait in a small buffer
 * until their frame is complete. When a packet is still missing after `maxWaitMs`, or the buffer
 * grows past `maxPackets`, the frame is given up; since the frames after a lost one refer to it,
 * nothing more is emitted until a key frame, and `lost` tells the owner to ask for one.
 */
import { seqDiff, type EncodedFrame, type PayloadFormat, type RtpPacketLike } from './frame.js';

export interface AssemblerOptions {
  /** How long a gap may stay open before its frame is given up (ms). */
  maxWaitMs?: number;
  /** Most packets held while waiting for a gap to close. */
  maxPackets?: number;
}

export interface AssemblyResult {
  frames: EncodedFrame[];
  /** A frame was given up: the stream needs a key frame to be decodable again. */
  lost: boolean;
}

interface Held {
  packet: RtpPacketLike;
  arrivalMs: number;
}

export class FrameAssembler {
  private readonly held = new Map<number, Held>();
  /** Sequence number of the first packet of the next frame, once known. */
  private next: number | undefined;
  /** After a loss, frames are dropped until a key frame arrives. */
  private needKeyframe = true;
  private readonly maxWaitMs: number;
  private readonly maxPackets: number;

  constructor(
    private readonly format: PayloadFormat,
    options: AssemblerOptions = {},
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 200;
    this.maxPackets = options.maxPackets ?? 512;
  }

  /** Whether frames are being dropped until the next key frame. */
  get waitingForKeyframe(): boolean {
    return this.needKeyframe;
  }

  push(packet: RtpPacketLike, nowMs: number): AssemblyResult {
    const seq = packet.header.sequenceNumber;
    if (this.next !== undefined && seqDiff(seq, this.next) < 0) return { frames: [], lost: false }; // late or duplicate
    this.held.set(seq, { packet, arrivalMs: nowMs });
    if (this.next === undefined) this.next = this.firstAfterMarker() ?? seq;
    const result: AssemblyResult = { frames: [], lost: false };
    for (;;) {
      const frame = this.takeFrame();
      if (frame === 'incomplete') {
        if (!this.gapExpired(nowMs)) break;
        this.skipGap();
        result.lost = true;
        continue;
      }
      if (frame === undefined) continue; // a frame was consumed but not emitted
      result.frames.push(frame);
    }
    return result;
  }

  /** Forgets everything (the source changed); the next frame must be a key frame. */
  reset(): void {
    this.held.clear();
    this.next = undefined;
    this.needKeyframe = true;
  }

  /**
   * Consumes the frame starting at `next` when all its packets are here. Returns the frame, or
   * undefined when it was consumed but dropped, or 'incomplete' when packets are missing.
   */
  private takeFrame(): EncodedFrame | undefined | 'incomplete' {
    if (this.next === undefined || !this.held.has(this.next)) return 'incomplete';
    const first = this.held.get(this.next)!.packet;
    const packets: RtpPacketLike[] = [];
    let seq = this.next;
    for (;;) {
      const entry = this.held.get(seq);
      if (!entry) return 'incomplete';
      if (entry.packet.header.timestamp !== first.header.timestamp) break; // marker lost: frame ends here
      packets.push(entry.packet);
      if (entry.packet.header.marker) {
        seq = (seq + 1) & 0xffff;
        break;
      }
      seq = (seq + 1) & 0xffff;
    }
    for (const p of packets) this.held.delete(p.header.sequenceNumber);
    this.next = seq;
    const payloads = packets.map((p) => p.payload);
    const parts: Buffer[] = [];
    for (const payload of payloads) {
      const part = this.format.unwrap(payload);
      if (!part) return undefined;
      parts.push(part);
    }
    const keyframe = this.format.isKeyframe(payloads);
    if (this.needKeyframe && !keyframe) return undefined;
    this.needKeyframe = false;
    const data = this.format.join(parts);
    const size = keyframe ? this.format.dimensions?.(data) : undefined;
    return { data, rtpTimestamp: first.header.timestamp, keyframe, ...(size ?? {}) };
  }

  private gapExpired(nowMs: number): boolean {
    if (this.held.size === 0) return false;
    if (this.held.size > this.maxPackets) return true;
    let oldest = Infinity;
    for (const h of this.held.values()) oldest = Math.min(oldest, h.arrivalMs);
    return nowMs - oldest > this.maxWaitMs;
  }

  /** Gives up the missing packets: resumes at the first frame start after the gap. */
  private skipGap(): void {
    this.needKeyframe = true;
    const start = this.firstAfterMarker();
    if (start !== undefined) {
      // Drop whatever precedes the new start: it belongs to the lost frame.
      for (const seq of [...this.held.keys()]) if (seqDiff(seq, start) < 0) this.held.delete(seq);
      this.next = start;
      return;
    }
    this.held.clear();
    this.next = undefined;
  }

  /** The held packet that follows a held marker packet (a known frame start), earliest first. */
  private firstAfterMarker(): number | undefined {
    let best: number | undefined;
    for (const [seq, h] of this.held) {
      if (!h.packet.header.marker) continue;
      const after = (seq + 1) & 0xffff;
      if (!this.held.has(after)) continue;
      if (best === undefined || seqDiff(after, best) < 0) best = after;
    }
    return best;
  }
}
