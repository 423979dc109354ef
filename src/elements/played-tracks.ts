/**
 * The tracks of a container being played into a pipeline (PlayerEndpoint, HttpPostEndpoint):
 * one PlayerTrack per track of the source, and the continuous RTP timeline they share. Frames
 * read from the container come in; RTP packets in the track's codec go out to `out`.
 *
 * Media time is shifted onto the output timeline by an offset that grows at each jump (a seek, a
 * reconnection, a new upload), so receivers see one stream whatever the source does.
 */
import type { RtpPacket } from 'werift';
import type { ContainerReader, SourceFrame } from '../codec/container-reader.js';
import type { CodecDescription } from '../media/rtp-media.js';
import { PlayerTrack } from './player-track.js';

/** Gap put on the RTP timeline where playback jumps (seek, reconnection). */
const JUMP_GAP_US = 40_000;

export type PacketSink = (kind: 'AUDIO' | 'VIDEO', packets: RtpPacket[], codec: CodecDescription) => void;

export class PlayedTracks {
  private readonly tracks = new Map<number, PlayerTrack>();
  /** Media time (µs) of the last frame sent, and the offset onto the output timeline. */
  positionUs = 0;
  private offsetUs = 0;
  private lastOutUs = -JUMP_GAP_US;

  constructor(
    private readonly useEncodedMedia: boolean,
    private readonly out: PacketSink,
  ) {}

  /** Makes a track for each track of the source not seen before (MediaIoError for a codec we cannot carry). */
  adopt(reader: ContainerReader): void {
    for (const source of reader.tracks) {
      if (!this.tracks.has(source.index)) this.tracks.set(source.index, PlayerTrack.create(source, this.useEncodedMedia));
    }
  }

  /** Playback (re)starts at this media time: it goes on the timeline after what was sent. */
  jumpTo(firstFrameUs: number): void {
    this.offsetUs = this.lastOutUs + JUMP_GAP_US - firstFrameUs;
  }

  /** Packetizes one frame (transcoding or making key frames as its track does) and sends it out. */
  async send(frame: SourceFrame): Promise<void> {
    const track = this.tracks.get(frame.track.index);
    if (!track) return;
    const packets = await track.packetize(frame, this.offsetUs);
    this.positionUs = Math.max(0, frame.timeUs);
    this.lastOutUs = Math.max(this.lastOutUs, frame.timeUs + this.offsetUs);
    if (packets.length > 0) this.out(frame.track.kind, packets, track.codec);
  }

  /** The codec the tracks of a kind send, once known. */
  codecOf(kind: 'AUDIO' | 'VIDEO'): CodecDescription | undefined {
    for (const track of this.tracks.values()) if (track.source.kind === kind) return track.codec;
    return undefined;
  }

  /** A receiver wants a key frame: the tracks of that kind make one if they can. */
  requestKeyframe(kind: 'AUDIO' | 'VIDEO'): void {
    for (const track of this.tracks.values()) if (track.source.kind === kind) track.requestKeyframe();
  }

  /** Frees the tracks (a new source starts with new ones; the timeline carries on). */
  clear(): void {
    for (const track of this.tracks.values()) track.close();
    this.tracks.clear();
    this.positionUs = 0;
  }
}
