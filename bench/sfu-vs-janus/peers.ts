/**
 * The bench's WebRTC clients, on werift: a publisher that sends the synthetic load and a
 * subscriber that counts what arrives. Both servers see exactly these peers.
 *
 * A subscriber must cost far less than the server it measures, so it does not let werift decrypt
 * and parse every packet: once DTLS is up it takes RTP datagrams off the UDP socket before
 * werift's ICE layer sees them, reads sequence numbers and SSRC from the clear RTP header, and
 * decrypts only a sample (sequence number divisible by `sampleEvery`) to check the SRTP
 * authentication and read the send-time stamp. STUN, DTLS and RTCP still go to werift.
 */
import { Socket } from 'node:dgram';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  type PeerConfig,
  type RTCRtpTransceiver,
  type RtpPacket,
} from 'werift';
import { AUDIO_PTIME_MS, SIMULCAST_LAYERS, SyntheticMedia, SyntheticVideo, VIDEO_FPS, readStamp, stamp, type MediaKind } from './load.js';

export interface Candidate {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
}

/** What a subscriber saw during a measurement window. */
export interface WindowCounts {
  /** Distinct packets: a sequence number seen again (a retransmission) counts once. */
  received: number;
  /** From RTP sequence numbers: highest − lowest + 1 per stream, summed. */
  expected: number;
  duplicates: number;
  /** Sampled packets that failed SRTP authentication or lost their stamp. */
  corrupt: number;
  sampled: number;
}

const CONNECT_TIMEOUT_MS = 20_000;
const VP8_PAYLOAD_TYPE = 96;
/** Bytes a subscriber's socket holds while the client is busy (capped by net.core.rmem_max). */
const SUBSCRIBER_RECEIVE_BUFFER = 2 * 1024 * 1024;

function randomSsrc(): number {
  return (Math.random() * 0xffff_ffff) >>> 0 || 1;
}

function peerConfig(address: string, simulcast = false): Partial<PeerConfig> {
  const mid = new RTCRtpHeaderExtensionParameters({ id: 1, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' });
  const rid = new RTCRtpHeaderExtensionParameters({ id: 2, uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id' });
  return {
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90_000,
          payloadType: VP8_PAYLOAD_TYPE,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }],
        }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2, payloadType: 111 })],
    },
    // The mid extension lets either server map packets to m-lines without SSRC signalling.
    headerExtensions: { video: simulcast ? [mid, rid] : [mid], audio: [mid] },
    bundlePolicy: 'max-bundle',
    // One candidate, on the given address. werift leaves loopback out when it lists the host's
    // addresses, and when `iceInterfaceAddresses` matches none of them it gathers on all of them,
    // binding every socket to the given address whatever its candidate says: list nothing, add
    // the one address.
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceInterfaceAddresses: { udp4: address },
    iceAdditionalHostAddresses: [address],
  };
}

/** Candidate lines of an SDP, for signalling that trickles them (Kurento's addIceCandidate). */
export function sdpCandidates(sdp: string): Candidate[] {
  const mid = /^a=mid:(\S+)$/m.exec(sdp)?.[1] ?? '0';
  return sdp
    .split('\r\n')
    .filter((line) => line.startsWith('a=candidate:'))
    .map((line) => ({ candidate: line.slice(2), sdpMid: mid, sdpMLineIndex: 0 }));
}

export function withoutCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
    .join('\r\n');
}

abstract class BenchPeer {
  protected readonly pc: RTCPeerConnection;
  private readonly connected: Promise<void>;

  /** `address`: the local address the peer's one socket uses (see ServerUnderTest.clientAddress). */
  constructor(address: string, simulcast = false) {
    this.pc = new RTCPeerConnection(peerConfig(address, simulcast));
    this.connected = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`peer not connected within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      this.pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') {
          clearTimeout(timer);
          resolve();
        } else if (state === 'failed') {
          clearTimeout(timer);
          reject(new Error('peer connection failed'));
        }
      });
    });
    this.connected.catch(() => undefined); // observed by whoever awaits whenConnected()
  }

  /** Our offer with the gathered candidates in it (werift gathers in setLocalDescription). */
  async createOffer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  /** Answers a server's offer; the answer carries our candidates. */
  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.pc.localDescription!.sdp;
  }

  async addIceCandidate(candidate: Candidate): Promise<void> {
    await this.pc.addIceCandidate(candidate);
  }

  whenConnected(): Promise<void> {
    return this.connected;
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}

/**
 * Sends the synthetic load on a video and an audio transceiver once connected and started. A
 * simulcast publisher offers three layers (`a=rid`, `a=simulcast`, the RID header extension, as
 * Chromium does) and sends each on an SSRC of its own, the top one being the usual load; werift
 * does not send simulcast, so those packets go straight to its DTLS transport.
 */
export class Publisher extends BenchPeer {
  private readonly video: RTCRtpTransceiver;
  private readonly audio: RTCRtpTransceiver;
  private readonly media = new SyntheticMedia();
  private readonly layers: { rid: string; ssrc: number; video: SyntheticVideo }[];
  /** The header extension ids of the simulcast offer. */
  private extensionIds = { mid: 0, rid: 0 };
  /** The pending timer of each running schedule (video frames, audio packets). */
  private readonly schedules: { timer?: NodeJS.Timeout }[] = [];
  sent = 0;
  keyframeRequests = 0;
  /** Packets the server asked again (NACK); werift resends them from its history. */
  nacked = 0;

  constructor(address: string, simulcast = false) {
    super(address, simulcast);
    this.video = this.pc.addTransceiver('video', { direction: 'sendonly' });
    this.audio = this.pc.addTransceiver('audio', { direction: 'sendonly' });
    // Counted, not obeyed: both servers must get the same load, whatever they ask for.
    this.video.sender.onPictureLossIndication.subscribe(() => this.keyframeRequests++);
    this.video.sender.onGenericNack.subscribe((nack) => (this.nacked += nack.lost.length));
    this.layers = simulcast ? SIMULCAST_LAYERS.map(({ rid, shape }) => ({ rid, ssrc: randomSsrc(), video: new SyntheticVideo(shape) })) : [];
  }

  override async createOffer(): Promise<string> {
    const offer = await super.createOffer();
    if (this.layers.length === 0) return offer;
    // The video m-line is the first (its transceiver was added first). Like Chromium's simulcast
    // offers, it names its layers by RID and lists no SSRC.
    const video = offer.indexOf('m=video');
    const end = offer.indexOf('\r\nm=', video + 1);
    const at = end < 0 ? offer.length : end + 2;
    const section = offer.slice(video, at);
    // werift numbers the extensions itself: read back the ids it gave.
    const id = (uri: string): number => Number(new RegExp(`^a=extmap:(\\d+) ${uri}\\s*$`, 'm').exec(section)?.[1] ?? NaN);
    this.extensionIds = { mid: id('urn:ietf:params:rtp-hdrext:sdes:mid'), rid: id('urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id') };
    if (!Number.isInteger(this.extensionIds.mid) || !Number.isInteger(this.extensionIds.rid)) throw new Error('werift left the mid or RID extension out of its offer');
    const rids = this.layers.map((l) => l.rid);
    const lines = [...rids.map((rid) => `a=rid:${rid} send`), `a=simulcast:send ${rids.join(';')}`];
    const kept = section.split('\r\n').filter((line) => line !== '' && !line.startsWith('a=ssrc'));
    return `${offer.slice(0, video)}${[...kept, ...lines].join('\r\n')}\r\n${offer.slice(at)}`;
  }

  start(): void {
    this.every(1000 / VIDEO_FPS, () => {
      if (this.layers.length === 0) {
        for (const p of this.media.nextVideoFrame()) this.send(this.video, 'video', p);
        return;
      }
      for (const layer of this.layers) for (const p of layer.video.nextFrame()) this.sendLayer(layer, p);
    });
    this.every(AUDIO_PTIME_MS, () => this.send(this.audio, 'audio', this.media.nextAudioPacket()));
  }

  private send(transceiver: RTCRtpTransceiver, kind: MediaKind, packet: RtpPacket): void {
    stamp(packet.payload, kind, performance.now());
    this.sent++;
    transceiver.sender.sendRtp(packet).catch((err: Error) => process.stderr.write(`publisher send failed: ${err.message}\n`));
  }

  /** One simulcast layer's packet, with its SSRC, the negotiated payload type, its mid and RID. */
  private sendLayer(layer: { rid: string; ssrc: number }, packet: RtpPacket): void {
    const dtls = this.pc.dtlsTransports[0];
    if (!dtls) return;
    stamp(packet.payload, 'video', performance.now());
    this.sent++;
    const header = packet.header;
    header.ssrc = layer.ssrc;
    header.payloadType = VP8_PAYLOAD_TYPE;
    header.extensions = [
      { id: this.extensionIds.mid, payload: Buffer.from(this.video.mid ?? '0', 'ascii') },
      { id: this.extensionIds.rid, payload: Buffer.from(layer.rid, 'ascii') },
    ];
    dtls.sendRtp(packet.payload, header).catch((err: Error) => process.stderr.write(`publisher send failed: ${err.message}\n`));
  }

  /** Runs `tick` at a fixed rate without drift: late ticks catch up instead of shifting the schedule. */
  private every(intervalMs: number, tick: () => void): void {
    const start = performance.now();
    const schedule: { timer?: NodeJS.Timeout } = {};
    this.schedules.push(schedule);
    let due = 0;
    const run = (): void => {
      while (start + due * intervalMs <= performance.now()) {
        tick();
        due++;
      }
      schedule.timer = setTimeout(run, start + due * intervalMs - performance.now());
    };
    run();
  }

  override async close(): Promise<void> {
    for (const s of this.schedules) clearTimeout(s.timer);
    await super.close();
  }
}

/**
 * Sequence-number bookkeeping of one received stream within a window. The window starts at the
 * first packet it sees: a packet numbered before it (a late retransmission of a packet from
 * before the window) is left out, or it would make the packets in between look lost.
 */
class StreamWindow {
  private first = 0;
  private highest = 0;
  /** Sequence numbers seen, one bit each: a window holds far fewer than 2^16 packets per stream. */
  private readonly seen = new Uint8Array(0x10000 / 8);
  received = 0;
  duplicates = 0;

  /** Records a packet; false when it is a copy of one already seen or older than the window. */
  add(sequence: number): boolean {
    const bit = 1 << (sequence & 7);
    if ((this.seen[sequence >> 3]! & bit) !== 0) {
      this.duplicates++;
      return false;
    }
    if (this.received === 0) {
      this.first = this.highest = sequence;
    } else {
      // Unwrap the 16-bit number next to the highest one seen (RFC 3550 A.1).
      let extended = (this.highest & ~0xffff) | sequence;
      if (extended - this.highest > 0x8000) extended -= 0x10000;
      else if (this.highest - extended > 0x8000) extended += 0x10000;
      if (extended < this.first) return false;
      if (extended > this.highest) this.highest = extended;
    }
    this.seen[sequence >> 3]! |= bit;
    this.received++;
    return true;
  }

  get expected(): number {
    return this.received === 0 ? 0 : this.highest - this.first + 1;
  }
}

type DatagramHandler = (data: Buffer, addr: unknown) => void;

interface UdpTransport {
  onData: DatagramHandler;
  socket: Socket;
}

/** werift's UDP transport behind a protocol object: the one place datagrams enter the peer. */
function udpTransportOf(protocol: object): UdpTransport | undefined {
  const transport = (protocol as { transport?: Partial<UdpTransport> }).transport;
  return transport && typeof transport.onData === 'function' && transport.socket instanceof Socket ? (transport as UdpTransport) : undefined;
}

/** RTP but not RTCP, by RFC 7983's first byte and RFC 5761's payload type range. */
function isRtp(data: Buffer): boolean {
  const first = data[0]!;
  const second = data[1]! & 0x7f;
  return first >= 128 && first <= 191 && (second < 64 || second > 95);
}

/** Receives audio and video, counting packets on the socket. */
export class Subscriber extends BenchPeer {
  private readonly streams = new Map<number, StreamWindow>();
  private corrupt = 0;
  private sampled = 0;
  private firstPacket: (() => void) | undefined;
  /** Resolves at the first RTP packet; rejects if the peer never connects. */
  readonly receiving: Promise<void>;

  /**
   * `latencies` collects send→receive delays (ms) of sampled packets; it is shared by all the
   * subscribers of a client process and emptied by whoever reads it.
   */
  constructor(
    address: string,
    private readonly sampleEvery: number,
    private readonly latencies: number[],
    offerToReceive: boolean,
  ) {
    super(address);
    if (offerToReceive) {
      this.pc.addTransceiver('video', { direction: 'recvonly' });
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    const firstPacket = new Promise<void>((resolve) => (this.firstPacket = resolve));
    this.receiving = this.whenConnected().then(() => {
      this.countOnSocket();
      return firstPacket;
    });
    this.receiving.catch(() => undefined); // observed by whoever awaits it or whenConnected()
  }

  /** Starts a new window: counts from zero. */
  resetWindow(): void {
    this.streams.clear();
    this.corrupt = 0;
    this.sampled = 0;
  }

  window(): WindowCounts {
    const counts: WindowCounts = { received: 0, expected: 0, duplicates: 0, corrupt: this.corrupt, sampled: this.sampled };
    for (const s of this.streams.values()) {
      counts.received += s.received;
      counts.expected += s.expected;
      counts.duplicates += s.duplicates;
    }
    return counts;
  }

  private countOnSocket(): void {
    const transport = this.pc.iceTransports[0]?.connection.nominated?.protocol;
    const udp = transport ? udpTransportOf(transport) : undefined;
    if (!udp) throw new Error('subscriber: no UDP transport on the nominated candidate pair');
    // A client that pauses (a GC, a neighbour on its core) must not be what loses packets.
    udp.socket.setRecvBufferSize(SUBSCRIBER_RECEIVE_BUFFER);
    const werift = udp.onData;
    udp.onData = (data, addr) => {
      if (isRtp(data)) this.onRtp(data, performance.now());
      else werift(data, addr);
    };
  }

  private onRtp(data: Buffer, receivedAt: number): void {
    const sequence = data.readUInt16BE(2);
    const ssrc = data.readUInt32BE(8);
    let stream = this.streams.get(ssrc);
    if (!stream) this.streams.set(ssrc, (stream = new StreamWindow()));
    const first = stream.add(sequence);
    if (this.firstPacket) {
      this.firstPacket();
      this.firstPacket = undefined;
    }
    // A retransmission carries its original stamp: only first arrivals measure the path.
    if (first && sequence % this.sampleEvery === 0) this.sample(data, receivedAt);
  }

  private sample(data: Buffer, receivedAt: number): void {
    this.sampled++;
    let sentAt: number | undefined;
    try {
      sentAt = readStamp(this.pc.dtlsTransports[0]!.srtp.decrypt(data));
    } catch {
      sentAt = undefined; // SRTP authentication failed
    }
    if (sentAt === undefined) this.corrupt++;
    else this.latencies.push(receivedAt - sentAt);
  }
}
