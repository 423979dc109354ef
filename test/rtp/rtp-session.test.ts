/**
 * The fast-path RTP session on its own, with SRTP replaced by the identity: forwarding rewrites
 * headers into the subscriber's stream, NACKs are answered as RTX from the publisher's shared
 * history, RTX from the publisher is unwrapped, and keyframe/bitrate feedback surfaces as events.
 */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpSession, type RtpSessionConfig } from '../../src/rtp/rtp-session.js';
import type { SrtpTransform } from '../../src/rtp/srtp-transform.js';
import { buildNack, buildPli, buildRemb, parseRtcp } from '../../src/rtp/rtcp.js';
import { payloadType, sequenceNumber, ssrc, timestamp } from '../../src/rtp/rtp-header.js';
import type { ReceiveStream } from '../../src/rtp/receive-stream.js';

const identity: SrtpTransform = {
  protectRtp: (_b, l) => l,
  unprotectRtp: (_b, l) => l,
  protectRtcp: (_b, l) => l,
  unprotectRtcp: (_b, l) => l,
  rejected: { authentication: 0, replay: 0, malformed: 0 },
};

const VP8 = { mimeType: 'video/VP8', clockRate: 90000 };

function rtp(pt: number, seq: number, ts: number, ssrcValue: number, payload: number[]): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ts, 4);
  b.writeUInt32BE(ssrcValue, 8);
  Buffer.from(payload).copy(b, 12);
  return b;
}

function sessions() {
  const publisherConfig: RtpSessionConfig = {
    cname: 'p', rtcpSsrc: 1, send: {},
    receive: { VIDEO: { codecs: [{ payloadType: 96, codec: VP8, rtxPayloadType: 97 }] } },
    remoteSsrcs: new Map([[1111, { kind: 'VIDEO' as const }], [2222, { kind: 'VIDEO' as const, repairs: 1111 }]]),
  };
  const subscriberConfig: RtpSessionConfig = {
    cname: 's', rtcpSsrc: 2,
    send: { VIDEO: { ssrc: 5555, rtxSsrc: 6666, codecs: [{ payloadType: 100, codec: VP8, rtxPayloadType: 101 }] } },
    receive: {}, remoteSsrcs: new Map(),
  };
  const toPublisher: Buffer[] = [];
  const toSubscriber: Buffer[] = [];
  const publisher = new RtpSession(publisherConfig, identity, (b, l) => toPublisher.push(Buffer.from(b.subarray(0, l))));
  const subscriber = new RtpSession(subscriberConfig, identity, (b, l) => toSubscriber.push(Buffer.from(b.subarray(0, l))));
  publisher.on('rtp', (kind, packet, codec, source) => subscriber.forward(kind, packet, codec, source));
  return { publisher, subscriber, toPublisher, toSubscriber };
}

test('forwarded packets carry the subscriber SSRC and payload type, numbering continuous', () => {
  const { publisher, subscriber, toSubscriber } = sessions();
  publisher.handleDatagram(rtp(96, 1000, 5000, 1111, [1, 2, 3]));
  publisher.handleDatagram(rtp(96, 1001, 8000, 1111, [4, 5]));
  assert.equal(toSubscriber.length, 2);
  const [a, b] = toSubscriber as [Buffer, Buffer];
  assert.equal(ssrc(a), 5555);
  assert.equal(payloadType(a), 100);
  assert.equal(sequenceNumber(b), (sequenceNumber(a) + 1) & 0xffff);
  assert.equal((timestamp(b) - timestamp(a)) >>> 0, 3000);
  assert.deepEqual([...b.subarray(12)], [4, 5]);
  publisher.close();
  subscriber.close();
});

test('a subscriber NACK is answered as RTX from the publisher history', () => {
  const { publisher, subscriber, toSubscriber } = sessions();
  for (let i = 0; i < 5; i++) publisher.handleDatagram(rtp(96, 2000 + i, 9000 * i, 1111, [i, i, i]));
  const lostOut = sequenceNumber(toSubscriber[2]!);
  const originalTs = timestamp(toSubscriber[2]!);
  toSubscriber.length = 0;
  subscriber.handleDatagram(buildNack(42, 5555, [lostOut]));
  assert.equal(toSubscriber.length, 1);
  const rtx = toSubscriber[0]!;
  assert.equal(ssrc(rtx), 6666);
  assert.equal(payloadType(rtx), 101);
  assert.equal(timestamp(rtx), originalTs);
  assert.equal(rtx.readUInt16BE(12), lostOut, 'RTX payload starts with the original sequence number');
  assert.deepEqual([...rtx.subarray(14)], [2, 2, 2]);
  publisher.close();
  subscriber.close();
});

test('RTX from the publisher is unwrapped into the original stream', () => {
  const { publisher, subscriber, toSubscriber } = sessions();
  let seen: ReceiveStream | undefined;
  publisher.on('rtp', (_k, _p, _c, source) => (seen = source));
  publisher.handleDatagram(rtp(96, 10, 0, 1111, [1]));
  publisher.handleDatagram(rtp(96, 12, 0, 1111, [3])); // 11 lost
  const rtx = rtp(97, 500, 0, 2222, [0, 11, 2]); // OSN 11, payload [2]
  publisher.handleDatagram(rtx);
  assert.equal(seen?.ssrc, 1111);
  assert.equal(seen?.cumulativeLost, 0, 'the repaired packet counts as received');
  assert.deepEqual([...toSubscriber[2]!.subarray(12)], [2]);
  publisher.close();
  subscriber.close();
});

test('PLI and REMB from the subscriber become keyframe and bitrate events; PLI upstream goes to the publisher', () => {
  const { publisher, subscriber, toPublisher } = sessions();
  const events: string[] = [];
  subscriber.on('keyframeRequest', (k) => events.push(`kf:${k}`));
  subscriber.on('bitrateEstimate', (k, b) => events.push(`remb:${k}:${Math.round(b / 1000)}`));
  subscriber.handleDatagram(buildPli(42, 5555));
  subscriber.handleDatagram(buildRemb(42, 800_000, [5555]));
  assert.deepEqual(events, ['kf:VIDEO', 'remb:VIDEO:800']);
  publisher.handleDatagram(rtp(96, 1, 0, 1111, [0]));
  assert.ok(publisher.requestKeyframe('VIDEO'));
  const pli = parseRtcp(toPublisher.at(-1)!);
  assert.deepEqual(pli, [{ type: 'pli', senderSsrc: 1, mediaSsrc: 1111 }]);
  publisher.close();
  subscriber.close();
});

test('packets whose CSRC list, extension or padding run past their end are dropped and counted; sound padding is accepted', () => {
  const { publisher, subscriber, toSubscriber } = sessions();
  const csrcs = rtp(96, 1, 0, 1111, [1, 2, 3, 4]);
  csrcs[0] = 0x8f; // 15 CSRCs in 4 bytes
  const extension = rtp(96, 2, 0, 1111, [0xbe, 0xde, 0xff, 0xff, 0x10]);
  extension[0] = 0x90; // 0xffff extension words
  const padding = rtp(96, 3, 0, 1111, [0x10, 0, 0, 200]);
  padding[0] = 0xa0; // 200 bytes of padding in a 4-byte payload
  const zeroPadding = rtp(96, 4, 0, 1111, [0x10, 0, 0, 0]);
  zeroPadding[0] = 0xa0; // a padding count of zero
  for (const bad of [csrcs, extension, padding, zeroPadding]) assert.equal(publisher.handleDatagram(bad), false);
  assert.equal(publisher.dropped, 4);
  const padded = rtp(96, 5, 0, 1111, [0x10, 0x00, 0x00, 0x00, 0x00, 0x02]);
  padded[0] = 0xa0; // two bytes of padding after a 4-byte VP8 payload
  assert.equal(publisher.handleDatagram(padded), true);
  assert.equal(toSubscriber.length, 1);
  publisher.close();
  subscriber.close();
});

test('packets of unnegotiated payload types and garbage are dropped and counted', () => {
  const { publisher, subscriber, toSubscriber } = sessions();
  publisher.handleDatagram(rtp(111, 1, 0, 1111, [0]));
  publisher.handleDatagram(Buffer.from([0x80, 96, 0, 1]));
  assert.equal(toSubscriber.length, 0);
  assert.equal(publisher.dropped, 2);
  publisher.close();
  subscriber.close();
});

test('a gap makes the publisher session ask for the packet until it comes; without loss it asks nothing', () => {
  mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 });
  try {
    const { publisher, subscriber, toPublisher } = sessions();
    const nacks = (): number[][] => toPublisher.flatMap((d) => parseRtcp(d, d.length)).flatMap((r) => (r.type === 'nack' ? [r.lost] : []));
    publisher.handleDatagram(rtp(96, 10, 0, 1111, [1]));
    publisher.handleDatagram(rtp(96, 11, 0, 1111, [2]));
    mock.timers.tick(200);
    assert.deepEqual(nacks(), [], 'nothing lost, nothing asked');
    publisher.handleDatagram(rtp(96, 13, 0, 1111, [4])); // 12 lost
    mock.timers.tick(60);
    assert.deepEqual(nacks(), [[12]], 'asked once the reorder grace is over');
    publisher.handleDatagram(rtp(96, 12, 0, 1111, [3]));
    toPublisher.length = 0;
    mock.timers.tick(500);
    assert.deepEqual(nacks(), [], 'nothing asked once it came');
    publisher.close();
    subscriber.close();
  } finally {
    mock.timers.reset();
  }
});

test('a NACK repeated within a round trip is answered once; once the round trip passed, again', () => {
  mock.timers.enable({ apis: ['Date'], now: 2_000_000 });
  const { publisher, subscriber, toSubscriber } = sessions();
  try {
    for (let i = 0; i < 5; i++) publisher.handleDatagram(rtp(96, 3000 + i, 9000 * i, 1111, [i]));
    const lostOut = sequenceNumber(toSubscriber[1]!);
    toSubscriber.length = 0;
    subscriber.handleDatagram(buildNack(42, 5555, [lostOut]));
    subscriber.handleDatagram(buildNack(42, 5555, [lostOut]));
    assert.equal(toSubscriber.length, 1, 'the second NACK came before the resend could arrive');
    mock.timers.tick(150); // the assumed round trip before any report is 100 ms
    subscriber.handleDatagram(buildNack(42, 5555, [lostOut]));
    assert.equal(toSubscriber.length, 2);
    assert.equal(toSubscriber[1]!.readUInt16BE(12), lostOut);
  } finally {
    publisher.close();
    subscriber.close();
    mock.timers.reset();
  }
});

test('legacy simulcast (a=ssrc-group:SIM): each announced SSRC carries its layer from its first packet', () => {
  const config: RtpSessionConfig = {
    cname: 'p', rtcpSsrc: 1, send: {},
    receive: { VIDEO: { codecs: [{ payloadType: 96, codec: VP8, rtxPayloadType: 97 }] } },
    remoteSsrcs: new Map([[1111, { kind: 'VIDEO' as const }], [3333, { kind: 'VIDEO' as const }], [4444, { kind: 'VIDEO' as const, repairs: 3333 }]]),
    simulcast: { rids: ['0', '1'], ssrcs: [1111, 3333] },
  };
  const publisher = new RtpSession(config, identity, () => undefined);
  const layers: (number | undefined)[] = [];
  publisher.on('rtp', (_k, _p, _c, source) => layers.push(source.layer?.index));
  publisher.handleDatagram(rtp(96, 10, 0, 3333, [1]));
  publisher.handleDatagram(rtp(96, 20, 0, 1111, [2]));
  publisher.handleDatagram(rtp(97, 30, 0, 4444, [0, 11, 3])); // RTX of the upper layer's packet 11
  assert.deepEqual(layers, [1, 0, 1]);
  publisher.close();
});
