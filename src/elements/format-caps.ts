/**
 * Kurento's forced formats (`setVideoFormat(VideoCaps)`, `setAudioFormat(AudioCaps)`) as the
 * codec a sink pad then takes. H.265 and AV1 are named by the API but nothing in Kuroshio encodes
 * them: forcing one makes the pad take only that codec, so only a source already sending it
 * reaches it.
 */
import { H264, OPUS, PCMA, PCMU, VP8, VP9 } from '../media/codecs.js';
import type { CodecDescription } from '../media/rtp-media.js';
import type { Params } from './media-object.js';

const CODECS: Record<string, CodecDescription> = {
  VP8,
  VP9,
  H264,
  H265: { mimeType: 'video/H265', clockRate: 90000 },
  AV1: { mimeType: 'video/AV1', clockRate: 90000 },
  OPUS,
  PCMU,
  PCMA,
};

/** The codec a VideoCaps/AudioCaps names ('RAW': decoded media), or undefined for none. */
export function capsCodec(kind: 'AUDIO' | 'VIDEO', caps: Params): CodecDescription | 'RAW' | undefined {
  const name = typeof caps.codec === 'string' ? caps.codec : undefined;
  if (name === 'RAW') return 'RAW';
  const codec = name ? CODECS[name] : undefined;
  return codec && codec.mimeType.startsWith(kind === 'VIDEO' ? 'video/' : 'audio/') ? codec : undefined;
}
