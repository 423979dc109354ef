/**
 * VP8 picture ids and TL0PICIDX (RFC 7741 §4.2) of one outgoing stream whose source changes (a
 * simulcast viewer moved to another layer): each layer numbers its pictures on its own, so the
 * numbers are re-based at each change to carry on from the last ones sent. A receiver that saw
 * the picture id jump back would take the new pictures for old ones and drop them.
 *
 * Rewrites in place, in a packet whose payload starts at `offset`; only packets that carry the
 * fields are touched.
 */
export class Vp8PictureIds {
  private source: number | undefined;
  private pidOffset = 0;
  private tl0Offset = 0;
  private lastPid = -1;
  private lastTl0 = -1;

  rewrite(buf: Buffer, offset: number, length: number, sourceSsrc: number): void {
    if (length - offset < 3 || !(buf[offset]! & 0x80)) return;
    const ext = buf[offset + 1]!;
    let p = offset + 2;
    let pidAt = -1;
    let wide = false;
    if (ext & 0x80) {
      pidAt = p;
      wide = (buf[p]! & 0x80) !== 0;
      p += wide ? 2 : 1;
    }
    const tl0At = ext & 0x40 ? p : -1;
    if (p >= length) return;
    const pid = pidAt < 0 ? -1 : wide ? buf.readUInt16BE(pidAt) & 0x7fff : buf[pidAt]! & 0x7f;
    const tl0 = tl0At < 0 ? -1 : buf[tl0At]!;
    if (sourceSsrc !== this.source) {
      this.source = sourceSsrc;
      this.pidOffset = this.lastPid < 0 || pid < 0 ? 0 : (this.lastPid + 1 - pid) & 0x7fff;
      this.tl0Offset = this.lastTl0 < 0 || tl0 < 0 ? 0 : (this.lastTl0 + 1 - tl0) & 0xff;
    }
    if (pid >= 0) {
      const out = (pid + this.pidOffset) & (wide ? 0x7fff : 0x7f);
      if (wide) buf.writeUInt16BE(0x8000 | out, pidAt);
      else buf[pidAt] = out;
      if (this.lastPid < 0 || ((out - this.lastPid) & 0x7fff) < 0x4000) this.lastPid = out;
    }
    if (tl0 >= 0) {
      const out = (tl0 + this.tl0Offset) & 0xff;
      buf[tl0At] = out;
      if (this.lastTl0 < 0 || ((out - this.lastTl0) & 0xff) < 0x80) this.lastTl0 = out;
    }
  }
}
