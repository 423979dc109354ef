/**
 * Failures of reading or writing media, named the way KMS names the GStreamer errors it reports
 * in an element's `Error` event (`type`), with GStreamer's error code (`errorCode`).
 */
import { FFmpegError } from 'node-av';

export type MediaIoErrorType =
  | 'RESOURCE_ERROR_NOT_FOUND'
  | 'RESOURCE_ERROR_OPEN'
  | 'RESOURCE_ERROR_READ'
  | 'RESOURCE_ERROR_WRITE'
  | 'RESOURCE_ERROR_NO_SPACE_LEFT'
  | 'STREAM_ERROR_DECODE'
  | 'STREAM_ERROR_FAILED'
  | 'INVALID_URI'
  | 'INVALID_MEDIA';

/** GStreamer's codes (GstResourceError, GstStreamError); KMS's own player errors use 0. */
const GST_CODES: Record<MediaIoErrorType, number> = {
  RESOURCE_ERROR_NOT_FOUND: 3,
  RESOURCE_ERROR_OPEN: 5,
  RESOURCE_ERROR_READ: 9,
  RESOURCE_ERROR_WRITE: 10,
  RESOURCE_ERROR_NO_SPACE_LEFT: 14,
  STREAM_ERROR_FAILED: 1,
  STREAM_ERROR_DECODE: 7,
  INVALID_URI: 0,
  INVALID_MEDIA: 0,
};

export class MediaIoError extends Error {
  readonly errorCode: number;

  constructor(
    readonly type: MediaIoErrorType,
    message: string,
    errorCode?: number,
  ) {
    super(message);
    this.name = 'MediaIoError';
    this.errorCode = errorCode ?? GST_CODES[type];
  }
}

export type IoPhase = 'open-read' | 'open' | 'read' | 'write';

// Negative errno values as FFmpeg returns them (AVERROR(E...)) on Linux.
const ENOENT = -2;
const EIO = -5;
const EACCES = -13;
const ENOTDIR = -20;
const EISDIR = -21;
const ENOSPC = -28;
const EROFS = -30;
const EPERM = -1;

/** Names an FFmpeg error code by what failed and when. */
export function ioErrorFromCode(code: number, what: string, phase: IoPhase): MediaIoError {
  const detail = `${what}: ${FFmpegError.strerror(code)}`;
  if (code === ENOSPC) return new MediaIoError('RESOURCE_ERROR_NO_SPACE_LEFT', detail);
  if (phase === 'open-read' && code === ENOENT) return new MediaIoError('RESOURCE_ERROR_NOT_FOUND', detail);
  if (phase === 'open' && [ENOENT, EACCES, EPERM, EROFS, ENOTDIR, EISDIR].includes(code)) {
    return new MediaIoError('RESOURCE_ERROR_OPEN', detail, 6); // GST_RESOURCE_ERROR_OPEN_WRITE
  }
  if (phase === 'open-read' || phase === 'open') return new MediaIoError('RESOURCE_ERROR_OPEN', detail);
  if (phase === 'write' || code === EIO) return new MediaIoError(phase === 'write' ? 'RESOURCE_ERROR_WRITE' : 'RESOURCE_ERROR_READ', detail);
  return new MediaIoError('RESOURCE_ERROR_READ', detail);
}
