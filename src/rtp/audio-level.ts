/**
 * The sender's own measure of its sound (RFC 6464, `urn:ietf:params:rtp-hdrext:ssrc-audio-level`):
 * each audio packet carries its level in -dBov (0 the loudest, 127 silence). Reading it costs a
 * few bytes of header per packet, where measuring the sound would mean decoding it.
 *
 * `SpeakingDetector` turns the levels into who is speaking: speech starts with a packet at the
 * threshold or above, and ends once no packet came within 6 dB of it for half a second (speech's
 * short pauses between words do not end it, and a level near the threshold does not flap).
 */

/** The extension's URI, as an SDP's `a=extmap` names it. */
export const AUDIO_LEVEL_EXTENSION = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/** How long speech lasts after its last loud packet. */
const HOLD_MS = 500;
/** How far below the threshold a packet still counts as speech going on. */
const HYSTERESIS_DB = 6;

/**
 * The level (-dBov, 0-127) a packet's header carries under extension `id`, in either header
 * extension form (RFC 8285: one-byte 0xBEDE, two-byte 0x100X); undefined when it carries none.
 * Malformed extension blocks yield undefined, never an exception.
 */
export function readAudioLevel(packet: Buffer, length: number, id: number): number | undefined {
  if (length < 12 || (packet[0]! & 0x10) === 0) return undefined;
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (offset + 4 > length) return undefined;
  const profile = packet.readUInt16BE(offset);
  const end = offset + 4 + packet.readUInt16BE(offset + 2) * 4;
  if (end > length) return undefined;
  offset += 4;
  const oneByte = profile === 0xbede;
  if (!oneByte && (profile & 0xfff0) !== 0x1000) return undefined;
  while (offset < end) {
    const first = packet[offset]!;
    if (first === 0) {
      offset++; // padding
      continue;
    }
    const elementId = oneByte ? first >> 4 : first;
    if (oneByte && elementId === 15) return undefined; // reserved: stop reading (RFC 8285 §4.2)
    const size = oneByte ? (first & 0x0f) + 1 : packet[offset + 1]!;
    const data = offset + (oneByte ? 1 : 2);
    if (data + size > end) return undefined;
    if (elementId === id) return size >= 1 ? packet[data]! & 0x7f : undefined;
    offset = data + size;
  }
  return undefined;
}

/** dBov (0 or negative) to the linear level of W3C statistics' `audioLevel` (0 to 1). */
export function linearLevel(dbov: number): number {
  return 10 ** (dbov / 20);
}

export class SpeakingDetector {
  speaking = false;
  /** The latest level, in dBov; -127 before any. */
  lastDbov = -127;
  private lastLoudMs = 0;

  /** `thresholdDbov`: the level (dBov, 0 or negative) at which a sender counts as speaking. */
  constructor(public thresholdDbov: number) {}

  /** One packet's level (-dBov, as carried); returns true when the speaking state changed. */
  push(level: number, nowMs: number): boolean {
    const dbov = -level;
    this.lastDbov = dbov;
    if (dbov >= (this.speaking ? this.thresholdDbov - HYSTERESIS_DB : this.thresholdDbov)) {
      this.lastLoudMs = nowMs;
      if (this.speaking) return false;
      this.speaking = true;
      return true;
    }
    return this.fadedBy(nowMs);
  }

  /**
   * Whether speech ended, also without a packet saying so (a sender that stopped sending, or one
   * that sends only while it speaks, with DTX): checked on a timer as well as on every packet.
   */
  fadedBy(nowMs: number): boolean {
    if (!this.speaking || nowMs - this.lastLoudMs <= HOLD_MS) return false;
    this.speaking = false;
    return true;
  }
}
