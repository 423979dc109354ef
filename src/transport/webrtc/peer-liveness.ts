/**
 * Notices a WebRTC peer that vanished without a goodbye (closed tab without DTLS close_notify,
 * crashed or killed process, lost network). werift only gives up on a peer when ICE consent
 * expires, 30 s after the last answer (RFC 7675); until then the endpoint would report a
 * connected peer that is gone. A live peer is never silent for long: it sends consent checks
 * every 4–6 s (browsers more often) and answers ours just as often. So a peer from which no
 * authenticated STUN request or response arrived for `silenceMs` is reported gone, and reported
 * back when one arrives again. Media is not counted: werift counts datagrams on the selected
 * pair's socket whoever sent them, so a stale peer of an earlier session on the same port (or
 * anyone spraying it) would keep a vanished peer looking alive.
 */
import type { RTCPeerConnection } from 'werift';

/**
 * With consent checks at most 6 s apart in each direction, a live peer is heard from at least
 * twice (usually four times) in 10 s: going silent that long takes several lost packets in a row.
 */
export const PEER_SILENCE_MS = 10_000;
const CHECK_EVERY_MS = 1_000;

interface PairCounters {
  requestsReceived: number;
  responsesReceived: number;
}

/** STUN requests and responses the peer sent on the selected candidate pair, or undefined without one. */
export function receivedOnSelectedPair(pc: RTCPeerConnection): number | undefined {
  const pair = pc.iceTransports[0]?.connection.nominated as PairCounters | undefined;
  return pair ? pair.requestsReceived + pair.responsesReceived : undefined;
}

export class PeerLiveness {
  private timer: NodeJS.Timeout | undefined;
  private lastCount: number | undefined;
  private lastChangeAt = 0;
  private lastTickAt = 0;
  private alive = true;

  /**
   * @param received a counter that grows whenever anything arrives from the peer
   * @param onChange called with false when the peer went silent, true when it is heard again
   */
  constructor(
    private readonly received: () => number | undefined,
    private readonly onChange: (alive: boolean) => void,
    private readonly silenceMs = PEER_SILENCE_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.lastCount = this.received();
    this.lastChangeAt = this.lastTickAt = Date.now();
    this.timer = setInterval(() => this.tick(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = Date.now();
    const late = now - this.lastTickAt > 2 * CHECK_EVERY_MS;
    this.lastTickAt = now;
    const count = this.received();
    if (count !== this.lastCount) {
      this.lastCount = count;
      this.lastChangeAt = now;
      if (!this.alive) this.setAlive(true);
      return;
    }
    // After a stalled event loop, datagrams that did arrive may still be queued behind this
    // timer: judge silence only on a tick that ran on time.
    if (late) {
      this.lastChangeAt = Math.max(this.lastChangeAt, now - CHECK_EVERY_MS);
      return;
    }
    if (this.alive && now - this.lastChangeAt >= this.silenceMs) this.setAlive(false);
  }

  private setAlive(alive: boolean): void {
    this.alive = alive;
    this.onChange(alive);
  }
}
