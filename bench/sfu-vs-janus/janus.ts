/**
 * The client side of Janus's VideoRoom plugin over its WebSocket transport (Janus 1.1 API):
 * one Janus session for the client, one plugin handle per peer. A room is created on its
 * publisher's handle; the publisher joins and publishes with our offer; each subscriber joins
 * with the publisher's feed, gets an offer from Janus and starts with our answer.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Publisher, Subscriber } from './peers.js';
import { JsonSocket, type Json, type Room, type Signalling } from './signalling.js';

interface PluginReply {
  data: Json;
  jsep?: { type: string; sdp: string };
}

export class JanusSignalling implements Signalling {
  readonly subscriberMakesOffer = false;
  private readonly rooms: number[] = [];

  private constructor(
    private readonly socket: JsonSocket,
    private readonly session: number,
  ) {}

  static async connect(url: string): Promise<JanusSignalling> {
    // Events without a transaction (webrtcup, media, slowlink, hangup) are not needed here.
    const socket = await JsonSocket.open(url, 'janus-protocol', (m) => (typeof m.transaction === 'string' ? m.transaction : undefined), () => undefined);
    const created = await JanusSignalling.call(socket, { janus: 'create' });
    return new JanusSignalling(socket, Number(created.data.id));
  }

  async createRoom(publisher: Publisher): Promise<Room> {
    const handle = await this.attach();
    const room = randomInt(1, 2 ** 47);
    // No recording, no periodic keyframe requests, nothing beyond forwarding.
    await this.message(handle, { request: 'create', room, publishers: 1, audiocodec: 'opus', videocodec: 'vp8', fir_freq: 0, notify_joining: false, record: false });
    this.rooms.push(room);
    const joined = await this.message(handle, { request: 'join', ptype: 'publisher', room, display: 'publisher' });
    const feed = Number(joined.data.id);
    const offer = await publisher.createOffer();
    const published = await this.message(handle, { request: 'publish', audio: true, video: true }, { type: 'offer', sdp: offer });
    if (!published.jsep) throw new Error('Janus: publish answered without an SDP answer');
    await publisher.acceptAnswer(published.jsep.sdp);
    await this.trickleDone(handle);
    await publisher.whenConnected();
    return {
      subscribe: async (subscriber: Subscriber) => {
        const subscriberHandle = await this.attach();
        const attached = await this.message(subscriberHandle, { request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
        if (!attached.jsep) throw new Error('Janus: subscriber join answered without an SDP offer');
        const answer = await subscriber.answer(attached.jsep.sdp);
        await this.message(subscriberHandle, { request: 'start' }, { type: 'answer', sdp: answer });
        await this.trickleDone(subscriberHandle);
        await subscriber.whenConnected();
      },
    };
  }

  async close(): Promise<void> {
    try {
      const handle = await this.attach();
      for (const room of this.rooms) await this.message(handle, { request: 'destroy', room });
      await JanusSignalling.call(this.socket, { janus: 'destroy', session_id: this.session });
    } finally {
      await this.socket.close();
    }
  }

  private async attach(): Promise<number> {
    const attached = await JanusSignalling.call(this.socket, { janus: 'attach', plugin: 'janus.plugin.videoroom', session_id: this.session });
    return Number(attached.data.id);
  }

  /** Our candidates travel in the SDP: tell Janus there are no more (half-trickle). */
  private async trickleDone(handle: number): Promise<void> {
    await JanusSignalling.call(this.socket, { janus: 'trickle', session_id: this.session, handle_id: handle, candidate: { completed: true } }, true);
  }

  /** A plugin request; the answer comes synchronously (`success`) or as an `event` after an `ack`. */
  private async message(handle: number, body: Json, jsep?: { type: string; sdp: string }): Promise<PluginReply> {
    const reply = await JanusSignalling.call(this.socket, { janus: 'message', session_id: this.session, handle_id: handle, body, ...(jsep ? { jsep } : {}) });
    const data = (reply.plugindata?.data ?? {}) as Json;
    if (data.error_code !== undefined) throw new Error(`Janus VideoRoom ${String(body.request)}: ${String(data.error_code)} ${String(data.error)}`);
    return { data, ...(reply.jsep ? { jsep: reply.jsep as PluginReply['jsep'] } : {}) };
  }

  /** A Janus API request; `ackIsAnswer` for the requests Janus only acknowledges (trickle). */
  private static async call(socket: JsonSocket, message: Json, ackIsAnswer = false): Promise<Json> {
    const transaction = randomBytes(8).toString('hex');
    const reply = await socket.request(transaction, { ...message, transaction }, (m) => ackIsAnswer || m.janus !== 'ack');
    if (reply.janus === 'error') throw new Error(`Janus ${String(message.janus)}: ${JSON.stringify(reply.error)}`);
    return reply;
  }
}
