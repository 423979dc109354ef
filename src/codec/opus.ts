/**
 * Opus over RTP (RFC 7587): one Opus packet per RTP payload, 48 kHz clock whatever the coded
 * rate. The container needs an identification header (RFC 7845 §5.1) as codec private data.
 */

/** The "OpusHead" identification header that WebM, MKV and MP4 carry as extradata. */
export function opusHead(channels: number, preSkip = 312, inputRate = 48000): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = channels;
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(inputRate, 12);
  head.writeInt16LE(0, 16); // output gain
  head[18] = 0; // channel mapping family 0: mono or stereo
  return head;
}

/** Samples (at 48 kHz) in one Opus packet, from its TOC byte (RFC 6716 §3.1); 0 if malformed. */
export function opusPacketSamples(packet: Buffer): number {
  if (packet.length < 1) return 0;
  const toc = packet[0]!;
  const config = toc >> 3;
  let frameSamples: number;
  if (config < 12) frameSamples = [480, 960, 1920, 2880][config & 3]!;
  else if (config < 16) frameSamples = (config & 1) === 0 ? 480 : 960;
  else frameSamples = [120, 240, 480, 960][config & 3]!;
  const code = toc & 3;
  const frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return frameSamples * frames;
}
