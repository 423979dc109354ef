/**
 * ICE restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1): a peer that calls `restartIce()` sends a new
 * offer whose ICE credentials changed and whose media did not. Such a re-offer renegotiates only
 * the ICE agent; the DTLS association, SRTP keys and RTP streams stay as they are.
 *
 * Every other re-offer (new or changed m-lines, codecs, directions) is refused as KMS refuses any
 * second offer (SDP_END_POINT_ALREADY_NEGOTIATED): renegotiating media is not supported.
 */
import type { RTCPeerConnection } from 'werift';

export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

/** The first ICE credentials of an SDP (session level or the first m-line: BUNDLE shares them). */
export function iceCredentials(sdp: string): IceCredentials | undefined {
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
  const pwd = /^a=ice-pwd:(\S+)/m.exec(sdp)?.[1];
  return ufrag && pwd ? { ufrag, pwd } : undefined;
}

/**
 * What an offer says about its media, without what an ICE restart may change: the m-lines'
 * kind, transport and formats (not their port, which a peer may set from a new default
 * candidate), and per line its mid, direction, codecs and their parameters, RTCP feedback,
 * header extensions, simulcast and SSRCs.
 */
export function mediaSignature(sdp: string): string {
  const kept = /^a=(mid|sendrecv|sendonly|recvonly|inactive|rtpmap|fmtp|rtcp-fb|extmap|rid|simulcast|ssrc-group|bundle-only|sctp-port|max-message-size)\b/;
  const lines: string[][] = [];
  for (const raw of sdp.split(/\r?\n/)) {
    if (raw.startsWith('m=')) {
      const [kind, , proto, ...formats] = raw.split(' ');
      lines.push([`${kind} ${proto} ${formats.join(' ')}`]);
      continue;
    }
    const line = lines[lines.length - 1];
    if (!line) continue;
    if (kept.test(raw)) line.push(raw);
    // An SSRC's msid/cname lines may be rewritten by some stacks; the SSRC number is what counts.
    const ssrc = /^a=ssrc:(\d+) /.exec(raw);
    if (ssrc) line.push(`ssrc ${ssrc[1]}`);
  }
  return lines.map(([head, ...attributes]) => [head, ...[...new Set(attributes)].sort()].join('\n')).join('\n--\n');
}

export type ReofferKind = 'ice-restart' | 'same-credentials' | 'media-changed';

/** Classifies a second offer against the one already answered. */
export function classifyReoffer(previous: string, offer: string): ReofferKind {
  if (mediaSignature(previous) !== mediaSignature(offer)) return 'media-changed';
  const before = iceCredentials(previous);
  const now = iceCredentials(offer);
  if (!now || (before && before.ufrag === now.ufrag && before.pwd === now.pwd)) return 'same-credentials';
  return 'ice-restart';
}

/**
 * Starts connectivity checks of a restarted agent. werift restarts its ICE connection when a
 * re-offer brings new remote credentials, and gathers again in setLocalDescription, but its
 * `connect()` returns at once when the DTLS transport is already connected, so the restarted
 * agent would never check nor nominate a pair: start it here, under the same DTLS transport.
 */
export function startRestartedIce(pc: RTCPeerConnection): Promise<void> {
  const transport = pc.iceTransports[0];
  // werift says 'completed' once gathering ends, before any check: a nominated pair is what counts.
  if (!transport || transport.state === 'closed' || transport.connection.nominated) return Promise.resolve();
  return transport.start();
}
