/**
 * Plain RTP peers for RtpEndpoint tests: ffmpeg sending a picture and a tone it makes itself
 * (with its own SDP, optionally SRTP), ffmpeg receiving into a file from an SDP, GStreamer with
 * libsrtp for the AES-256 suites ffmpeg lacks, and the SDP munging an application does to point
 * an RtpEndpoint's offer at such a peer.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { pollUntil } from './poll.js';

/** Left half red, right half blue, as the browser tests paint and check them. */
export const LEFT_RGB = 'e01010';
export const RIGHT_RGB = '1020e0';
export const TONE_HZ = 1000;

export type VideoCodec = 'VP8' | 'H264';
export type AudioCodec = 'opus' | 'PCMU';

/** A running peer process; `stop()` ends it and waits. */
export class PeerProcess {
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.stderr.push(chunk));
    child.stdout?.resume();
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  /** What the process said, first and last lines (repeated decoder complaints are long). */
  get log(): string {
    const text = this.stderr.join('');
    return text.length <= 4000 ? text : `${text.slice(0, 2000)}\n[...]\n${text.slice(-2000)}`;
  }
}

/**
 * An even UDP port with the next one free too, outside the servers' RTP range (40000–57999) and
 * below Linux's ephemeral ports (32768 and up), which Chromium and every unbound socket take from:
 * a port found free there could be taken before the peer binds it (a full run failed so).
 */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = 2 * randomInt(10000, 16383);
    const sockets = [createSocket('udp4'), createSocket('udp4')];
    const bound = await Promise.all(
      sockets.map((s, i) => new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(port + i, '127.0.0.1', () => resolve(true));
      })),
    );
    for (const s of sockets) s.close();
    if (bound.every(Boolean)) return port;
  }
}

/** The m= port of a kind in an SDP. */
export function mediaPort(sdp: string, kind: 'audio' | 'video'): number {
  const match = new RegExp(`^m=${kind} (\\d+) `, 'm').exec(sdp);
  if (!match) throw new Error(`no ${kind} line in ${sdp}`);
  return Number(match[1]);
}

/** The payload type an SDP gives a codec on a kind's line. */
export function payloadTypeOf(sdp: string, kind: 'audio' | 'video', codec: string, fmtp?: RegExp): number {
  const section = sdp.split(/\r?\n(?=m=)/).find((s) => s.startsWith(`m=${kind} `)) ?? '';
  for (const [, pt] of section.matchAll(new RegExp(`a=rtpmap:(\\d+) ${codec}/`, 'gi'))) {
    if (!fmtp || new RegExp(`a=fmtp:${pt} .*${fmtp.source}`).test(section)) return Number(pt);
  }
  if (codec === 'PCMU' && / 0( |$)/m.test(section.split(/\r?\n/)[0]!)) return 0;
  throw new Error(`no ${codec} on the ${kind} line of ${sdp}`);
}

/** The SSRC an SDP announces on a kind's line. */
export function ssrcOf(sdp: string, kind: 'audio' | 'video'): number {
  const section = sdp.split(/\r?\n(?=m=)/).find((s) => s.startsWith(`m=${kind} `)) ?? '';
  return Number(/a=ssrc:(\d+)/.exec(section)?.[1]);
}

/**
 * What an application gives a receive-only peer from an RtpEndpoint's offer: the same SDP with
 * one codec per line, the peer's own ports, and its address. It is also the answer the endpoint
 * is given (the peer takes that codec, at those ports). ffmpeg and GStreamer's udpsrc send no
 * RTCP feedback, so the profile is plain RTP/AVP (RTP/SAVP) without `a=rtcp-fb`.
 */
export function pointOfferAt(offer: string, at: { video?: { port: number; payloadType: number }; audio?: { port: number; payloadType: number } }): string {
  const [session, ...sections] = offer.split(/\r\n(?=m=)/);
  const out = [session!.replace(/^c=IN IP4 .*$/m, 'c=IN IP4 127.0.0.1').replace(/^o=(\S+ \S+ \S+) IN IP4 .*$/m, 'o=$1 IN IP4 127.0.0.1')];
  for (const section of sections) {
    const kind = section.startsWith('m=video') ? 'video' : 'audio';
    const target = at[kind];
    if (!target) continue;
    const lines = section.split('\r\n').filter((l) => l !== '');
    const pt = target.payloadType;
    const kept = lines.slice(1).filter((l) => {
      const ptOf = /^a=(?:rtpmap|fmtp):(\d+)/.exec(l)?.[1];
      if (ptOf !== undefined) return Number(ptOf) === pt;
      return !/^a=(rtcp:|rtcp-mux|rtcp-fb|ssrc)/.test(l);
    });
    const profile = lines[0]!.includes('RTP/SAVPF') ? 'RTP/SAVP' : 'RTP/AVP';
    out.push([lines[0]!.replace(/^m=(\w+) \d+ (\S+) .*$/, `m=$1 ${target.port} ${profile} ${pt}`), ...kept, `a=rtcp:${target.port + 1}`].join('\r\n'));
  }
  return `${out.join('\r\n')}\r\n`;
}

export interface SendOptions {
  video?: { codec: VideoCodec; port: number; payloadType?: number };
  audio?: { codec: AudioCodec; port: number; payloadType?: number };
  /** SRTP as ffmpeg does it: AES_CM_128_HMAC_SHA1_80 with this base64 key||salt. */
  srtpKey?: string;
  seconds?: number;
  sdpFile: string;
}

/**
 * ffmpeg sending a red|blue picture (VP8 or H.264, a key frame every second) and a 1 kHz tone
 * (Opus or PCMU) to the given ports, writing its own SDP. Resolves once the SDP is written.
 */
export async function ffmpegSend(options: SendOptions): Promise<{ peer: PeerProcess; sdp: string }> {
  // `-re` paces the input after it, and `-t` limits the output after it: each input and each
  // output (one per kind) needs its own.
  const args = ['-hide_banner', '-loglevel', 'warning'];
  const outputs: string[] = [];
  const seconds = ['-t', String(options.seconds ?? 60)];
  if (options.video) {
    args.push('-re', '-f', 'lavfi', '-i', `color=c=0x${LEFT_RGB}:s=320x480:r=30,pad=640:480:0:0:color=0x${RIGHT_RGB},format=yuv420p`);
  }
  if (options.audio) args.push('-re', '-f', 'lavfi', '-i', `sine=frequency=${TONE_HZ}:sample_rate=${options.audio.codec === 'opus' ? 48000 : 8000}`);
  const srtp = (port: number): string[] =>
    options.srtpKey ? ['-srtp_out_suite', 'AES_CM_128_HMAC_SHA1_80', '-srtp_out_params', options.srtpKey, '-f', 'rtp', `srtp://127.0.0.1:${port}?rtcpport=${port + 1}`] : ['-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${port + 1}`];
  let input = 0;
  if (options.video) {
    const v = options.video;
    const codec = v.codec === 'VP8' ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '800k'] : ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-b:v', '800k'];
    outputs.push(...seconds, '-map', `${input++}:v`, ...codec, '-g', '30', '-payload_type', String(v.payloadType ?? 96), ...srtp(v.port));
  }
  if (options.audio) {
    const a = options.audio;
    const codec = a.codec === 'opus' ? ['-c:a', 'libopus', '-ar', '48000', '-ac', '2'] : ['-c:a', 'pcm_mulaw', '-ar', '8000', '-ac', '1'];
    outputs.push(...seconds, '-map', `${input}:a`, ...codec, '-payload_type', String(a.payloadType ?? (a.codec === 'PCMU' ? 0 : 111)), ...srtp(a.port));
  }
  args.push(...outputs, '-sdp_file', options.sdpFile);
  const peer = new PeerProcess(spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  const sdp = await pollUntil(
    async () => (existsSync(options.sdpFile) ? readFileSync(options.sdpFile, 'utf8') : ''),
    (text) => /m=/.test(text) && text.endsWith('\n'),
    10_000,
    `ffmpeg's SDP (${peer.log})`,
    50,
  );
  // ffmpeg's SDP says nothing of the SRTP it was told to use: the application that gave it the
  // key adds it, as SDES describes it.
  if (!options.srtpKey) return { peer, sdp };
  const withKey = sdp.replace(/^(m=\w+ \d+ )RTP\/AVP( .*)$/gm, `$1RTP/SAVP$2\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${options.srtpKey}`);
  return { peer, sdp: withKey };
}

/** ffmpeg receiving what an SDP describes and writing `seconds` of it to `file` (codecs copied). */
export function ffmpegReceive(sdpFile: string, file: string, seconds: number): PeerProcess {
  return new PeerProcess(
    spawn('ffmpeg', ['-hide_banner', '-loglevel', 'warning', '-y', '-protocol_whitelist', 'file,udp,rtp,srtp', '-reorder_queue_size', '0', '-i', sdpFile, '-t', String(seconds), '-c', 'copy', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
}

/** Codecs and duration of a file, as ffprobe reads it. */
export function probe(file: string): { codecs: string[]; durationS: number } {
  const result = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', file], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffprobe failed on ${file}: ${result.stderr}`);
  const json = JSON.parse(result.stdout) as { streams: { codec_name: string }[]; format: { duration?: string } };
  return { codecs: json.streams.map((s) => s.codec_name).sort(), durationS: Number(json.format.duration ?? 0) };
}

/** The colour at relative points of a file's frame at `atS` seconds (RGB), decoded by ffmpeg. */
export function frameColors(file: string, atS: number, points: [number, number][]): [number, number, number][] {
  const width = 64;
  const height = 48;
  const result = spawnSync('ffmpeg', ['-v', 'error', '-ss', String(atS), '-i', file, '-frames:v', '1', '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 20 });
  if (result.status !== 0 || result.stdout.length < width * height * 3) throw new Error(`cannot decode a frame of ${file}: ${result.stderr.toString()}`);
  return points.map(([x, y]) => {
    const at = (Math.floor(y * height) * width + Math.floor(x * width)) * 3;
    return [result.stdout[at]!, result.stdout[at + 1]!, result.stdout[at + 2]!];
  });
}

export function isRed([r, g, b]: [number, number, number]): boolean {
  return r > 150 && g < 90 && b < 90;
}

export function isBlue([r, g, b]: [number, number, number]): boolean {
  return b > 150 && r < 90 && g < 90;
}

/** Whether GStreamer with libsrtp (plugins-bad) and libvpx (plugins-good) is installed. */
export function gstreamerSrtpAvailable(): boolean {
  const result = spawnSync('gst-inspect-1.0', ['srtpenc'], { encoding: 'utf8' });
  return result.status === 0 && spawnSync('gst-inspect-1.0', ['vp8enc'], { encoding: 'utf8' }).status === 0;
}

/** GStreamer sending the red|blue picture as VP8 over SRTP with a 46-byte AES-256 key. */
export function gstSendSrtp256(port: number, keyHex: string, ssrc: number): PeerProcess {
  const srtp = `srtpenc key=${keyHex} rtp-cipher=aes-256-icm rtp-auth=hmac-sha1-80 rtcp-cipher=aes-256-icm rtcp-auth=hmac-sha1-80`;
  const pipeline = [
    `videotestsrc is-live=true pattern=solid-color foreground-color=0xff${LEFT_RGB} ! video/x-raw,width=640,height=480,framerate=30/1`,
    '! vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=800000',
    `! rtpvp8pay pt=96 ssrc=${ssrc} mtu=1200 ! ${srtp} ! udpsink host=127.0.0.1 port=${port} sync=false`,
  ].join(' ');
  return new PeerProcess(spawn('gst-launch-1.0', ['-q', ...pipeline.split(' ')], { stdio: ['ignore', 'ignore', 'pipe'] }));
}

/** GStreamer receiving VP8 over AES-256 SRTP from `ssrc` on `port` into a WebM file. */
export function gstReceiveSrtp256(port: number, keyHex: string, ssrc: number, file: string): PeerProcess {
  const caps = [
    'application/x-srtp', 'media=(string)video', 'clock-rate=(int)90000', 'encoding-name=(string)VP8', 'payload=(int)96', `ssrc=(uint)${ssrc}`,
    `srtp-key=(buffer)${keyHex}`, 'srtp-cipher=(string)aes-256-icm', 'srtp-auth=(string)hmac-sha1-80', 'srtcp-cipher=(string)aes-256-icm', 'srtcp-auth=(string)hmac-sha1-80', 'roc=(uint)0',
  ].join(',');
  const pipeline = ['udpsrc', `port=${port}`, `caps=${caps}`, '!', 'srtpdec', '!', 'rtpvp8depay', '!', 'webmmux', '!', 'filesink', `location=${file}`];
  return new PeerProcess(spawn('gst-launch-1.0', ['-q', '-e', ...pipeline], { stdio: ['ignore', 'ignore', 'pipe'] }));
}
