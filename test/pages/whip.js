// A WHIP (RFC 9725) and WHEP client as any web page writes one: the browser's RTCPeerConnection
// (held by peer.js, which also makes the synthetic camera and reads the remote picture) and
// `fetch`, nothing of Kurento's or ours. The offer leaves at once; the candidates follow by PATCH
// (application/trickle-ice-sdpfrag) as the browser gathers them; DELETE ends the session.
// Driven by test/whip/whip-browser.test.ts through page.evaluate(() => window.whip.<method>(…)).
(() => {
  'use strict';

  /** The session once the POST answered: where to PATCH and DELETE, and what was sent. */
  let session = null;
  /** Candidates gathered and not sent yet (null: the end of candidates). */
  const pending = [];
  /** PATCHes go one after another, in gathering order. */
  let sending = Promise.resolve();
  const patches = [];

  window.addEventListener('peer-icecandidate', ({ detail }) => {
    pending.push(detail);
    if (session) sending = sending.then(sendCandidates);
  });

  const attribute = (sdp, name) => (new RegExp(`^a=${name}:(.*)$`, 'm').exec(sdp) ?? [])[1]?.trim();

  /** One PATCH with every candidate gathered since the last one, grouped under their m-line's mid. */
  async function sendCandidates() {
    if (pending.length === 0) return;
    const batch = pending.splice(0);
    const lines = [`a=ice-ufrag:${attribute(session.offer, 'ice-ufrag')}`, `a=ice-pwd:${attribute(session.offer, 'ice-pwd')}`];
    const byMid = new Map();
    for (const c of batch) if (c) byMid.set(c.sdpMid, [...(byMid.get(c.sdpMid) ?? []), c.candidate]);
    const mids = byMid.size > 0 ? [...byMid.keys()] : [attribute(session.offer, 'mid')];
    for (const mid of mids) {
      lines.push('m=audio 9 UDP/TLS/RTP/SAVPF 0', `a=mid:${mid}`, ...(byMid.get(mid) ?? []).map((c) => `a=${c}`));
    }
    if (batch.includes(null)) lines.push('a=end-of-candidates');
    const response = await fetch(session.url, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', Authorization: `Bearer ${session.token}`, 'If-Match': session.etag },
      body: `${lines.join('\r\n')}\r\n`,
    });
    patches.push({ status: response.status, candidates: batch.filter((c) => c).length, end: batch.includes(null) });
  }

  /** POSTs the offer, applies the answer and starts trickling; resolves with what the server said. */
  async function start(url, token, options) {
    await window.peer.setup({ bundlePolicy: 'max-bundle', ...options });
    const offer = await window.peer.createOffer();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
      body: offer,
    });
    const answer = await response.text();
    if (response.status !== 201) throw new Error(`POST answered ${response.status}: ${answer}`);
    session = { url: new URL(response.headers.get('Location'), url).href, etag: response.headers.get('ETag'), token, offer };
    await window.peer.acceptAnswer(answer);
    sending = sending.then(sendCandidates);
    await sending;
    return {
      status: response.status,
      location: session.url,
      etag: session.etag,
      contentType: response.headers.get('Content-Type'),
      answerCandidates: (answer.match(/^a=candidate:/gm) ?? []).length,
    };
  }

  window.whip = {
    /** Publishes the page's synthetic camera and tone to a WHIP endpoint. */
    publish: (url, token, options = {}) => start(url, token, { ...options, direction: 'sendonly' }),
    /** Plays from a WHEP endpoint into the page's remote video. */
    play: (url, token, options = {}) => start(url, token, { ...options, direction: 'recvonly' }),
    /** The trickle PATCHes sent so far: their statuses and how many candidates each carried. */
    patches: async () => {
      await sending;
      return patches.slice();
    },
    /** Ends the session (DELETE); resolves with the status, and a second DELETE's. */
    async stop() {
      const headers = { Authorization: `Bearer ${session.token}` };
      const first = await fetch(session.url, { method: 'DELETE', headers });
      const again = await fetch(session.url, { method: 'DELETE', headers });
      return { status: first.status, again: again.status };
    },
  };
})();
