/**
 * WebRtcEndpoint over raw JSON-RPC, for tests and benchmarks that drive it with a Node peer:
 * creating pipelines and endpoints, subscribing to their events, and the offer/answer plus
 * trickle-ICE dance with a werift peer.
 */
import type { Message, RawClient } from './raw-client.js';
import type { OfferShape, ServerCandidate, WeriftPeer } from './werift-peer.js';

/** Every event a WebRtcEndpoint can raise (its own and those of its ancestors). */
export const WEBRTC_ENDPOINT_EVENTS = [
  'Error',
  'ElementConnected',
  'ElementDisconnected',
  'MediaFlowOutStateChanged',
  'MediaFlowInStateChanged',
  'MediaTranscodingStateChanged',
  'MediaSessionStarted',
  'MediaSessionTerminated',
  'MediaStateChanged',
  'ConnectionStateChanged',
  'IceCandidateFound',
  'IceGatheringDone',
  'IceComponentStateChanged',
  'DtlsConnectionStateChange',
  'DataChannelOpened',
  'DataChannelClosed',
  'NewCandidatePairSelected',
] as const;

export async function createPipeline(client: RawClient): Promise<string> {
  return String((await client.call('create', { type: 'MediaPipeline', constructorParams: {}, properties: {} })).value);
}

export async function createWebRtcEndpoint(client: RawClient, pipeline: string, options: Record<string, unknown> = {}): Promise<string> {
  const created = await client.call('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: pipeline, ...options }, properties: {} });
  return String(created.value);
}

/** Invokes an operation and returns its `value`; fails on an error response. */
export async function invoke(client: RawClient, object: string, operation: string, operationParams?: Record<string, unknown>): Promise<any> {
  const result = await client.call('invoke', { object, operation, ...(operationParams ? { operationParams } : {}) });
  return result?.value;
}

/** Invokes an operation and returns the whole response, error or not. */
export function tryInvoke(client: RawClient, object: string, operation: string, operationParams?: Record<string, unknown>): Promise<Message> {
  return client.request('invoke', { object, operation, ...(operationParams ? { operationParams } : {}) });
}

export async function subscribe(client: RawClient, object: string, types: readonly string[]): Promise<void> {
  for (const type of types) await client.call('subscribe', { object, type });
}

/** The events received so far for `object`, in order, as `{type, data}`. */
export function eventsOf(client: RawClient, object: string): { type: string; data: Record<string, any> }[] {
  return client.events().filter((e) => e.object === object).map((e) => ({ type: String(e.type), data: e.data as Record<string, any> }));
}

/** The candidates `endpoint` announced so far (IceCandidateFound), in order. */
export function candidatesOf(client: RawClient, endpoint: string): ServerCandidate[] {
  return eventsOf(client, endpoint)
    .filter((e) => e.type === 'IceCandidateFound')
    .map((e) => e.data.candidate as ServerCandidate);
}

/**
 * Asks the endpoint to gather, waits for IceGatheringDone and hands every candidate to the peer.
 * On loopback, gathering takes milliseconds: waiting for the end costs nothing measurable and
 * keeps the order deterministic (events arrive in order, so all candidates precede the end).
 */
export async function gatherInto(client: RawClient, endpoint: string, peer: WeriftPeer): Promise<ServerCandidate[]> {
  await invoke(client, endpoint, 'gatherCandidates');
  await client.waitForEvent('IceGatheringDone', endpoint, 10_000);
  const candidates = candidatesOf(client, endpoint);
  for (const c of candidates) await peer.addCandidate({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
  return candidates;
}

/**
 * The client-offers flow: the peer offers (with its candidates), the endpoint answers, then
 * gathers and hands its candidates to the peer. Resolves with the answer.
 */
export async function connectPeer(client: RawClient, endpoint: string, peer: WeriftPeer, shape: OfferShape): Promise<string> {
  await subscribe(client, endpoint, ['IceCandidateFound', 'IceGatheringDone']);
  const offer = await peer.offer(shape);
  const answer = String(await invoke(client, endpoint, 'processOffer', { offer }));
  await peer.acceptAnswer(answer);
  await gatherInto(client, endpoint, peer);
  return answer;
}
