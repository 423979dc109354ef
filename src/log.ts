/**
 * Structured logging: one JSON object per line on stderr, so logs can be read by people and
 * shipped by machines alike. Levels follow the usual order; the level comes from the command
 * line (`--log-level`) or `KUROSHIO_LOG_LEVEL`.
 */

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  trace(msg: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value ?? '') ? (value as LogLevel) : fallback;
}

export function createLogger(component: string, level?: string, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const threshold = LOG_LEVELS.indexOf(parseLogLevel(level ?? process.env.KUROSHIO_LOG_LEVEL));
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (LOG_LEVELS.indexOf(lvl) > threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, component, pid: process.pid, msg, ...fields };
    write(JSON.stringify(record) + '\n');
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
    trace: (m, f) => emit('trace', m, f),
    child: (sub) => createLogger(`${component}.${sub}`, level, write),
  };
}
