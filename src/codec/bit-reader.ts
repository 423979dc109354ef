/** Reads a bitstream most significant bit first (VP9 headers, H.264 parameter sets). */
export class BitReader {
  private bit = 0;

  constructor(private readonly data: Buffer) {}

  /** The next `n` bits as an unsigned number; throws a RangeError past the end of the data. */
  read(n: number): number {
    let value = 0;
    for (let k = 0; k < n; k++) {
      const byte = this.data[this.bit >> 3];
      if (byte === undefined) throw new RangeError('end of data');
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return value;
  }
}
