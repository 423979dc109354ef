/**
 * Trickle ICE with Kurento's semantics on top of werift's agent:
 *
 * - local candidates are held back until `gatherCandidates` (KMS's agent only gathers then), and
 *   rewritten or dropped by the endpoint's candidate policy (`ice-settings.ts`) first;
 * - remote candidates that arrive before the remote description are queued (browsers often send
 *   them early) and applied once it is set;
 * - werift's ICE states are reported as KMS's IceComponentState, with the selected pair.
 *
 * Events about the connection are held until gathering was asked for, so applications see KMS's
 * order (GATHERING first) even when werift connected earlier (see `afterGathering`).
 */
import type { RTCPeerConnection } from 'werift';
import { KurentoError } from '../../errors.js';
import { TypedEmitter } from '../../typed-emitter.js';
import { interfaceAddresses, rewriteCandidate, rewriteSdpCandidates, type IceSettings } from './ice-settings.js';

export type IceComponentState = 'DISCONNECTED' | 'GATHERING' | 'CONNECTING' | 'CONNECTED' | 'READY' | 'FAILED';

export interface IceCandidateInfo {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
}

/** KMS's ids for our single (bundled, rtcp-muxed) ICE stream and component. */
export const STREAM_ID = '1';
export const COMPONENT_ID = 1;

export interface TrickleIceEvents {
  /** A local candidate to announce (only after `gatherCandidates`). */
  candidate: [IceCandidateInfo];
  gatheringDone: [];
  iceState: [{ streamId: string; componentId: number; state: IceComponentState }];
  candidatePair: [{ streamId: string; componentId: number; localCandidate: string; remoteCandidate: string }];
}

const ICE_STATES: Record<string, IceComponentState | undefined> = {
  checking: 'CONNECTING',
  connected: 'CONNECTED',
  completed: 'READY',
  failed: 'FAILED',
  disconnected: 'DISCONNECTED',
  closed: 'DISCONNECTED',
};

const CANDIDATE_LINE = /^(a=)?candidate:\S+ \d+ (udp|tcp) \d+ \S+ \d+ typ \S+/i;

export class TrickleIce extends TypedEmitter<TrickleIceEvents> {
  private pc: RTCPeerConnection | undefined;
  /** Addresses of the endpoint's `networkInterfaces`, or undefined when any will do. */
  private readonly allowedAddresses: string[] | undefined;
  private readonly heldCandidates: IceCandidateInfo[] = [];
  private readonly announced = new Set<string>();
  private readonly pendingRemote: IceCandidateInfo[] = [];
  private gatherRequested = false;
  private gatheringComplete = false;
  private gatheringDoneSent = false;
  private iceConnectedOnce = false;
  /**
   * werift checks connectivity as soon as it has remote candidates (from a non-trickle offer),
   * possibly before the application asked to gather; KMS's agent checks only once it gathers.
   * Connection events are held here until then, so applications see KMS's order: GATHERING first.
   */
  private readonly beforeGathering: (() => void)[] = [];

  constructor(private readonly settings: IceSettings) {
    super();
    this.allowedAddresses = interfaceAddresses(settings.networkInterfaces);
  }

  /** Whether `gatherCandidates` was called. */
  get gathering(): boolean {
    return this.gatherRequested;
  }

  /** For each line werift sees, its index in the peer's offer (lines werift never saw are rejected). */
  private lineMap: readonly number[] | undefined;

  /** Sets how werift's line indices map to the offer's (undefined: they are the same). */
  setLineMap(map: readonly number[] | undefined): void {
    this.lineMap = map;
  }

  /** Follows the local candidates of a new peer connection. */
  attach(pc: RTCPeerConnection): void {
    this.pc = pc;
    pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate) {
        this.gatheringComplete = true;
        if (this.gatherRequested) this.finishGathering();
        return;
      }
      const rewritten = rewriteCandidate(candidate.candidate, this.settings, this.allowedAddresses);
      if (!rewritten) return;
      const index = candidate.sdpMLineIndex ?? 0;
      const info: IceCandidateInfo = { candidate: rewritten, sdpMid: candidate.sdpMid ?? '0', sdpMLineIndex: this.lineMap?.[index] ?? index };
      if (this.gatherRequested) this.announce(info);
      else this.heldCandidates.push(info);
    });
  }

  /** The session closed: nothing more is asked of its peer connection. */
  detach(): void {
    this.pc = undefined;
  }

  /**
   * An ICE restart begins (`ice-restart.ts`): the agent gathers again under new credentials, so
   * its candidates are announced again (a peer drops the old generation's), GATHERING and then
   * IceGatheringDone are raised as for a fresh gathering, and the peer's new candidates wait until
   * its new offer is applied (candidates of the new generation must not reach the old one).
   */
  beginRestart(): void {
    this.restarting = true;
    this.announced.clear();
    this.heldCandidates.length = 0;
    this.gatheringComplete = false;
    this.gatheringDoneSent = false;
    this.iceConnectedOnce = false;
    if (this.gatherRequested) this.emit('iceState', { streamId: STREAM_ID, componentId: COMPONENT_ID, state: 'GATHERING' });
  }

  /** The restarting offer is applied: candidates queued meanwhile go to the new generation. */
  async endRestart(): Promise<void> {
    this.restarting = false;
    await this.flushRemoteCandidates();
  }

  private restarting = false;

  /** Starts announcing local candidates (KMS's `gatherCandidates`). */
  gatherCandidates(): void {
    if (this.gatherRequested) return;
    this.gatherRequested = true;
    this.emit('iceState', { streamId: STREAM_ID, componentId: COMPONENT_ID, state: 'GATHERING' });
    for (const c of this.heldCandidates.splice(0)) this.announce(c);
    if (this.gatheringComplete) this.finishGathering();
    for (const fire of this.beforeGathering.splice(0)) fire();
  }

  /** Runs `fire` now if gathering was asked for, or as soon as it is. */
  afterGathering(fire: () => void): void {
    if (this.gatherRequested) fire();
    else this.beforeGathering.push(fire);
  }

  /** A local SDP with its candidate lines under the endpoint's candidate policy. */
  withAllowedCandidates(sdp: string): string {
    return rewriteSdpCandidates(sdp, this.settings, this.allowedAddresses);
  }

  /**
   * Adds a remote candidate. Until there is a peer connection with a remote description it is
   * queued, for `flushRemoteCandidates`.
   */
  async addRemoteCandidate(candidate: IceCandidateInfo, remoteDescriptionSet: boolean): Promise<void> {
    if (!CANDIDATE_LINE.test(candidate.candidate) && candidate.candidate !== '') {
      throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Invalid ICE candidate '${candidate.candidate}'`);
    }
    if (!this.pc || !remoteDescriptionSet || this.restarting) {
      this.pendingRemote.push(candidate);
      return;
    }
    await this.applyRemoteCandidate(candidate);
  }

  /** Applies the remote candidates queued before the remote description was set. */
  async flushRemoteCandidates(): Promise<void> {
    for (const c of this.pendingRemote.splice(0)) await this.applyRemoteCandidate(c);
  }

  /** The selected pair as KMS reports it: candidate attributes, `candidate:` prefix included. */
  selectedPair(): { local: string; remote: string } | undefined {
    const pair = this.pc?.iceTransports[0]?.getSelectedCandidatePair();
    const attribute = (c: string): string => (c.startsWith('candidate:') ? c : `candidate:${c}`);
    return pair ? { local: attribute(pair.local.candidate), remote: attribute(pair.remote.candidate) } : undefined;
  }

  /**
   * Reports a werift ICE connection state as KMS's, with the selected pair once connected.
   * Returns false for a state that does not count: werift reports 'completed' when gathering
   * ends, before any check, and READY only counts after CONNECTED.
   */
  onIceState(state: string): boolean {
    if (state === 'completed' && !this.iceConnectedOnce) return false;
    if (state === 'connected') this.iceConnectedOnce = true;
    const mapped = ICE_STATES[state];
    if (mapped) this.afterGathering(() => this.emit('iceState', { streamId: STREAM_ID, componentId: COMPONENT_ID, state: mapped }));
    if (state === 'connected' || state === 'completed') {
      const pair = this.selectedPair();
      if (pair) this.afterGathering(() => this.emit('candidatePair', { streamId: STREAM_ID, componentId: COMPONENT_ID, localCandidate: pair.local, remoteCandidate: pair.remote }));
    }
    return true;
  }

  private async applyRemoteCandidate(candidate: IceCandidateInfo): Promise<void> {
    const index = this.lineMap ? this.lineMap.indexOf(candidate.sdpMLineIndex) : candidate.sdpMLineIndex;
    // A candidate of a line we rejected has nothing to connect (KMS ignores it too).
    if (index < 0 || !this.pc) return;
    try {
      await this.pc!.addIceCandidate({ candidate: candidate.candidate.replace(/^a=/, ''), sdpMid: candidate.sdpMid, sdpMLineIndex: index });
    } catch (err) {
      throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Cannot add ICE candidate: ${(err as Error).message}`);
    }
  }

  private announce(candidate: IceCandidateInfo): void {
    if (this.announced.has(candidate.candidate)) return;
    this.announced.add(candidate.candidate);
    this.emit('candidate', candidate);
  }

  private finishGathering(): void {
    if (this.gatheringDoneSent) return;
    this.gatheringDoneSent = true;
    this.emit('gatheringDone');
  }
}
