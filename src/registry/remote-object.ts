/** A remote object as the control process knows it: identity, family, owners and naming. */
import type { ClassInfo } from '../api/catalog.js';
import type { MediaWorker } from '../control/media-worker.js';

export class RemoteObject {
  readonly children = new Set<RemoteObject>();
  /** Sessions holding a reference; the object lives while this is not empty. */
  readonly sessions = new Set<string>();
  readonly tags = new Map<string, string>();
  name: string;
  sendTagsInEvents = false;
  /** Seconds since the epoch, as KMS reports `creationTime`. */
  readonly creationTime = Math.floor(Date.now() / 1000);
  released = false;

  constructor(
    readonly id: string,
    readonly cls: ClassInfo,
    readonly parent: RemoteObject | undefined,
    /** The media worker holding the implementation (none for the ServerManager). */
    readonly worker: MediaWorker | undefined,
  ) {
    this.name = id;
  }

  /** The pipeline this object belongs to: itself for a pipeline, none for the ServerManager. */
  get pipeline(): RemoteObject | undefined {
    if (this.parent) return this.parent.pipeline;
    return this.worker ? this : undefined;
  }

  /**
   * The tags ordered by key, as KMS reports them in `getTags` and in events: it keeps them in a
   * std::map, whose string keys compare byte by byte.
   */
  sortedTags(): Array<{ key: string; value: string }> {
    return [...this.tags]
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map(([key, value]) => ({ key, value }));
  }

  /** This object and all its descendants, children before parents. */
  descendantsFirst(): RemoteObject[] {
    const out: RemoteObject[] = [];
    for (const child of this.children) out.push(...child.descendantsFirst());
    out.push(this);
    return out;
  }
}
