/**
 * Counts the datagrams of a peer connection that werift drops without a trace, for the
 * `packetsDiscarded` of getStats: those in none of the RFC 7983 demultiplexing ranges, and
 * RTP-range ones that never decode (bad SRTP authentication, garbage), seen as the difference
 * between the RTP-range datagrams that arrived and the RTP packets DTLS-SRTP decoded.
 */
import type { RTCPeerConnection } from 'werift';

export class DatagramCounter {
  private attached = false;
  private unknown = 0;
  private rtpRange = 0;
  private decodedRtp = 0;

  /** Starts counting on the connection's transports, once they exist (after a description). */
  attach(pc: RTCPeerConnection): void {
    const ice = pc.iceTransports[0];
    const dtls = pc.dtlsTransports[0];
    if (!ice || !dtls || this.attached) return;
    this.attached = true;
    ice.connection.onData.subscribe((data: Buffer) => {
      const first = data[0] ?? 0;
      if (first >= 128 && first <= 191) {
        const second = data[1] ?? 0;
        // RTCP packet types 192-223 (RFC 5761) are not RTP.
        if (second < 192 || second > 223) this.rtpRange++;
      } else if (first > 63 || (first > 3 && first < 20)) {
        this.unknown++;
      }
    });
    dtls.onRtp.subscribe(() => this.decodedRtp++);
  }

  /** Datagrams dropped as unreadable so far. */
  get discarded(): number {
    return this.unknown + Math.max(0, this.rtpRange - this.decodedRtp);
  }
}
