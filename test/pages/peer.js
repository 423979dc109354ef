// A generic WebRTC peer driven by the tests through page.evaluate(() => window.peer.<method>(…)).
// The test process plays the application server: it moves SDP and ICE candidates between this page
// and the media server (or another page). Typed on the Node side by test/helpers/browser.ts
// (PeerOptions, PeerApi); keep the two in step.
(() => {
  'use strict';

  let pc = null;
  let options = null;
  let localStream = null;
  const remoteStream = new MediaStream();
  /** label → { channel, messages } for every data channel, created here or by the remote side. */
  const channels = new Map();
  /** Every local candidate handed out, so tests can inspect what was (not) offered. */
  const localCandidates = [];

  /** Pushes an event to the test (browser.ts exposes __harnessEmit before the page loads). */
  function emit(event) {
    if (typeof window.__harnessEmit === 'function') window.__harnessEmit(event);
  }

  function requirePc() {
    if (!pc) throw new Error('peer.setup() has not been called');
    return pc;
  }

  const sends = () => options.direction === 'sendrecv' || options.direction === 'sendonly';
  const receives = () => options.direction === 'sendrecv' || options.direction === 'recvonly';

  function trackChannel(channel) {
    const entry = { channel, messages: [] };
    channel.binaryType = 'arraybuffer';
    channel.onmessage = ({ data }) => {
      const text = typeof data === 'string' ? data : `[binary ${data.byteLength} bytes]`;
      entry.messages.push(text);
      emit({ type: 'datachannelmessage', label: channel.label, data: text });
    };
    channel.onopen = () => emit({ type: 'datachannelopen', label: channel.label });
    channels.set(channel.label, entry);
    return entry;
  }

  /** Restricts a video transceiver to options.codec (plus RTX), most compatible profile first. */
  function applyCodecPreference(transceiver) {
    if (!options.codec || transceiver.receiver.track.kind !== 'video') return;
    const wanted = `video/${options.codec}`.toLowerCase();
    const codecs = RTCRtpReceiver.getCapabilities('video').codecs;
    const chosen = codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
    if (chosen.length === 0) throw new Error(`this browser cannot receive ${options.codec}`);
    // Constrained baseline with packetization-mode=1 is what every H.264 implementation accepts.
    const rank = (c) => (/profile-level-id=42e01f/.test(c.sdpFmtpLine ?? '') ? 0 : 1) + (/packetization-mode=1/.test(c.sdpFmtpLine ?? '') ? 0 : 2);
    chosen.sort((a, b) => rank(a) - rank(b));
    transceiver.setCodecPreferences([...chosen, ...codecs.filter((c) => c.mimeType.toLowerCase() === 'video/rtx')]);
  }

  /**
   * The legacy simulcast form (before RFC 8853, still honoured by Chromium when an application
   * edits its offer): the video section gets `layers` SSRCs, each with an RTX SSRC (FID groups),
   * listed lowest layer first in an `a=ssrc-group:SIM` line.
   */
  function withLegacySimulcast(sdp, layers) {
    const sections = sdp.split(/\r\n(?=m=)/);
    const index = sections.findIndex((s) => s.startsWith('m=video'));
    const lines = sections[index].split('\r\n');
    const fid = lines.map((l) => /^a=ssrc-group:FID (\d+) (\d+)/.exec(l)).find(Boolean);
    if (!fid) throw new Error('no FID group in the offer to build simulcast on');
    const attributes = lines.filter((l) => l.startsWith(`a=ssrc:${fid[1]} `)).map((l) => l.slice(`a=ssrc:${fid[1]} `.length));
    const random = () => 1 + Math.floor(Math.random() * 0xfffffffe);
    const pairs = [[fid[1], fid[2]]];
    while (pairs.length < layers) pairs.push([String(random()), String(random())]);
    const kept = lines.filter((l) => !l.startsWith('a=ssrc:') && !l.startsWith('a=ssrc-group:'));
    const added = [`a=ssrc-group:SIM ${pairs.map(([media]) => media).join(' ')}`];
    for (const [media, rtx] of pairs) {
      added.push(`a=ssrc-group:FID ${media} ${rtx}`);
      for (const ssrc of [media, rtx]) for (const attribute of attributes) added.push(`a=ssrc:${ssrc} ${attribute}`);
    }
    const end = kept[kept.length - 1] === '' ? kept.length - 1 : kept.length;
    kept.splice(end, 0, ...added);
    sections[index] = kept.join('\r\n');
    return sections.join('\r\n');
  }

  /**
   * Chromium encodes every legacy layer at full size: each is scaled down by half the one above
   * it, so the layers can be told apart by their pictures.
   */
  async function scaleLegacyLayers() {
    const sender = pc.getSenders().find((s) => s.track && s.track.kind === 'video');
    const parameters = sender.getParameters();
    const count = parameters.encodings.length;
    parameters.encodings.forEach((encoding, i) => {
      encoding.scaleResolutionDownBy = 2 ** (count - 1 - i);
    });
    await sender.setParameters(parameters);
  }

  /** Restricts an audio transceiver to options.audioCodec (e.g. 'PCMU'). */
  function applyAudioPreference(transceiver) {
    if (!options.audioCodec || transceiver.receiver.track.kind !== 'audio') return;
    const wanted = `audio/${options.audioCodec}`.toLowerCase();
    const codecs = RTCRtpReceiver.getCapabilities('audio').codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
    if (codecs.length === 0) throw new Error(`this browser cannot receive ${options.audioCodec}`);
    transceiver.setCodecPreferences(codecs);
  }

  /**
   * A camera and a microphone whose content the tests know: a canvas painted with `colors` (one
   * colour fills the picture; two split it into left and right halves; four make quadrants),
   * with a small bar moving along the bottom edge so every frame differs, and a sine tone of
   * `tone` Hz at `toneGain` of full scale (1 by default), at `frameRate` pictures a second.
   */
  function syntheticStream({ colors = ['#ff0000'], tone = 0, toneGain = 1, width = 640, height = 480, frameRate = 30 }) {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext('2d');
    let tick = 0;
    const paint = () => {
      const cols = colors.length >= 2 ? 2 : 1;
      const rows = colors.length >= 3 ? 2 : 1;
      colors.forEach((color, i) => {
        g.fillStyle = color;
        g.fillRect((i % cols) * (width / cols), Math.floor(i / cols) * (height / rows), width / cols, height / rows);
      });
      g.fillStyle = '#808080';
      g.fillRect(0, height - 8, width, 8);
      g.fillStyle = '#ffffff';
      g.fillRect((tick * 8) % width, height - 8, 16, 8);
      tick++;
    };
    paint();
    synthetic.timer = setInterval(paint, 1000 / frameRate);
    const stream = canvas.captureStream(frameRate);
    if (tone > 0) {
      const audio = new AudioContext();
      const oscillator = audio.createOscillator();
      oscillator.frequency.value = tone;
      const destination = audio.createMediaStreamDestination();
      const gain = audio.createGain();
      gain.gain.value = toneGain;
      oscillator.connect(gain).connect(destination);
      oscillator.start();
      synthetic.audio = audio;
      synthetic.gain = gain;
      for (const track of destination.stream.getAudioTracks()) stream.addTrack(track);
    }
    return stream;
  }
  const synthetic = { timer: null, audio: null, gain: null };

  /** The colour (r, g, b) of the remote picture at relative points ([x, y] in 0..1), averaged over 5x5 pixels. */
  function sampleRemote(points) {
    const video = document.getElementById('remote');
    if (!video.videoWidth) return null;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const g = canvas.getContext('2d', { willReadFrequently: true });
    g.drawImage(video, 0, 0);
    return points.map(([x, y]) => {
      const px = Math.min(canvas.width - 5, Math.max(0, Math.round(x * canvas.width) - 2));
      const py = Math.min(canvas.height - 5, Math.max(0, Math.round(y * canvas.height) - 2));
      const data = g.getImageData(px, py, 5, 5).data;
      const sum = [0, 0, 0];
      for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c] += data[i + c];
      return sum.map((v) => Math.round(v / 25));
    });
  }

  /** An analyser on the remote sound; `remoteTones` reads its spectrum. */
  let analyser = null;
  function remoteSpectrum() {
    if (!analyser) {
      if (remoteStream.getAudioTracks().length === 0) return null;
      const audio = new AudioContext();
      analyser = audio.createAnalyser();
      analyser.fftSize = 8192;
      audio.createMediaStreamSource(remoteStream).connect(analyser);
    }
    const bins = new Float32Array(analyser.frequencyBinCount);
    analyser.getFloatFrequencyData(bins);
    return { bins, hzPerBin: analyser.context.sampleRate / analyser.fftSize };
  }

  function localTrack(kind) {
    return localStream ? localStream.getTracks().find((t) => t.kind === kind) : undefined;
  }

  function kinds() {
    return ['audio', 'video'].filter((k) => options[k]);
  }

  async function waitForGathering() {
    if (pc.iceGatheringState === 'complete') return;
    await new Promise((resolve) => {
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
  }

  /** The local SDP to hand over: with every candidate inside it when non-trickle ICE was asked for. */
  async function localSdp() {
    if (!options.nonTrickle) return pc.localDescription.sdp;
    await waitForGathering();
    const lines = pc.localDescription.sdp.split('\r\n');
    const kept = options.tcpOnly ? lines.filter((l) => !/^a=candidate:\S+ \d+ udp /i.test(l)) : lines;
    return kept.join('\r\n');
  }

  window.peer = {
    /** Creates the peer connection and, when it sends, captures the fake camera and microphone. */
    async setup(opts = {}) {
      options = { direction: 'sendrecv', audio: true, video: true, iceServers: [], ...opts };
      pc = new RTCPeerConnection({
        iceServers: options.iceServers,
        iceTransportPolicy: options.iceTransportPolicy ?? 'all',
        ...(options.bundlePolicy ? { bundlePolicy: options.bundlePolicy } : {}),
      });
      pc.onicecandidate = ({ candidate }) => {
        // ICE-TCP-only tests: the server must be reached without any UDP candidate of ours.
        if (candidate && options.tcpOnly && candidate.protocol === 'udp') return;
        const json = candidate ? candidate.toJSON() : null;
        if (json) localCandidates.push(json);
        emit(json ? { type: 'icecandidate', candidate: json } : { type: 'gatheringdone' });
        // For scripts of the page itself (whip.js trickles them over HTTP); null: gathering done.
        window.dispatchEvent(new CustomEvent('peer-icecandidate', { detail: json }));
      };
      pc.onconnectionstatechange = () => emit({ type: 'connectionstate', state: pc.connectionState });
      pc.ontrack = ({ track }) => {
        remoteStream.addTrack(track);
        const video = document.getElementById('remote');
        if (video.srcObject !== remoteStream) video.srcObject = remoteStream;
      };
      pc.ondatachannel = ({ channel }) => trackChannel(channel);
      if (sends()) {
        localStream = options.synthetic
          ? syntheticStream(options.synthetic)
          : await navigator.mediaDevices.getUserMedia({ audio: options.audio, video: options.video });
        document.getElementById('local').srcObject = localStream;
      }
      if (options.dataChannel) trackChannel(pc.createDataChannel(options.dataChannel));
    },

    /** Offerer role: one transceiver per enabled kind, then the offer (set locally) as SDP. */
    async createOffer() {
      requirePc();
      for (const kind of kinds()) {
        const track = localTrack(kind);
        const transceiver = pc.addTransceiver(sends() && track ? track : kind, {
          direction: options.direction,
          streams: localStream ? [localStream] : [],
          // Simulcast: one encoding per layer, each with its rid (a=rid / a=simulcast in the offer).
          ...(kind === 'video' && options.simulcast && sends() ? { sendEncodings: options.simulcast } : {}),
          // SVC: one encoding whose scalability mode layers it (VP9 L3T3_KEY, for one).
          ...(kind === 'video' && options.scalabilityMode && sends() ? { sendEncodings: [{ scalabilityMode: options.scalabilityMode }] } : {}),
        });
        applyCodecPreference(transceiver);
        applyAudioPreference(transceiver);
      }
      const offer = await pc.createOffer();
      if (options.legacySimulcast && sends()) offer.sdp = withLegacySimulcast(offer.sdp, options.legacySimulcast);
      await pc.setLocalDescription(offer);
      if (options.legacySimulcast && sends()) await scaleLegacyLayers();
      return localSdp();
    },

    async acceptAnswer(sdp) {
      await requirePc().setRemoteDescription({ type: 'answer', sdp });
    },

    /** Answerer role (another page's offer, or a server's generateOffer): returns the answer SDP. */
    async acceptOffer(sdp) {
      await requirePc().setRemoteDescription({ type: 'offer', sdp });
      for (const transceiver of pc.getTransceivers()) {
        if (transceiver.currentDirection !== null) continue; // negotiated earlier: leave it be
        const track = localTrack(transceiver.receiver.track.kind);
        if (sends() && track) {
          await transceiver.sender.replaceTrack(track);
          transceiver.sender.setStreams(localStream);
          transceiver.direction = receives() ? 'sendrecv' : 'sendonly';
        } else {
          transceiver.direction = receives() ? 'recvonly' : 'inactive';
        }
        applyCodecPreference(transceiver);
        applyAudioPreference(transceiver);
      }
      await pc.setLocalDescription(await pc.createAnswer());
      return localSdp();
    },

    /**
     * ICE restart: `restartIce()`, then the new offer (new ICE credentials, same media), set
     * locally and returned at once; its candidates trickle as the first offer's did.
     */
    async restartIce() {
      const connection = requirePc();
      connection.restartIce();
      await connection.setLocalDescription(await connection.createOffer());
      return connection.localDescription.sdp;
    },

    /** The selected candidate pair's local and remote addresses ("ip:port"), or null. */
    async selectedPair() {
      const stats = await requirePc().getStats();
      let transport = null;
      stats.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) transport = s;
      });
      if (!transport) return null;
      const pair = stats.get(transport.selectedCandidatePairId);
      const end = (id) => {
        const c = stats.get(id);
        return c ? `${c.address ?? c.ip}:${c.port}` : '?';
      };
      return pair ? { id: pair.id, local: end(pair.localCandidateId), remote: end(pair.remoteCandidateId) } : null;
    },

    /** A remote candidate ({ candidate, sdpMid, sdpMLineIndex }); null marks the end of candidates. */
    async addIceCandidate(candidate) {
      await requirePc().addIceCandidate(candidate ?? undefined);
    },

    localCandidates: () => localCandidates.slice(),
    localDescription: () => pc?.localDescription?.sdp ?? null,
    remoteDescription: () => pc?.remoteDescription?.sdp ?? null,
    state: () => ({
      connectionState: pc?.connectionState ?? 'new',
      iceConnectionState: pc?.iceConnectionState ?? 'new',
      iceGatheringState: pc?.iceGatheringState ?? 'new',
      signalingState: pc?.signalingState ?? 'stable',
    }),

    /** This connection's stats, summarised by instrument.js (injected by the harness). */
    stats() {
      if (!window.__harness) throw new Error('instrument.js was not injected');
      return window.__harness.summarize(requirePc());
    },
    remoteVideo: () => window.__harness.video('#remote'),
    sampleRemoteVideo: (points) => sampleRemote(points),
    /** Sets the synthetic tone's level (a share of full scale; 0 is silence). */
    setToneGain(gain) {
      if (!synthetic.gain) throw new Error('this page sends no synthetic tone');
      synthetic.gain.gain.value = gain;
    },
    /**
     * The remote sound's level (dB) at each frequency asked for, and its loudest frequency
     * between 100 Hz and 8 kHz; null before any sound track arrived.
     */
    remoteTones(frequencies) {
      const spectrum = remoteSpectrum();
      if (!spectrum) return null;
      const { bins, hzPerBin } = spectrum;
      // A tone spreads over a few bins: take the strongest near each frequency.
      const near = (hz) => Math.max(...[-2, -1, 0, 1, 2].map((d) => bins[Math.round(hz / hzPerBin) + d] ?? -Infinity));
      let peak = 0;
      for (let i = Math.ceil(100 / hzPerBin); i < Math.min(bins.length, 8000 / hzPerBin); i++) if (bins[i] > bins[peak] || peak === 0) peak = i;
      return { levels: frequencies.map(near), peakHz: peak * hzPerBin, peakDb: bins[peak] };
    },

    createDataChannel(label) {
      trackChannel(requirePc().createDataChannel(label));
    },
    /** Sends text on an open channel; false when the channel is unknown or not open yet. */
    sendData(label, text) {
      const entry = channels.get(label);
      if (!entry || entry.channel.readyState !== 'open') return false;
      entry.channel.send(text);
      return true;
    },
    dataChannel(label) {
      const entry = channels.get(label);
      return entry ? { state: entry.channel.readyState, messages: entry.messages.slice() } : null;
    },

    close() {
      clearInterval(synthetic.timer);
      void synthetic.audio?.close();
      localStream?.getTracks().forEach((t) => t.stop());
      pc?.close();
    },
  };
})();
