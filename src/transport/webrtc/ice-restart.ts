/**
 * ICE restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1): a peer that calls `restartIce()` sends a new
 * offer whose ICE credentials changed and whose media did not. Such a re-offer renegotiates only
 * the ICE agent; the DTLS association, SRTP keys and RTP streams stay as they are.
 *
 * Every other re-offer (new or changed m-lines, codecs, directions) is refused as KMS refuses any
 * second offer (SDP_END_POINT_ALREADY_NEGOTIATED): renegotiating media is not supported.
 */
import type { RTCPeerConnection } from 'werift';
import { KurentoError } from '../../errors.js';

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

interface MediaLine {
  /** What must not change: kind, transport, mid, direction, simulcast, SSRCs. */
  fixed: string;
  /** What a later offer may narrow (JSEP, RFC 8829 §5.2.2): codecs, their parameters and feedback, header extensions. */
  narrowable: Set<string>;
}

const FIXED = /^a=(mid|sendrecv|sendonly|recvonly|inactive|rid|simulcast|ssrc-group|bundle-only|sctp-port|max-message-size)\b/;
const NARROWABLE = /^a=(rtpmap|fmtp|rtcp-fb|extmap):/;

/**
 * What an offer says about its media, without what an ICE restart may change (credentials,
 * candidates, the m-line's port, which a peer may set from a new default candidate).
 */
export function mediaLines(sdp: string): MediaLine[] {
  const lines: { fixed: string[]; narrowable: Set<string> }[] = [];
  for (const raw of sdp.split(/\r?\n/)) {
    if (raw.startsWith('m=')) {
      const [kind, , proto] = raw.split(' ');
      lines.push({ fixed: [`${kind} ${proto}`], narrowable: new Set() });
      continue;
    }
    const line = lines[lines.length - 1];
    if (!line) continue;
    if (FIXED.test(raw)) line.fixed.push(raw);
    if (NARROWABLE.test(raw)) line.narrowable.add(raw);
    // An SSRC's msid/cname lines may be rewritten by some stacks; the SSRC number is what counts.
    const ssrc = /^a=ssrc:(\d+) /.exec(raw);
    if (ssrc) line.fixed.push(`ssrc ${ssrc[1]}`);
  }
  return lines.map(({ fixed: [head, ...rest], narrowable }) => ({ fixed: [head, ...[...new Set(rest)].sort()].join('\n'), narrowable }));
}

/**
 * Whether `offer` keeps the media of `previous`: the same lines with the same fixed attributes,
 * codecs and extensions among those offered before (browsers re-offer only what was negotiated:
 * Chromium leaves out the header extensions our answer did not take), and every codec of our
 * `answer` still offered.
 */
export function sameMedia(previous: string, offer: string, answer: string): boolean {
  const before = mediaLines(previous);
  const now = mediaLines(offer);
  const answered = mediaLines(answer);
  if (before.length !== now.length) return false;
  return now.every((line, i) => {
    const old = before[i]!;
    if (line.fixed !== old.fixed) return false;
    for (const attribute of line.narrowable) if (!old.narrowable.has(attribute)) return false;
    const ours = [...(answered[i]?.narrowable ?? [])].filter((a) => a.startsWith('a=rtpmap:'));
    return ours.every((a) => line.narrowable.has(a));
  });
}

export type ReofferKind = 'ice-restart' | 'same-credentials' | 'media-changed';

/** Classifies a second offer against the one already answered (and our answer to it). */
export function classifyReoffer(previous: string, offer: string, answer: string): ReofferKind {
  if (!sameMedia(previous, offer, answer)) return 'media-changed';
  const before = iceCredentials(previous);
  const now = iceCredentials(offer);
  if (!now || (before && before.ufrag === now.ufrag && before.pwd === now.pwd)) return 'same-credentials';
  return 'ice-restart';
}

/**
 * Refuses, with KMS's 40208, a second offer that is not an ICE restart (or one that comes while
 * a restart is being negotiated), saying why.
 */
export function assertIceRestart(previous: string, offer: string, answer: string, restarting: boolean): void {
  const refuse = (why: string): KurentoError => new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', `Endpoint already negotiated (${why})`);
  const kind = classifyReoffer(previous, offer, answer);
  if (kind === 'media-changed') throw refuse('a new offer may only restart ICE; its media lines changed');
  if (kind === 'same-credentials') throw refuse('the new offer does not restart ICE');
  if (restarting) throw refuse('an ICE restart is already being negotiated');
}

/** Applies a restarting offer to werift (which then restarts its ICE connection) and makes the answer. */
export async function answerRestart(pc: RTCPeerConnection, offer: string): Promise<string> {
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    return (await pc.createAnswer()).sdp;
  } catch (err) {
    throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', `Error processing offer: ${(err as Error).message}`);
  }
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
