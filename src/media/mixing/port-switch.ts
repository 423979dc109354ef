/**
 * Packet routing between the ports of a hub (Dispatcher, DispatcherOneToMany, the Mixer's video):
 * which source each receiving port gets, per media kind, and clean switches from one source to
 * another. Packets go as they are — no decoding — so a receiver whose sinks take the source's
 * codec gets it without transcoding, as from any element.
 *
 * A video switch is made at a key frame: the receiver keeps the old source's picture until the
 * first packet of a key frame of the new source arrives (asked for at the switch, and again every
 * half second until it comes), then takes the new source from that packet on. A receiver that had
 * no source starts the same way, at a key frame. Its viewers never get pictures that reference
 * frames they did not see, and the sending endpoint keeps sequence numbers and timestamps
 * continuous across the change (`rtp/send-stream.ts`), so their decoders go straight on. Sound
 * switches at once.
 */
import { payloadOffset } from '../../rtp/rtp-header.js';
import { codecName, isKeyframeStart, type RtpMedia } from '../rtp-media.js';

/** What the switch needs of a port. */
export interface SwitchPort {
  /** Sends a packet out of the port, to its participant. */
  send(unit: RtpMedia): void;
  /** Asks the port's participant for a key frame. */
  requestKeyframe(): void;
}

type Kind = 'AUDIO' | 'VIDEO';

/** A new source is asked again for a key frame when none came within this long. */
const KEYFRAME_RETRY_MS = 500;
/** Video codecs whose key frames are recognised in the packets; others switch at once. */
const GATED = new Set(['VP8', 'VP9', 'H264']);

interface Route<P> {
  /** The source whose packets the receiver gets now. */
  current: P | undefined;
  /** The source it switches to at that source's next key frame (video only). */
  pending: P | undefined;
  /** When the pending source was last asked for a key frame. */
  askedAt: number;
}

export class PortSwitch<P extends SwitchPort> {
  private readonly routes: Record<Kind, Map<P, Route<P>>> = { AUDIO: new Map(), VIDEO: new Map() };
  /** Receivers listening to each source: its current receivers and those switching to it. */
  private readonly listeners: Record<Kind, Map<P, Set<P>>> = { AUDIO: new Map(), VIDEO: new Map() };
  /** Key frame switches made (statistics). */
  switches = 0;

  /** The source a receiver gets (or is switching to), undefined for none. */
  sourceOf(receiver: P, kind: Kind): P | undefined {
    const route = this.routes[kind].get(receiver);
    return route?.pending ?? route?.current;
  }

  /** The receivers getting (or switching to) a source. */
  receiversOf(source: P, kind: Kind): ReadonlySet<P> {
    return this.listeners[kind].get(source) ?? EMPTY;
  }

  /**
   * Gives a receiver a new source (undefined: none) for the kinds asked. Video switches at the new
   * source's next key frame, which is asked for now; sound at once.
   */
  connect(source: P | undefined, receiver: P, kinds: readonly Kind[] = ['AUDIO', 'VIDEO']): void {
    for (const kind of kinds) {
      const routes = this.routes[kind];
      let route = routes.get(receiver);
      if (!route) {
        route = { current: undefined, pending: undefined, askedAt: 0 };
        routes.set(receiver, route);
      }
      if ((route.pending ?? route.current) === source) continue;
      if (route.pending) this.unlisten(kind, route.pending, receiver);
      route.pending = undefined;
      if (source !== undefined && source === route.current) continue; // back to the source it still gets
      if (kind === 'AUDIO' || source === undefined) {
        if (route.current) this.unlisten(kind, route.current, receiver);
        route.current = source;
      } else {
        route.pending = source;
        route.askedAt = Date.now();
        source.requestKeyframe();
      }
      if (source) this.listen(kind, source, receiver);
      if (!route.current && !route.pending) routes.delete(receiver);
    }
  }

  /** A packet a source port received from its participant: to every receiver of that source. */
  forward(source: P, unit: RtpMedia): void {
    const receivers = this.listeners[unit.kind].get(source);
    if (!receivers) return;
    const routes = this.routes[unit.kind];
    for (const receiver of receivers) {
      const route = routes.get(receiver);
      if (!route) continue;
      if (route.pending === source) {
        if (!this.startsKeyframe(unit)) {
          this.askAgain(route, source);
          continue;
        }
        this.promote(unit.kind, route, receiver);
      } else if (route.current !== source) continue;
      receiver.send(unit);
    }
  }

  /** A port leaves the hub: it neither sends nor receives any more. */
  forget(port: P): void {
    for (const kind of ['AUDIO', 'VIDEO'] as const) {
      for (const receiver of [...this.receiversOf(port, kind)]) this.dropSource(kind, receiver, port);
      this.connect(undefined, port, [kind]);
    }
  }

  private dropSource(kind: Kind, receiver: P, source: P): void {
    const route = this.routes[kind].get(receiver);
    if (!route) return;
    if (route.pending === source) route.pending = undefined;
    if (route.current === source) route.current = undefined;
    this.unlisten(kind, source, receiver);
    if (!route.current && !route.pending) this.routes[kind].delete(receiver);
  }

  /** The pending source's key frame arrived: it becomes the receiver's source. */
  private promote(kind: Kind, route: Route<P>, receiver: P): void {
    if (route.current && route.current !== route.pending) this.unlisten(kind, route.current, receiver);
    route.current = route.pending;
    route.pending = undefined;
    this.switches++;
  }

  private startsKeyframe(unit: RtpMedia): boolean {
    if (unit.kind === 'AUDIO' || !GATED.has(codecName(unit.codec))) return true;
    const buffer = unit.buffer;
    const offset = payloadOffset(buffer);
    return offset < buffer.length && isKeyframeStart(unit.codec, buffer.subarray(offset));
  }

  private askAgain(route: Route<P>, source: P): void {
    const now = Date.now();
    if (now - route.askedAt < KEYFRAME_RETRY_MS) return;
    route.askedAt = now;
    source.requestKeyframe();
  }

  private listen(kind: Kind, source: P, receiver: P): void {
    let set = this.listeners[kind].get(source);
    if (!set) {
      set = new Set();
      this.listeners[kind].set(source, set);
    }
    set.add(receiver);
  }

  private unlisten(kind: Kind, source: P, receiver: P): void {
    const set = this.listeners[kind].get(source);
    if (!set) return;
    set.delete(receiver);
    if (set.size === 0) this.listeners[kind].delete(source);
  }
}

const EMPTY: ReadonlySet<never> = new Set();
