/**
 * What we sent under each transport-wide sequence number, kept until its feedback comes (or is
 * overwritten 8192 packets later): when, how big, and in which probe cluster.
 */

const CAPACITY = 8192;
const MASK = CAPACITY - 1;

export interface SentPacket {
  /** The sequence number unwrapped past 16 bits (our own counter). */
  sequence: number;
  sendMs: number;
  bytes: number;
  /** The probe cluster it belonged to, or -1, and its index in the cluster. */
  cluster: number;
  clusterIndex: number;
}

export class SentPackets {
  private readonly sequence = new Float64Array(CAPACITY).fill(-1);
  private readonly sendMs = new Float64Array(CAPACITY);
  private readonly bytes = new Uint16Array(CAPACITY);
  private readonly cluster = new Int32Array(CAPACITY);
  private readonly clusterIndex = new Int32Array(CAPACITY);
  /** 0: no feedback yet; 1: reported lost; 2: reported received. */
  private readonly reported = new Uint8Array(CAPACITY);
  private next = 0;

  /** Records the next packet; returns its 16-bit transport-wide sequence number. */
  add(sendMs: number, bytes: number, cluster: number, clusterIndex: number): number {
    const seq = this.next++;
    const slot = seq & MASK;
    this.sequence[slot] = seq;
    this.sendMs[slot] = sendMs;
    this.bytes[slot] = Math.min(bytes, 0xffff);
    this.cluster[slot] = cluster;
    this.clusterIndex[slot] = clusterIndex;
    this.reported[slot] = 0;
    return seq & 0xffff;
  }

  /** The unwrapped number of a 16-bit sequence number from feedback (the most recent such). */
  unwrap(seq16: number): number {
    const latest = this.next - 1;
    return latest - ((latest - seq16) & 0xffff);
  }

  /**
   * The packet behind an unwrapped number, if still remembered, with what feedback said of it
   * before: each packet counts once as received (a later feedback may repeat it).
   */
  lookup(sequence: number, out: SentPacket): 'unknown' | 'new' | 'lost-before' | 'received-before' {
    if (sequence < 0) return 'unknown';
    const slot = sequence & MASK;
    if (this.sequence[slot] !== sequence) return 'unknown';
    out.sequence = sequence;
    out.sendMs = this.sendMs[slot]!;
    out.bytes = this.bytes[slot]!;
    out.cluster = this.cluster[slot]!;
    out.clusterIndex = this.clusterIndex[slot]!;
    const state = this.reported[slot]!;
    return state === 0 ? 'new' : state === 1 ? 'lost-before' : 'received-before';
  }

  markReported(sequence: number, received: boolean): void {
    const slot = sequence & MASK;
    if (this.sequence[slot] === sequence) this.reported[slot] = received ? 2 : 1;
  }
}
