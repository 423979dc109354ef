/**
 * A structural check of an SDP before it reaches the WebRTC stack, so that garbage gets a clear
 * SDP_PARSE_ERROR instead of whatever the parser underneath would make of it.
 */

/** Returns what is wrong with the SDP, or undefined when it is well-formed enough to negotiate. */
export function checkSdp(sdp: string, what: 'offer' | 'answer'): string | undefined {
  if (typeof sdp !== 'string' || sdp.trim() === '') return `empty ${what}`;
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') return 'it must start with v=0';
  const bad = lines.find((l) => !/^[a-z]=/.test(l));
  if (bad !== undefined) return `malformed line '${bad.slice(0, 60)}'`;
  if (!lines.some((l) => l.startsWith('o='))) return 'no origin (o=) line';
  const media = lines.filter((l) => l.startsWith('m='));
  if (media.length === 0) return 'no media (m=) section';
  for (const m of media) {
    if (!/^m=(audio|video|application|text|message) \d+(\/\d+)? \S+( \S+)*$/.test(m)) return `malformed media line '${m.slice(0, 60)}'`;
  }
  if (!lines.some((l) => l.startsWith('a=ice-ufrag:'))) return 'no ICE credentials (a=ice-ufrag)';
  if (!lines.some((l) => l.startsWith('a=fingerprint:'))) return 'no DTLS fingerprint (a=fingerprint)';
  return undefined;
}
