/** Statistics of a fast-path RTP session in the shape getStats reports (see webrtc-session.ts). */
import type { RtpSession } from '../../rtp/rtp-session.js';
import type { StreamCounters } from './webrtc-session.js';

export function fastPathCounters(session: RtpSession): StreamCounters[] {
  const out: StreamCounters[] = [];
  for (const kind of ['AUDIO', 'VIDEO'] as const) {
    const stream = session.sendStream(kind);
    if (!stream || stream.packetCount === 0) continue;
    out.push({
      direction: 'outbound', kind, ssrc: stream.ssrc, codec: '',
      packets: stream.packetCount, bytes: stream.octetCount,
      nackCount: stream.nackCount, pliCount: stream.pliCount,
      packetsLost: 0, fractionLost: 0, jitter: 0,
      roundTripTime: session.roundTripTimeMs / 1000, remb: stream.remb,
    });
  }
  for (const { kind, stream } of session.receiveStreams()) {
    out.push({
      direction: 'inbound', kind, ssrc: stream.ssrc, codec: '',
      packets: stream.packetsReceived, bytes: stream.bytes,
      nackCount: stream.nackCount, pliCount: stream.pliCount,
      packetsLost: stream.cumulativeLost, fractionLost: 0, jitter: stream.jitter,
      roundTripTime: 0, remb: 0,
    });
  }
  return out;
}
