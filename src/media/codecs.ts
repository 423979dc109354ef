/**
 * The codecs media travels in between elements, described once. Those a WebRTC or RTP peer
 * negotiates carry their usual parameters; AAC and JPEG are internal forms (whole frames, one per
 * packet) that only containers take: AAC for MP4 and FLV recordings and from played files, JPEG
 * for snapshots.
 */
import type { CodecDescription } from './rtp-media.js';

export const VP8: CodecDescription = { mimeType: 'video/VP8', clockRate: 90000 };
export const VP9: CodecDescription = { mimeType: 'video/VP9', clockRate: 90000, parameters: 'profile-id=0' };
export const H264: CodecDescription = {
  mimeType: 'video/H264',
  clockRate: 90000,
  parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
};
export const OPUS: CodecDescription = { mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: 'minptime=10;useinbandfec=1' };
export const PCMU: CodecDescription = { mimeType: 'audio/PCMU', clockRate: 8000, channels: 1 };
export const PCMA: CodecDescription = { mimeType: 'audio/PCMA', clockRate: 8000, channels: 1 };
/** AAC-LC as our encoders make it; a played file's AAC keeps its own rate, channels and `config`. */
export const AAC: CodecDescription = { mimeType: 'audio/AAC', clockRate: 48000, channels: 2 };
export const JPEG: CodecDescription = { mimeType: 'video/JPEG', clockRate: 90000 };

/** By `codecName` (and the file codec names of media-profile.ts). */
export const CODECS_BY_NAME: Readonly<Record<string, CodecDescription>> = { VP8, VP9, H264, OPUS, PCMU, PCMA, AAC, JPEG, MJPEG: JPEG };
