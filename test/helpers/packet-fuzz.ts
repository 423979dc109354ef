/**
 * Hostile datagrams for the media-port fuzz tests, from a seeded `Dice`: each looks enough like
 * what the port expects (STUN, DTLS, RTP, RTCP) to get past a first glance, then lies — lengths
 * that run past the end, header fields out of range, payloads of noise — so the parsers behind
 * the port are exercised, not only the demultiplexer in front of them.
 */
import type { Dice } from './seeded-random.js';

export type FuzzClass = 'stun' | 'dtls' | 'rtp' | 'rtcp' | 'noise';

const STUN_MAGIC = 0x2112a442;

/** Flips, truncates or extends a datagram (a few small lies in something well formed). */
export function mutate(dice: Dice, datagram: Buffer): Buffer {
  const out = Buffer.from(datagram);
  switch (dice.int(0, 4)) {
    case 0: // a few bytes flipped anywhere
      for (let i = dice.int(1, 5); i > 0; i--) {
        const at = dice.int(0, out.length);
        out[at] = out[at]! ^ (1 << dice.int(0, 8));
      }
      return out;
    case 1: // cut short
      return out.subarray(0, dice.int(1, out.length));
    case 2: // noise appended
      return Buffer.concat([out, dice.bytes(dice.int(1, 64))]);
    default: // a 16-bit field overwritten with an extreme value
      if (out.length >= 4) out.writeUInt16BE(dice.pick([0, 0xffff, out.length, out.length + 4, 0x8000]), 2 * dice.int(0, Math.floor(out.length / 2) - 1));
      return out;
  }
}

/**
 * An RTP packet with the given SSRC and payload type whose header lies about its own layout
 * (`malformed`: no parser may accept it), or whose header is plausible and whose payload is
 * noise (it reaches the depacketizer and the decoder).
 */
export function rtpShaped(dice: Dice, ssrc: number, payloadType: number, sequence: number): { packet: Buffer; malformed: boolean } {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (dice.chance(0.3) ? 0x80 : 0) | payloadType;
  header.writeUInt16BE(sequence & 0xffff, 2);
  header.writeUInt32BE(dice.int(0, 2 ** 32) >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  switch (dice.int(0, 6)) {
    case 0: // 15 CSRCs announced (60 bytes), fewer present
      header[0] = 0x8f;
      return { packet: Buffer.concat([header, dice.bytes(dice.int(0, 60))]), malformed: true };
    case 1: // an extension block whose length (0xffff words) runs past the end
      header[0] = 0x90;
      return { packet: Buffer.concat([header, Buffer.from([0xbe, 0xde, 0xff, 0xff]), dice.bytes(dice.int(0, 200))]), malformed: true };
    case 2: // padding longer than the payload
      header[0] = 0xa0;
      return { packet: Buffer.concat([header, dice.bytes(dice.int(0, 200)), Buffer.from([0xff])]), malformed: true };
    case 3: { // a one-byte extension block of bogus elements, then noise
      header[0] = 0x90;
      return { packet: Buffer.concat([header, Buffer.from([0xbe, 0xde, 0x00, 0x02]), dice.bytes(8), dice.bytes(dice.int(0, 1200))]), malformed: false };
    }
    default: // plausible header, noise payload
      return { packet: Buffer.concat([header, dice.bytes(dice.int(0, 1200))]), malformed: false };
  }
}

/** An RTCP compound of random packet types whose length words may lie. */
export function rtcpShaped(dice: Dice, ssrc: number): Buffer {
  const parts: Buffer[] = [];
  for (let n = dice.int(1, 4); n > 0; n--) {
    const words = dice.int(1, 12);
    const part = Buffer.concat([Buffer.alloc(4), dice.bytes(words * 4)]);
    part[0] = 0x80 | dice.int(0, 32);
    part[1] = dice.pick([200, 201, 202, 203, 204, 205, 206, 207, 192, 195]);
    part.writeUInt16BE(dice.chance(0.3) ? dice.int(0, 0x10000) : words, 2);
    part.writeUInt32BE(ssrc >>> 0, 4);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

/** A STUN message: a binding request naming `username`, with integrity and attributes that lie. */
export function stunShaped(dice: Dice, username: string): Buffer {
  const attributes: Buffer[] = [];
  const attribute = (type: number, value: Buffer, declared = value.length): void => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(declared, 2);
    const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
    attributes.push(head, value, pad);
  };
  attribute(0x0006, Buffer.from(username)); // USERNAME
  if (dice.chance(0.5)) attribute(0x0025, Buffer.alloc(0)); // USE-CANDIDATE
  if (dice.chance(0.5)) attribute(0x0024, dice.bytes(4)); // PRIORITY
  if (dice.chance(0.3)) attribute(dice.int(0, 0x8000), dice.bytes(dice.int(0, 40)), dice.int(0, 0x10000)); // unknown, comprehension-required, lying length
  if (dice.chance(0.7)) attribute(0x0008, dice.bytes(20)); // MESSAGE-INTEGRITY that cannot be right
  if (dice.chance(0.5)) attribute(0x8028, dice.bytes(4)); // FINGERPRINT that cannot be right
  const body = Buffer.concat(attributes);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(dice.pick([0x0001, 0x0101, 0x0111, 0x0011, dice.int(0, 0x4000)]), 0);
  header.writeUInt16BE(dice.chance(0.8) ? body.length : dice.int(0, 0x10000), 2);
  header.writeUInt32BE(STUN_MAGIC, 4);
  dice.bytes(12).copy(header, 8);
  return Buffer.concat([header, body]);
}

/** A DTLS record: a handshake, alert or application data with fragment fields that lie. */
export function dtlsShaped(dice: Dice): Buffer {
  const fragment = dice.bytes(dice.int(0, 300));
  if (fragment.length >= 12 && dice.chance(0.6)) {
    fragment[0] = dice.pick([1, 2, 11, 12, 14, 16, 20, dice.int(0, 256)]); // handshake type
    fragment.writeUIntBE(dice.int(0, 0x1000000), 1, 3); // length
    fragment.writeUIntBE(dice.int(0, 0x1000000), 6, 3); // fragment offset
    fragment.writeUIntBE(dice.int(0, 0x1000000), 9, 3); // fragment length
  }
  const header = Buffer.alloc(13);
  header[0] = dice.pick([20, 21, 22, 23, 24, dice.int(20, 64)]);
  header.writeUInt16BE(dice.pick([0xfefd, 0xfeff, 0x0303, dice.int(0, 0x10000)]), 1);
  header.writeUInt16BE(dice.int(0, 3), 3); // epoch
  header.writeUIntBE(dice.int(0, 2 ** 40), 5, 6); // sequence
  header.writeUInt16BE(dice.chance(0.7) ? fragment.length : dice.int(0, 0x10000), 11);
  return Buffer.concat([header, fragment]);
}

/** Bytes of no protocol at all, over the whole range of first bytes. */
export function noise(dice: Dice): Buffer {
  return dice.bytes(dice.int(1, 1400));
}
