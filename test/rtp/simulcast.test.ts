/**
 * The pieces of simulcast receive that need no browser: reading the layers from an offer, binding
 * streams to layers by their RID header extension, and VP8 picture ids kept continuous across a
 * change of layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceiveStream } from '../../src/rtp/receive-stream.js';
import { SimulcastGroup } from '../../src/rtp/simulcast-group.js';
import { Vp8PictureIds } from '../../src/rtp/vp8-picture-ids.js';
import { offeredSimulcast } from '../../src/transport/webrtc/simulcast-sdp.js';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
  'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  'a=rid:q send',
  'a=rid:h send',
  'a=rid:f send',
  'a=simulcast:send q;h,x;~p;f',
  '',
].join('\r\n');

/** An RTP packet with a one-byte header extension element (RFC 8285) carrying `rid`. */
function packetWithRid(ssrc: number, id: number, rid: string): Buffer {
  const element = Buffer.concat([Buffer.from([(id << 4) | (rid.length - 1)]), Buffer.from(rid, 'ascii')]);
  const words = Math.ceil(element.length / 4);
  const ext = Buffer.alloc(4 + words * 4);
  ext.writeUInt16BE(0xbede, 0);
  ext.writeUInt16BE(words, 2);
  element.copy(ext, 4);
  const header = Buffer.alloc(12);
  header[0] = 0x90; // V=2, X=1
  header[1] = 96;
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, ext, Buffer.from([0x90, 0x80, 0x00, 0x01, 0x02])]);
}

test('the video m-line of an offer gives the layers (first alternatives, paused ones left out) and extension ids', () => {
  assert.deepEqual(offeredSimulcast(OFFER), { rids: ['q', 'h', 'f'], ridExtension: 10, repairedRidExtension: 11 });
  assert.equal(offeredSimulcast(OFFER.replace(/a=simulcast.*\r\n/, '')), undefined, 'no a=simulcast: one stream');
  assert.equal(offeredSimulcast(OFFER.replace(/a=extmap:10 .*\r\n/, '')), undefined, 'no RID extension: layers cannot be told apart');
});

test('the legacy form: a=ssrc-group:SIM gives each layer its SSRC, lowest first; RFC 8853 wins when both are there', () => {
  const legacy = [
    'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
    'a=rtpmap:96 VP8/90000', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96',
    'a=ssrc-group:SIM 1001 1003 1005',
    'a=ssrc-group:FID 1001 1002', 'a=ssrc-group:FID 1003 1004', 'a=ssrc-group:FID 1005 1006',
    'a=ssrc:1001 cname:x', '',
  ].join('\r\n');
  assert.deepEqual(offeredSimulcast(legacy), { rids: ['0', '1', '2'], ssrcs: [1001, 1003, 1005] });
  assert.equal(offeredSimulcast(legacy.replace('SIM 1001 1003 1005', 'SIM 1001')), undefined, 'one SSRC: one stream');
  assert.equal(offeredSimulcast(legacy.replace('SIM 1001 1003 1005', 'SIM 1001 1001')), undefined, 'the same SSRC twice: refused');
  assert.equal(offeredSimulcast(legacy.replace('SIM 1001 1003 1005', 'SIM 1001 99999999999')), undefined, 'not an SSRC: refused');
  const both = OFFER.replace(/(m=video[^\r]*\r\n)/, '$1a=ssrc-group:SIM 1 2 3\r\n');
  assert.deepEqual(offeredSimulcast(both), { rids: ['q', 'h', 'f'], ridExtension: 10, repairedRidExtension: 11 });
});

test('streams are bound to layers by the RID they name; RTX streams to the stream they repair', () => {
  const group = new SimulcastGroup(['q', 'h', 'f'], 10, 11);
  const streams = new Map<number, ReceiveStream>();
  const make = (ssrc: number) => () => {
    const s = new ReceiveStream(ssrc, 90000);
    streams.set(ssrc, s);
    return s;
  };
  assert.equal(group.claim(packetWithRid(1000, 10, 'h'), 1000, false, make(1000)), true);
  assert.equal(group.byRid('h')!.stream, streams.get(1000));
  assert.equal(streams.get(1000)!.layer?.index, 1);
  assert.equal(group.claim(packetWithRid(1001, 10, 'zz'), 1001, false, make(1001)), false, 'an unknown RID');
  assert.equal(streams.has(1001), false, 'no stream made for it');
  assert.equal(group.claim(packetWithRid(2000, 11, 'h'), 2000, true, make(2000)), true);
  assert.equal(group.repairedBy(2000), 1000);
  assert.equal(group.claim(packetWithRid(3000, 5, 'f'), 3000, false, make(3000)), false, 'no RID extension');
});

/** A VP8 payload descriptor with a 15-bit picture id and a TL0PICIDX, in a packet at offset 12. */
function vp8Packet(pictureId: number, tl0: number): Buffer {
  const buf = Buffer.alloc(12 + 6);
  buf[12] = 0x90; // X, S
  buf[13] = 0xc0; // I, L
  buf.writeUInt16BE(0x8000 | pictureId, 14);
  buf[16] = tl0;
  return buf;
}

test('VP8 picture ids and TL0PICIDX carry on from the last ones sent when the source changes', () => {
  const ids = new Vp8PictureIds();
  const read = (b: Buffer): [number, number] => [b.readUInt16BE(14) & 0x7fff, b[16]!];
  const a1 = vp8Packet(500, 7);
  ids.rewrite(a1, 12, a1.length, 1);
  assert.deepEqual(read(a1), [500, 7], 'the first source passes as it is');
  const a2 = vp8Packet(501, 8);
  ids.rewrite(a2, 12, a2.length, 1);
  const b1 = vp8Packet(32760, 250);
  ids.rewrite(b1, 12, b1.length, 2);
  assert.deepEqual(read(b1), [502, 9], 'the next layer carries on');
  const b2 = vp8Packet(5, 251); // its own picture id wrapped
  ids.rewrite(b2, 12, b2.length, 2);
  assert.deepEqual(read(b2), [(5 + 502 - 32760) & 0x7fff, 10]);
});
