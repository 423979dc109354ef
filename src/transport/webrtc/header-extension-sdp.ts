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
 * Where transport-wide congestion control is negotiated (`KUROSHIO_TRANSPORT_CC`):
 * - `viewers` (the default): on video sections where we only send. We estimate the path from the
 *   peer's feedback; a peer that sends to us gets REMB, as before.
 * - `all`: everywhere; we also give transport-wide feedback on what a peer sends us, and its own
 *   estimator (a browser's) drives its encoder.
 * - `off`: nowhere (REMB only, the baseline in `bench:bwe`).
 */
export type TransportCcMode = 'viewers' | 'all' | 'off';

export function transportCcMode(): TransportCcMode {
  const mode = process.env.KUROSHIO_TRANSPORT_CC;
  return mode === 'all' || mode === 'off' ? mode : 'viewers';
}

/** Whether a section of this direction (ours) keeps transport-wide congestion control. */
function keeps(direction: string | undefined, mode: TransportCcMode): boolean {
  return mode === 'all' || (mode === 'viewers' && direction === 'sendonly');
}

/** The extension's id in the peer's video section, when the section also names the feedback. */
function negotiatedIn(text: string): number | undefined {
  if (!/^a=rtcp-fb:\S+ transport-cc$/m.test(text)) return undefined;
  return extensionIdIn(text, TRANSPORT_CC_EXTENSION);
}

/**
 * The transport-wide sequence number extension's id when the peer's SDP agrees to transport-wide
 * feedback on the video we send it (its section receives, and we kept it there).
 */
export function transportCcExtensionId(remoteSdp: string, mode = transportCcMode()): number | undefined {
  const text = section(remoteSdp, 'video');
  const theirs = text ? DIRECTION.exec(text)?.[1] : undefined;
  if (!text || !(theirs === 'recvonly' || (mode === 'all' && theirs === 'sendrecv')) || !keeps(theirs === 'recvonly' ? 'sendonly' : 'sendrecv', mode)) return undefined;
  return negotiatedIn(text);
}

/** The extension's id when we give transport-wide feedback on the video the peer sends us. */
export function transportFeedbackExtensionId(remoteSdp: string, mode = transportCcMode()): number | undefined {
  const text = section(remoteSdp, 'video');
  const theirs = text ? DIRECTION.exec(text)?.[1] : undefined;
  if (!text || mode !== 'all' || !(theirs === 'sendonly' || theirs === 'sendrecv')) return undefined;
  return negotiatedIn(text);
}

/**
 * Our SDP with transport-wide congestion control left only where the mode keeps it. Where we do
 * not give feedback on what the peer sends, it would expect it; so we must not claim it there.
 */
export function keepTransportCcWhereSendOnly(sdp: string, mode = transportCcMode()): string {
  const [head, ...sections] = sdp.split(/\r\n(?=m=)/);
  const kept = sections.map((text) => {
    if (keeps(DIRECTION.exec(text)?.[1], mode)) return text;
    return text
      .split('\r\n')
      .filter((line) => !/^a=rtcp-fb:\S+ transport-cc$/.test(line) && !(line.startsWith('a=extmap:') && line.endsWith(` ${TRANSPORT_CC_EXTENSION}`)))
      .join('\r\n');
  });
  return [head, ...kept].join('\r\n');
}
