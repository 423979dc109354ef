/**
 * A one-to-many call driven with the typed client (kuroshio-client) and werift peers in Node: a
 * presenter sending synthetic VP8 and Opus, viewers receiving them. For tests where the call is
 * the background (metrics, console) rather than the thing under test.
 */
import { isKurentoError, type KurentoClient, type MediaPipeline, type WebRtcEndpoint } from 'kuroshio-client';
import { pumpMedia, WeriftPeer, type OfferShape } from './werift-peer.js';

/** Offers from the peer, answers from the endpoint, trickles the endpoint's candidates to the peer. */
export async function connectTypedPeer(endpoint: WebRtcEndpoint, peer: WeriftPeer, shape: OfferShape): Promise<void> {
  let gatheringDone: () => void = () => undefined;
  const gathered = new Promise<void>((resolve) => (gatheringDone = resolve));
  await endpoint.on('IceGatheringDone', () => gatheringDone());
  const candidates: Promise<void>[] = [];
  await endpoint.on('IceCandidateFound', (event) => candidates.push(peer.addCandidate({ candidate: event.candidate.candidate, sdpMid: event.candidate.sdpMid, sdpMLineIndex: event.candidate.sdpMLineIndex })));
  const answer = await endpoint.processOffer(await peer.offer(shape));
  await peer.acceptAnswer(answer);
  await endpoint.gatherCandidates();
  await gathered;
  await Promise.all(candidates);
}

export interface OneToManyCall {
  pipeline: MediaPipeline;
  presenter: WebRtcEndpoint;
  viewers: WebRtcEndpoint[];
  peers: WeriftPeer[];
  close(): Promise<void>;
}

/** Starts a call with `viewerCount` viewers; media flows once each viewer's peer has received some. */
export async function startOneToMany(client: KurentoClient, viewerCount: number): Promise<OneToManyCall> {
  const pipeline = await client.create('MediaPipeline');
  const presenter = await client.create('WebRtcEndpoint', { mediaPipeline: pipeline });
  const presenterPeer = new WeriftPeer();
  const peers = [presenterPeer];
  const viewers: WebRtcEndpoint[] = [];
  let stopPump: () => void = () => undefined;
  try {
    await connectTypedPeer(presenter, presenterPeer, { audio: 'sendonly', video: 'sendonly' });
    await presenterPeer.waitConnected();
    stopPump = pumpMedia(presenterPeer);
    for (let i = 0; i < viewerCount; i++) {
      const viewer = await client.create('WebRtcEndpoint', { mediaPipeline: pipeline });
      const peer = new WeriftPeer();
      peers.push(peer);
      await presenter.connect(viewer);
      await connectTypedPeer(viewer, peer, { audio: 'recvonly', video: 'recvonly' });
      viewers.push(viewer);
      await peer.firstRtp('video');
    }
  } catch (err) {
    stopPump();
    for (const p of peers) await p.close();
    throw err;
  }
  return {
    pipeline,
    presenter,
    viewers,
    peers,
    async close() {
      stopPump();
      for (const p of peers) await p.close();
      // Releasing a pipeline that is gone already (its worker died in the test) is no error.
      await pipeline.release().catch((err: unknown) => {
        if (!isKurentoError(err, 'MEDIA_OBJECT_NOT_FOUND')) throw err;
      });
    },
  };
}
