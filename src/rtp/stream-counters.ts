/** Per-stream RTP counters of an RTP session, in the shape getStats reports them. */
import type { RtpKind, RtpSession } from './rtp-session.js';

export interface StreamCounters {
  direction: 'inbound' | 'outbound';
  kind: RtpKind;
  ssrc: number;
  codec: string;
  packets: number;
  bytes: number;
  /** Frames (distinct RTP timestamps); 0 where the path does not count them. */
  frames: number;
  nackCount: number;
  pliCount: number;
  packetsLost: number;
  fractionLost: number;
  jitter: number;
  roundTripTime: number;
  remb: number;
  /**
   * Outbound, with transport-wide feedback: how long our packets queued on the path lately (ms),
   * and our estimate of the path's rate with headers (`remb` holds its media payload share).
   */
  congestion?: { queueDelayMs: number; linkEstimateBps: number };
}

/** What an RTP session sent and received so far, stream by stream. */
export function sessionCounters(session: RtpSession): StreamCounters[] {
  const out: StreamCounters[] = [];
  for (const kind of ['AUDIO', 'VIDEO'] as const) {
    const stream = session.sendStream(kind);
    if (!stream || stream.packetCount === 0) continue;
    out.push({
      direction: 'outbound', kind, ssrc: stream.ssrc, codec: '',
      packets: stream.packetCount, bytes: stream.octetCount, frames: stream.frames,
      nackCount: stream.nackCount, pliCount: stream.pliCount,
      packetsLost: 0, fractionLost: 0, jitter: 0,
      roundTripTime: session.roundTripTimeMs / 1000, remb: stream.remb,
      ...congestionCounters(session, kind),
    });
  }
  for (const { kind, stream } of session.receiveStreams()) {
    out.push({
      direction: 'inbound', kind, ssrc: stream.ssrc, codec: '',
      packets: stream.packetsReceived, bytes: stream.bytes, frames: stream.frames,
      nackCount: stream.nackCount, pliCount: stream.pliCount,
      packetsLost: stream.cumulativeLost, fractionLost: 0, jitter: stream.jitter,
      roundTripTime: 0, remb: 0,
    });
  }
  return out;
}

function congestionCounters(session: RtpSession, kind: RtpKind): Pick<StreamCounters, 'congestion'> {
  const estimator = session.congestion(kind);
  return estimator ? { congestion: { queueDelayMs: estimator.queueDelayMs, linkEstimateBps: estimator.estimateBps } } : {};
}
