/**
 * Histories for media that reaches a sending RTP session from no RTP peer (a player, an encoder
 * of the decoded-media layer without a history, werift's path): one ReceiveStream per source
 * SSRC keeps its recent packets, so a NACK from the peer can still be answered.
 */
import type { RtpMedia } from '../media/rtp-media.js';
import { ReceiveStream } from './receive-stream.js';

export class ForeignSources {
  private readonly streams = new Map<number, ReceiveStream>();

  /** The stream a packet belongs to, with the packet remembered in its history. */
  remember(media: RtpMedia): ReceiveStream {
    const ssrcValue = media.buffer.readUInt32BE(8);
    let stream = this.streams.get(ssrcValue);
    if (!stream) {
      stream = new ReceiveStream(ssrcValue, media.codec.clockRate);
      this.streams.set(ssrcValue, stream);
    }
    stream.remember(media.buffer.readUInt16BE(2), media.buffer, media.buffer.length);
    return stream;
  }
}
