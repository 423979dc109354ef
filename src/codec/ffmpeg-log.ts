/**
 * FFmpeg's own log lines go to our structured log instead of raw stderr (which carries one JSON
 * record per line): warnings and errors at debug level, since each failure that matters is
 * already reported through a return code and becomes an element's Error event.
 *
 * The worker names the logger at start without loading FFmpeg; `ffmpeg-log-install.ts`, imported
 * by each of our modules that drives FFmpeg, installs the callback when FFmpeg is first loaded.
 */
import type { Logger } from '../log.js';

let target: Logger | undefined;

export function routeFfmpegLogs(log: Logger): void {
  target = log;
}

export function ffmpegLogTarget(): Logger | undefined {
  return target;
}
