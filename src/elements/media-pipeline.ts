/**
 * MediaPipeline: the container of elements, and the unit placed on one media worker. It knows
 * its elements so it can draw the graph they form.
 */
import { MediaObjectImpl, type ObjectInit, type Params } from './media-object.js';
import type { ElementContainer, MediaElementImpl } from './media-element.js';
import { renderDot } from '../media/dot.js';

export class MediaPipelineImpl extends MediaObjectImpl implements ElementContainer {
  readonly elements = new Set<MediaElementImpl>();
  latencyStats = false;

  constructor(init: ObjectInit) {
    super(init);
  }

  getLatencyStats(): boolean {
    return this.latencyStats;
  }

  setLatencyStats(params: Params): null {
    this.latencyStats = params.latencyStats === true;
    return null;
  }

  getGstreamerDot(): string {
    return renderDot(this.id, [...this.elements]);
  }

  dumpGstreamerDot(): null {
    return null;
  }
}
