/**
 * FFmpeg's ids for the codecs we know by name (`codecName`: VP8, H264, OPUS...), one table for
 * the reader (naming a file's tracks), the transcoder (finding decoders) and the writer.
 */
import {
  AV_CODEC_ID_AAC,
  AV_CODEC_ID_H264,
  AV_CODEC_ID_MJPEG,
  AV_CODEC_ID_OPUS,
  AV_CODEC_ID_PCM_ALAW,
  AV_CODEC_ID_PCM_MULAW,
  AV_CODEC_ID_VP8,
  AV_CODEC_ID_VP9,
  type AVCodecID,
} from 'node-av';
import type { FileCodec } from './media-profile.js';

/**
 * The codecs media arrives in, from a peer or a file: what tracks are named by and what is
 * decoded. JPEG is only ever written (snapshots), so it is not among them: a file's JPEG track
 * keeps FFmpeg's own name.
 */
export const SOURCE_CODEC_IDS: Readonly<Record<Exclude<FileCodec, 'MJPEG'>, AVCodecID>> = {
  VP8: AV_CODEC_ID_VP8,
  VP9: AV_CODEC_ID_VP9,
  H264: AV_CODEC_ID_H264,
  OPUS: AV_CODEC_ID_OPUS,
  AAC: AV_CODEC_ID_AAC,
  PCMU: AV_CODEC_ID_PCM_MULAW,
  PCMA: AV_CODEC_ID_PCM_ALAW,
};

/** Every codec a file may hold. */
export const FILE_CODEC_IDS: Readonly<Record<FileCodec, AVCodecID>> = { ...SOURCE_CODEC_IDS, MJPEG: AV_CODEC_ID_MJPEG };

const SOURCE_CODEC_NAMES = new Map<AVCodecID, string>(Object.entries(SOURCE_CODEC_IDS).map(([name, id]) => [id, name]));

/** The FFmpeg id of a source codec, by our name of it. */
export function sourceCodecId(name: string): AVCodecID | undefined {
  return Object.hasOwn(SOURCE_CODEC_IDS, name) ? SOURCE_CODEC_IDS[name as keyof typeof SOURCE_CODEC_IDS] : undefined;
}

/** Our name of a source codec, by its FFmpeg id. */
export function sourceCodecName(id: AVCodecID): string | undefined {
  return SOURCE_CODEC_NAMES.get(id);
}
