/**
 * Imported for its effect by the modules that drive FFmpeg: the first one loaded routes FFmpeg's
 * log to the logger the process named (`ffmpeg-log.ts`); without one, FFmpeg keeps its own.
 */
import { AV_LOG_WARNING, Log } from 'node-av';
import { ffmpegLogTarget } from './ffmpeg-log.js';

const log = ffmpegLogTarget();
if (log) Log.setCallback((level, message) => log.debug('ffmpeg', { level, message: message.trimEnd() }), { maxLevel: AV_LOG_WARNING });
