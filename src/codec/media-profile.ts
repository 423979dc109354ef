/**
 * Kurento's recording profiles: which container, which kinds of media, and which codecs the
 * container takes. Anything else reaches the recorder transcoded (by the decoded-media layer) to
 * the first of them.
 */
import { CODECS_BY_NAME } from '../media/codecs.js';
import type { CodecDescription } from '../media/rtp-media.js';

export type MediaProfile =
  | 'WEBM' | 'WEBM_VIDEO_ONLY' | 'WEBM_AUDIO_ONLY'
  | 'MKV' | 'MKV_VIDEO_ONLY' | 'MKV_AUDIO_ONLY'
  | 'MP4' | 'MP4_VIDEO_ONLY' | 'MP4_AUDIO_ONLY'
  | 'JPEG_VIDEO_ONLY' | 'FLV' | 'KURENTO_SPLIT_RECORDER';

/** Codecs a file may hold, by `codecName` (upper case). */
export type FileCodec = 'VP8' | 'VP9' | 'H264' | 'OPUS' | 'AAC' | 'MJPEG' | 'PCMU' | 'PCMA';

export interface ProfileSpec {
  /** FFmpeg muxer name. */
  readonly format: string;
  readonly video: boolean;
  readonly audio: boolean;
  /** Video codecs stored as they arrive; the first one is what others are transcoded to. */
  readonly videoCodecs: readonly FileCodec[];
  readonly audioCodecs: readonly FileCodec[];
  /** A single picture rather than a stream (JPEG snapshot). */
  readonly snapshot?: boolean;
}

const WEBM = { format: 'webm', videoCodecs: ['VP8', 'VP9'], audioCodecs: ['OPUS'] } as const;
// Matroska takes all of them; H.264 is stored as is, and transcoding targets VP8/Opus like WebM.
const MKV = { format: 'matroska', videoCodecs: ['VP8', 'VP9', 'H264'], audioCodecs: ['OPUS', 'AAC', 'PCMU', 'PCMA'] } as const;
const MP4 = { format: 'mp4', videoCodecs: ['H264'], audioCodecs: ['AAC'] } as const;

export const PROFILES: Record<Exclude<MediaProfile, 'KURENTO_SPLIT_RECORDER'>, ProfileSpec> = {
  WEBM: { ...WEBM, video: true, audio: true },
  WEBM_VIDEO_ONLY: { ...WEBM, video: true, audio: false },
  WEBM_AUDIO_ONLY: { ...WEBM, video: false, audio: true },
  MKV: { ...MKV, video: true, audio: true },
  MKV_VIDEO_ONLY: { ...MKV, video: true, audio: false },
  MKV_AUDIO_ONLY: { ...MKV, video: false, audio: true },
  MP4: { ...MP4, video: true, audio: true },
  MP4_VIDEO_ONLY: { ...MP4, video: true, audio: false },
  MP4_AUDIO_ONLY: { ...MP4, video: false, audio: true },
  JPEG_VIDEO_ONLY: { format: 'mjpeg', video: true, audio: false, videoCodecs: ['MJPEG'], audioCodecs: [], snapshot: true },
  FLV: { format: 'flv', video: true, audio: true, videoCodecs: ['H264'], audioCodecs: ['AAC'] },
};

/** The codecs a profile's track of one kind takes, the one others are transcoded to first. */
export function profileCodecs(spec: ProfileSpec, kind: 'AUDIO' | 'VIDEO'): CodecDescription[] {
  return (kind === 'VIDEO' ? spec.videoCodecs : spec.audioCodecs).map((name) => CODECS_BY_NAME[name]!);
}
