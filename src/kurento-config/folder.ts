/**
 * Kurento's own configuration folder (`/etc/kurento`), read as it is so that an existing KMS
 * deployment moves over by pointing Kuroshio at it:
 *
 * - `kurento.conf.json`: `mediaServer.net.websocket` (port, path, ipv6, secure port, certificate
 *   and password) and `mediaServer.resources` (garbage collector period, request cache);
 * - `modules/kurento/*.conf.ini` (or `.conf.json`, as KMS also reads): WebRtcEndpoint (STUN,
 *   TURN, network interfaces, external addresses, ICE-TCP, DTLS certificates), BaseRtpEndpoint
 *   (port range, MTU), MediaElement (encoder bitrates), SdpEndpoint (audio and video codecs),
 *   UriEndpoint (default path) and HttpEndpoint (the uploads' port, address and announced address).
 *
 * KMS's JSON files carry comments both as `"//"` keys and, in older versions, as `//` lines:
 * both are accepted. Settings KMS has and Kuroshio does not use (thread counts, resource limits,
 * the registrar, DSCP marking) are read and ignored. A file that cannot be parsed, or a value of
 * the wrong kind, stops the start-up with the file, line and setting named: KMS itself carries on
 * without a module file it cannot read, which hides the mistake.
 *
 * This module returns settings named like the server configuration's and imports nothing of it,
 * so that `config.ts` can use it without an import cycle.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { IniSyntaxError, parseIni } from './ini.js';

export const DEFAULT_KURENTO_FOLDER = '/etc/kurento';

export class KurentoConfigError extends Error {}

/** What a Kurento folder can set, named as in the server configuration. */
export interface KurentoFolderSettings {
  port?: number;
  path?: string;
  ipv6?: boolean;
  securePort?: number;
  certificate?: string;
  certificatePassword?: string;
  gcPeriod?: number;
  disableRequestCache?: boolean;
  stunServerAddress?: string;
  stunServerPort?: number;
  turnUrl?: string;
  networkInterfaces?: string;
  externalIPv4?: string;
  externalIPv6?: string;
  iceTcp?: boolean;
  pemCertificateRSA?: string;
  pemCertificateECDSA?: string;
  minPort?: number;
  maxPort?: number;
  mtu?: number;
  encoderBitrate?: number;
  minEncoderBitrate?: number;
  maxEncoderBitrate?: number;
  audioCodecs?: string[];
  videoCodecs?: string[];
  defaultUriPath?: string;
  httpEndpointPort?: number;
  httpEndpointAddress?: string;
  httpEndpointAnnouncedAddress?: string;
}

type Values = Record<string, unknown>;

/** Reads one setting of a parsed file, converting it the way KMS's property tree does (all values are text). */
class Reader {
  constructor(
    private readonly values: Values,
    private readonly file: string,
  ) {}

  private raw(key: string): unknown {
    return this.values[key];
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object') throw new KurentoConfigError(`${this.file}: '${key}' must be a single value`);
    return String(value);
  }

  integer(key: string): number | undefined {
    const text = this.string(key);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n)) throw new KurentoConfigError(`${this.file}: '${key}' must be an integer, got '${text}'`);
    return n;
  }

  boolean(key: string): boolean | undefined {
    const text = this.string(key)?.toLowerCase();
    if (text === undefined) return undefined;
    if (['1', 'true', 'yes', 'on'].includes(text)) return true;
    if (['0', 'false', 'no', 'off'].includes(text)) return false;
    throw new KurentoConfigError(`${this.file}: '${key}' must be 1 or 0 (true or false), got '${text}'`);
  }

  object(key: string): Reader {
    const value = this.raw(key);
    if (value === undefined) return new Reader({}, this.file);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KurentoConfigError(`${this.file}: '${key}' must be an object`);
    return new Reader(value as Values, this.file);
  }

  /** A KMS codec list: `[{ "name": "VP8/90000" }, ...]` (or names as strings). */
  codecs(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (!Array.isArray(value)) throw new KurentoConfigError(`${this.file}: '${key}' must be a list of codecs`);
    return value.map((entry) => {
      const name = typeof entry === 'string' ? entry : (entry as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !/^[\w.-]+\/\d+(\/\d+)?$/.test(name)) throw new KurentoConfigError(`${this.file}: '${key}' holds a codec without a name like 'VP8/90000'`);
      return name;
    });
  }
}

function readJson(file: string): Values {
  const errors: ParseError[] = [];
  const text = readFileSync(file, 'utf8');
  const parsed: unknown = parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    const line = text.slice(0, first.offset).split('\n').length;
    throw new KurentoConfigError(`${file}:${line}: JSON syntax error (${printParseErrorCode(first.error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new KurentoConfigError(`${file}: must hold a JSON object`);
  return parsed as Values;
}

function readIni(file: string): Values {
  try {
    return Object.fromEntries(parseIni(readFileSync(file, 'utf8'), file).get('')!);
  } catch (err) {
    if (err instanceof IniSyntaxError) throw new KurentoConfigError(err.message);
    throw err;
  }
}

/** The module files of `modules/kurento`, by name (`WebRtcEndpoint`), each parsed. */
function readModules(folder: string): Map<string, Reader> {
  const modules = new Map<string, Reader>();
  const dir = join(folder, 'modules', 'kurento');
  if (!existsSync(dir)) return modules;
  for (const name of readdirSync(dir).sort()) {
    const match = /^(.+)\.conf\.(ini|json)$/.exec(name);
    if (!match) continue;
    const file = join(dir, name);
    const values = match[2] === 'json' ? readJson(file) : readIni(file);
    modules.set(match[1]!, new Reader(values, file));
  }
  return modules;
}

/** `file:///var/lib/kurento/` → `/var/lib/kurento` (KMS writes the default path as a URI). */
function uriToPath(value: string, file: string): string {
  if (value.startsWith('file://')) return fileURLToPath(value);
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) throw new KurentoConfigError(`${file}: defaultPath must be a file:// URI or a path, got '${value}'`);
  return value;
}

function defined<T extends object>(settings: T): T {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as T;
}

/** Reads a Kurento configuration folder. Throws KurentoConfigError naming the file for bad content. */
export function readKurentoFolder(folder: string): KurentoFolderSettings {
  if (!existsSync(folder)) throw new KurentoConfigError(`Kurento configuration folder ${folder} does not exist`);
  const mainFile = join(folder, 'kurento.conf.json');
  const main = new Reader(existsSync(mainFile) ? readJson(mainFile) : {}, mainFile);
  const server = main.object('mediaServer');
  const resources = server.object('resources');
  const websocket = server.object('net').object('websocket');
  const secure = websocket.object('secure');
  const certificate = secure.string('certificate');
  const modules = readModules(folder);
  const none = new Reader({}, '');
  const webrtc = modules.get('WebRtcEndpoint') ?? none;
  const rtp = modules.get('BaseRtpEndpoint') ?? none;
  const element = modules.get('MediaElement') ?? none;
  const sdp = modules.get('SdpEndpoint') ?? none;
  const uri = modules.get('UriEndpoint') ?? none;
  const http = modules.get('HttpEndpoint') ?? none;
  const defaultPath = uri.string('defaultPath');
  // A port of 0 means "no plain WebSocket" in KMS; Kuroshio always has one, on its default port.
  const port = websocket.integer('port');
  const securePort = secure.integer('port');
  return defined<KurentoFolderSettings>({
    port: port === 0 ? undefined : port,
    path: websocket.string('path'),
    ipv6: websocket.boolean('ipv6'),
    securePort: securePort === 0 ? undefined : securePort,
    // Relative to the configuration file, as KMS resolves it.
    certificate: certificate === undefined ? undefined : isAbsolute(certificate) ? certificate : resolve(dirname(mainFile), certificate),
    certificatePassword: secure.string('password'),
    gcPeriod: resources.integer('garbageCollectorPeriod'),
    disableRequestCache: resources.boolean('disableRequestCache'),
    stunServerAddress: webrtc.string('stunServerAddress'),
    stunServerPort: webrtc.integer('stunServerPort'),
    turnUrl: webrtc.string('turnURL'),
    networkInterfaces: webrtc.string('networkInterfaces'),
    externalIPv4: webrtc.string('externalIPv4'),
    externalIPv6: webrtc.string('externalIPv6'),
    iceTcp: webrtc.boolean('iceTcp'),
    // `pemCertificate` is KMS's deprecated name for the RSA one.
    pemCertificateRSA: webrtc.string('pemCertificateRSA') ?? webrtc.string('pemCertificate'),
    pemCertificateECDSA: webrtc.string('pemCertificateECDSA'),
    minPort: rtp.integer('minPort'),
    maxPort: rtp.integer('maxPort'),
    mtu: rtp.integer('mtu'),
    encoderBitrate: element.integer('encoderBitrate'),
    minEncoderBitrate: element.integer('minEncoderBitrate'),
    maxEncoderBitrate: element.integer('maxEncoderBitrate'),
    audioCodecs: sdp.codecs('audioCodecs'),
    videoCodecs: sdp.codecs('videoCodecs'),
    defaultUriPath: defaultPath === undefined ? undefined : uriToPath(defaultPath, uri === none ? '' : 'UriEndpoint.conf.ini'),
    httpEndpointPort: http.integer('serverPort'),
    httpEndpointAddress: http.string('serverAddress'),
    httpEndpointAnnouncedAddress: http.string('announcedAddress'),
  });
}
