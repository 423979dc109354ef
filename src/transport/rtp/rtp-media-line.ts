/**
 * One media line of a plain RTP session: its UDP sockets (RTP on an even port of the configured
 * range, RTCP on the next one, or muxed on the RTP port), where the peer is, and the RTP session
 * (`rtp/rtp-session.ts`) that carries the line's media once it is negotiated.
 *
 * Symmetric RTP (RFC 4961) for peers behind NAT: the peer is reached where its SDP says, unless
 * its accepted datagrams (well formed, negotiated, authentic under SRTP) come from another host
 * than that — a NAT's public side — or its SDP names no usable place (an unspecified address, our
 * own port, as an ffmpeg SDP naming its destination does): then we answer to where they came
 * from. Datagrams from the SDP's own host on another port do not move it: a peer may send and
 * receive with different processes (ffmpeg, GStreamer). Nothing is ever sent to our own sockets.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isRtcpPacket } from '../../rtp/rtcp.js';
import { RtpSession, type RtpKind, type RtpSessionConfig } from '../../rtp/rtp-session.js';
import type { SrtpTransform } from '../../rtp/srtp-transform.js';
import { DirectUdpSender } from '../udp/direct-sender.js';
import type { NegotiatedLine } from './rtp-sdp.js';

interface Address {
  address: string;
  port: number;
}

/** Tries to bind an RTP/RTCP port pair this many times before giving up. */
const BIND_ATTEMPTS = 64;

async function bind(socket: Socket, port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(false);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(true);
    });
  });
}

export class RtpMediaLine {
  /** The RTP session, once negotiated. */
  session: RtpSession | undefined;
  private negotiated: NegotiatedLine | undefined;
  private rtpRemote: Address | undefined;
  private rtcpRemote: Address | undefined;
  /** Where the peer's SDP said it receives. */
  private declared: { rtp: Address; rtcp: Address } | undefined;
  private readonly sender: DirectUdpSender;
  /** Datagrams that arrived before negotiation, or that nobody could read. */
  droppedEarly = 0;
  /** Called for every accepted datagram (liveness). */
  onHeard: () => void = () => undefined;

  private constructor(
    readonly kind: RtpKind,
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    readonly rtpPort: number,
    readonly rtcpPort: number,
    readonly ssrc: number,
  ) {
    this.sender = new DirectUdpSender(rtp);
    rtp.on('message', (buf, from) => this.receive(buf, from, 'rtp'));
    rtcp.on('message', (buf, from) => this.receive(buf, from, 'rtcp'));
    // A send to an unreachable peer reports ICMP errors on the socket: nothing to do about them.
    rtp.on('error', () => undefined);
    rtcp.on('error', () => undefined);
  }

  /** Binds an even RTP port and the next one for RTCP, within [min, max]. */
  static async open(kind: RtpKind, range: readonly [number, number], ipv6: boolean): Promise<RtpMediaLine> {
    const [min, max] = range;
    const first = min % 2 === 0 ? min : min + 1;
    const pairs = Math.floor((max - first - 1) / 2) + 1;
    if (pairs < 1) throw new Error(`no RTP/RTCP port pair fits in ${min}-${max}`);
    const address = ipv6 ? '::' : '0.0.0.0';
    const type = ipv6 ? 'udp6' : 'udp4';
    let start = randomInt(pairs);
    for (let attempt = 0; attempt < Math.min(BIND_ATTEMPTS, pairs); attempt++, start = (start + 1) % pairs) {
      const port = first + 2 * start;
      const rtp = createSocket({ type, ...(ipv6 ? { ipv6Only: true } : {}) });
      const rtcp = createSocket({ type, ...(ipv6 ? { ipv6Only: true } : {}) });
      if (await bind(rtp, port, address)) {
        if (await bind(rtcp, port + 1, address)) return new RtpMediaLine(kind, rtp, rtcp, port, port + 1, randomInt(1, 0xffffffff));
      }
      rtp.close();
      rtcp.close();
    }
    throw new Error(`no free RTP/RTCP port pair in ${min}-${max}`);
  }

  /** Starts carrying media as negotiated. */
  start(line: NegotiatedLine, srtp: SrtpTransform, cname: string): RtpSession {
    this.negotiated = line;
    this.rtpRemote = { address: line.remote.address, port: line.remote.rtpPort };
    this.rtcpRemote = { address: line.remote.rtcpAddress, port: line.remote.rtcpPort };
    this.declared = { rtp: this.rtpRemote, rtcp: this.rtcpRemote };
    const config: RtpSessionConfig = {
      cname,
      rtcpSsrc: this.ssrc,
      send: line.sending ? { [this.kind]: { ssrc: this.ssrc, codecs: line.send } } : {},
      receive: line.receiving ? { [this.kind]: { codecs: line.receive } } : {},
      remoteSsrcs: new Map(),
      feedback: { nack: line.feedback.nack, keyframe: line.feedback.pli ? 'pli' : line.feedback.fir ? 'fir' : 'none', remb: line.feedback.remb },
    };
    this.session = new RtpSession(config, srtp, (buf, length) => this.send(buf, length));
    return this.session;
  }

  /** Bytes and drops of this line, for statistics. */
  get dropped(): number {
    return this.droppedEarly + (this.session?.dropped ?? 0);
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
    this.rtp.close();
    this.rtcp.close();
  }

  private receive(buf: Buffer, from: RemoteInfo, socket: 'rtp' | 'rtcp'): void {
    const session = this.session;
    if (!session || buf.length < 8) {
      this.droppedEarly++;
      return;
    }
    if (!session.handleDatagram(buf)) return;
    this.onHeard();
    const origin = { address: from.address, port: from.port };
    if (socket === 'rtp' && !isRtcpPacket(buf)) {
      if (this.shouldLatch(this.declared?.rtp, origin)) {
        this.rtpRemote = origin;
        // RTCP muxed on the RTP port follows it.
        if (this.negotiated?.rtcpMux) this.rtcpRemote = origin;
      }
    } else if (this.shouldLatch(this.declared?.rtcp, origin)) {
      this.rtcpRemote = origin;
    }
  }

  /** Whether datagrams from `origin` show where the peer really is, rather than where its SDP says. */
  private shouldLatch(declared: Address | undefined, origin: Address): boolean {
    if (!declared || this.isOwn(declared) || /^(0\.0\.0\.0|::)$/.test(declared.address) || declared.port === 0) return true;
    return normalize(declared.address) !== normalize(origin.address);
  }

  private send(buf: Buffer, length: number): void {
    const rtcp = isRtcpPacket(buf);
    const target = rtcp ? this.rtcpRemote : this.rtpRemote;
    if (!target || target.port === 0 || this.isOwn(target)) return;
    if (rtcp && !this.negotiated?.rtcpMux) {
      this.rtcp.send(Buffer.from(buf.subarray(0, length)), target.port, target.address);
      return;
    }
    this.sender.send(buf, length, target.address, target.port);
  }

  /** Our own sockets on this host: an SDP that names them (ffmpeg's names its destination) is not the peer. */
  private isOwn(target: Address): boolean {
    if (target.port !== this.rtpPort && target.port !== this.rtcpPort) return false;
    return /^(127\.|0\.0\.0\.0$|::1?$|::ffff:127\.)/.test(target.address) || this.localAddresses.has(target.address);
  }

  /** The addresses we announce, also ours. */
  readonly localAddresses = new Set<string>();
}

/** IPv4 addresses as an IPv6 socket reports them (`::ffff:a.b.c.d`) compare equal to their plain form. */
function normalize(address: string): string {
  return address.replace(/^::ffff:/, '');
}
