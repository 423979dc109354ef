/**
 * Server configuration: defaults, then a JSON config file, then the environment variables of
 * Kurento's Docker image (so existing deployments move over unchanged), then command-line flags.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_KURENTO_FOLDER, KurentoConfigError, readKurentoFolder } from './kurento-config/folder.js';
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
  /** Responses and events queued for one client, in bytes, above which a client that stopped reading is disconnected. */
  maxOutgoingBytes: number;
  disableRequestCache: boolean;
  /**
   * KMS's resource guard: the share (0-1) of the port range, of the open-file limit or of the
   * machine's memory above which `create` answers NOT_ENOUGH_RESOURCES. Absent: no guard.
   */
  resourceLimit?: number;
  // ---- Access control (rpc/access-control.ts), all off unless set ----
  /** Shared secret a client must give on connect (`?token=`). */
  accessToken?: string;
  /** Key of HS256 JWTs accepted as tokens; a `"role": "monitor"` claim makes the connection read-only. */
  jwtSecret?: string;
  /** Token of read-only (monitoring) connections. */
  monitorToken?: string;
  /** Origins browsers may connect from. */
  allowedOrigins?: string[];
  /** Folder file:// URIs of players and recorders must stay inside, resolved as the file system does. */
  uriRoot?: string;
  /** Objects one session may hold before `create` answers NOT_ENOUGH_RESOURCES. Absent: no limit. */
  maxSessionObjects?: number;
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

  // ---- Operations: metrics, console, Kurento's configuration folder (see ops/, kurento-config/) ----
  /** Port of its own for /metrics, /health, /ready and the console; absent: the WebSocket port serves them. */
  metricsPort?: number;
  /** Serve the live console at /console, behind `consoleToken`. Off unless asked for. */
  console: boolean;
  consoleToken?: string;
  /** The Kurento configuration folder read at start-up (`/etc/kurento` when it exists). */
  kurentoConfig?: string;
  /** `wss://` port, and its certificate chain and private key in one PEM file (kurento.conf.json). */
  securePort?: number;
  certificate?: string;
  certificatePassword?: string;
  /** Listen on IPv6 as well as IPv4 (kurento.conf.json `ipv6`); false binds IPv4 only. */
  ipv6: boolean;
  /** Defaults of element properties: BaseRtpEndpoint.mtu, MediaElement's encoder bitrates. */
  mtu?: number;
  encoderBitrate?: number;
  minEncoderBitrate?: number;
  maxEncoderBitrate?: number;
  /** Folder of URIs given without a scheme (UriEndpoint.conf.ini `defaultPath`). */
  defaultUriPath?: string;
  /** Codecs SDP endpoints negotiate, best first, as `NAME/clockrate` (SdpEndpoint.conf.json). */
  audioCodecs?: string[];
  videoCodecs?: string[];
  /** DTLS certificate chain + private key (PEM) of WebRtcEndpoints, by the key type they ask for. */
  pemCertificateRSA?: string;
  pemCertificateECDSA?: string;
  /** Port of the HTTP server of HttpPostEndpoint uploads (KMS's HttpEndpoint `serverPort`); 0: any free port. */
  httpEndpointPort: number;
  /** Address it binds to (KMS's `serverAddress`); all addresses by default. */
  httpEndpointAddress?: string;
  /** Host put in the URLs `getUrl` gives (KMS's `announcedAddress`); the machine's first address by default. */
  httpEndpointAnnouncedAddress?: string;
  /**
   * Where WHIP/WHEP clients reach the WebSocket port's HTTP side (`https://media.example.com`),
   * for the URLs `getWhipUrl`/`getWhepUrl` give; `http://<host>:<port>` by default.
   */
  whipBaseUrl?: string;
  /**
   * Plugin modules to load besides the built-in ones and Kurento's example modules: folders or
   * npm packages (docs/PLUGINS.md). Relative folders are resolved against the current directory.
   */
  modules: string[];
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
  maxOutgoingBytes: 64 * 1024 * 1024,
  disableRequestCache: false,
  metadata: '',
  iceTcp: true,
  console: false,
  ipv6: true,
  httpEndpointPort: 9091,
  modules: [],
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
  --http-port <n>       port of HttpPostEndpoint uploads, 0 for any (default 9091)
  --whip-base-url <u>   public URL of the WebSocket port for WHIP/WHEP URLs
                        (default http://<host>:<port>)
  --max-message <bytes> largest JSON-RPC message accepted (default 1048576)
  --max-outgoing <bytes> responses and events queued for a client that does not read
                        them, above which it is disconnected (default 67108864)
  --resource-limit <f>  refuse create (40009) above this share (0-1) of ports, open files or
                        memory in use (default: no guard; KMS uses 0.8)
  --max-session-objects <n>  objects one session may hold (default: no limit)
  --access-token <t>    require this token on connect (?token=...)
  --jwt-secret <key>    accept HS256 JWTs signed with this key as tokens
  --monitor-token <t>   token of read-only (monitoring) connections
  --allowed-origins <list>  origins browsers may connect from, comma-separated
  --uri-root <dir>      folder that players' and recorders' file URIs must stay inside
  --log-level <level>   error | warn | info | debug | trace (default info)
  --modules <list>      plugin modules to load: folders or npm packages, comma-separated
                        (repeatable; docs/PLUGINS.md)
  --config <file>       JSON file with any of these settings (camelCase keys)
  --kurento-config <dir> Kurento configuration folder: kurento.conf.json and
                        modules/kurento/*.conf.ini (default /etc/kurento, if it exists)
  --metrics-port <n>    serve /metrics, /health, /ready (and the console) on this port
                        instead of the WebSocket port
  --console             serve the live pipeline console at /console (needs a token)
  --console-token <t>   the console's access token (or KUROSHIO_CONSOLE_TOKEN; without
                        either, a random one is made and logged at start-up)
  --help                show this text

Precedence: defaults, then the Kurento folder, then --config, then the environment, then the
options above.

Environment (as in Kurento's Docker image): KMS_MIN_PORT, KMS_MAX_PORT, KMS_MTU, KMS_STUN_IP,
KMS_STUN_PORT, KMS_TURN_URL, KMS_EXTERNAL_IPV4, KMS_EXTERNAL_IPV6, KMS_NETWORK_INTERFACES,
KMS_ICE_TCP, KMS_PEM_CERTIFICATE_RSA, KMS_PEM_CERTIFICATE_ECDSA.
KUROSHIO_MODULES: plugin modules, separated by commas or colons.
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
  if (env.KMS_MTU) out.mtu = toInt(env.KMS_MTU, 'KMS_MTU');
  if (env.KMS_PEM_CERTIFICATE_RSA) out.pemCertificateRSA = env.KMS_PEM_CERTIFICATE_RSA;
  if (env.KMS_PEM_CERTIFICATE_ECDSA) out.pemCertificateECDSA = env.KMS_PEM_CERTIFICATE_ECDSA;
  if (env.KUROSHIO_CONSOLE_TOKEN) out.consoleToken = env.KUROSHIO_CONSOLE_TOKEN;
  if (env.KUROSHIO_ACCESS_TOKEN) out.accessToken = env.KUROSHIO_ACCESS_TOKEN;
  if (env.KUROSHIO_JWT_SECRET) out.jwtSecret = env.KUROSHIO_JWT_SECRET;
  if (env.KUROSHIO_MONITOR_TOKEN) out.monitorToken = env.KUROSHIO_MONITOR_TOKEN;
  if (env.KUROSHIO_MODULES) out.modules = splitModules(env.KUROSHIO_MODULES, /[,:]/);
  return out;
}

function splitModules(list: string, separator: RegExp): string[] {
  return list.split(separator).map((s) => s.trim()).filter((s) => s !== '');
}

/** Folders named relatively are taken from the current directory; package names stay as they are. */
function absoluteModules(modules: readonly string[]): string[] {
  return modules.map((m) => (m.startsWith('.') ? resolve(m) : m));
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
  const known = new Set(Object.keys(DEFAULT_CONFIG).concat(['stunServerAddress', 'stunServerPort', 'turnUrl', 'externalIPv4', 'externalIPv6', 'networkInterfaces'], OPTIONAL_KEYS));
  for (const key of Object.keys(parsed)) if (!known.has(key)) throw new ConfigError(`unknown setting '${key}' in ${path}`);
  const out = parsed as Partial<ServerConfig> & { metadata?: unknown };
  if (out.metadata !== undefined && typeof out.metadata !== 'string') out.metadata = JSON.stringify(out.metadata);
  const modules = (parsed as { modules?: unknown }).modules;
  if (modules !== undefined && !(Array.isArray(modules) && modules.every((m) => typeof m === 'string'))) {
    throw new ConfigError(`'modules' in ${path} must be a list of folders or package names`);
  }
  return out as Partial<ServerConfig>;
}

/** Settings without a default that a JSON config file may hold (operations group). */
const OPTIONAL_KEYS = [
  'metricsPort', 'consoleToken', 'kurentoConfig', 'securePort', 'certificate', 'certificatePassword', 'mtu', 'encoderBitrate',
  'minEncoderBitrate', 'maxEncoderBitrate', 'defaultUriPath', 'audioCodecs', 'videoCodecs', 'pemCertificateRSA', 'pemCertificateECDSA',
  'httpEndpointAddress', 'httpEndpointAnnouncedAddress', 'whipBaseUrl', 'resourceLimit', 'maxSessionObjects',
  'accessToken', 'jwtSecret', 'monitorToken', 'allowedOrigins', 'uriRoot',
];

function kurentoSettings(folder: string): ReturnType<typeof readKurentoFolder> {
  try {
    return readKurentoFolder(folder);
  } catch (err) {
    if (err instanceof KurentoConfigError) throw new ConfigError(err.message);
    throw err;
  }
}

/** The Kurento folder to read: the one named, else /etc/kurento when it exists (KMS's own default). */
function kurentoFolder(named: string | undefined): string | undefined {
  if (named !== undefined) return named;
  return existsSync(DEFAULT_KURENTO_FOLDER) ? DEFAULT_KURENTO_FOLDER : undefined;
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
      'http-port': { type: 'string' },
      'whip-base-url': { type: 'string' },
      'max-message': { type: 'string' },
      'max-outgoing': { type: 'string' },
      'resource-limit': { type: 'string' },
      'access-token': { type: 'string' },
      'jwt-secret': { type: 'string' },
      'monitor-token': { type: 'string' },
      'allowed-origins': { type: 'string' },
      'uri-root': { type: 'string' },
      'max-session-objects': { type: 'string' },
      'log-level': { type: 'string' },
      modules: { type: 'string', multiple: true },
      config: { type: 'string' },
      'kurento-config': { type: 'string' },
      'metrics-port': { type: 'string' },
      console: { type: 'boolean' },
      'console-token': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  const folder = kurentoFolder(values['kurento-config']);
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    ...(folder ? kurentoSettings(folder) : {}),
    ...(values.config ? fromFile(values.config) : {}),
    ...fromEnvironment(env),
  };
  if (folder) config.kurentoConfig = folder;
  if (values['metrics-port']) config.metricsPort = toInt(values['metrics-port'], '--metrics-port');
  if (values.console) config.console = true;
  if (values['console-token']) config.consoleToken = values['console-token'];
  if (env.KUROSHIO_LOG_LEVEL) config.logLevel = parseLogLevel(env.KUROSHIO_LOG_LEVEL, config.logLevel);
  if (values.port) config.port = toInt(values.port, '--port');
  if (values.host) config.host = values.host;
  if (values.path) config.path = values.path;
  if (values.workers) config.workers = toInt(values.workers, '--workers');
  if (values['min-port']) config.minPort = toInt(values['min-port'], '--min-port');
  if (values['max-port']) config.maxPort = toInt(values['max-port'], '--max-port');
  if (values['gc-period']) config.gcPeriod = Number(values['gc-period']);
  if (values['http-port']) config.httpEndpointPort = toInt(values['http-port'], '--http-port');
  if (values['whip-base-url']) config.whipBaseUrl = values['whip-base-url'];
  if (values['max-message']) config.maxMessageBytes = toInt(values['max-message'], '--max-message');
  if (values['access-token']) config.accessToken = values['access-token'];
  if (values['jwt-secret']) config.jwtSecret = values['jwt-secret'];
  if (values['monitor-token']) config.monitorToken = values['monitor-token'];
  if (values['allowed-origins']) config.allowedOrigins = values['allowed-origins'].split(',').map((o) => o.trim()).filter((o) => o !== '');
  if (values['uri-root']) config.uriRoot = resolve(values['uri-root']);
  if (values['resource-limit']) config.resourceLimit = Number(values['resource-limit']);
  if (values['max-session-objects']) config.maxSessionObjects = toInt(values['max-session-objects'], '--max-session-objects');
  if (values['max-outgoing']) config.maxOutgoingBytes = toInt(values['max-outgoing'], '--max-outgoing');
  if (values['log-level']) config.logLevel = parseLogLevel(values['log-level'], config.logLevel);
  if (values.modules) config.modules = values.modules.flatMap((m) => splitModules(m, /,/));
  config.modules = absoluteModules(config.modules);
  config.path = config.path.replace(/^\/+/, '');
  if (!config.ipv6 && config.host === '::') config.host = '0.0.0.0';
  validate(config);
  return { help: false, config };
}

function validate(config: ServerConfig): void {
  if (config.port < 0 || config.port > 65535) throw new ConfigError(`port out of range: ${config.port}`);
  if (config.workers < 1) throw new ConfigError('at least one media worker is needed');
  if (config.minPort < 1 || config.maxPort > 65535 || config.minPort > config.maxPort) {
    throw new ConfigError(`bad port range ${config.minPort}-${config.maxPort}`);
  }
  if (config.httpEndpointPort < 0 || config.httpEndpointPort > 65535) throw new ConfigError(`http port out of range: ${config.httpEndpointPort}`);
  if (!(config.gcPeriod > 0)) throw new ConfigError(`gc period must be positive, got ${config.gcPeriod}`);
  if (config.maxMessageBytes < 1024) throw new ConfigError('max message size must be at least 1024 bytes');
  if (config.resourceLimit !== undefined && !(config.resourceLimit > 0 && config.resourceLimit <= 1)) throw new ConfigError(`resource limit must be a share in (0, 1], got ${config.resourceLimit}`);
  if (config.maxSessionObjects !== undefined && config.maxSessionObjects < 1) throw new ConfigError('max session objects must be at least 1');
  if (!(config.maxOutgoingBytes >= 65536)) throw new ConfigError('max outgoing buffer must be at least 65536 bytes');
  if (config.securePort !== undefined && !config.certificate) throw new ConfigError('a secure WebSocket port needs a certificate');
  if (config.metricsPort !== undefined && (config.metricsPort < 0 || config.metricsPort > 65535)) throw new ConfigError(`metrics port out of range: ${config.metricsPort}`);
}
