/**
 * What the codec stages exchange: RTP packets reduced to the fields they read, and encoded
 * frames (one picture, or one audio packet) with their RTP timestamp.
 */

/** The part of an RTP packet the depacketizers need (werift's RtpPacket fits it). */
export interface RtpPacketLike {
  readonly header: { readonly sequenceNumber: number; readonly timestamp: number; readonly marker: boolean };
  readonly payload: Buffer;
}

/** One encoded picture or audio packet, as a decoder or a container takes it. */
export interface EncodedFrame {
  /** The codec's bitstream: VP8/VP9 frame, H.264 access unit in Annex B, Opus packet. */
  readonly data: Buffer;
  /** RTP timestamp of the frame (32-bit, in the codec's clock rate). */
  readonly rtpTimestamp: number;
  /** Decodes on its own (always true for audio). */
  readonly keyframe: boolean;
  /** Picture size, read from the bitstream of key frames when the codec carries it there. */
  readonly width?: number;
  readonly height?: number;
}

/** A codec's rules for turning the payloads of one frame's packets into the frame. */
export interface PayloadFormat {
  /** The bytes of the codec bitstream in one packet's payload, or undefined if it is unusable. */
  unwrap(payload: Buffer): Buffer | undefined;
  /** Whether the frame made of these packets (in order) decodes on its own. */
  isKeyframe(payloads: readonly Buffer[]): boolean;
  /** Joins the unwrapped payloads of one frame. */
  join(parts: Buffer[]): Buffer;
  /** Picture size of a key frame's bitstream, when the codec carries it. */
  dimensions?(frame: Buffer): { width: number; height: number } | undefined;
}

/** What a codec whose packets start with a payload descriptor (VP8, VP9) tells about it. */
export interface DescriptorRules {
  /** Length of the payload descriptor, or undefined when the payload is too short to hold one. */
  descriptorLength(payload: Buffer): number | undefined;
  /** Whether a frame whose first packet has this payload decodes on its own. */
  startsKeyframe(first: Buffer): boolean;
  dimensions(frame: Buffer): { width: number; height: number } | undefined;
}

/** The payload format of such a codec: the bitstream follows the descriptor in every packet. */
export function descriptorFormat(rules: DescriptorRules): PayloadFormat {
  return {
    unwrap(payload) {
      const offset = rules.descriptorLength(payload);
      return offset === undefined ? undefined : payload.subarray(offset);
    },
    isKeyframe(payloads) {
      const first = payloads[0];
      return first !== undefined && rules.startsKeyframe(first);
    },
    join: (parts) => Buffer.concat(parts),
    dimensions: rules.dimensions,
  };
}

/** Serial number arithmetic of RFC 1982 for 16-bit sequence numbers: a - b in [-32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  return ((a - b + 0x18000) & 0xffff) - 0x8000;
}
