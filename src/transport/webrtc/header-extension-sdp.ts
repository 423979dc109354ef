/**
 * The id a peer's SDP gives a header extension (`a=extmap:<id>[/<direction>] <uri>`) on the
 * first m-line of a kind: what its packets carry the extension under.
 */
export function headerExtensionId(sdp: string, kind: 'audio' | 'video', uri: string): number | undefined {
  const section = sdp.split(/\r?\nm=/).slice(1).find((s) => s.startsWith(kind));
  if (!section) return undefined;
  for (const line of section.split(/\r?\n/)) {
    const extmap = /^a=extmap:(\d+)(?:\/\w+)?\s+(\S+)/.exec(line);
    if (extmap?.[2] === uri) return Number(extmap[1]);
  }
  return undefined;
}
