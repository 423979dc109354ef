/**
 * What a peer's SDP says about the simulcast video it sends (RFC 8853): the RIDs of its layers
 * from `a=simulcast:send` (alternatives after the first and paused `~` layers are skipped; the
 * order is the sender's, which browsers' applications give lowest first), and the ids it gave
 * the rtp-stream-id and repaired-rtp-stream-id header extensions (`a=extmap`, which our answer
 * echoes). Or, in the legacy form, the SSRC of each layer from `a=ssrc-group:SIM`.
 */
export const RID_EXTENSION = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
export const REPAIRED_RID_EXTENSION = 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id';

export interface OfferedSimulcast {
  /** The layers' names, lowest first: their RIDs, or "0", "1", … in the legacy form. */
  rids: string[];
  /** RFC 8853: the ids of the header extensions naming each packet's layer. */
  ridExtension?: number;
  repairedRidExtension?: number;
  /** The legacy form (`a=ssrc-group:SIM`): each layer's SSRC, in the order of `rids`. */
  ssrcs?: number[];
}

/**
 * The first video m-line's simulcast layers, or undefined when it sends a single stream. The
 * RFC 8853 form wins over the legacy one (`a=ssrc-group:SIM`, lowest layer first, which Chromium
 * still sends when an application edits it into its offer).
 */
export function offeredSimulcast(sdp: string): OfferedSimulcast | undefined {
  const sections = sdp.split(/\r?\nm=/).slice(1);
  const video = sections.find((section) => section.startsWith('video'));
  if (!video) return undefined;
  let rids: string[] | undefined;
  let ridExtension: number | undefined;
  let repairedRidExtension: number | undefined;
  let legacySsrcs: number[] | undefined;
  for (const line of video.split(/\r?\n/)) {
    const simulcast = /^a=simulcast:\s*send\s+(\S+)/.exec(line);
    if (simulcast) {
      rids = simulcast[1]!
        .split(';')
        .map((alternatives) => alternatives.split(',')[0]!)
        .filter((rid) => rid.length > 0 && !rid.startsWith('~'));
    }
    const extmap = /^a=extmap:(\d+)(?:\/\w+)?\s+(\S+)/.exec(line);
    if (extmap?.[2] === RID_EXTENSION) ridExtension = Number(extmap[1]);
    if (extmap?.[2] === REPAIRED_RID_EXTENSION) repairedRidExtension = Number(extmap[1]);
    const group = /^a=ssrc-group:SIM((?:\s+\d+)+)\s*$/.exec(line);
    if (group) legacySsrcs = group[1]!.trim().split(/\s+/).map(Number);
  }
  if (rids && rids.length >= 2 && ridExtension !== undefined) {
    return { rids, ridExtension, ...(repairedRidExtension !== undefined ? { repairedRidExtension } : {}) };
  }
  if (legacySsrcs && legacySsrcs.length >= 2 && new Set(legacySsrcs).size === legacySsrcs.length && legacySsrcs.every((s) => s > 0 && s <= 0xffffffff)) {
    return { rids: legacySsrcs.map((_, i) => String(i)), ssrcs: legacySsrcs };
  }
  return undefined;
}
