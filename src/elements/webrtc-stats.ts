/**
 * Statistics of a WebRtcEndpoint in KMS's shapes (`RTCInboundRTPStreamStats`,
 * `RTCOutboundRTPStreamStats`, `RTCIceCandidatePairStats`, `RTCTransportStats`,
 * `RTCDataChannelStats`, `EndpointStats`), each tagged with its `__type__`.
 */
import type { MediaKind } from '../media/types.js';
import type { StreamCounters } from '../rtp/stream-counters.js';
import type { WebRtcSession } from '../transport/webrtc/webrtc-session.js';
import type { StatsEntry } from './media-element.js';

/** KMS's EndpointStats entry of an endpoint. */
export function endpointStats(elementId: string): StatsEntry {
  return { __type__: 'EndpointStats', id: `${elementId}_endpoint`, type: 'endpoint', timestampMillis: Date.now(), inputLatency: [], E2ELatency: [] };
}

/** RTCInboundRTPStreamStats and RTCOutboundRTPStreamStats of an RTP session's streams. */
export function rtpStreamStats(counters: readonly StreamCounters[], kind: MediaKind | undefined): StatsEntry[] {
  const now = Date.now();
  const entries: StatsEntry[] = [];
  for (const c of counters) {
    if (kind && kind !== c.kind) continue;
    const common = {
      ssrc: String(c.ssrc),
      associateStatsId: '',
      isRemote: false,
      mediaTrackId: c.kind.toLowerCase(),
      transportId: 'transport',
      codecId: c.codec,
      firCount: 0,
      pliCount: c.pliCount,
      nackCount: c.nackCount,
      sliCount: 0,
      remb: c.remb,
      packetsLost: c.packetsLost,
      fractionLost: c.fractionLost,
    };
    if (c.direction === 'inbound') {
      entries.push({ __type__: 'RTCInboundRTPStreamStats', id: `inbound_${c.kind}_${c.ssrc}`, type: 'inboundrtp', timestampMillis: now, ...common, packetsReceived: c.packets, bytesReceived: c.bytes, jitter: c.jitter, framesReceived: c.frames });
    } else {
      entries.push({ __type__: 'RTCOutboundRTPStreamStats', id: `outbound_${c.kind}_${c.ssrc}`, type: 'outboundrtp', timestampMillis: now, ...common, packetsSent: c.packets, bytesSent: c.bytes, targetBitrate: c.remb, roundTripTime: c.roundTripTime, framesSent: c.frames, ...(c.congestion ? { queueDelayMs: c.congestion.queueDelayMs, linkEstimate: c.congestion.linkEstimateBps } : {}) });
    }
  }
  return entries;
}

/** The stats entries we can compute synchronously from the session's counters. */
export function webRtcStats(elementId: string, session: WebRtcSession | undefined, kind: MediaKind | undefined, dropped: number): StatsEntry[] {
  const now = Date.now();
  const entries: StatsEntry[] = [endpointStats(elementId)];
  if (!session) return entries;
  entries.push(...rtpStreamStats(session.streamCounters(), kind));
  if (!kind || kind === 'DATA') {
    for (const d of session.dataChannelStates()) {
      entries.push({
        __type__: 'RTCDataChannelStats', id: `datachannel_${d.id}`, type: 'datachannel', timestampMillis: now,
        label: d.label, protocol: d.protocol, datachannelid: d.id, state: d.state,
        messagesSent: d.messagesSent, bytesSent: d.bytesSent, messagesReceived: d.messagesReceived, bytesReceived: d.bytesReceived,
      });
    }
  }
  const pair = session.selectedPair();
  const transport = session.transportCounters();
  if (transport) {
    entries.push({
      __type__: 'RTCTransportStats', id: 'transport', type: 'transport', timestampMillis: now,
      bytesSent: transport.bytesSent, bytesReceived: transport.bytesReceived, rtcpTransportStatsId: 'transport',
      activeConnection: pair !== undefined, selectedCandidatePairId: pair ? 'candidatepair' : '', localCertificateId: '', remoteCertificateId: '',
      // Beyond KMS's fields (clients ignore unknown ones): what was dropped, and why.
      packetsDiscarded: transport.packetsDiscarded,
      packetsDroppedNoCodec: dropped,
    });
  }
  if (pair && transport) {
    entries.push({
      __type__: 'RTCIceCandidatePairStats', id: 'candidatepair', type: 'candidatepair', timestampMillis: now,
      transportId: 'transport', localCandidateId: pair.local, remoteCandidateId: pair.remote, state: 'succeeded', priority: 0,
      nominated: true, writable: true, readable: true, bytesSent: transport.bytesSent, bytesReceived: transport.bytesReceived,
      roundTripTime: 0, availableOutgoingBitrate: 0, availableIncomingBitrate: 0,
    });
  }
  return entries;
}
