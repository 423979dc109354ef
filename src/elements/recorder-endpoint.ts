/**
 * RecorderEndpoint: writes the media reaching its sink pads into a file (or an HTTP upload) in
 * the container of its media profile, as the media arrives.
 *
 * While recording, its sink pads take the codecs of its profile (once a track is declared in the
 * file, that track's codec only): media in another codec reaches it transcoded by the
 * decoded-media layer, and stopped, it takes anything (nothing is transcoded for a recorder that
 * is not recording). The container is created once every
 * track the recording expects is ready to be declared — or after TRACK_WAIT_MS with those that
 * are — and frames are held until then, so the file starts with all its tracks and a key frame.
 * Key frames are asked for at the start, after a pause, after a loss, and every
 * KEYFRAME_INTERVAL_MS, so any part of the file decodes and seeking lands close to its target.
 *
 * States follow KMS: record() → START (Recording), pause() → PAUSE (Paused), stop() → STOP
 * (Stopped) once the file is finished; stopAndWait() returns then.
 */
import { ContainerWriter, type TrackInfo } from '../codec/container-writer.js';
import { MediaIoError } from '../codec/media-io-error.js';
import { PROFILES, profileCodecs, type MediaProfile, type ProfileSpec } from '../codec/media-profile.js';
import type { TimedFrame } from '../codec/decoder.js';
import { ANY_CAPS, type SinkCaps } from '../media/processing/caps.js';
import { SenderTimeline } from '../media/rtp-clock.js';
import type { MediaUnit } from '../media/rtp-media.js';
import { DEFAULT_DESCRIPTION } from '../media/types.js';
import { KurentoError } from '../errors.js';
import type { ElementPadSink } from './media-element.js';
import type { ObjectInit } from './media-object.js';
import { RecorderTrack } from './recorder-track.js';
import { UriEndpointImpl } from './uri-endpoint.js';

const TRACK_WAIT_MS = 3000;
const KEYFRAME_INTERVAL_MS = 4000;
/** Frames held per track while the container waits for its other tracks. */
const MAX_HELD_FRAMES = 1500;

type Kind = 'AUDIO' | 'VIDEO';

interface Session {
  readonly tracks: Map<Kind, RecorderTrack>;
  readonly expected: Set<Kind>;
  readonly held: Map<Kind, TimedFrame[]>;
  writer: ContainerWriter | undefined;
  opening: Promise<void> | undefined;
  /** Index of each track in the container. */
  readonly indexes: Map<Kind, number>;
  /** The sender's clock, placed on the local one, shared by the tracks. */
  readonly timeline: SenderTimeline;
  /** File time zero, in µs on the local clock. */
  baseUs: number | undefined;
  firstFrameAt: number | undefined;
  waitTimer: NodeJS.Timeout | undefined;
  snapshotTaken: boolean;
  failed: boolean;
}

export class RecorderEndpointImpl extends UriEndpointImpl {
  private readonly profileName: MediaProfile;
  private readonly profile: ProfileSpec;
  private readonly stopOnEndOfStream: boolean;
  private session: Session | undefined;
  private pausedAt: number | undefined;
  private pausedTotalMs = 0;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(init: ObjectInit) {
    super(init);
    this.profileName = (init.params.mediaProfile as MediaProfile | undefined) ?? 'WEBM';
    if (this.profileName === 'KURENTO_SPLIT_RECORDER') {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'KURENTO_SPLIT_RECORDER is deprecated and not supported');
    }
    this.profile = PROFILES[this.profileName];
    this.stopOnEndOfStream = init.params.stopOnEndOfStream === true;
    const scheme = new URL(this.target).protocol;
    if (!['file:', 'http:', 'https:'].includes(scheme)) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Cannot record to ${scheme} URIs (file://, http:// and https:// are supported)`);
    }
  }

  // ---- API ------------------------------------------------------------------------------------

  async record(): Promise<null> {
    if (this.stopping) await this.stopping;
    if (this.state === 'START') return null;
    if (this.state === 'PAUSE' && this.session) {
      this.pausedTotalMs += Date.now() - (this.pausedAt ?? Date.now());
      this.pausedAt = undefined;
    } else {
      this.session = this.newSession();
      this.pausedTotalMs = 0;
    }
    this.setState('START');
    this.capsChanged();
    this.emit('Recording');
    this.requestKeyframe();
    this.keyframeTimer ??= setInterval(() => this.requestKeyframe(), KEYFRAME_INTERVAL_MS).unref();
    return null;
  }

  pause(): null {
    if (this.state !== 'START') return null;
    this.pausedAt = Date.now();
    this.setState('PAUSE');
    this.emit('Paused');
    return null;
  }

  stop(): null {
    void this.finish();
    return null;
  }

  async stopAndWait(): Promise<null> {
    await this.finish();
    return null;
  }

  // ---- media plane ----------------------------------------------------------------------------

  override acceptMedia(pad: ElementPadSink, unit: MediaUnit): void {
    if (unit.kind === 'DATA' || pad.description !== DEFAULT_DESCRIPTION) return;
    this.markFlowIn(unit.kind, pad.description);
    const session = this.session;
    if (!session || session.failed || this.state === 'STOP' || !session.expected.has(unit.kind)) return;
    // A snapshot holds one picture: once it is written there is nothing more to decode.
    if (session.snapshotTaken) return;
    let track = session.tracks.get(unit.kind);
    if (!track) {
      track = this.newTrack(session, unit.kind);
      session.tracks.set(unit.kind, track);
    }
    const declared = track.info !== undefined;
    track.push(unit, Date.now(), this.state === 'PAUSE', this.pausedTotalMs);
    // The file now holds this track's codec: nothing else may reach it.
    if (!declared && track.info) this.capsChanged(unit.kind);
  }

  /** The profile's codecs while a recording is open (the declared one once the file has it). */
  protected override sinkCaps(pad: ElementPadSink): SinkCaps {
    const session = this.session;
    if (!session || session.snapshotTaken || pad.kind === 'DATA' || pad.description !== DEFAULT_DESCRIPTION || !session.expected.has(pad.kind)) return ANY_CAPS;
    const declared = session.tracks.get(pad.kind);
    if (declared?.info && declared.codec) return { accepts: 'encoded', codecs: [declared.codec] };
    return { accepts: 'encoded', codecs: profileCodecs(this.profile, pad.kind) };
  }

  override acceptEndOfStream(): void {
    if (this.stopOnEndOfStream) void this.finish();
  }

  override async release(): Promise<void> {
    await this.finish();
    super.release();
  }

  // ---- internals ------------------------------------------------------------------------------

  private newSession(): Session {
    const expected = new Set<Kind>();
    for (const kind of ['VIDEO', 'AUDIO'] as const) {
      const allowed = kind === 'VIDEO' ? this.profile.video : this.profile.audio;
      if (allowed) expected.add(kind);
    }
    return {
      tracks: new Map(),
      expected,
      held: new Map(),
      indexes: new Map(),
      timeline: new SenderTimeline(),
      writer: undefined,
      opening: undefined,
      baseUs: undefined,
      firstFrameAt: undefined,
      waitTimer: undefined,
      snapshotTaken: false,
      failed: false,
    };
  }

  private newTrack(session: Session, kind: Kind): RecorderTrack {
    return new RecorderTrack(kind, {
      frames: (frames) => this.onFrames(session, kind, frames),
      keyframeNeeded: () => this.requestKeyframe(),
      failed: (error) => this.fail(session, error),
    }, session.timeline);
  }

  private onFrames(session: Session, kind: Kind, frames: TimedFrame[]): void {
    if (session.failed) return;
    if (session.writer) {
      this.write(session, kind, frames);
      return;
    }
    const held = session.held.get(kind) ?? [];
    held.push(...frames);
    if (held.length > MAX_HELD_FRAMES) held.splice(0, held.length - MAX_HELD_FRAMES);
    session.held.set(kind, held);
    if (session.firstFrameAt === undefined) {
      session.firstFrameAt = Date.now();
      session.waitTimer = setTimeout(() => this.openWriter(session), TRACK_WAIT_MS);
    }
    const allReady = [...session.expected].every((k) => session.tracks.get(k)?.info !== undefined);
    if (allReady) this.openWriter(session);
  }

  /** Creates the container with the tracks that are ready, then writes what was held. */
  private openWriter(session: Session): void {
    if (session.opening || session.failed) return;
    clearTimeout(session.waitTimer);
    const ready = [...session.tracks.values()].filter((t) => t.info !== undefined);
    // Video first: players take the first track as the main one.
    ready.sort((a, b) => (a.kind === 'VIDEO' ? -1 : 1) - (b.kind === 'VIDEO' ? -1 : 1));
    if (ready.length === 0) {
      session.waitTimer = setTimeout(() => this.openWriter(session), TRACK_WAIT_MS);
      return;
    }
    for (const kind of [...session.expected]) if (!ready.some((t) => t.kind === kind)) session.expected.delete(kind);
    const infos: TrackInfo[] = ready.map((t) => t.info!);
    ready.forEach((t, index) => session.indexes.set(t.kind, index));
    session.opening = ContainerWriter.open(this.target, this.profile, infos, (error) => this.fail(session, error)).then(
      (writer) => {
        if (session.failed || this.session !== session) {
          void writer.close();
          return;
        }
        session.writer = writer;
        // The file starts with its first picture (a key frame): sound from before it is left out,
        // so audio and video start together. Without video, it starts with the first sound.
        const firstVideo = session.held.get('VIDEO')?.[0]?.timeUs;
        const firsts = ready.map((t) => session.held.get(t.kind)?.[0]?.timeUs).filter((t): t is number => t !== undefined);
        session.baseUs = session.indexes.has('VIDEO') && firstVideo !== undefined ? firstVideo : Math.min(...firsts);
        const base = session.baseUs;
        for (const track of ready) this.write(session, track.kind, (session.held.get(track.kind) ?? []).filter((f) => f.timeUs >= base));
        session.held.clear();
      },
      (err: unknown) => this.fail(session, err instanceof MediaIoError ? err : new MediaIoError('RESOURCE_ERROR_OPEN', String(err))),
    );
  }

  private write(session: Session, kind: Kind, frames: TimedFrame[]): void {
    const writer = session.writer!;
    const index = session.indexes.get(kind);
    if (index === undefined) return;
    for (const frame of frames) {
      if (this.profile.snapshot) {
        if (session.snapshotTaken) return;
        session.snapshotTaken = true;
        this.capsChanged(); // one picture is all it takes: stop encoding them
      }
      writer.write(index, frame.data, frame.timeUs - session.baseUs!, frame.keyframe);
    }
  }

  private requestKeyframe(): void {
    if (this.state !== 'START' || !this.profile.video) return;
    const pad = this.sinks.find('VIDEO', DEFAULT_DESCRIPTION);
    if (pad) this.askUpstreamForKeyframe(pad);
  }

  private fail(session: Session, error: MediaIoError): void {
    if (session.failed) return;
    session.failed = true;
    this.reportError(error);
    void this.finish();
  }

  /** Ends the recording: flushes the tracks, finishes the file, then STOP and Stopped. */
  private finish(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.state === 'STOP' && !this.session) return Promise.resolve();
    this.stopping = (async () => {
      clearInterval(this.keyframeTimer);
      this.keyframeTimer = undefined;
      const session = this.session;
      if (session) {
        clearTimeout(session.waitTimer);
        if (!session.writer && !session.opening && !session.failed && session.held.size > 0) this.openWriter(session);
        await session.opening;
        for (const track of session.tracks.values()) track.close();
        await session.writer?.close();
      }
      this.session = undefined;
      this.pausedAt = undefined;
      this.capsChanged();
      if (this.setState('STOP')) this.emit('Stopped');
    })().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }
}
