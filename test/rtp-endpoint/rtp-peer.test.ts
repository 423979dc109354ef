/**
 * RtpEndpoint against a scripted RTP peer on loopback (Node UDP sockets and our SRTP contexts),
 * for what a media peer cannot show precisely: the feedback it negotiated (NACK for its losses,
 * REMB within `maxVideoRecvBandwidth`) and none when it did not, connection and media states
 * following its RTP, RTCP and BYE, symmetric RTP, and the soft limit of an SDES key's lifetime.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { parseRtcp, type RtcpRecord } from '../../src/rtp/rtcp.js';
import { SrtpContext, SrtpProfile } from '../../src/transport/srtp/index.js';
import { poll } from '../helpers/poll.js';
import { RawClient } from '../helpers/raw-client.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { createPipeline, invoke, subscribe } from '../helpers/webrtc-rpc.js';

let server: RunningServer;
let client: RawClient;
let pipeline: string;
const sockets: Socket[] = [];

before(async () => {
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  client = await RawClient.connect(server.url);
  pipeline = await createPipeline(client);
});

after(async () => {
  for (const s of sockets) s.close();
  client?.close();
  await server?.stop();
});

async function socket(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

function rtpPacket(seq: number, ssrc: number, payloadType = 96): Buffer {
  const packet = Buffer.alloc(12 + 100, 0x55);
  packet[0] = 0x80;
  packet[1] = payloadType;
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(seq * 3000, 4);
  packet.writeUInt32BE(ssrc, 8);
  // A VP8 payload descriptor that starts a key frame, so the stream looks like video.
  packet[12] = 0x10;
  packet[13] = 0x00;
  return packet;
}

function peerOffer(port: number, options: { profile: string; feedback?: string[]; crypto?: string; address?: string }): string {
  const address = options.address ?? '127.0.0.1';
  return [
    'v=0', `o=- 1 1 IN IP4 ${address}`, 's=scripted peer', `c=IN IP4 ${address}`, 't=0 0',
    `m=video ${port} ${options.profile} 96`,
    'a=rtpmap:96 VP8/90000',
    ...(options.feedback ?? []).map((f) => `a=rtcp-fb:96 ${f}`),
    ...(options.crypto ? [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${options.crypto}`] : []),
    'a=sendrecv', '',
  ].join('\r\n');
}

/** Collects what the endpoint sends to a socket, RTCP parsed. */
function rtcpOf(s: Socket, unprotect?: SrtpContext): RtcpRecord[] {
  const records: RtcpRecord[] = [];
  s.on('message', (buf: Buffer) => {
    const pt = buf[1]!;
    if (pt < 192 || pt > 223) return;
    const length = unprotect ? unprotect.unprotectRtcp(buf, buf.length) : buf.length;
    if (length > 0) records.push(...parseRtcp(buf, length));
  });
  return records;
}

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function endpointFor(offer: string, params: Record<string, unknown> = {}): Promise<{ id: string; port: number }> {
  const id = String((await client.call('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: pipeline, ...params } })).value);
  await subscribe(client, id, ['ConnectionStateChanged', 'MediaStateChanged', 'OnKeySoftLimit']);
  const answer = String(await invoke(client, id, 'processOffer', { offer }));
  return { id, port: Number(/^m=video (\d+)/m.exec(answer)![1]) };
}

test('AVPF peer: its losses are NACKed, our REMB stays within maxVideoRecvBandwidth, states follow its RTP, RTCP and BYE', async () => {
  const media = await socket();
  const control = await socket();
  const peerPort = media.address().port;
  // The peer's RTCP port is given explicitly: symmetric RTP is checked by answering elsewhere.
  const offer = peerOffer(peerPort, { profile: 'RTP/AVPF', feedback: ['nack', 'nack pli', 'goog-remb'] }).replace('a=sendrecv', `a=rtcp:${control.address().port}\r\na=sendrecv`);
  const { id, port } = await endpointFor(offer);
  await invoke(client, id, 'setMaxVideoRecvBandwidth', { maxVideoRecvBandwidth: 200 });
  const received = rtcpOf(control);
  const ssrc = 0x1000;
  for (let seq = 1; seq <= 20; seq++) if (seq !== 10) media.send(rtpPacket(seq, ssrc), port, '127.0.0.1');
  const connected = await client.waitForEvent('ConnectionStateChanged', id);
  assert.equal(connected.params.value.data.newState, 'CONNECTED');
  const nack = await until(() => received.find((r) => r.type === 'nack'), 'a NACK');
  assert.deepEqual(nack.type === 'nack' && [nack.mediaSsrc, nack.lost], [ssrc, [10]]);
  const remb = await until(() => received.find((r) => r.type === 'remb'), 'a REMB', 5000);
  assert.ok(remb.type === 'remb' && remb.bitrate <= 200_000 && remb.bitrate > 0, `REMB ${JSON.stringify(remb)}`);

  // RTCP from the peer: its media session is up. BYE: it is gone.
  const sr = Buffer.alloc(28);
  sr[0] = 0x80;
  sr[1] = 200;
  sr.writeUInt16BE(6, 2);
  sr.writeUInt32BE(ssrc, 4);
  control.send(sr, port + 1, '127.0.0.1');
  assert.equal((await client.waitForEvent('MediaStateChanged', id)).params.value.data.newState, 'CONNECTED');
  const bye = Buffer.from([0x81, 203, 0, 1, 0, 0, 0x10, 0]);
  control.send(bye, port + 1, '127.0.0.1');
  await until(() => client.events('MediaStateChanged').find((e) => e.object === id && e.data.newState === 'DISCONNECTED'), 'MediaStateChanged DISCONNECTED');
  await until(() => client.events('ConnectionStateChanged').find((e) => e.object === id && e.data.newState === 'DISCONNECTED'), 'ConnectionStateChanged DISCONNECTED');
  assert.equal(await invoke(client, id, 'getConnectionState'), 'DISCONNECTED');
});

test('plain RTP/AVP peer behind NAT: no feedback is sent (no NACK, PLI or REMB), and reports go where its RTCP comes from', async () => {
  const media = await socket();
  // The SDP names the peer's private address (TEST-NET here); its packets come from elsewhere,
  // as through a NAT: symmetric RTP answers where they come from.
  const { id, port } = await endpointFor(peerOffer(media.address().port, { profile: 'RTP/AVP', address: '192.0.2.10' }));
  const rtcpSocket = await socket();
  const received = rtcpOf(rtcpSocket);
  for (let seq = 1; seq <= 20; seq++) if (seq !== 10) media.send(rtpPacket(seq, 0x2000), port, '127.0.0.1');
  const rr = Buffer.alloc(8);
  rr[0] = 0x80;
  rr[1] = 201;
  rr.writeUInt16BE(1, 2);
  rr.writeUInt32BE(0x2000, 4);
  rtcpSocket.send(rr, port + 1, '127.0.0.1');
  await until(() => received.find((r) => r.type === 'rr' || r.type === 'sr'), 'a report at the address the peer sent RTCP from', 5000);
  await assert.rejects(invoke(client, id, 'requestKeyframe'), /not supported|failed/i);
  assert.ok(!received.some((r) => r.type === 'nack' || r.type === 'pli' || r.type === 'remb'), JSON.stringify(received.map((r) => r.type)));
});

test('SDES key lifetime: OnKeySoftLimit when the peer\'s key nears the end of its life; then packets are refused', async () => {
  const media = await socket();
  const keySalt = randomBytes(30);
  const offer = peerOffer(media.address().port, { profile: 'RTP/SAVP', crypto: `${keySalt.toString('base64')}|2^10` });
  const { id, port } = await endpointFor(offer, { crypto: { crypto: 'AES_128_CM_HMAC_SHA1_80' } });
  const sender = new SrtpContext({ profile: SrtpProfile.AES128_CM_HMAC_SHA1_80, masterKey: keySalt.subarray(0, 16), masterSalt: keySalt.subarray(16) });
  const received = async (): Promise<number> => {
    const stats = (await invoke(client, id, 'getStats')) as Record<string, { type: string; packetsReceived?: number }>;
    return Object.values(stats).find((s) => s.type === 'inboundrtp')?.packetsReceived ?? 0;
  };
  // In batches the endpoint has taken before the next is sent: a burst of a thousand datagrams
  // could overflow the socket's buffer on a busy machine, and lost packets use no key.
  for (let seq = 1; seq <= 1100; seq++) {
    const plain = rtpPacket(seq, 0x3000);
    const buf = Buffer.alloc(plain.length + 10);
    plain.copy(buf);
    media.send(buf.subarray(0, sender.protectRtp(buf, plain.length)), port, '127.0.0.1');
    if (seq % 50 === 0) await poll(received, (n) => n >= Math.min(seq, 1024) - 2, 3000, 20);
  }
  const soft = await client.waitForEvent('OnKeySoftLimit', id, 5000);
  assert.equal(soft.params.value.data.mediaType, 'VIDEO');
  const stats = (await invoke(client, id, 'getStats')) as Record<string, { type: string; packetsReceived?: number }>;
  const inbound = Object.values(stats).find((s) => s.type === 'inboundrtp');
  assert.ok(inbound && (inbound.packetsReceived ?? 0) <= 1024, `at most the key's lifetime is accepted, got ${inbound?.packetsReceived}`);
});

test('useIpv6: the endpoint announces and listens on IPv6, and an IPv6 peer\'s media arrives', async () => {
  const media = createSocket({ type: 'udp6' });
  sockets.push(media);
  media.bind(0, '::1');
  await once(media, 'listening');
  const offer = peerOffer(media.address().port, { profile: 'RTP/AVP' }).replace(/IN IP4 127\.0\.0\.1/g, 'IN IP6 ::1');
  const id = String((await client.call('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: pipeline, useIpv6: true } })).value);
  await subscribe(client, id, ['ConnectionStateChanged']);
  const answer = String(await invoke(client, id, 'processOffer', { offer }));
  assert.match(answer, /^c=IN IP6 ::1$/m);
  const port = Number(/^m=video (\d+)/m.exec(answer)![1]);
  for (let seq = 1; seq <= 5; seq++) media.send(rtpPacket(seq, 0x4000), port, '::1');
  assert.equal((await client.waitForEvent('ConnectionStateChanged', id)).params.value.data.newState, 'CONNECTED');
});

test('KMS_EXTERNAL_IPV4: the SDP announces the external address', async () => {
  const external = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo', KMS_EXTERNAL_IPV4: '198.51.100.20' } });
  const other = await RawClient.connect(external.url);
  try {
    const p = await createPipeline(other);
    const id = String((await other.call('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: p } })).value);
    const offer = String(await invoke(other, id, 'generateOffer'));
    assert.match(offer, /^c=IN IP4 198\.51\.100\.20$/m);
    assert.match(offer, /^o=- \d+ \d+ IN IP4 198\.51\.100\.20$/m);
  } finally {
    other.close();
    await external.stop();
  }
});
