// Injected by test/helpers/browser.ts into every page before the page's own scripts run
// (Playwright init script). It lets tests read WebRTC figures from any page — our own peer page or
// an example built on kurento-utils — without the page's cooperation:
//  - every RTCPeerConnection that negotiates is remembered (by patching setLocalDescription, which
//    every negotiating connection calls; replacing the constructor would be visible to libraries);
//  - window.__harness.stats() summarises getStats() of each into plain JSON;
//  - window.__harness.video(selector) reports what a <video> element actually shows.
(() => {
  'use strict';
  const connections = [];
  const original = RTCPeerConnection.prototype.setLocalDescription;
  RTCPeerConnection.prototype.setLocalDescription = function (...args) {
    if (!connections.includes(this)) connections.push(this);
    return original.apply(this, args);
  };

  const pick = (stats, names) => Object.fromEntries(names.filter((n) => stats[n] !== undefined).map((n) => [n, stats[n]]));

  const INBOUND = [
    'kind', 'mid', 'ssrc', 'packetsReceived', 'packetsLost', 'bytesReceived', 'jitter', 'framesReceived',
    'framesDecoded', 'keyFramesDecoded', 'framesDropped', 'frameWidth', 'frameHeight', 'framesPerSecond',
    'totalSamplesReceived', 'audioLevel', 'concealedSamples', 'nackCount', 'pliCount', 'firCount', 'decoderImplementation',
  ];
  const OUTBOUND = [
    'kind', 'mid', 'rid', 'ssrc', 'packetsSent', 'bytesSent', 'framesEncoded', 'framesSent', 'keyFramesEncoded',
    'frameWidth', 'frameHeight', 'framesPerSecond', 'targetBitrate', 'qualityLimitationReason', 'nackCount',
    'pliCount', 'firCount', 'active', 'encoderImplementation',
  ];

  /** One RTCPeerConnection's getStats(), reduced to the figures tests assert on. */
  async function summarize(pc) {
    const report = await pc.getStats();
    const byId = new Map();
    report.forEach((s) => byId.set(s.id, s));
    const codecOf = (s) => byId.get(s.codecId)?.mimeType;
    const summary = {
      connectionState: pc.connectionState,
      iceConnectionState: pc.iceConnectionState,
      signalingState: pc.signalingState,
      inbound: [],
      outbound: [],
      candidatePair: null,
      dataChannels: [],
    };
    for (const s of report.values()) {
      if (s.type === 'inbound-rtp') summary.inbound.push({ ...pick(s, INBOUND), codec: codecOf(s) });
      else if (s.type === 'outbound-rtp') summary.outbound.push({ ...pick(s, OUTBOUND), codec: codecOf(s) });
      else if (s.type === 'data-channel') summary.dataChannels.push(pick(s, ['label', 'state', 'messagesSent', 'messagesReceived']));
      else if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = byId.get(s.selectedCandidatePairId);
        const local = byId.get(pair?.localCandidateId);
        const remote = byId.get(pair?.remoteCandidateId);
        summary.candidatePair = {
          state: pair?.state,
          currentRoundTripTime: pair?.currentRoundTripTime,
          availableOutgoingBitrate: pair?.availableOutgoingBitrate,
          local: local && pick(local, ['candidateType', 'protocol', 'address', 'port', 'relayProtocol', 'tcpType']),
          remote: remote && pick(remote, ['candidateType', 'protocol', 'address', 'port', 'tcpType']),
        };
      }
    }
    return summary;
  }

  window.__harness = {
    connections,
    /** Summaries of every negotiated peer connection of this page, oldest first. */
    stats: () => Promise.all(connections.map(summarize)),
    summarize,
    /** What a <video> element shows: its intrinsic size, and how many frames it has presented. */
    video(selector) {
      const el = document.querySelector(selector);
      if (!el) return null;
      const quality = el.getVideoPlaybackQuality ? el.getVideoPlaybackQuality() : undefined;
      return {
        videoWidth: el.videoWidth,
        videoHeight: el.videoHeight,
        currentTime: el.currentTime,
        paused: el.paused,
        readyState: el.readyState,
        hasSource: el.srcObject !== null || Boolean(el.src),
        totalVideoFrames: quality ? quality.totalVideoFrames : 0,
      };
    },
  };
})();
