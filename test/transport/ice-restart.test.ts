/**
 * What counts as an ICE restart among second offers (src/transport/webrtc/ice-restart.ts), on
 * the corpus's Chromium offer: new credentials with the same media is a restart, even when the
 * browser narrows the header extensions and codecs to what was negotiated (Chromium re-offers
 * only the extensions the answer took); anything else is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { classifyReoffer, iceCredentials } from '../../src/transport/webrtc/ice-restart.js';

const CHROMIUM = readFileSync(fileURLToPath(new URL('../../../test/fixtures/sdp/chromium.sdp', import.meta.url)), 'utf8').replace(/\r?\n/g, '\r\n');
/** An answer of ours to it: Opus and VP8, the mid and abs-send-time extensions. */
const ANSWER = CHROMIUM.split('\r\n')
  .filter((l) => !/^a=(rtpmap|fmtp|rtcp-fb|extmap):/.test(l) || /^a=(rtpmap|fmtp|rtcp-fb):(111|96|97) /.test(l) || /^a=extmap:[24] /.test(l))
  .join('\r\n');

const withCredentials = (sdp: string, ufrag: string, pwd: string): string => sdp.replace(/^a=ice-ufrag:\S+/gm, `a=ice-ufrag:${ufrag}`).replace(/^a=ice-pwd:\S+/gm, `a=ice-pwd:${pwd}`);
const restarted = withCredentials(CHROMIUM, 'Nw9b', 'a8Pq2rS5tU7vW9xY1zA3bC5d');

test('new credentials and the same media: an ICE restart; the same credentials: not one', () => {
  assert.deepEqual(iceCredentials(restarted), { ufrag: 'Nw9b', pwd: 'a8Pq2rS5tU7vW9xY1zA3bC5d' });
  assert.equal(classifyReoffer(CHROMIUM, restarted, ANSWER), 'ice-restart');
  assert.equal(classifyReoffer(CHROMIUM, CHROMIUM, ANSWER), 'same-credentials');
  // A new default candidate may change the m-line's port and the c= line: still a restart.
  assert.equal(classifyReoffer(CHROMIUM, restarted.replace(/^m=video 9 /m, 'm=video 50123 ').replace(/^c=IN IP4 0\.0\.0\.0/gm, 'c=IN IP4 192.0.2.7'), ANSWER), 'ice-restart');
});

test('a restart may narrow header extensions and codecs to what was offered, keeping what we answered', () => {
  const narrowed = restarted.split('\r\n').filter((l) => !/^a=extmap:(1|3|13|14) /.test(l) && !/^a=(rtpmap|fmtp|rtcp-fb):(45|46) /.test(l)).join('\r\n');
  assert.equal(classifyReoffer(CHROMIUM, narrowed, ANSWER), 'ice-restart');
  // Dropping the codec we answered with changes the media.
  const withoutVp8 = restarted.split('\r\n').filter((l) => !/^a=(rtpmap|fmtp|rtcp-fb):96 /.test(l)).join('\r\n');
  assert.equal(classifyReoffer(CHROMIUM, withoutVp8, ANSWER), 'media-changed');
  // An extension or codec that was not offered before is a change too.
  assert.equal(classifyReoffer(CHROMIUM, restarted.replace('a=extmap:14 urn:ietf:params:rtp-hdrext:toffset', 'a=extmap:14 urn:ietf:params:rtp-hdrext:framemarking'), ANSWER), 'media-changed');
});

test('other m-lines, mids, directions or SSRCs are a media change, whatever the credentials', () => {
  const noAudio = restarted.replace(/\r\nm=audio[\s\S]*?(?=\r\nm=)/, '');
  assert.equal(classifyReoffer(CHROMIUM, noAudio, ANSWER), 'media-changed');
  assert.equal(classifyReoffer(CHROMIUM, restarted.replace(/^a=mid:1$/m, 'a=mid:7'), ANSWER), 'media-changed');
  assert.equal(classifyReoffer(CHROMIUM, restarted.replace(/^a=sendrecv$/m, 'a=recvonly'), ANSWER), 'media-changed');
  const ssrc = /^a=ssrc:(\d+) /m.exec(CHROMIUM)![1]!;
  assert.equal(classifyReoffer(CHROMIUM, restarted.replaceAll(`a=ssrc:${ssrc} `, 'a=ssrc:12345 '), ANSWER), 'media-changed');
});
