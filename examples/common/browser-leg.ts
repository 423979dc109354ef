/**
 * One browser's side of a call: its WebRtcEndpoint on the media server, and the ICE candidates
 * going both ways. Browsers trickle candidates as soon as they have made their offer, often before
 * the application has created the endpoint they are meant for, so early ones wait here.
 *
 * It takes the endpoint of either client (kuroshio-client's, or the official client's wrapped in
 * kurento.ts): all it needs is what `LegEndpoint` names, and a way to hear the endpoint's candidates.
 */
import type { Browser } from './app-server.js';
import type { IceCandidate } from './ice-candidate.js';

/** What a leg does with its endpoint. */
export interface LegEndpoint {
  processOffer(offer: string): Promise<string>;
  gatherCandidates(): Promise<void>;
  addIceCandidate(candidate: IceCandidate): Promise<void>;
}

/** Subscribes a listener to the endpoint's own ICE candidates. */
export type CandidateSource = (listener: (candidate: IceCandidate) => void) => unknown;

export class BrowserLeg<E extends LegEndpoint = LegEndpoint> {
  private endpoint: E | undefined;
  private early: IceCandidate[] = [];

  /**
   * `leg` names this connection in its messages when a page has several (a group call's
   * receiving connections, one per other participant); a page with one connection needs none.
   */
  constructor(
    private readonly browser: Browser,
    private readonly leg?: string,
  ) {}

  /** The browser sent a candidate: hand it to the endpoint, or keep it until there is one. */
  addRemoteCandidate(candidate: IceCandidate): void {
    if (!this.endpoint) {
      this.early.push(candidate);
      return;
    }
    this.endpoint.addIceCandidate(candidate).catch((err: Error) => this.browser.log(`addIceCandidate failed: ${err.message}`));
  }

  /** Takes this browser's endpoint; the media server's candidates go to the browser. */
  async open(endpoint: E, candidates: CandidateSource): Promise<E> {
    await candidates((candidate) => this.browser.send({ type: 'iceCandidate', candidate, ...this.tag() }));
    this.endpoint = endpoint;
    const early = this.early;
    this.early = [];
    for (const candidate of early) await endpoint.addIceCandidate(candidate);
    return endpoint;
  }

  /**
   * Answers the browser's offer, sends it the answer, and only then starts gathering: the browser
   * must have the answer before the first server candidate reaches it.
   */
  async negotiate(sdpOffer: string): Promise<void> {
    if (!this.endpoint) throw new Error('negotiate() before open()');
    const sdpAnswer = await this.endpoint.processOffer(sdpOffer);
    this.browser.send({ type: 'answer', sdpAnswer, ...this.tag() });
    await this.endpoint.gatherCandidates();
  }

  /** Forgets the endpoint and pending candidates (releasing media is the pipeline owner's job). */
  reset(): E | undefined {
    const endpoint = this.endpoint;
    this.endpoint = undefined;
    this.early = [];
    return endpoint;
  }

  private tag(): { leg?: string } {
    return this.leg === undefined ? {} : { leg: this.leg };
  }
}
