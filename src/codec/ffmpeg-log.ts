/**
 * FFmpeg's own log lines go to our structured log instead of raw stderr (which carries one JSON
 * record per line): warnings and errors at debug level, since each failure that matters is
 * already reported through a return code and becomes an element's Error event.
 */
import { AV_LOG_WARNING, Log } from 'node-av';
import type { Logger } from '../log.js';

export function routeFfmpegLogs(log: Logger): void {
  Log.setCallback((level, message) => log.debug('ffmpeg', { level, message: message.trimEnd() }), { maxLevel: AV_LOG_WARNING });
}
