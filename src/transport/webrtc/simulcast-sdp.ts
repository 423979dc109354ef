/**
 * What a peer's SDP says about the simulcast video it sends (RFC 8853): the RIDs of its layers
 * from `a=simulcast:send` (alternatives after the first and paused `~` layers are skipped; the
 * order is the sender's, which browsers' applications give lowest first), and the ids it gave
 * the rtp-stream-id and repaired-rtp-stream-id header extensions (`a=extmap`, which our answer
 * echoes).
 */
export const RID_EXTENSION = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
export const REPAIRED_RID_EXTENSION = 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id';

export interface OfferedSimulcast {
  rids: string[];
  ridExtension: number;
  repairedRidExtension?: number;
}

/** The first video m-line's simulcast layers, or undefined when it sends a single stream. */
export function offeredSimulcast(sdp: string): OfferedSimulcast | undefined {
  const sections = sdp.split(/\r?\nm=/).slice(1);
  const video = sections.find((section) => section.startsWith('video'));
  if (!video) return undefined;
  let rids: string[] | undefined;
  let ridExtension: number | undefined;
  let repairedRidExtension: number | undefined;
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
  }
  if (!rids || rids.length < 2 || ridExtension === undefined) return undefined;
  return { rids, ridExtension, ...(repairedRidExtension !== undefined ? { repairedRidExtension } : {}) };
}
