/**
 * A small RTSP server (RFC 2326) for tests, standing in for an IP camera on loopback: OPTIONS,
 * DESCRIBE (an H.264 SDP), SETUP over UDP or interleaved TCP, PLAY, GET_PARAMETER keepalives and
 * TEARDOWN. It sends a clip made by ffmpeg in a loop, in real time, from PLAY until TEARDOWN.
 *
 * Being ours, it lets a test see every request (did TEARDOWN arrive?), the client's ports (are
 * they closed afterwards?), refuse a transport (461) to force a fallback, and die and come back
 * on the same port the way a camera that reboots does.
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { RtpPacketizer } from '../../src/codec/packetizer.js';
import { NAL_PPS, NAL_SPS, splitAnnexB } from '../../src/codec/h264.js';

export type RtspTransport = 'tcp' | 'udp';

export interface RtspRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The client's TCP port of the connection it came on. */
  readonly clientPort: number;
}

export interface RtspSession {
  readonly id: string;
  readonly transport: RtspTransport;
  /** UDP: the client's RTP and RTCP ports, from its SETUP. */
  readonly clientUdpPorts: readonly number[];
  /** TCP: the client's port of the control connection (media is interleaved on it). */
  readonly clientTcpPort: number;
  playing: boolean;
  tornDown: boolean;
}

interface H264Clip {
  readonly units: readonly Buffer[];
  readonly sps: Buffer;
  readonly pps: Buffer;
  readonly fps: number;
}

/** A looping H.264 clip (constrained baseline, key frame every second) as access units. */
export function makeH264Clip(seconds = 2, fps = 30, size = '320x240'): H264Clip {
  const stream = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${fps}`, '-t', String(seconds), '-g', String(fps), '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-bsf:v', 'h264_mp4toannexb', '-x264-params', 'aud=1', '-f', 'h264', '-'],
    { maxBuffer: 1 << 26 },
  );
  // Access units start at their delimiters (NAL type 9), which RTP does not carry.
  const units: Buffer[][] = [];
  for (const nal of splitAnnexB(stream)) {
    if ((nal[0]! & 0x1f) === 9) units.push([]);
    else units.at(-1)?.push(nal);
  }
  const nals = units.flat();
  const sps = nals.find((n) => (n[0]! & 0x1f) === NAL_SPS)!;
  const pps = nals.find((n) => (n[0]! & 0x1f) === NAL_PPS)!;
  return { units: units.map((u) => Buffer.concat(u.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]))), sps, pps, fps };
}

interface ConnectionState {
  buffer: Buffer;
  readonly socket: Socket;
}

interface LiveSession extends RtspSession {
  timer: NodeJS.Timeout | undefined;
  readonly socket: Socket;
  readonly udp: UdpSocket[];
  readonly packetizer: RtpPacketizer;
  frame: number;
}

export class TestRtspServer extends EventEmitter {
  readonly requests: RtspRequest[] = [];
  readonly sessions: RtspSession[] = [];
  /** Socket errors seen (a test may assert there were none). */
  readonly errors: Error[] = [];
  private server: Server | undefined;
  private readonly connections = new Set<Socket>();
  private readonly live = new Set<LiveSession>();
  private nextSession = 1;

  private constructor(
    private listenPort: number,
    private readonly clip: H264Clip,
    /** Transports SETUP accepts; others are answered 461 Unsupported Transport. */
    readonly transports: readonly RtspTransport[],
  ) {
    super();
  }

  static async start(clip: H264Clip, options: { port?: number; transports?: RtspTransport[] } = {}): Promise<TestRtspServer> {
    const server = new TestRtspServer(options.port ?? 0, clip, options.transports ?? ['tcp', 'udp']);
    await server.listen();
    return server;
  }

  /** The port it listens on (the same one after a restart). */
  get port(): number {
    return this.listenPort;
  }

  url(path = 'live', scheme = 'rtsp'): string {
    return `${scheme}://127.0.0.1:${this.port}/${path}`;
  }

  /** Resolves with the first request (already received or future) that matches. */
  waitForRequest(method: string, timeoutMs = 15_000): Promise<RtspRequest> {
    const seen = this.requests.find((r) => r.method === method);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('request', listener);
        reject(new Error(`no ${method} reached the RTSP server within ${timeoutMs} ms (got ${this.requests.map((r) => r.method).join(', ')})`));
      }, timeoutMs);
      const listener = (request: RtspRequest): void => {
        if (request.method !== method) return;
        clearTimeout(timer);
        this.off('request', listener);
        resolve(request);
      };
      this.on('request', listener);
    });
  }

  /** Forgets the requests and sessions seen so far. */
  clearHistory(): void {
    this.requests.length = 0;
    this.sessions.length = 0;
  }

  /** Dies like a crashed camera: no goodbye, every connection and media socket closed at once. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const session of this.live) this.endSession(session);
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Comes back on the same port. */
  async restart(): Promise<void> {
    if (!this.server) await this.listen();
  }

  private async listen(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
    this.listenPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  private accept(socket: Socket): void {
    this.connections.add(socket);
    const state: ConnectionState = { buffer: Buffer.alloc(0), socket };
    socket.on('data', (chunk: Buffer) => {
      state.buffer = Buffer.concat([state.buffer, chunk]);
      this.parse(state);
    });
    // A client that goes away without TEARDOWN ends its sessions too.
    socket.on('close', () => {
      this.connections.delete(socket);
      for (const session of this.live) if (session.socket === socket) this.endSession(session);
    });
    socket.on('error', (err) => this.errors.push(err));
  }

  private parse(state: ConnectionState): void {
    for (;;) {
      const buf = state.buffer;
      if (buf.length === 0) return;
      if (buf[0] === 0x24) {
        // Interleaved RTCP from the client ($, channel, 16-bit length): receiver reports.
        if (buf.length < 4 || buf.length < 4 + buf.readUInt16BE(2)) return;
        state.buffer = buf.subarray(4 + buf.readUInt16BE(2));
        continue;
      }
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const bodyLength = Number(headers['content-length'] ?? 0);
      if (buf.length < end + 4 + bodyLength) return;
      state.buffer = buf.subarray(end + 4 + bodyLength);
      const [method = '', url = ''] = lines[0]!.split(' ');
      const request: RtspRequest = { method, url, headers, clientPort: state.socket.remotePort ?? 0 };
      this.requests.push(request);
      this.handle(state.socket, request);
      this.emit('request', request);
    }
  }

  private reply(socket: Socket, request: RtspRequest, status: string, headers: Record<string, string> = {}, body = ''): void {
    const all = { CSeq: request.headers.cseq ?? '0', ...headers, ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) };
    const head = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    if (!socket.destroyed) socket.write(`RTSP/1.0 ${status}\r\n${head}\r\n${body}`);
  }

  private handle(socket: Socket, request: RtspRequest): void {
    const session = [...this.live].find((s) => s.id === request.headers.session?.split(';')[0]);
    switch (request.method) {
      case 'OPTIONS':
      case 'GET_PARAMETER':
        this.reply(socket, request, '200 OK', { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
        return;
      case 'DESCRIBE':
        this.reply(socket, request, '200 OK', { 'Content-Type': 'application/sdp', 'Content-Base': `${request.url}/` }, this.sdp());
        return;
      case 'SETUP':
        this.setup(socket, request);
        return;
      case 'PLAY':
        if (!session) return this.reply(socket, request, '454 Session Not Found');
        this.reply(socket, request, '200 OK', { Session: session.id, Range: 'npt=0.000-' });
        this.play(session);
        return;
      case 'TEARDOWN':
        if (session) {
          session.tornDown = true;
          this.endSession(session);
        }
        this.reply(socket, request, '200 OK');
        return;
      default:
        this.reply(socket, request, '405 Method Not Allowed');
    }
  }

  private sdp(): string {
    const { sps, pps } = this.clip;
    const profile = sps.subarray(1, 4).toString('hex');
    return [
      'v=0',
      'o=- 0 0 IN IP4 127.0.0.1',
      's=Kuroshio test camera',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'a=control:*',
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      `a=fmtp:96 packetization-mode=1;profile-level-id=${profile};sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}`,
      'a=control:trackID=0',
      '',
    ].join('\r\n');
  }

  private setup(socket: Socket, request: RtspRequest): void {
    const transport = request.headers.transport ?? '';
    const kind: RtspTransport = /RTP\/AVP\/TCP/i.test(transport) ? 'tcp' : 'udp';
    if (!this.transports.includes(kind)) {
      this.reply(socket, request, '461 Unsupported Transport');
      return;
    }
    const id = String(this.nextSession++).padStart(8, '0');
    const clientUdpPorts = (/client_port=(\d+)-(\d+)/.exec(transport)?.slice(1) ?? []).map(Number);
    const session: LiveSession = {
      id,
      transport: kind,
      clientUdpPorts,
      clientTcpPort: socket.remotePort ?? 0,
      playing: false,
      tornDown: false,
      timer: undefined,
      socket,
      udp: [],
      packetizer: new RtpPacketizer({ mimeType: 'video/H264', clockRate: 90000, parameters: 'packetization-mode=1' }, 96),
      frame: 0,
    };
    const common = { Session: `${id};timeout=60` };
    if (kind === 'tcp') {
      this.reply(socket, request, '200 OK', { ...common, Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    } else {
      // Two sockets for RTP and RTCP: they take the client's hole-punching and receiver reports.
      for (let k = 0; k < 2; k++) {
        const udp = createSocket('udp4');
        udp.on('error', (err) => this.errors.push(err));
        udp.bind(0, '127.0.0.1');
        session.udp.push(udp);
      }
      void Promise.all(session.udp.map((u) => new Promise((resolve) => u.once('listening', resolve)))).then(() => {
        const [rtp, rtcp] = session.udp.map((u) => u.address().port);
        this.reply(socket, request, '200 OK', { ...common, Transport: `RTP/AVP;unicast;client_port=${clientUdpPorts.join('-')};server_port=${rtp}-${rtcp}` });
      });
    }
    this.live.add(session);
    this.sessions.push(session);
  }

  private play(session: LiveSession): void {
    if (session.playing) return;
    session.playing = true;
    const interval = 1000 / this.clip.fps;
    session.timer = setInterval(() => this.sendFrame(session), interval);
  }

  private sendFrame(session: LiveSession): void {
    const { units } = this.clip;
    const index = session.frame % units.length;
    const data = units[index]!;
    const packets = session.packetizer.packetize({ data, keyframe: index % this.clip.fps === 0, time: session.frame * (90000 / this.clip.fps) });
    session.frame++;
    for (const packet of packets) {
      const bytes = packet.serialize();
      if (session.transport === 'tcp') {
        const header = Buffer.from([0x24, 0, 0, 0]);
        header.writeUInt16BE(bytes.length, 2);
        if (!session.socket.destroyed) session.socket.write(Buffer.concat([header, bytes]));
      } else {
        session.udp[0]?.send(bytes, session.clientUdpPorts[0]!, '127.0.0.1');
      }
    }
  }

  private endSession(session: LiveSession): void {
    clearInterval(session.timer);
    session.timer = undefined;
    session.playing = false;
    for (const udp of session.udp) udp.close();
    session.udp.length = 0;
    this.live.delete(session);
  }
}
