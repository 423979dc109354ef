/**
 * The media flows of one direction of an element (its sink pads' "in", or its source pads'
 * "out"), one FlowDetector per media kind and description, with KMS's events: FLOWING at the
 * first packet, NOT_FLOWING after a silence or when the cause is known.
 */
import { FlowDetector } from './flow-detector.js';
import { DEFAULT_DESCRIPTION, type MediaFlowState, type MediaKind } from './types.js';

export type FlowChange = (state: MediaFlowState, kind: MediaKind, description: string) => void;

export class PadFlows {
  private readonly detectors = new Map<string, FlowDetector>();
  /** The default pads carry nearly all traffic: their detectors are found without building a key. */
  private readonly defaults: Partial<Record<'AUDIO' | 'VIDEO', FlowDetector>> = {};

  constructor(private readonly onChange: FlowChange) {}

  /** Counts one unit of media (DATA is not watched, as in KMS). Runs per packet. */
  mark(kind: MediaKind, description: string): void {
    if (kind !== 'DATA') this.detector(kind, description).mark();
  }

  isFlowing(kind: MediaKind, description: string): boolean {
    return this.detectors.get(`${kind}/${description}`)?.flowing === true;
  }

  /** Ends flows now rather than after the silence timeout: all, or those of a kind and description. */
  end(kind?: MediaKind, description?: string): void {
    for (const [key, detector] of this.detectors) {
      if (kind === undefined || key === `${kind}/${description ?? DEFAULT_DESCRIPTION}`) detector.stop();
    }
  }

  dispose(): void {
    for (const d of this.detectors.values()) d.dispose();
  }

  private detector(kind: 'AUDIO' | 'VIDEO', description: string): FlowDetector {
    const isDefault = description === DEFAULT_DESCRIPTION;
    const cached = isDefault ? this.defaults[kind] : undefined;
    if (cached) return cached;
    const key = `${kind}/${description}`;
    let found = this.detectors.get(key);
    if (!found) {
      found = new FlowDetector((state) => this.onChange(state, kind, description));
      this.detectors.set(key, found);
    }
    if (isDefault) this.defaults[kind] = found;
    return found;
  }
}
