/**
 * ICE settings of a WebRtcEndpoint (KMS's properties and server defaults) turned into werift's
 * peer configuration, plus the candidate rewriting KMS does for `externalIPv4/6`.
 */
import { networkInterfaces } from 'node:os';
import type { PeerConfig, RTCIceServer } from 'werift';

export interface IceSettings {
  portRange?: [number, number];
  stunServerAddress?: string;
  stunServerPort?: number;
  /** Kurento format: `user:password@host:port?transport=udp|tcp`. */
  turnUrl?: string;
  iceTcp: boolean;
  /** Comma-separated interface names; only their addresses are used and announced. */
  networkInterfaces?: string;
  externalIPv4?: string;
  externalIPv6?: string;
}

export class IceSettingsError extends Error {}

/** Parses Kurento's TURN URL format into a WebRTC ICE server entry. */
export function parseTurnUrl(turnUrl: string): RTCIceServer {
  const match = /^(?:turns?:)?(?:([^:@]*):([^@]*)@)?([^:?]+|\[[^\]]+\])(?::(\d+))?(?:\?transport=(udp|tcp))?$/.exec(turnUrl.trim());
  if (!match) throw new IceSettingsError(`Invalid TURN URL '${turnUrl}' (expected user:password@host:port?transport=udp|tcp)`);
  const [, username, credential, host, port, transport] = match;
  const url = `turn:${host}:${port ?? '3478'}${transport ? `?transport=${transport}` : ''}`;
  return { urls: url, ...(username !== undefined ? { username, credential: credential ?? '' } : {}) };
}

/** Addresses of the named interfaces, or undefined when no restriction is set. */
export function interfaceAddresses(names: string | undefined): string[] | undefined {
  if (!names || names.trim() === '') return undefined;
  const all = networkInterfaces();
  const wanted = names.split(',').map((n) => n.trim()).filter(Boolean);
  return wanted.flatMap((name) => (all[name] ?? []).map((a) => a.address));
}

export function toPeerConfig(settings: IceSettings): Partial<PeerConfig> {
  const iceServers: RTCIceServer[] = [];
  if (settings.stunServerAddress) {
    iceServers.push({ urls: `stun:${settings.stunServerAddress}:${settings.stunServerPort ?? 3478}` });
  }
  if (settings.turnUrl) iceServers.push(parseTurnUrl(settings.turnUrl));
  const addresses = interfaceAddresses(settings.networkInterfaces);
  const config: Partial<PeerConfig> = {
    iceServers,
    iceUseTcp: settings.iceTcp,
    iceTcpPassive: settings.iceTcp,
    iceUseIpv6: true,
    ...(settings.portRange ? { icePortRange: settings.portRange } : {}),
  };
  if (addresses) Object.assign(config, restrictToAddresses(addresses));
  return config;
}

const isLoopback = (address: string): boolean => address === '::1' || address.startsWith('127.');

/**
 * werift binds every UDP socket of a family to `iceInterfaceAddresses[family]`, gathers host
 * candidates from the machine's non-loopback addresses, and — when none of those is in
 * `iceInterfaceAddresses` — falls back to all of them. So a loopback-only selection (`lo`)
 * would still gather the other interfaces' addresses, as candidates whose socket is really bound
 * to loopback. A family whose selected address is loopback (or absent) is therefore switched
 * off for discovery, and its loopback address is added explicitly instead.
 */
function restrictToAddresses(addresses: string[]): Partial<PeerConfig> {
  const v4 = addresses.find((a) => !a.includes(':'));
  const v6 = addresses.find((a) => a.includes(':') && !a.toLowerCase().startsWith('fe80'));
  const extra = [v4, v6].filter((a): a is string => a !== undefined && isLoopback(a));
  return {
    iceInterfaceAddresses: { ...(v4 ? { udp4: v4 } : {}), ...(v6 ? { udp6: v6 } : {}) },
    iceUseIpv4: v4 !== undefined && !isLoopback(v4),
    iceUseIpv6: v6 !== undefined && !isLoopback(v6),
    ...(extra.length > 0 ? { iceAdditionalHostAddresses: extra } : {}),
  };
}

const CANDIDATE_RE = /^(candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ )(\S+)(.*)$/;

/** Parsed essentials of an ICE candidate line. */
export function candidateAddress(candidate: string): { ip: string; type: string; protocol: string } | undefined {
  const m = /^candidate:\S+ \d+ (\S+) \d+ (\S+) \d+ typ (\S+)/.exec(candidate.replace(/^a=/, ''));
  return m ? { protocol: m[1]!.toLowerCase(), ip: m[2]!, type: m[3]! } : undefined;
}

/**
 * Applies the endpoint's candidate policy: candidates on addresses outside the selected
 * interfaces are dropped, and host candidates get the external address when one is configured.
 * Returns undefined for a candidate that must not be announced.
 */
export function rewriteCandidate(candidate: string, settings: IceSettings, allowed: string[] | undefined): string | undefined {
  const m = CANDIDATE_RE.exec(candidate);
  if (!m) return candidate;
  const [, head, ip, middle, type, tail] = m;
  if (type === 'host' && allowed && !allowed.includes(ip!)) return undefined;
  if (type !== 'host') return candidate;
  const external = ip!.includes(':') ? settings.externalIPv6 : settings.externalIPv4;
  return external ? `${head}${external}${middle}${type}${tail}` : candidate;
}

/** Applies `rewriteCandidate` to every candidate line of an SDP. */
export function rewriteSdpCandidates(sdp: string, settings: IceSettings, allowed: string[] | undefined): string {
  return sdp
    .split('\r\n')
    .flatMap((line) => {
      if (!line.startsWith('a=candidate:')) return [line];
      const rewritten = rewriteCandidate(line.slice(2), settings, allowed);
      return rewritten ? [`a=${rewritten}`] : [];
    })
    .join('\r\n');
}
