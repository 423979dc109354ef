// The browser side of the Java suite's media tests. The Java test is the application server: this
// page offers (send and receive, or receive only, from ?direction=; with a data channel too when
// ?datachannel=<label>, on which it sends one greeting), trickles its candidates to it, applies
// the media server's answer and candidates, and reports what it decodes every 500 ms.
// Everything goes over plain HTTP to the page's own origin, so the test needs no browser driver.
'use strict';

const query = new URLSearchParams(location.search);
const direction = query.get('direction') ?? 'sendrecv';
const dataChannelLabel = query.get('datachannel');
/** Messages that came back on the data channel. */
const dataReceived = [];

function post(path, body) {
  return fetch(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
}

function report(kind, text) {
  post('/log', { kind, text: String(text) }).catch(() => undefined);
}

window.addEventListener('error', (e) => report('error', e.message));
window.addEventListener('unhandledrejection', (e) => report('error', e.reason?.message ?? e.reason));

/** The inbound streams as the page sees them: what a user would watch and hear. */
async function summary(pc) {
  const result = { connectionState: pc.connectionState, video: null, audio: null, dataReceived };
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    result[s.kind] = {
      packetsReceived: s.packetsReceived ?? 0,
      framesDecoded: s.framesDecoded ?? 0,
      frameWidth: s.frameWidth ?? 0,
      frameHeight: s.frameHeight ?? 0,
    };
  });
  const video = document.getElementById('remote');
  result.videoElement = { width: video.videoWidth, height: video.videoHeight, currentTime: video.currentTime };
  return result;
}

async function pollServerCandidates(pc) {
  let next = 0;
  while (pc.connectionState !== 'closed') {
    const response = await fetch(`/candidates?from=${next}`);
    const candidates = await response.json();
    for (const c of candidates) await pc.addIceCandidate(c);
    next += candidates.length;
  }
}

async function main() {
  const pc = new RTCPeerConnection();
  pc.addEventListener('icecandidate', ({ candidate }) => {
    if (candidate) post('/candidate', candidate.toJSON());
  });
  pc.addEventListener('track', ({ streams, track }) => {
    const video = document.getElementById('remote');
    video.srcObject = streams[0] ?? new MediaStream([track]);
  });
  if (dataChannelLabel) {
    const channel = pc.createDataChannel(dataChannelLabel);
    channel.addEventListener('open', () => channel.send(`hello from the page on ${dataChannelLabel}`));
    channel.addEventListener('message', ({ data }) => dataReceived.push(String(data)));
  }
  if (direction === 'recvonly') {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
  } else {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
  }
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await (await post('/offer', pc.localDescription.sdp)).text();
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  pollServerCandidates(pc).catch((err) => report('error', `server candidates: ${err.message}`));
  setInterval(() => summary(pc).then((s) => post('/stats', s)), 500);
}

main().catch((err) => report('error', err.message ?? err));
