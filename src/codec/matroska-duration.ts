/**
 * Keeps the duration in the header of a Matroska/WebM file current while it is being recorded.
 *
 * FFmpeg's Matroska muxer reserves 11 bytes in the Segment Info for the duration (an EBML Void
 * element) and fills them in only when the file is finished. A recording cut off before that
 * (the worker killed, the disk full) would play, but report no duration. This writes a Duration
 * element of the same size into the reserved bytes every so often, through a separate file
 * handle; the muxer never touches those bytes again until its trailer, which writes the final
 * value there after `close()` has waited for our last write.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** `put_ebml_void(pb, 11)`: ID 0xEC, an 8-byte size of 2, two padding bytes. */
const RESERVED = Buffer.from([0xec, 0x01, 0, 0, 0, 0, 0, 0, 0x02, 0, 0]);
/** Segment Info element ID. */
const INFO_ID = Buffer.from([0x15, 0x49, 0xa9, 0x66]);
const UPDATE_INTERVAL_MS = 500;
const HEADER_BYTES = 4096;

export class MatroskaDurationKeeper {
  private lastWritten = -Infinity;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The first failed write; later updates are skipped (the muxer reports disk errors itself). */
  failure: Error | undefined;

  private constructor(
    private readonly file: FileHandle,
    private readonly offset: number,
  ) {}

  /** Finds the reserved bytes in a file whose header was just written; undefined if absent. */
  static async attach(path: string): Promise<MatroskaDurationKeeper | undefined> {
    const file = await open(path, 'r+');
    const head = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await file.read(head, 0, HEADER_BYTES, 0);
    const info = head.subarray(0, bytesRead).indexOf(INFO_ID);
    const offset = info < 0 ? -1 : head.subarray(0, bytesRead).indexOf(RESERVED, info);
    if (offset < 0) {
      await file.close();
      return undefined;
    }
    return new MatroskaDurationKeeper(file, offset);
  }

  /** The file now holds `durationMs` of media. */
  update(durationMs: number): void {
    if (this.stopped || this.failure || durationMs - this.lastWritten < UPDATE_INTERVAL_MS) return;
    this.lastWritten = durationMs;
    const element = Buffer.alloc(11);
    element.set([0x44, 0x89, 0x88]); // Duration, 8-byte float, in TimestampScale units (1 ms)
    element.writeDoubleBE(durationMs, 3);
    this.writing = this.writing.then(async () => {
      if (this.failure) return;
      try {
        await this.file.write(element, 0, element.length, this.offset);
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
      }
    });
  }

  /** Waits for the last update and closes the handle; call before the muxer's trailer. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.writing;
    await this.file.close();
  }
}
