/**
 * Server configuration: defaults, then a JSON config file, then the environment variables of
 * Kurento's Docker image (so existing deployments move over unchanged), then command-line flags.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseLogLevel, type LogLevel } from './log.js';

export interface ServerConfig {
  /** Address the WebSocket server binds to ('::' listens on IPv6 and IPv4). */
  host: string;
  port: number;
  /** WebSocket path, without the leading slash. */
  path: string;
  workers: number;
  /** UDP/TCP port range for RTP and ICE. */
  minPort: number;
  maxPort: number;
  /** Garbage-collection period of idle sessions, in seconds. */
  gcPeriod: number;
  logLevel: LogLevel;
  /** Largest JSON-RPC message accepted, in bytes. */
  maxMessageBytes: number;
  disableRequestCache: boolean;
  /** Free text returned by ServerManager.getMetadata. */
  metadata: string;
  /** Defaults for every WebRtcEndpoint. */
  stunServerAddress?: string;
  stunServerPort?: number;
  turnUrl?: string;
  externalIPv4?: string;
  externalIPv6?: string;
  networkInterfaces?: string;
  iceTcp: boolean;
}

export const DEFAULT_CONFIG: ServerConfig = {
  host: '::',
  port: 8888,
  path: 'kurento',
  workers: availableParallelism(),
  minPort: 40000,
  maxPort: 57999,
  gcPeriod: 240,
  logLevel: 'info',
  maxMessageBytes: 1024 * 1024,
  disableRequestCache: false,
  metadata: '',
  iceTcp: true,
};

const USAGE = `Usage: kuroshio [options]

Starts a Kuroshio media server speaking the Kurento Protocol on ws://<host>:<port>/<path>.

Options:
  --port <n>            WebSocket port (default 8888)
  --host <addr>         address to bind (default :: — IPv6 and IPv4)
  --path <p>            WebSocket path (default kurento)
  --workers <n>         media worker processes (default: number of cores)
  --min-port <n>        lowest UDP/TCP port for RTP and ICE (default 40000)
  --max-port <n>        highest UDP/TCP port for RTP and ICE (default 57999)
  --gc-period <s>       seconds between collections of idle sessions (default 240)
  --max-message <bytes> largest JSON-RPC message accepted (default 1048576)
  --log-level <level>   error | warn | info | debug | trace (default info)
  --config <file>       JSON file with any of these settings (camelCase keys)
  --help                show this text

Environment (as in Kurento's Docker image): KMS_MIN_PORT, KMS_MAX_PORT, KMS_STUN_IP,
KMS_STUN_PORT, KMS_TURN_URL, KMS_EXTERNAL_IPV4, KMS_EXTERNAL_IPV6, KMS_NETWORK_INTERFACES,
KMS_ICE_TCP.
`;

export class ConfigError extends Error {}

function toInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got '${value}'`);
  return n;
}

function fromEnvironment(env: NodeJS.ProcessEnv): Partial<ServerConfig> {
  const out: Partial<ServerConfig> = {};
  if (env.KMS_MIN_PORT) out.minPort = toInt(env.KMS_MIN_PORT, 'KMS_MIN_PORT');
  if (env.KMS_MAX_PORT) out.maxPort = toInt(env.KMS_MAX_PORT, 'KMS_MAX_PORT');
  if (env.KMS_STUN_IP) out.stunServerAddress = env.KMS_STUN_IP;
  if (env.KMS_STUN_PORT) out.stunServerPort = toInt(env.KMS_STUN_PORT, 'KMS_STUN_PORT');
  if (env.KMS_TURN_URL) out.turnUrl = env.KMS_TURN_URL;
  if (env.KMS_EXTERNAL_IPV4) out.externalIPv4 = env.KMS_EXTERNAL_IPV4;
  if (env.KMS_EXTERNAL_IPV6) out.externalIPv6 = env.KMS_EXTERNAL_IPV6;
  if (env.KMS_NETWORK_INTERFACES) out.networkInterfaces = env.KMS_NETWORK_INTERFACES;
  if (env.KMS_ICE_TCP) out.iceTcp = !['0', 'false', 'no'].includes(env.KMS_ICE_TCP.toLowerCase());
  return out;
}

function fromFile(path: string): Partial<ServerConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const known = new Set(Object.keys(DEFAULT_CONFIG).concat(['stunServerAddress', 'stunServerPort', 'turnUrl', 'externalIPv4', 'externalIPv6', 'networkInterfaces']));
  for (const key of Object.keys(parsed)) if (!known.has(key)) throw new ConfigError(`unknown setting '${key}' in ${path}`);
  const out = parsed as Partial<ServerConfig> & { metadata?: unknown };
  if (out.metadata !== undefined && typeof out.metadata !== 'string') out.metadata = JSON.stringify(out.metadata);
  return out as Partial<ServerConfig>;
}

export type ParsedCommandLine = { help: true } | { help: false; config: ServerConfig };

export function usage(): string {
  return USAGE;
}

/** Builds the configuration from the command line and environment. Throws ConfigError on bad input. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      path: { type: 'string' },
      workers: { type: 'string' },
      'min-port': { type: 'string' },
      'max-port': { type: 'string' },
      'gc-period': { type: 'string' },
      'max-message': { type: 'string' },
      'log-level': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    ...(values.config ? fromFile(values.config) : {}),
    ...fromEnvironment(env),
  };
  if (env.KUROSHIO_LOG_LEVEL) config.logLevel = parseLogLevel(env.KUROSHIO_LOG_LEVEL, config.logLevel);
  if (values.port) config.port = toInt(values.port, '--port');
  if (values.host) config.host = values.host;
  if (values.path) config.path = values.path;
  if (values.workers) config.workers = toInt(values.workers, '--workers');
  if (values['min-port']) config.minPort = toInt(values['min-port'], '--min-port');
  if (values['max-port']) config.maxPort = toInt(values['max-port'], '--max-port');
  if (values['gc-period']) config.gcPeriod = Number(values['gc-period']);
  if (values['max-message']) config.maxMessageBytes = toInt(values['max-message'], '--max-message');
  if (values['log-level']) config.logLevel = parseLogLevel(values['log-level'], config.logLevel);
  config.path = config.path.replace(/^\/+/, '');
  validate(config);
  return { help: false, config };
}

function validate(config: ServerConfig): void {
  if (config.port < 0 || config.port > 65535) throw new ConfigError(`port out of range: ${config.port}`);
  if (config.workers < 1) throw new ConfigError('at least one media worker is needed');
  if (config.minPort < 1 || config.maxPort > 65535 || config.minPort > config.maxPort) {
    throw new ConfigError(`bad port range ${config.minPort}-${config.maxPort}`);
  }
  if (!(config.gcPeriod > 0)) throw new ConfigError(`gc period must be positive, got ${config.gcPeriod}`);
  if (config.maxMessageBytes < 1024) throw new ConfigError('max message size must be at least 1024 bytes');
}
