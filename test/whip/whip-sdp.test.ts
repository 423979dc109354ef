/**
 * What the control process reads of WHIP/WHEP bodies before the endpoint sees them: which way an
 * offer's media goes (media-level attributes over the session-level one; rejected lines do not
 * count, bundle-only ones do), its mids and ICE credentials, and RFC 8840 trickle fragments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSdpFragment, SdpTextError, summarizeOffer } from '../../src/control/whip-sdp.js';

const offer = (...media: string[]): string => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=ice-ufrag:abcd', 'a=ice-pwd:0123456789abcdefghijkl', ...media].join('\r\n') + '\r\n';

test('directions: media-level over session-level; port 0 lines ignored unless bundle-only; data lines never count', () => {
  const sendonly = summarizeOffer(offer('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=sendonly', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:1', 'a=sendonly'));
  assert.deepEqual(sendonly, { sends: true, receives: false, mids: ['0', '1'], ufrag: 'abcd', pwd: '0123456789abcdefghijkl' });
  // No direction attribute anywhere: sendrecv (RFC 4566).
  assert.deepEqual(summarizeOffer(offer('m=video 9 UDP/TLS/RTP/SAVPF 96')), { sends: true, receives: true, mids: [undefined], ufrag: 'abcd', pwd: '0123456789abcdefghijkl' });
  const sessionLevel = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=recvonly', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:v'].join('\r\n');
  assert.equal(summarizeOffer(sessionLevel).sends, false);
  assert.equal(summarizeOffer(sessionLevel).receives, true);
  // A rejected sending line does not make the offer send; a bundle-only one does.
  assert.equal(summarizeOffer(offer('m=video 0 UDP/TLS/RTP/SAVPF 96', 'a=sendonly', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=recvonly')).sends, false);
  assert.equal(summarizeOffer(offer('m=video 0 UDP/TLS/RTP/SAVPF 96', 'a=bundle-only', 'a=sendonly')).sends, true);
  assert.equal(summarizeOffer(offer('m=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=sendrecv')).sends, false);
});

test('text that is not SDP is refused with a reason', () => {
  assert.throws(() => summarizeOffer('hello'), SdpTextError);
  assert.throws(() => summarizeOffer('v=0\r\nthis is not a line\r\n'), /not x=/);
});

test('trickle fragments: candidates under their mid, credentials, end of candidates; malformed candidates refused', () => {
  const fragment = parseSdpFragment(
    'a=ice-ufrag:abcd\r\na=ice-pwd:pw\r\na=candidate:0 1 udp 1 10.0.0.1 5000 typ host\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n' +
      'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:1\r\na=candidate:2 1 tcp 1 127.0.0.1 9 typ host tcptype active\r\na=end-of-candidates\r\n',
  );
  assert.equal(fragment.ufrag, 'abcd');
  assert.equal(fragment.pwd, 'pw');
  assert.deepEqual(fragment.candidates.map((c) => [c.mid, c.candidate.split(' ')[0]]), [[undefined, 'candidate:0'], ['0', 'candidate:1'], ['1', 'candidate:2']]);
  assert.equal(fragment.endOfCandidates, true);
  assert.throws(() => parseSdpFragment('a=candidate:1 1 udp\r\n'), /malformed candidate/);
  assert.throws(() => parseSdpFragment('<html>'), SdpTextError);
});
