/**
 * A check of an SDP before it reaches the WebRTC stack, so that bad input gets KMS's error codes
 * with a message that says what is wrong, instead of whatever the parser underneath makes of it.
 *
 * KMS (SdpEndpointImpl) answers SDP_PARSE_ERROR only when the text is not SDP at all (empty, or
 * no version line once GStreamer's lenient parser is done with it); an SDP that parses but cannot
 * be negotiated (no ICE credentials, no DTLS fingerprint: a truncated offer, typically) fails in
 * the session as SDP_END_POINT_PROCESS_OFFER_ERROR (or _ANSWER_ERROR). The same split here.
 */
import { KurentoError } from '../errors.js';

export interface SdpProblem {
  /** Not SDP at all (SDP_PARSE_ERROR), or SDP that WebRTC cannot negotiate. */
  kind: 'parse' | 'negotiation';
  reason: string;
}

const parse = (reason: string): SdpProblem => ({ kind: 'parse', reason });
const negotiation = (reason: string): SdpProblem => ({ kind: 'negotiation', reason });

/**
 * What is wrong with an SDP as text, whatever the transport: not SDP at all (SDP_PARSE_ERROR),
 * or media lines that cannot be read. Undefined when it can be negotiated line by line.
 */
export function checkSdpText(sdp: string, what: 'offer' | 'answer'): SdpProblem | undefined {
  if (typeof sdp !== 'string' || sdp.trim() === '') return parse(`empty ${what}`);
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') return parse('it must start with v=0');
  const bad = lines.find((l) => !/^[a-z]=/.test(l));
  if (bad !== undefined) return parse(`malformed line '${bad.slice(0, 60)}'`);
  if (!lines.some((l) => l.startsWith('o='))) return parse('no origin (o=) line');
  const media = lines.filter((l) => l.startsWith('m='));
  if (media.length === 0) return negotiation('no media (m=) section');
  for (const m of media) {
    if (!/^m=[a-z]+ \d+(\/\d+)? \S+( \S+)*$/.test(m)) return negotiation(`malformed media line '${m.slice(0, 60)}'`);
  }
  return undefined;
}

/** Returns what is wrong with a WebRTC SDP, or undefined when it is well-formed enough to negotiate. */
export function checkSdp(sdp: string, what: 'offer' | 'answer'): SdpProblem | undefined {
  const text = checkSdpText(sdp, what);
  if (text) return text;
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  if (!lines.some((l) => l.startsWith('a=ice-ufrag:'))) return negotiation('no ICE credentials (a=ice-ufrag)');
  if (!lines.some((l) => l.startsWith('a=ice-pwd:'))) return negotiation('no ICE password (a=ice-pwd)');
  if (!lines.some((l) => /^a=fingerprint:\S+ [0-9A-Fa-f:]+$/.test(l))) return negotiation('no DTLS fingerprint (a=fingerprint)');
  return undefined;
}

/** Throws KMS's error for an SDP that `check` (WebRTC's by default) finds wrong. */
export function assertSdp(sdp: string, what: 'offer' | 'answer', check: typeof checkSdp = checkSdp): void {
  const problem = check(sdp, what);
  if (!problem) return;
  if (problem.kind === 'parse') throw new KurentoError('SDP_PARSE_ERROR', `Error parsing SDP ${what}: ${problem.reason}`);
  const type = what === 'offer' ? 'SDP_END_POINT_PROCESS_OFFER_ERROR' : 'SDP_END_POINT_PROCESS_ANSWER_ERROR';
  throw new KurentoError(type, `Error processing ${what}: ${problem.reason}`);
}
