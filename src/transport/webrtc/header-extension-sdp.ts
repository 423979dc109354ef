/**
 * Reading header extensions and feedback out of an SDP, per media section: the ids a peer's
 * packets carry extensions under, and where transport-wide congestion control applies.
 */
import { TRANSPORT_CC_EXTENSION } from '../../rtp/transport-feedback.js';

/** The first media section of a kind, without its `m=` prefix. */
function section(sdp: string, kind: 'audio' | 'video'): string | undefined {
  return sdp.split(/\r?\nm=/).slice(1).find((s) => s.startsWith(kind));
}

function extensionIdIn(text: string, uri: string): number | undefined {
  for (const line of text.split(/\r?\n/)) {
    const extmap = /^a=extmap:(\d+)(?:\/\w+)?\s+(\S+)/.exec(line);
    if (extmap?.[2] === uri) return Number(extmap[1]);
  }
  return undefined;
}

/**
 * The id a peer's SDP gives a header extension (`a=extmap:<id>[/<direction>] <uri>`) on the
 * first m-line of a kind: what its packets carry the extension under.
 */
export function headerExtensionId(sdp: string, kind: 'audio' | 'video', uri: string): number | undefined {
  const text = section(sdp, kind);
  return text === undefined ? undefined : extensionIdIn(text, uri);
}

const DIRECTION = /^a=(sendrecv|sendonly|recvonly|inactive)$/m;

/**
 * The transport-wide sequence number extension's id when the peer's SDP agrees to transport-wide
 * feedback on the video we send it: its video section only receives (so the feedback is all
 * about our packets), carries the extension and `a=rtcp-fb:<pt> transport-cc`.
 */
export function transportCcExtensionId(remoteSdp: string): number | undefined {
  const text = section(remoteSdp, 'video');
  if (!text || DIRECTION.exec(text)?.[1] !== 'recvonly' || !/^a=rtcp-fb:\S+ transport-cc$/m.test(text)) return undefined;
  return extensionIdIn(text, TRANSPORT_CC_EXTENSION);
}

/**
 * Our SDP with transport-wide congestion control left only where we only send. There we estimate
 * the path from the peer's feedback. Where the peer sends to us, it would expect our feedback on
 * its packets; we do not give it (REMB tells it what to send), so we must not claim it.
 */
export function keepTransportCcWhereSendOnly(sdp: string): string {
  const [head, ...sections] = sdp.split(/\r\n(?=m=)/);
  const kept = sections.map((text) => {
    if (DIRECTION.exec(text)?.[1] === 'sendonly') return text;
    return text
      .split('\r\n')
      .filter((line) => !/^a=rtcp-fb:\S+ transport-cc$/.test(line) && !(line.startsWith('a=extmap:') && line.endsWith(` ${TRANSPORT_CC_EXTENSION}`)))
      .join('\r\n');
  });
  return [head, ...kept].join('\r\n');
}
