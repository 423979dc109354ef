/**
 * Sessions: who the client is across connections, which connection gets its events, which events
 * it subscribed to, and when it is considered gone.
 *
 * Ids are chosen by the server, but an unknown id a client presents is adopted (KMS does this so a
 * client that lost its session keeps working). A session is "in use" when a request touched it
 * since the last garbage-collection pass or while its connection is open; a pass that finds a
 * session idle drops it, and its objects go with it unless another session holds them.
 */
import { randomUUID } from 'node:crypto';
import { KurentoError } from '../errors.js';

/** The part of a client connection the session layer needs. */
export interface ClientConnection {
  readonly isOpen: boolean;
  notify(message: object): void;
}

export interface Subscription {
  readonly id: string;
  readonly objectId: string;
  readonly eventType: string;
}

export class Session {
  inUse = true;
  connection: ClientConnection | undefined;
  /** Subscriptions by object id, then by subscription id. */
  readonly subscriptions = new Map<string, Map<string, Subscription>>();

  constructor(readonly id: string) {}

  isSubscribed(objectId: string, eventType: string): boolean {
    const forObject = this.subscriptions.get(objectId);
    if (!forObject) return false;
    for (const s of forObject.values()) if (s.eventType === eventType) return true;
    return false;
  }
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  /** The session each connection was last bound to. */
  private readonly boundSession = new WeakMap<ClientConnection, string>();
  /** Which sessions subscribed to something on an object, for event fan-out. */
  private readonly subscribersByObject = new Map<string, Set<Session>>();

  static newId(): string {
    return randomUUID();
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** The session with this id, created (adopted) if unknown, and marked in use. */
  touch(id: string): Session {
    let session = this.sessions.get(id);
    if (!session) {
      session = new Session(id);
      this.sessions.set(id, session);
    }
    session.inUse = true;
    return session;
  }

  /** Marks a known session in use; an unknown one is INVALID_SESSION (connect, keepAlive). */
  keepAlive(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new KurentoError('INVALID_SESSION', 'Invalid session');
    session.inUse = true;
    return session;
  }

  /**
   * Binds a connection to a session: the session's events go there from now on. As in KMS, a
   * connection carries one session at a time, so the session it carried before (if another)
   * is left without a connection and its events are dropped until something binds it again.
   */
  bind(id: string, connection: ClientConnection): void {
    const previous = this.boundSession.get(connection);
    if (previous !== undefined && previous !== id) {
      const old = this.sessions.get(previous);
      if (old?.connection === connection) old.connection = undefined;
    }
    this.boundSession.set(connection, id);
    const session = this.sessions.get(id);
    if (session) session.connection = connection;
  }

  subscribe(session: Session, objectId: string, eventType: string): Subscription {
    const subscription: Subscription = { id: randomUUID(), objectId, eventType };
    let forObject = session.subscriptions.get(objectId);
    if (!forObject) {
      forObject = new Map();
      session.subscriptions.set(objectId, forObject);
    }
    forObject.set(subscription.id, subscription);
    let subscribers = this.subscribersByObject.get(objectId);
    if (!subscribers) {
      subscribers = new Set();
      this.subscribersByObject.set(objectId, subscribers);
    }
    subscribers.add(session);
    return subscription;
  }

  /** Unknown subscriptions are ignored, as KMS does. */
  unsubscribe(sessionId: string, objectId: string, subscriptionId: string): void {
    const session = this.sessions.get(sessionId);
    const forObject = session?.subscriptions.get(objectId);
    if (!session || !forObject) return;
    forObject.delete(subscriptionId);
    if (forObject.size === 0) this.dropObjectFor(session, objectId);
  }

  /** Sessions that subscribed to `eventType` on the object: each gets the event once. */
  subscribers(objectId: string, eventType: string): Session[] {
    const candidates = this.subscribersByObject.get(objectId);
    if (!candidates) return [];
    return [...candidates].filter((s) => s.isSubscribed(objectId, eventType));
  }

  /** Forgets every subscription on a dead object. */
  forgetObject(objectId: string): void {
    const candidates = this.subscribersByObject.get(objectId);
    if (!candidates) return;
    for (const session of candidates) session.subscriptions.delete(objectId);
    this.subscribersByObject.delete(objectId);
  }

  /** Forgets a session's subscriptions to one object (the session let go of it). */
  dropObjectFor(session: Session, objectId: string): void {
    session.subscriptions.delete(objectId);
    const subscribers = this.subscribersByObject.get(objectId);
    subscribers?.delete(session);
    if (subscribers?.size === 0) this.subscribersByObject.delete(objectId);
  }

  remove(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    for (const objectId of [...session.subscriptions.keys()]) this.dropObjectFor(session, objectId);
    this.sessions.delete(id);
  }

  /**
   * One garbage-collection pass: returns the sessions found idle (the caller drops them and
   * their objects) and clears the in-use mark of the others. An open connection keeps its
   * session in use, as KMS's keep-alive thread does.
   */
  collectIdle(): string[] {
    const idle: string[] = [];
    for (const session of this.sessions.values()) {
      if (session.connection?.isOpen) session.inUse = true;
      if (session.inUse) session.inUse = false;
      else idle.push(session.id);
    }
    return idle;
  }

  ids(): string[] {
    return [...this.sessions.keys()];
  }

  get size(): number {
    return this.sessions.size;
  }
}
