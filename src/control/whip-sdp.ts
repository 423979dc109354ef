/**
 * The little SDP reading WHIP and WHEP need in the control process, before the offer goes to the
 * media worker: which way the offer's media flows (a WHIP offer must send, a WHEP offer must
 * receive), its m-lines' mids (a trickled candidate names a mid; the endpoint wants its line
 * index too) and ICE credentials (a PATCH with other credentials is an ICE restart), and the
 * `application/trickle-ice-sdpfrag` bodies of PATCH requests (RFC 8840); and, for an ICE restart
 * by PATCH, the offer again with the new credentials and the fragment of the answer to send back.
 *
 * Whether the SDP can be negotiated at all is the endpoint's business (processOffer answers
 * SDP_PARSE_ERROR or SDP_END_POINT_PROCESS_OFFER_ERROR with a reason); this only reads lines.
 */

export interface OfferSummary {
  /** Some audio or video line of the offer sends media (sendrecv or sendonly, not rejected). */
  sends: boolean;
  /** Some audio or video line of the offer receives media (sendrecv or recvonly, not rejected). */
  receives: boolean;
  /** Every m-line's mid in order (undefined where a line has none). */
  mids: (string | undefined)[];
  /** The offer's ICE credentials (session level, else the first m-line's). */
  ufrag: string | undefined;
  pwd: string | undefined;
}

export interface TrickledCandidate {
  /** The candidate attribute without `a=` (`candidate:1 1 udp ...`), as addIceCandidate takes it. */
  candidate: string;
  /** The mid of the m-line the candidate was given under (undefined before any m-line). */
  mid: string | undefined;
}

export interface SdpFragment {
  ufrag: string | undefined;
  pwd: string | undefined;
  candidates: TrickledCandidate[];
  endOfCandidates: boolean;
}

export class SdpTextError extends Error {}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

function lines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
}

/** Reads an SDP offer; SdpTextError when the text is not SDP at all (no `v=0` first, lines not `x=`). */
export function summarizeOffer(sdp: string): OfferSummary {
  const all = lines(sdp);
  if (all[0] !== 'v=0') throw new SdpTextError('the body is not an SDP offer: it does not start with v=0');
  const bad = all.find((l) => !/^[a-z]=/.test(l));
  if (bad !== undefined) throw new SdpTextError(`the body is not an SDP offer: line "${bad.slice(0, 60)}" is not x=...`);
  let sessionDirection = 'sendrecv';
  let ufrag: string | undefined;
  let pwd: string | undefined;
  const media: { kind: string; rejected: boolean; direction: string | undefined; mid: string | undefined }[] = [];
  for (const line of all) {
    const current = media[media.length - 1];
    if (line.startsWith('m=')) {
      const [kind = '', port = '0'] = line.slice(2).split(' ');
      // A port 0 line is rejected, unless it is bundle-only (RFC 9143): it then rides the bundle.
      media.push({ kind, rejected: port === '0', direction: undefined, mid: undefined });
    } else if (line === 'a=bundle-only' && current) {
      current.rejected = false;
    } else if (line.startsWith('a=mid:') && current) {
      current.mid = line.slice(6);
    } else if (line.startsWith('a=ice-ufrag:')) {
      ufrag ??= line.slice(12);
    } else if (line.startsWith('a=ice-pwd:')) {
      pwd ??= line.slice(10);
    } else if (line.startsWith('a=') && DIRECTIONS.has(line.slice(2))) {
      if (current) current.direction = line.slice(2);
      else sessionDirection = line.slice(2);
    }
  }
  const av = media.filter((m) => !m.rejected && (m.kind === 'audio' || m.kind === 'video'));
  const direction = (m: (typeof media)[number]): string => m.direction ?? sessionDirection;
  return {
    sends: av.some((m) => direction(m) === 'sendrecv' || direction(m) === 'sendonly'),
    receives: av.some((m) => direction(m) === 'sendrecv' || direction(m) === 'recvonly'),
    mids: media.map((m) => m.mid),
    ufrag,
    pwd,
  };
}

/** Reads a trickle-ice-sdpfrag body; SdpTextError when a line is not an SDP line. */
export function parseSdpFragment(body: string): SdpFragment {
  const fragment: SdpFragment = { ufrag: undefined, pwd: undefined, candidates: [], endOfCandidates: false };
  let mid: string | undefined;
  for (const line of lines(body)) {
    if (!/^[a-z]=/.test(line)) throw new SdpTextError(`the body is not an SDP fragment: line "${line.slice(0, 60)}" is not x=...`);
    if (line.startsWith('m=')) mid = undefined;
    else if (line.startsWith('a=mid:')) mid = line.slice(6);
    else if (line.startsWith('a=ice-ufrag:')) fragment.ufrag = line.slice(12);
    else if (line.startsWith('a=ice-pwd:')) fragment.pwd = line.slice(10);
    else if (line === 'a=end-of-candidates') fragment.endOfCandidates = true;
    else if (line.startsWith('a=candidate:')) {
      if (line.split(' ').length < 8) throw new SdpTextError(`malformed candidate "${line.slice(0, 80)}"`);
      fragment.candidates.push({ candidate: line.slice(2), mid });
    }
  }
  return fragment;
}

/** The offer with new ICE credentials and without its candidates (they come by PATCH). */
export function restartOffer(offer: string, ufrag: string, pwd: string): string {
  const kept = lines(offer)
    .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
    .map((line) => (line.startsWith('a=ice-ufrag:') ? `a=ice-ufrag:${ufrag}` : line.startsWith('a=ice-pwd:') ? `a=ice-pwd:${pwd}` : line));
  return `${kept.join('\r\n')}\r\n`;
}

/**
 * The trickle-ice-sdpfrag of an answer (RFC 8840): its credentials, and the first m-line (the
 * bundle's transport) with its mid and candidates.
 */
export function answerFragment(answer: string): string {
  const all = lines(answer);
  const out = all.filter((l) => l.startsWith('a=ice-ufrag:') || l.startsWith('a=ice-pwd:')).slice(0, 2);
  const first = all.findIndex((l) => l.startsWith('m='));
  if (first >= 0) {
    const end = all.findIndex((l, i) => i > first && l.startsWith('m='));
    const section = all.slice(first, end < 0 ? undefined : end);
    const [kind = 'audio', , proto = 'UDP/TLS/RTP/SAVPF', format = '0'] = section[0]!.slice(2).split(' ');
    out.push(`m=${kind} 9 ${proto} ${format}`, ...section.filter((l) => l.startsWith('a=mid:') || l.startsWith('a=candidate:') || l === 'a=end-of-candidates'));
  }
  return `${out.join('\r\n')}\r\n`;
}
