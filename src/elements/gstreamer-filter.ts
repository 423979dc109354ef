/**
 * GStreamerFilter: one GStreamer element, given in gst-launch syntax, on the decoded media.
 * The element is translated to FFmpeg filters (`filters/gst-to-ffmpeg.ts`) and run on libuv's
 * thread pool; no GStreamer is needed for the elements of that table. An element outside it
 * runs through Debian's GStreamer when it is installed (`filters/gst-process.ts`), as a video
 * filter on I420 frames of the same size. Errors are KMS's: a command with more than one element
 * (a chain, a bin) or an element that cannot be made fails `create` with MARSHALL_ERROR.
 */
import type { Frame } from 'node-av';
import { KurentoError } from '../errors.js';
import { FrameFilterGraph } from '../filters/ffmpeg-graph.js';
import { GstProcessFilter, gstreamerHasElement } from '../filters/gst-process.js';
import { GstParseError, parseGstCommand, type GstElement } from '../filters/gst-launch.js';
import { GstPropertyError, translate, type GstMediaKind } from '../filters/gst-to-ffmpeg.js';
import { FilterElementImpl, type FilterOutput, type FrameKind } from './filter-element.js';
import type { ObjectInit, Params } from './media-object.js';

type Runner = { kind: GstMediaKind; graph: FrameFilterGraph } | { kind: 'VIDEO'; process: GstProcessFilter };

export class GStreamerFilterImpl extends FilterElementImpl {
  private readonly command: string;
  private readonly element: GstElement;
  private readonly runner: Runner;

  constructor(init: ObjectInit) {
    // Everything that can refuse the command runs before the element joins its pipeline.
    const { element, runner } = prepare(init.params.command as string, (init.params.filterType as string | undefined) ?? 'AUTODETECT');
    super(init);
    this.command = init.params.command as string;
    this.element = element;
    this.runner = runner;
  }

  getCommand(): string {
    return this.command;
  }

  setElementProperty(params: Params): null {
    const name = params.propertyName as string;
    const value = params.propertyValue as string;
    if (!('graph' in this.runner)) {
      this.runner.process.setProperty(name, value);
      return null;
    }
    const properties = new Map(this.element.properties);
    properties.set(name, value);
    const changed = { name: this.element.name, properties };
    const translation = translateOrThrow(changed);
    if (!translation) throw new KurentoError('MARSHALL_ERROR', `GStreamer element '${this.element.name}' cannot be changed`);
    this.element.properties.set(name, value);
    this.runner.graph.setDescription(translation.filters);
    return null;
  }

  protected override processedKinds(): readonly FrameKind[] {
    return [this.runner.kind];
  }

  protected override async processFrame(frame: Frame): Promise<FilterOutput> {
    const out = 'graph' in this.runner ? await this.runner.graph.run(frame) : await this.runner.process.run(frame);
    if (out) {
      // One frame in, one out: the output keeps the input's capture time.
      out.pts = frame.pts;
      out.timeBase = frame.timeBase;
    }
    return out;
  }

  override release(): void {
    if ('graph' in this.runner) this.runner.graph.close();
    else this.runner.process.close();
    super.release();
  }
}

function translateOrThrow(element: GstElement): ReturnType<typeof translate> {
  try {
    return translate(element);
  } catch (err) {
    if (err instanceof GstPropertyError) throw new KurentoError('MARSHALL_ERROR', `GStreamer element cannot be created: ${err.message}`);
    throw err;
  }
}

/** Parses and translates a command the way KMS's constructor does, with its error texts. */
function prepare(command: string, filterType: string): { element: GstElement; runner: Runner } {
  let element: GstElement;
  try {
    element = parseGstCommand(command);
  } catch (err) {
    if (err instanceof GstParseError && err.notOneElement) {
      throw new KurentoError('MARSHALL_ERROR', 'Given command is not valid, only one element can be created');
    }
    throw new KurentoError('MARSHALL_ERROR', `GStreamer element cannot be created: ${(err as Error).message}`);
  }
  const translation = translateOrThrow(element);
  let kind: GstMediaKind;
  if (translation) kind = translation.kind;
  else if (gstreamerHasElement(element.name)) kind = 'VIDEO';
  else throw new KurentoError('MARSHALL_ERROR', `GStreamer element cannot be created: no element "${element.name}"`);
  if (filterType !== 'AUTODETECT' && filterType !== kind) {
    throw new KurentoError('MARSHALL_ERROR', `GStreamer element cannot be created: pad templates of '${element.name}' don't match the filter type ${filterType}`);
  }
  const runner: Runner = translation ? { kind, graph: new FrameFilterGraph(translation.filters) } : { kind: 'VIDEO', process: new GstProcessFilter(command) };
  return { element, runner };
}
