/**
 * Sends the forwarding path's datagrams with one non-blocking sendto on the ICE socket's own
 * descriptor (native/srtp/src/ks_udp.c), skipping dgram.send's per-datagram lookup tick, request
 * object and callback. Receiving stays with libuv on the same socket. When a send would block, or
 * the descriptor cannot be found, the datagram goes through dgram.send as before.
 */
import type { Socket } from 'node:dgram';
import { loadSrtpAddon, type SrtpAddon } from '../srtp/native-addon.js';

const EAGAIN = 11;

/** The libuv descriptor behind a dgram socket (Node keeps it on the socket's internal state). */
function descriptorOf(socket: Socket): number | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = state ? (socket as unknown as Record<symbol, { handle?: { fd?: unknown } }>)[state]?.handle : undefined;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
}

let addon: SrtpAddon | null | undefined;

function nativeAddon(): SrtpAddon | null {
  if (addon === undefined) {
    try {
      addon = process.env.KUROSHIO_DIRECT_UDP === '0' ? null : loadSrtpAddon();
    } catch {
      addon = null; // not built: dgram.send it is (the choice is logged by the SRTP path)
    }
  }
  return addon;
}

export class DirectUdpSender {
  private fd: number | undefined;
  private addressKey = '';
  private address: Buffer | null = null;
  /** Datagrams that had to go through dgram.send (would block, or no descriptor). */
  fallbacks = 0;

  constructor(private readonly socket: Socket) {
    this.fd = nativeAddon() ? descriptorOf(socket) : undefined;
  }

  send(buf: Buffer, length: number, ip: string, port: number): void {
    const native = this.fd === undefined ? null : nativeAddon();
    if (native) {
      const key = `${ip}|${port}`;
      if (key !== this.addressKey) {
        this.addressKey = key;
        this.address = native.udpAddress(ip, port);
      }
      if (this.address) {
        const result = native.udpSend(this.fd!, buf, length, this.address);
        if (result >= 0) return;
        if (result !== -EAGAIN) this.fd = undefined; // the descriptor went away: stop using it
      }
    }
    this.fallbacks++;
    // dgram.send keeps the buffer until the send completes, and our buffer is reused soon.
    this.socket.send(Buffer.from(buf.subarray(0, length)), port, ip);
  }
}
