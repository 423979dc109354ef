/**
 * Packet fuzz at the media ports, seeded so a failure repeats: hostile STUN, DTLS, SRTCP and SRTP
 * datagrams at a WebRtcEndpoint's ICE port while its peer's media flows; a plain-RTP peer whose
 * packets are mutated on the way into an RtpEndpoint (lying headers and noise payloads that
 * reach the depacketizer and the H.264 decoder of a transcoding recorder); RTSP servers that
 * answer a PlayerEndpoint with lies. Each time: nothing crashes (the same worker process serves
 * on), what is malformed is dropped and counted, and the media that is sound gets through.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dtlsShaped, mutate, noise, rtcpShaped, rtpShaped, stunShaped } from '../helpers/packet-fuzz.js';
import { pollUntil } from '../helpers/poll.js';
import { RawClient } from '../helpers/raw-client.js';
import { ffmpegSend, frameColors, isBlue, isRed, mediaPort, payloadTypeOf, probe, type PeerProcess } from '../helpers/rtp-peers.js';
import { Dice } from '../helpers/seeded-random.js';
import { startServer, type RunningServer } from '../helpers/server-process.js';
import { create, eventsOf, invoke, lastPacketTime, subscribe, waitForEvent } from '../helpers/uri-endpoints.js';
import { candidatesOf, connectPeer, createPipeline, createWebRtcEndpoint } from '../helpers/webrtc-rpc.js';
import { pumpMedia, WeriftPeer } from '../helpers/werift-peer.js';

const SEED = Number(process.env.MEDIA_FUZZ_SEED ?? 7);

let server: RunningServer;
let client: RawClient;
let workerPid: number;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kuroshio-media-fuzz-'));
  server = await startServer({ args: ['--workers', '1'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  client = await RawClient.connect(server.url);
  [workerPid] = server.workerPids() as [number];
});

after(async () => {
  client?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The worker is the one the file started with, and it still builds pipelines. */
async function assertWorkerServes(): Promise<void> {
  const other = await createPipeline(client);
  assert.equal(typeof (await invoke(client, other, 'getName')), 'string');
  await client.call('release', { object: other });
  assert.deepEqual(server.workerPids(), [workerPid], 'the media worker never restarted');
}

async function transportStats(endpoint: string): Promise<Record<string, any>> {
  const all = Object.values((await invoke(client, endpoint, 'getStats')) as Record<string, Record<string, any>>);
  const transport = all.find((s) => s.__type__ === 'RTCTransportStats');
  assert.ok(transport, 'an RTCTransportStats entry');
  return transport;
}

function sendTo(socket: UdpSocket, port: number, datagram: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.send(datagram, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

test('WebRtcEndpoint: 2,000 hostile STUN, DTLS, SRTCP, SRTP and noise datagrams at its ICE port; its peer\'s media and ICE carry on', async (t) => {
  const pipeline = await createPipeline(client);
  t.after(() => client.call('release', { object: pipeline }));
  const endpoint = await createWebRtcEndpoint(client, pipeline);
  await subscribe(client, endpoint, 'IceComponentStateChanged', 'MediaFlowInStateChanged');
  await invoke(client, endpoint, 'connect', { sink: endpoint }); // the peer gets its own media back
  const peer = new WeriftPeer();
  t.after(() => peer.close());
  const answer = await connectPeer(client, endpoint, peer, { audio: 'sendrecv', video: 'sendrecv' });
  await peer.waitConnected();
  t.after(pumpMedia(peer));
  await pollUntil(async () => peer.packetsReceived, (r) => r.audio > 0 && r.video > 0, 15_000, 'the peer to get its media back', 100);

  const port = Number(candidatesOf(client, endpoint).map((c) => / udp \d+ 127\.0\.0\.1 (\d+) typ host/.exec(c.candidate)).find(Boolean)?.[1]);
  assert.ok(port > 0, 'a UDP candidate on 127.0.0.1');
  const serverUfrag = /a=ice-ufrag:(\S+)/.exec(answer)![1]!;
  const peerUfrag = /a=ice-ufrag:(\S+)/.exec(peer.pc.localDescription!.sdp)![1]!;
  const before = await transportStats(endpoint);

  const dice = new Dice(SEED);
  const stranger = createSocket('udp4');
  t.after(() => stranger.close());
  const sent: Record<string, number> = {};
  for (let i = 0; i < 2000; i++) {
    const kind = dice.pick(['stun', 'dtls', 'rtcp', 'rtp', 'noise'] as const);
    sent[kind] = (sent[kind] ?? 0) + 1;
    const shaped =
      kind === 'stun' ? stunShaped(dice, `${serverUfrag}:${peerUfrag}`)
      : kind === 'dtls' ? dtlsShaped(dice)
      : kind === 'rtcp' ? rtcpShaped(dice, dice.int(0, 2 ** 32))
      : kind === 'rtp' ? rtpShaped(dice, dice.int(0, 2 ** 32), dice.int(96, 128), dice.int(0, 0x10000)).packet
      : noise(dice);
    await sendTo(stranger, port, dice.chance(0.3) ? mutate(dice, shaped) : shaped);
    // Paced, so the kernel's socket buffer never overflows on a loaded machine: what is counted
    // is then what the endpoint read and refused, not what the kernel dropped.
    if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  const received = { ...peer.packetsReceived };
  await pollUntil(async () => peer.packetsReceived, (r) => r.audio > received.audio + 50 && r.video > received.video + 50, 10_000, 'the peer\'s media to go on after the fuzz', 100);
  const after = await transportStats(endpoint);
  t.diagnostic(`sent ${JSON.stringify(sent)}; packetsDiscarded grew by ${after.packetsDiscarded - before.packetsDiscarded}`);
  assert.ok(after.packetsDiscarded - before.packetsDiscarded >= sent.noise! / 2, 'the unreadable datagrams are counted');
  const iceStates = eventsOf(client, endpoint, 'IceComponentStateChanged').map((e) => e.state);
  assert.ok(!iceStates.some((s) => s === 'FAILED' || s === 'DISCONNECTED'), `ICE never left its pair: ${iceStates.join(', ')}`);
  assert.equal(eventsOf(client, endpoint, 'MediaFlowInStateChanged').some((e) => e.state === 'NOT_FLOWING'), false, 'media in never stopped');
  await assertWorkerServes();
});

/**
 * Sits between ffmpeg and an RtpEndpoint (ffmpeg sends to it, it sends on from the same sockets,
 * so the endpoint sees one peer). While fuzzing, a quarter of the packets are mutated and
 * hostile RTP and RTCP (the stream's own SSRC and payload type) and noise go in between.
 */
class FuzzingRelay {
  readonly sockets: UdpSocket[] = [];
  malformedSent = 0;
  hostileSent = 0;
  /** RTP packets relayed from ffmpeg so far. */
  relayed = 0;
  private fuzzing = false;
  private waiting: { until: number; resolve: () => void } | undefined;

  constructor(private readonly dice: Dice) {}

  /**
   * Relays one kind, whose packets carry `payloadType`: from ffmpeg on the returned port (RTCP on
   * the next) to the endpoint's `target` (and `target + 1`). Returns the port ffmpeg sends to.
   */
  async kind(target: number, payloadType: number): Promise<number> {
    const rtp = await this.bind(0);
    const rtpPort = rtp.address().port;
    const rtcp = await this.bind(rtpPort + 1).catch(async () => {
      rtp.close();
      return undefined;
    });
    if (!rtcp) return this.kind(target, payloadType); // the next port was taken: try another pair
    let ssrc = 0;
    let sequence = 0;
    rtp.on('message', (packet, from) => {
      if (from.port === target || packet.length < 12) return; // the endpoint's own media towards "ffmpeg"
      ssrc = packet.readUInt32BE(8);
      sequence = packet.readUInt16BE(2);
      this.count();
      if (!this.fuzzing) return void rtp.send(packet, target, '127.0.0.1');
      rtp.send(this.dice.chance(0.25) ? mutate(this.dice, packet) : packet, target, '127.0.0.1');
      for (let n = this.dice.int(0, 5); n > 0; n--) {
        const hostile = rtpShaped(this.dice, ssrc, payloadType, sequence + this.dice.int(-20, 20));
        if (hostile.malformed) this.malformedSent++;
        this.hostileSent++;
        rtp.send(hostile.packet, target, '127.0.0.1');
      }
      if (this.dice.chance(0.1)) rtp.send(noise(this.dice), target, '127.0.0.1');
      if (this.dice.chance(0.2)) rtcp.send(rtcpShaped(this.dice, ssrc), target + 1, '127.0.0.1');
    });
    rtcp.on('message', (packet, from) => {
      if (from.port !== target + 1) rtcp.send(packet, target + 1, '127.0.0.1');
    });
    return rtpPort;
  }

  /** Resolves once `packets` more RTP packets came from ffmpeg, fuzzing them (or not) meanwhile. */
  relay(packets: number, fuzz: boolean): Promise<void> {
    this.fuzzing = fuzz;
    return new Promise((resolve) => {
      this.waiting = { until: this.relayed + packets, resolve };
    });
  }

  close(): void {
    for (const s of this.sockets) s.close();
  }

  private count(): void {
    this.relayed++;
    if (this.waiting && this.relayed >= this.waiting.until) {
      this.waiting.resolve();
      this.waiting = undefined;
      this.fuzzing = false;
    }
  }

  private bind(port: number): Promise<UdpSocket> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => {
        this.sockets.push(socket);
        resolve(socket);
      });
    });
  }
}

test('RtpEndpoint: 3 s of mutated and hostile RTP and RTCP in a plain-RTP peer\'s H.264 + PCMU stream; the transcoding recorder keeps the picture', async (t) => {
  const pipeline = await createPipeline(client);
  t.after(() => client.call('release', { object: pipeline }));
  const rtp = await create(client, 'RtpEndpoint', { mediaPipeline: pipeline });
  const file = join(dir, 'fuzzed.webm');
  const recorder = await create(client, 'RecorderEndpoint', { mediaPipeline: pipeline, uri: pathToFileURL(file).href, mediaProfile: 'WEBM' });
  await subscribe(client, recorder, 'Error', 'Stopped');
  await invoke(client, rtp, 'connect', { sink: recorder });
  const offer = String(await invoke(client, rtp, 'generateOffer'));

  const relay = new FuzzingRelay(new Dice(SEED + 1));
  t.after(() => relay.close());
  const types = { video: 96, audio: 0 };
  const videoPort = await relay.kind(mediaPort(offer, 'video'), types.video);
  const audioPort = await relay.kind(mediaPort(offer, 'audio'), types.audio);
  const seconds = 20; // more than the test needs: it stops recording first
  let ffmpeg: PeerProcess | undefined;
  t.after(() => ffmpeg?.stop());
  const sent = await ffmpegSend({ video: { codec: 'H264', port: videoPort, payloadType: types.video }, audio: { codec: 'PCMU', port: audioPort }, seconds, sdpFile: join(dir, 'ffmpeg.sdp') });
  ffmpeg = sent.peer;
  assert.equal(payloadTypeOf(sent.sdp, 'video', 'H264'), types.video);
  await invoke(client, rtp, 'processAnswer', { answer: sent.sdp });
  await invoke(client, recorder, 'record');

  await pollUntil(() => invoke(client, rtp, 'isMediaFlowingOut', { mediaType: 'VIDEO' }), (flowing) => flowing === true, 10_000, 'ffmpeg\'s video to flow in', 100).catch(async (err: Error) => {
    throw new Error(`${err.message}; stats ${JSON.stringify(await invoke(client, rtp, 'getStats'))}; relayed ${relay.relayed}; ffmpeg ${ffmpeg?.log}`);
  });
  // About 1.5 s clean, 3 s fuzzed, 3 s clean (ffmpeg sends some 40 packets a second).
  await relay.relay(60, false);
  const before = await transportStats(rtp);
  await relay.relay(120, true);
  const fuzzed = await transportStats(rtp);
  await relay.relay(120, false);
  await invoke(client, recorder, 'stopAndWait');
  assert.deepEqual(eventsOf(client, recorder, 'Error'), []);

  const discarded = fuzzed.packetsDiscarded - before.packetsDiscarded;
  const decoding = Object.values((await invoke(client, rtp, 'getStats', { mediaType: 'VIDEO' })) as Record<string, Record<string, any>>).flatMap((s) => s.mediaProcessing ?? []).find((p) => p.mediaType === 'VIDEO')?.decoder;
  t.diagnostic(`hostile RTP ${relay.hostileSent} (malformed ${relay.malformedSent}); packetsDiscarded grew by ${discarded}; the H.264 decoder: ${JSON.stringify(decoding)}`);
  assert.ok(discarded >= relay.malformedSent * 0.8, `the malformed packets are counted (${discarded} of ${relay.malformedSent})`);
  const { codecs } = probe(file);
  assert.deepEqual(codecs, ['opus', 'vp8']);
  // About 1.5 s before the fuzz, 3 s of it, 3 s after: the picture goes on to the end.
  const [videoEnd, audioEnd] = [await lastPacketTime(file, 'v'), await lastPacketTime(file, 'a')];
  t.diagnostic(`recorded: video to ${videoEnd} s, sound to ${audioEnd} s`);
  assert.ok(videoEnd > 6 && audioEnd > 6, `the recording covers the stream: video to ${videoEnd} s, sound to ${audioEnd} s`);
  // The picture after the fuzz is ffmpeg's own again (its next key frame resets the decoder).
  const [left, right] = frameColors(file, videoEnd - 1, [[0.25, 0.5], [0.75, 0.5]]);
  assert.ok(isRed(left!) && isBlue(right!), `red|blue at the end, got ${JSON.stringify([left, right])}`);
  await assertWorkerServes();
});

/** A TCP server that answers each RTSP connection with `reply` (it may write, wait, or close). */
async function hostileRtsp(reply: (socket: Socket, request: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const tcp: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        const request = text;
        text = '';
        reply(socket, request);
      }
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return {
    url: `rtsp://127.0.0.1:${(tcp.address() as { port: number }).port}/cam`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    },
  };
}

function cseqOf(request: string): string {
  return /CSeq:\s*(\d+)/i.exec(request)?.[1] ?? '1';
}

/** RTSP answers that lie, from a seeded dice: each is what one hostile server says. */
function lyingAnswers(dice: Dice): Array<[string, (socket: Socket, request: string) => void]> {
  const sdpLies = ['m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 sprop-parameter-sets=' + dice.bytes(30).toString('base64') + ',!!!!\r\n', 'm=video 0 RTP/AVP 200\r\na=rtpmap:200 /\r\n', 'm=\r\n'.repeat(500), dice.bytes(600).toString('latin1')];
  return [
    ['noise instead of a response', (s) => s.end(dice.bytes(2000))],
    ['a status line of 1 MB without an end', (s) => s.write(`RTSP/1.0 200 ${'O'.repeat(1 << 20)}`)],
    ['a body announced longer than sent, then silence', (s, r) => s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseqOf(r)}\r\nContent-Length: 100000\r\n\r\nv=0\r\n`)],
    ['interleaved binary frames before the answer', (s, r) => s.end(Buffer.concat([Buffer.from([0x24, 0x00, 0xff, 0xff]), dice.bytes(300), Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: ${cseqOf(r)}\r\n\r\n`)]))],
    ...sdpLies.map((sdp, i): [string, (socket: Socket, request: string) => void] => [
      `a DESCRIBE answer with a lying SDP (${i + 1})`,
      (s, r) => {
        const cseq = cseqOf(r);
        if (r.startsWith('OPTIONS')) return void s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n`);
        if (!r.startsWith('DESCRIBE')) return void s.end(`RTSP/1.0 455 Method Not Valid in This State\r\nCSeq: ${cseq}\r\n\r\n`);
        const body = Buffer.from(`v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n${sdp}`, 'latin1');
        s.write(Buffer.concat([Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
      },
    ]),
  ];
}

test('PlayerEndpoint: RTSP servers that answer with noise, endless lines, short bodies and lying SDPs give an Error event in bounded time', async (t) => {
  const dice = new Dice(SEED + 2);
  for (const [what, reply] of lyingAnswers(dice)) {
    const rtsp = await hostileRtsp(reply);
    const pipeline = await createPipeline(client);
    try {
      const player = await create(client, 'PlayerEndpoint', { mediaPipeline: pipeline, uri: rtsp.url });
      await subscribe(client, player, 'Error');
      const started = Date.now();
      await invoke(client, player, 'play');
      const error = await waitForEvent(client, player, 'Error', () => true, 30_000);
      t.diagnostic(`${what}: ${String(error.type)} after ${Date.now() - started} ms`);
      assert.match(String(error.type), /^(RESOURCE_ERROR_\w+|INVALID_MEDIA|STREAM_ERROR_\w+)$/, what);
    } finally {
      await client.call('release', { object: pipeline });
      await rtsp.close();
    }
  }
  await assertWorkerServes();
});
