/**
 * PlayerEndpoint: reads a file or a network stream (file://, http(s)://, rtsp://) and sends its
 * media into the pipeline in real time, as RTP with codec descriptions like any other source.
 *
 * One loop per play: read a frame (node-av, off the event loop), wait until it is due on the
 * wall clock, packetize it (or transcode it first, see PlayerTrack), push it out of the source
 * pad of its kind. Seeks, pauses and stops are requests the loop serves between frames, so the
 * demuxer is never used by two calls at once. The RTP timeline stays continuous across seeks
 * and reconnections: receivers see one stream.
 *
 * A live source (RTSP) that fails or ends is reopened every RECONNECT_MS until stop(), and its
 * frames are sent `networkCache` ms after they are read, which absorbs the network's jitter (KMS
 * gives the same value to rtspsrc as its jitter buffer latency). A file that ends raises
 * EndOfStream. Failures to open or read raise Kurento's Error event — for a live source once per
 * outage, not at every retry; the element never hangs (network I/O has timeouts, close()
 * interrupts a blocked read).
 */
import type { RtpPacket } from 'werift';
import { ContainerReader, type ReaderOptions, type SourceFrame } from '../codec/container-reader.js';
import { MediaIoError } from '../codec/media-io-error.js';
import { KurentoError } from '../errors.js';
import { RtpMedia, type CodecDescription } from '../media/rtp-media.js';
import { DEFAULT_DESCRIPTION } from '../media/types.js';
import type { ElementPadSource } from './media-element.js';
import type { ObjectInit, Params } from './media-object.js';
import { PlayedTracks } from './played-tracks.js';
import { PlayerTrack } from './player-track.js';
import { UriEndpointImpl } from './uri-endpoint.js';

const RECONNECT_MS = 1000;

export class PlayerEndpointImpl extends UriEndpointImpl {
  private readonly networkCacheMs: number;
  private readonly udpPortRange: readonly [number, number];
  /** A live source is down and its failure was reported: retries stay quiet until it plays again. */
  private outageReported = false;
  private reader: ContainerReader | undefined;
  private readonly tracks: PlayedTracks;
  /** Bumped by stop(): a loop of an older generation ends at its next step. */
  private generation = 0;
  private loop: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private seekRequest: { ms: number; done: (ok: boolean) => void } | undefined;
  /** Codecs found by probing a file before play, for a WebRtcEndpoint's offer answer. */
  private probedCodecs = new Map<'AUDIO' | 'VIDEO', CodecDescription>();
  private info = { isSeekable: false, seekableInit: 0, seekableEnd: 0, duration: 0 };

  constructor(init: ObjectInit) {
    super(init);
    this.tracks = new PlayedTracks(init.params.useEncodedMedia === true, (kind, packets, codec) => this.sendPackets(kind, packets, codec));
    this.networkCacheMs = Math.max(0, (init.params.networkCache as number | undefined) ?? 2000);
    // RTSP over UDP takes its media ports from the server's RTP range, so one firewall rule covers both.
    this.udpPortRange = [init.host.config.minPort, init.host.config.maxPort];
    if (this.target.startsWith('file:')) void this.probe();
  }

  // ---- API ------------------------------------------------------------------------------------

  play(): null {
    if (this.state === 'START') return null;
    const resuming = this.state === 'PAUSE' && this.loop !== undefined;
    this.setState('START');
    if (resuming) this.wake();
    else this.loop = this.run(++this.generation);
    return null;
  }

  pause(): null {
    if (this.state === 'START') this.setState('PAUSE');
    return null;
  }

  async stop(): Promise<null> {
    await this.halt();
    this.setState('STOP');
    return null;
  }

  getPosition(): number {
    return Math.round(this.tracks.positionUs / 1000);
  }

  async setPosition(params: Params): Promise<null> {
    const ms = Number(params.position);
    if (!this.reader || !this.reader.seekable || !this.loop || ms < 0 || ms > this.reader.durationMs) {
      throw new KurentoError('PLAYER_SEEK_FAIL', 'Seek fails');
    }
    const ok = await new Promise<boolean>((done) => {
      this.seekRequest?.done(false);
      this.seekRequest = { ms, done };
      this.wake();
    });
    if (!ok) throw new KurentoError('PLAYER_SEEK_FAIL', 'Seek fails');
    return null;
  }

  async getVideoInfo(): Promise<Record<string, unknown>> {
    if (!this.reader && this.info.duration === 0 && !ContainerReader.isLive(this.target)) await this.probe();
    return { ...this.info };
  }

  // ---- media plane ----------------------------------------------------------------------------

  override producedCodecs(pad: ElementPadSource): CodecDescription[] {
    if (pad.kind === 'DATA') return [];
    const codec = this.tracks.codecOf(pad.kind) ?? this.probedCodecs.get(pad.kind);
    return codec ? [codec] : [];
  }

  /** A receiver wants a key frame: the tracks of that kind make one if they can (a file has none to give). */
  override onKeyframeRequest(pad: ElementPadSource): void {
    if (pad.kind !== 'DATA') this.tracks.requestKeyframe(pad.kind);
  }

  override async release(): Promise<void> {
    await this.halt();
    super.release();
  }

  // ---- the play loop --------------------------------------------------------------------------

  private async run(generation: number): Promise<void> {
    const live = ContainerReader.isLive(this.target);
    this.outageReported = false;
    while (generation === this.generation) {
      const opened = await this.openSource(generation, live);
      if (!opened) return;
      const outcome = await this.playSource(generation);
      await this.closeSource();
      if (generation !== this.generation) return;
      if (outcome === 'failed' && !live) break;
      if (outcome === 'eof' && !live) {
        this.emit('EndOfStream');
        for (const pad of this.sources.all()) this.pushEndOfStream(pad);
        break;
      }
      await this.sleep(RECONNECT_MS, generation); // a live source went away: try again
    }
    if (generation === this.generation) {
      this.loop = undefined;
      this.tracks.positionUs = 0;
      this.setState('STOP');
    }
  }

  /** Opens the source and its tracks; reports failures (retrying live sources). */
  private async openSource(generation: number, live: boolean): Promise<boolean> {
    while (generation === this.generation) {
      try {
        const reader = await ContainerReader.open(this.target, this.readerOptions());
        if (generation !== this.generation) {
          await reader.close();
          return false;
        }
        this.reader = reader;
        this.info = { isSeekable: reader.seekable, seekableInit: 0, seekableEnd: reader.seekable ? reader.durationMs : 0, duration: reader.durationMs };
        this.tracks.adopt(reader);
        return true;
      } catch (err) {
        const error = err instanceof MediaIoError ? err : new MediaIoError('STREAM_ERROR_FAILED', String(err));
        if (!live || !this.outageReported) this.reportError(error);
        this.outageReported = live;
        await this.closeSource();
        if (!live || error.type === 'INVALID_URI' || generation !== this.generation) {
          if (generation === this.generation) {
            this.loop = undefined;
            this.setState('STOP');
          }
          return false;
        }
        await this.sleep(RECONNECT_MS, generation);
      }
    }
    return false;
  }

  /** Sends the source's frames in real time until it ends, fails or playback stops. */
  private async playSource(generation: number): Promise<'eof' | 'failed' | 'stopped'> {
    const reader = this.reader!;
    let base: { wallMs: number; mediaUs: number } | undefined;
    while (generation === this.generation) {
      if (this.seekRequest) {
        const request = this.seekRequest;
        this.seekRequest = undefined;
        const ok = await reader.seek(request.ms);
        if (ok) {
          base = undefined;
          this.tracks.positionUs = request.ms * 1000;
        }
        request.done(ok);
        continue;
      }
      if (this.state === 'PAUSE') {
        const pausedAt = Date.now();
        await this.sleep(Infinity, generation);
        if (base) base.wallMs += Date.now() - pausedAt;
        continue;
      }
      let frame: SourceFrame | 'eof';
      try {
        frame = await reader.read();
      } catch (err) {
        if (generation === this.generation && !this.outageReported) this.reportError(err instanceof MediaIoError ? err : new MediaIoError('RESOURCE_ERROR_READ', String(err)));
        this.outageReported = reader.live;
        return 'failed';
      }
      if (frame === 'eof') return generation === this.generation ? 'eof' : 'stopped';
      if (!base) {
        // A live source's frames wait networkCache ms: late ones then still leave on time.
        base = { wallMs: Date.now() + (reader.live ? this.networkCacheMs : 0), mediaUs: frame.timeUs };
        this.tracks.jumpTo(frame.timeUs);
        this.outageReported = false;
      }
      const due = base.wallMs + (frame.timeUs - base.mediaUs) / 1000;
      if (due > Date.now()) await this.sleep(due - Date.now(), generation);
      if (generation !== this.generation) break;
      if (this.seekRequest) continue; // a seek arrived while waiting: this frame is stale
      try {
        await this.tracks.send(frame);
      } catch (err) {
        this.reportError(err instanceof MediaIoError ? err : new MediaIoError('STREAM_ERROR_FAILED', `cannot send the media: ${err instanceof Error ? err.message : String(err)}`));
        return 'failed';
      }
    }
    return 'stopped';
  }

  private sendPackets(kind: 'AUDIO' | 'VIDEO', packets: RtpPacket[], codec: CodecDescription): void {
    const pad = this.sources.find(kind, DEFAULT_DESCRIPTION);
    if (!pad || pad.links.size === 0) return;
    this.markFlowOut(kind, DEFAULT_DESCRIPTION);
    for (const packet of packets) this.pushMedia(pad, RtpMedia.fromPacket(kind, packet, codec));
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Ends the loop and closes the source. */
  private async halt(): Promise<void> {
    this.generation++;
    this.seekRequest?.done(false);
    this.seekRequest = undefined;
    this.wake();
    await this.reader?.close(); // interrupts a read blocked on the network
    await this.loop;
    this.loop = undefined;
    await this.closeSource();
    this.tracks.clear();
  }

  private async closeSource(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }

  /** Waits `ms` (Infinity: until woken); stop, seek and play wake it early. */
  private sleep(ms: number, generation: number): Promise<void> {
    if (generation !== this.generation) return Promise.resolve();
    // One loop sleeps at a time; a sleeper still registered (there should be none) is woken
    // now rather than chained: a chain of every sleep so far, walked at each wake, made each frame
    // cost more than the last (and would overflow the stack after minutes of playback).
    this.wake();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wakeLoop === done) this.wakeLoop = undefined;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      this.wakeLoop = done;
    });
  }

  private readerOptions(): ReaderOptions {
    return { networkCacheMs: this.networkCacheMs, udpPortRange: this.udpPortRange };
  }

  private wake(): void {
    const wake = this.wakeLoop;
    this.wakeLoop = undefined;
    wake?.();
  }

  /** Reads a file's description without playing it: codecs, duration, seekability. */
  private async probe(): Promise<void> {
    let reader: ContainerReader | undefined;
    try {
      reader = await ContainerReader.open(this.target, this.readerOptions());
      this.info = { isSeekable: reader.seekable, seekableInit: 0, seekableEnd: reader.seekable ? reader.durationMs : 0, duration: reader.durationMs };
      for (const source of reader.tracks) {
        const codec = PlayerTrack.outputCodec(source);
        if (codec) this.probedCodecs.set(source.kind, codec);
      }
    } catch (err) {
      // Not an error yet: play() opens the source again and reports what fails then.
      if (!(err instanceof MediaIoError)) throw err;
    } finally {
      await reader?.close();
    }
  }
}
