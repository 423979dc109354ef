/**
 * What a sink pad takes, and how the media layer gets it there (GStreamer's caps negotiation,
 * reduced to what a pipeline needs). The sink states its caps; the source's media decides:
 *
 *   - packets the sink takes pass as they are (the SFU path: no decoding, no copies);
 *   - packets in a codec it does not take are decoded and encoded again in one it takes;
 *   - a sink that works on pictures or sound (filters, hubs) gets decoded frames;
 *   - decoded frames (a filter's output) are encoded for sinks that want packets.
 */
import type { EncoderTarget } from '../../codec/encoder.js';
import { OPUS, VP8 } from '../codecs.js';
import { codecName, sameCodec, type CodecDescription } from '../rtp-media.js';
import type { MediaKind } from '../types.js';

export type SinkCaps =
  /** Whatever comes (PassThrough, a recorder that is not recording). */
  | { readonly accepts: 'any' }
  /** Packets in one of these codecs, best first (a negotiated peer, a container). */
  | { readonly accepts: 'encoded'; readonly codecs: readonly CodecDescription[] }
  /** Decoded pictures or sound. */
  | { readonly accepts: 'raw' };

export const ANY_CAPS: SinkCaps = { accepts: 'any' };
export const RAW_CAPS: SinkCaps = { accepts: 'raw' };

/** The media a link carries, as the layer routes it: its source's packets, or decoded frames. */
export type RoutedMedia = CodecDescription | typeof RAW;
/** Stands for decoded media where a codec would be named. */
export const RAW = Object.freeze({ raw: true });

export type Route =
  /** The source's media goes to the sink as it is. */
  | { readonly via: 'direct' }
  /** Through an encoder of this codec (after a decoder when the source sends packets). */
  | { readonly via: 'encoder'; readonly codec: CodecDescription }
  /** Decoded frames (through a decoder when the source sends packets). */
  | { readonly via: 'raw' }
  /** Nothing the sink could take can be made from this media. */
  | { readonly via: 'none' };

/** Codecs the layer can decode (by `codecName`). */
const DECODABLE = new Set(['VP8', 'VP9', 'H264', 'OPUS', 'PCMU', 'PCMA', 'AAC']);
/** Codecs the layer can encode, and the encoder behind each. */
const ENCODABLE: Record<string, EncoderTarget> = {
  VP8: 'VP8', VP9: 'VP9', H264: 'H264', OPUS: 'OPUS', PCMU: 'PCMU', PCMA: 'PCMA', AAC: 'AAC', JPEG: 'MJPEG',
};

/** What decoded media becomes for a sink that takes anything: what browsers take first. */
export const DEFAULT_CODECS: Record<'AUDIO' | 'VIDEO', CodecDescription> = { VIDEO: VP8, AUDIO: OPUS };

export function canDecode(codec: CodecDescription): boolean {
  return DECODABLE.has(codecName(codec));
}

export function encoderTarget(codec: CodecDescription): EncoderTarget | undefined {
  return ENCODABLE[codecName(codec)];
}

/** How media of `routed` reaches a sink with `caps`. */
export function chooseRoute(caps: SinkCaps, routed: RoutedMedia, kind: MediaKind): Route {
  if (kind === 'DATA') return { via: 'direct' };
  const codec = routed === RAW ? undefined : (routed as CodecDescription);
  switch (caps.accepts) {
    case 'any':
      return codec ? { via: 'direct' } : { via: 'encoder', codec: DEFAULT_CODECS[kind] };
    case 'raw':
      return !codec || canDecode(codec) ? { via: 'raw' } : { via: 'none' };
    case 'encoded': {
      if (codec && caps.codecs.some((c) => sameCodec(c, codec))) return { via: 'direct' };
      if (codec && !canDecode(codec)) return { via: 'none' };
      const target = caps.codecs.find((c) => encoderTarget(c) !== undefined);
      return target ? { via: 'encoder', codec: target } : { via: 'none' };
    }
  }
}

/** Caps narrowed to a forced format (`setVideoFormat`/`setAudioFormat`): its codec only. */
export function forceCodec(caps: SinkCaps, forced: CodecDescription | 'RAW' | undefined): SinkCaps {
  if (forced === undefined) return caps;
  if (forced === 'RAW') return RAW_CAPS;
  if (caps.accepts === 'encoded') {
    const kept = caps.codecs.filter((c) => sameCodec(c, forced));
    if (kept.length > 0) return { accepts: 'encoded', codecs: kept };
  }
  return { accepts: 'encoded', codecs: [forced] };
}

/** One key per distinct output an encoder makes: sinks with the same key share the encoder. */
export function formatKey(codec: CodecDescription): string {
  const name = codecName(codec);
  const mode = name === 'H264' ? `/pm${/packetization-mode=1/.test(codec.parameters ?? '') ? 1 : 0}` : '';
  return `${name}/${codec.clockRate}/${codec.channels ?? 1}${mode}`;
}
