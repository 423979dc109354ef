/**
 * What the client needs from a server's signalling, whatever its protocol: rooms of one
 * publisher fanned out to subscribers. `janus.ts` speaks the VideoRoom plugin's API, `kurento.ts`
 * the Kurento Protocol.
 */
import WebSocket from 'ws';
import type { Publisher, Subscriber } from './peers.js';

/** Janus's VideoRoom API, or the Kurento Protocol (Kuroshio). */
export type Protocol = 'janus' | 'kurento';

export interface Room {
  /** Negotiates a subscriber and connects it to the room's publisher; resolves once connected. */
  subscribe(subscriber: Subscriber): Promise<void>;
}

export interface Signalling {
  /** Janus offers to subscribers; on Kurento the subscriber offers (processOffer). */
  readonly subscriberMakesOffer: boolean;
  /** Creates a room and negotiates its publisher; resolves once the publisher is connected. */
  createRoom(publisher: Publisher): Promise<Room>;
  /** Releases everything created on the server and closes the connection. */
  close(): Promise<void>;
}

/** A JSON message (the JSON boundary): each protocol module reads the fields it knows. */
export type Json = Record<string, any>;

const REQUEST_TIMEOUT_MS = 20_000;

/**
 * A WebSocket carrying JSON messages, where a request's reply is found by a key in the message
 * (JSON-RPC's `id`, Janus's `transaction`). Messages that answer no request go to `onOther`.
 */
export class JsonSocket {
  private readonly pending = new Map<string, { settle: (m: Json) => boolean; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  private constructor(
    private readonly socket: WebSocket,
    private readonly keyOf: (message: Json) => string | undefined,
    private readonly onOther: (message: Json) => void,
  ) {
    socket.on('message', (data) => this.receive(JSON.parse(data.toString()) as Json));
    socket.on('close', () => this.failAll(new Error('signalling connection closed')));
  }

  static open(url: string, protocol: string | undefined, keyOf: (m: Json) => string | undefined, onOther: (m: Json) => void): Promise<JsonSocket> {
    const socket = new WebSocket(url, protocol, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new JsonSocket(socket, keyOf, onOther)));
      socket.once('error', reject);
    });
  }

  /**
   * Sends a message and resolves with the first reply under its key that `isFinal` accepts
   * (Janus acknowledges asynchronous requests before it answers them).
   */
  request(key: string, message: Json, isFinal: (reply: Json) => boolean = () => true): Promise<Json> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms to ${JSON.stringify(message).slice(0, 200)}`));
      }, REQUEST_TIMEOUT_MS);
      const settle = (reply: Json): boolean => {
        if (!isFinal(reply)) return false;
        clearTimeout(timer);
        resolve(reply);
        return true;
      };
      this.pending.set(key, { settle, reject, timer });
      this.socket.send(JSON.stringify(message));
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => this.socket.once('close', resolve));
    this.socket.close();
    await closed;
  }

  private receive(message: Json): void {
    const key = this.keyOf(message);
    const waiting = key === undefined ? undefined : this.pending.get(key);
    if (waiting?.settle(message)) this.pending.delete(key!);
    else if (!waiting) this.onOther(message);
  }

  private failAll(error: Error): void {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(error);
    }
    this.pending.clear();
  }
}
