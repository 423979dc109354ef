/**
 * `npm run bench:rtp`: what plain RTP in costs next to WebRTC in, in one run on one server.
 *
 *  - RTP → WebRTC: a plain RTP sender (UDP from this process, RTP/AVPF, no SRTP) feeds an
 *    RtpEndpoint, connected to N WebRtcEndpoints with werift subscribers;
 *  - WebRTC → WebRTC: a werift publisher feeds a WebRtcEndpoint connected to N subscribers (the
 *    baseline: the SFU path of bench/webrtc and bench/sfu-vs-janus).
 *
 * Both publishers send the same synthetic load (VP8-like video at ~1.5 Mbit/s, 200 packets/s in
 * frames of 7, a key frame every 30 frames, and 50 audio packets/s). Over a window, the server's
 * CPU (user+sys of its process tree, /proc) is divided by the packets its subscribers received:
 * CPU microseconds per forwarded packet, per scenario and fan-out, and their ratio.
 *
 * Knobs (environment): BENCH_WINDOW_S (default 10), BENCH_FANOUT (default "1,10").
 */
import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RawClient } from '../test/helpers/raw-client.js';
import { startServer } from '../test/helpers/server-process.js';
import { createPipeline, createWebRtcEndpoint, gatherInto, invoke, subscribe } from '../test/helpers/webrtc-rpc.js';
import { audioPayload, pumpMedia, vp8Payload, WeriftPeer } from '../test/helpers/werift-peer.js';
import { processTree } from './proc.js';

const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 10);
const FANOUT = (process.env.BENCH_FANOUT ?? '1,10').split(',').map(Number);
const VIDEO_PPS = 200;
const AUDIO_PPS = 50;
const PACKETS_PER_FRAME = 7;
const VIDEO_BYTES = Math.round(1_500_000 / 8 / VIDEO_PPS) - 12;
const AUDIO_BYTES = 120;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (what: string): void => void process.stderr.write(`${what}\n`);

function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / CLOCK_TICKS;
}

/** A plain RTP sender: the same load as pumpMedia, over UDP to an RtpEndpoint's ports. */
async function plainRtpSender(videoPort: number, audioPort: number): Promise<() => void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const header = (pt: number, seq: number, ts: number, ssrc: number, marker: boolean): Buffer => {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = pt | (marker ? 0x80 : 0);
    h.writeUInt16BE(seq & 0xffff, 2);
    h.writeUInt32BE(ts >>> 0, 4);
    h.writeUInt32BE(ssrc, 8);
    return h;
  };
  const started = performance.now();
  let videoSent = 0;
  let audioSent = 0;
  const frameTicks = Math.round(90_000 / (VIDEO_PPS / PACKETS_PER_FRAME));
  const timer = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    while (videoSent < elapsed * VIDEO_PPS) {
      const frame = Math.floor(videoSent / PACKETS_PER_FRAME);
      const last = videoSent % PACKETS_PER_FRAME === PACKETS_PER_FRAME - 1;
      const packet = Buffer.concat([header(96, videoSent, frame * frameTicks, 0x11111111, last), vp8Payload(VIDEO_BYTES, frame % 30 === 0)]);
      socket.send(packet, videoPort, '127.0.0.1');
      videoSent++;
    }
    while (audioSent < elapsed * AUDIO_PPS) {
      socket.send(Buffer.concat([header(111, audioSent, audioSent * 960, 0x22222222, false), audioPayload(AUDIO_BYTES)]), audioPort, '127.0.0.1');
      audioSent++;
    }
  }, 10);
  return () => {
    clearInterval(timer);
    socket.close();
  };
}

function rtpOffer(): string {
  // Ports 9 ("discard"): this sender never receives; symmetric RTP would answer where it sends from.
  return [
    'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=bench', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=audio 9 RTP/AVPF 111', 'a=rtpmap:111 opus/48000/2', 'a=sendonly',
    'm=video 9 RTP/AVPF 96', 'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli', 'a=sendonly', '',
  ].join('\r\n');
}

interface Result {
  scenario: string;
  subscribers: number;
  delivered: number;
  cpuS: number;
}

async function run(client: RawClient, pids: () => number[], scenario: 'RTP → WebRTC' | 'WebRTC → WebRTC', subscribers: number): Promise<Result> {
  const pipeline = await createPipeline(client);
  let stopSending: () => void;
  let source: string;
  const publisher = new WeriftPeer();
  if (scenario === 'RTP → WebRTC') {
    source = String((await client.call('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: pipeline } })).value);
    const answer = String(await invoke(client, source, 'processOffer', { offer: rtpOffer() }));
    const port = (kind: string): number => Number(new RegExp(`^m=${kind} (\\d+)`, 'm').exec(answer)![1]);
    stopSending = await plainRtpSender(port('video'), port('audio'));
  } else {
    source = await createWebRtcEndpoint(client, pipeline);
    await subscribe(client, source, ['IceCandidateFound', 'IceGatheringDone']);
    const offer = await publisher.offer({ audio: 'sendonly', video: 'sendonly' });
    await publisher.acceptAnswer(String(await invoke(client, source, 'processOffer', { offer })));
    await gatherInto(client, source, publisher);
    await publisher.waitConnected();
    stopSending = pumpMedia(publisher, { videoPacketsPerSecond: VIDEO_PPS, audioPacketsPerSecond: AUDIO_PPS, videoBytes: VIDEO_BYTES, audioBytes: AUDIO_BYTES, packetsPerFrame: PACKETS_PER_FRAME });
  }
  const peers: WeriftPeer[] = [];
  for (let i = 0; i < subscribers; i++) {
    const peer = new WeriftPeer();
    peers.push(peer);
    const endpoint = await createWebRtcEndpoint(client, pipeline);
    await invoke(client, source, 'connect', { sink: endpoint });
    await subscribe(client, endpoint, ['IceCandidateFound', 'IceGatheringDone']);
    const offer = await peer.offer({ audio: 'recvonly', video: 'recvonly' });
    await peer.acceptAnswer(String(await invoke(client, endpoint, 'processOffer', { offer })));
    await gatherInto(client, endpoint, peer);
  }
  await Promise.all(peers.map((p) => p.firstRtp('video', 20_000)));
  await delay(2000); // settle: connections made, first keyframes through
  const count = (): number => peers.reduce((sum, p) => sum + p.packetsReceived.audio + p.packetsReceived.video, 0);
  const before = { delivered: count(), cpu: cpuSeconds(pids()) };
  await delay(WINDOW_S * 1000);
  const result = { scenario, subscribers, delivered: count() - before.delivered, cpuS: cpuSeconds(pids()) - before.cpu };
  stopSending();
  await Promise.all([...peers, publisher].map((p) => p.close()));
  await client.call('release', { object: pipeline });
  client.received.length = 0;
  return result;
}

async function main(): Promise<void> {
  const server = await startServer({ args: ['--workers', '1', '--log-level', 'info'], env: { KMS_NETWORK_INTERFACES: 'lo' } });
  const client = await RawClient.connect(server.url);
  const pids = (): number[] => processTree(server.process.pid!);
  const results: Result[] = [];
  try {
    for (const n of FANOUT) {
      for (const scenario of ['WebRTC → WebRTC', 'RTP → WebRTC'] as const) {
        progress(`${scenario}, ${n} subscriber(s), ${WINDOW_S} s...`);
        results.push(await run(client, pids, scenario, n));
      }
    }
  } finally {
    client.close();
    await server.stop();
  }
  const lines = ['| scenario | subscribers | fwd pkt/s | CPU µs / fwd pkt | × WebRTC → WebRTC |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const r of results) {
    const perPacket = (r.cpuS * 1e6) / Math.max(1, r.delivered);
    const base = results.find((b) => b.subscribers === r.subscribers && b.scenario === 'WebRTC → WebRTC')!;
    const basePerPacket = (base.cpuS * 1e6) / Math.max(1, base.delivered);
    lines.push(`| ${r.scenario} | ${r.subscribers} | ${Math.round(r.delivered / WINDOW_S)} | ${perPacket.toFixed(1)} | ${r === base ? '' : `${(perPacket / basePerPacket).toFixed(2)}×`} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
