/**
 * The client side of the Kurento Protocol as the one2many tutorial drives it, in raw JSON-RPC:
 * a MediaPipeline per room, a WebRtcEndpoint for the publisher and one per subscriber,
 * `publisher.connect(subscriber)`. Each peer offers; the endpoint answers (processOffer), then
 * candidates trickle both ways (gatherCandidates + IceCandidateFound, addIceCandidate).
 */
import { sdpCandidates, withoutCandidates, type Candidate, type Publisher, type Subscriber } from './peers.js';
import { JsonSocket, type Json, type Room, type Signalling } from './signalling.js';

type Peer = Publisher | Subscriber;

export class KurentoSignalling implements Signalling {
  readonly subscriberMakesOffer = true;
  private nextId = 1;
  private sessionId: string | undefined;
  private readonly pipelines: string[] = [];
  /** Endpoint id → the peer its IceCandidateFound events are for. */
  private readonly peers = new Map<string, Peer>();

  private constructor(private readonly socket: JsonSocket) {}

  static async connect(url: string): Promise<KurentoSignalling> {
    let signalling: KurentoSignalling | undefined;
    const socket = await JsonSocket.open(url, undefined, (m) => (m.id === undefined ? undefined : String(m.id)), (m) => signalling?.onNotification(m));
    signalling = new KurentoSignalling(socket);
    return signalling;
  }

  async createRoom(publisher: Publisher): Promise<Room> {
    const pipeline = await this.create('MediaPipeline', {});
    this.pipelines.push(pipeline);
    const source = await this.create('WebRtcEndpoint', { mediaPipeline: pipeline });
    await this.negotiate(source, publisher);
    return {
      subscribe: async (subscriber: Subscriber) => {
        const sink = await this.create('WebRtcEndpoint', { mediaPipeline: pipeline });
        await this.negotiate(sink, subscriber);
        await this.invoke(source, 'connect', { sink });
      },
    };
  }

  async close(): Promise<void> {
    try {
      for (const pipeline of this.pipelines) await this.request('release', { object: pipeline });
    } finally {
      await this.socket.close();
    }
  }

  /** processOffer, gatherCandidates, and our candidates by addIceCandidate, as kurento-utils does. */
  private async negotiate(endpoint: string, peer: Peer): Promise<void> {
    this.peers.set(endpoint, peer);
    await this.request('subscribe', { object: endpoint, type: 'IceCandidateFound' });
    const offer = await peer.createOffer();
    const answer = String(await this.invoke(endpoint, 'processOffer', { offer: withoutCandidates(offer) }));
    await peer.acceptAnswer(answer);
    await this.invoke(endpoint, 'gatherCandidates', {});
    for (const c of sdpCandidates(offer)) {
      await this.invoke(endpoint, 'addIceCandidate', { candidate: { __module__: 'kurento', __type__: 'IceCandidate', ...c } });
    }
    await peer.whenConnected();
  }

  private onNotification(message: Json): void {
    const event = message.method === 'onEvent' ? (message.params?.value as Json | undefined) : undefined;
    if (event?.type !== 'IceCandidateFound') return;
    const candidate = event.data?.candidate as Candidate | undefined;
    const peer = this.peers.get(String(event.object));
    if (!peer || !candidate) return;
    peer.addIceCandidate({ candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex }).catch((err: Error) => {
      process.stderr.write(`addIceCandidate on the client failed: ${err.message}\n`);
    });
  }

  private async create(type: string, constructorParams: Json): Promise<string> {
    return String(await this.request('create', { type, constructorParams, properties: {} }));
  }

  private invoke(object: string, operation: string, operationParams: Json): Promise<unknown> {
    return this.request('invoke', { object, operation, operationParams });
  }

  /** A JSON-RPC request in this connection's Kurento session; resolves with `result.value`. */
  private async request(method: string, params: Json): Promise<unknown> {
    const id = this.nextId++;
    const withSession = this.sessionId === undefined ? params : { ...params, sessionId: this.sessionId };
    const reply = await this.socket.request(String(id), { jsonrpc: '2.0', id, method, params: withSession });
    if (reply.error !== undefined) throw new Error(`Kurento ${method} ${String(params.operation ?? params.type ?? '')}: ${JSON.stringify(reply.error)}`);
    const result = (reply.result ?? {}) as Json;
    if (typeof result.sessionId === 'string') this.sessionId = result.sessionId;
    return result.value;
  }
}
