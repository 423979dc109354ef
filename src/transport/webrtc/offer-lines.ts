/**
 * The media lines of a WebRTC offer that werift can take, and the answer's lines for the others.
 *
 * KMS answers an offer whose lines it cannot serve by rejecting those lines (port 0 in the
 * answer), not by failing the offer: a plain RTP/AVP line from a SIP or Android stack, SDES
 * (RTP/SAVP), `m=text`, a line the peer already rejected. werift fails on any of these, so it
 * only ever sees the lines it can serve; the answer then gets the rejected lines back in their
 * places. Candidates name lines by index, so indices are translated both ways (`lineMap`).
 *
 * Lines without `a=mid` (offers from before unified plan) get one: werift needs it.
 */

interface Section {
  /** The m= line and its attributes, as received. */
  lines: string[];
  type: string;
  port: number;
  protocol: string;
  formats: string;
  mid: string | undefined;
}

export interface OfferLines {
  /** The offer with only the lines werift can serve; undefined when there are none. */
  readonly forWerift: string | undefined;
  /** For each line werift sees, its index in the original offer. */
  readonly lineMap: readonly number[];
  /** Indices of the original lines that are rejected. */
  readonly rejected: readonly number[];
  /** Completes werift's answer with the rejected lines, in the offer's order. */
  completeAnswer(answer: string): string;
  /** An answer rejecting every line (none could be served). */
  rejectAll(sessionId: number): string;
}

function usable(type: string, protocol: string, port: number, lines: string[]): boolean {
  const bundleOnly = lines.includes('a=bundle-only');
  if (port === 0 && !bundleOnly) return false;
  if (type === 'application') return /DTLS\/SCTP$/.test(protocol) && lines.some((l) => /webrtc-datachannel/.test(l));
  if (type !== 'audio' && type !== 'video') return false;
  return /^(UDP\/TLS\/|TCP\/TLS\/)?RTP\/SAVPF$/.test(protocol);
}

export function splitOffer(offer: string): OfferLines {
  const all = offer.split(/\r?\n/).filter((l) => l !== '');
  const firstMedia = all.findIndex((l) => l.startsWith('m='));
  const session = firstMedia < 0 ? all : all.slice(0, firstMedia);
  const sections: Section[] = [];
  for (const line of firstMedia < 0 ? [] : all.slice(firstMedia)) {
    if (line.startsWith('m=')) {
      const [, type = '', port = '0', protocol = '', ...formats] = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)((?: \S+)*)$/.exec(line) ?? [];
      const fmts = formats.join('').trim();
      sections.push({ lines: [line], type, port: Number(port), protocol, formats: fmts, mid: undefined });
    } else {
      const current = sections[sections.length - 1]!;
      current.lines.push(line);
      const mid = /^a=mid:(\S+)/.exec(line);
      if (mid) current.mid = mid[1];
    }
  }
  const served = sections.map((s) => usable(s.type, s.protocol, s.port, s.lines));
  const anyMid = sections.some((s) => s.mid !== undefined);
  const kept = sections.map((s, i) => ({ s, i })).filter(({ i }) => served[i]);
  const lineMap = kept.map(({ i }) => i);
  const rejected = sections.map((_, i) => i).filter((i) => !lineMap.includes(i));
  const keptMids = new Set(kept.map(({ s }) => s.mid));

  let forWerift: string | undefined;
  if (kept.length > 0) {
    const head = session.map((l) => {
      // BUNDLE groups name only lines werift sees.
      const group = /^a=group:BUNDLE (.*)$/.exec(l);
      return group ? `a=group:BUNDLE ${group[1]!.split(' ').filter((m) => keptMids.has(m)).join(' ')}` : l;
    });
    const body = kept.flatMap(({ s, i }) => (anyMid ? s.lines : [s.lines[0]!, `a=mid:${i}`, ...s.lines.slice(1)]));
    forWerift = [...head, ...body].join('\r\n') + '\r\n';
  }

  const rejectedLine = (s: Section): string[] => [`m=${s.type} 0 ${s.protocol} ${s.formats || '0'}`.trimEnd(), ...(s.mid !== undefined ? [`a=mid:${s.mid}`] : [])];

  return {
    forWerift,
    lineMap,
    rejected,
    completeAnswer(answer: string): string {
      if (rejected.length === 0) return answer;
      const answerLines = answer.split('\r\n').filter((l) => l !== '');
      const start = answerLines.findIndex((l) => l.startsWith('m='));
      const head = start < 0 ? answerLines : answerLines.slice(0, start);
      const media: string[][] = [];
      for (const l of start < 0 ? [] : answerLines.slice(start)) {
        if (l.startsWith('m=')) media.push([l]);
        else media[media.length - 1]!.push(l);
      }
      const out = [...head];
      let next = 0;
      sections.forEach((s, i) => {
        if (served[i]) out.push(...(media[next++] ?? []));
        else out.push(...rejectedLine(s));
      });
      return out.join('\r\n') + '\r\n';
    },
    rejectAll(sessionId: number): string {
      const head = ['v=0', `o=- ${sessionId} 0 IN IP4 0.0.0.0`, 's=Kurento Media Server', 't=0 0'];
      return [...head, ...sections.flatMap(rejectedLine)].join('\r\n') + '\r\n';
    },
  };
}
