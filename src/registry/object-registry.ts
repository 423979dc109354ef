/**
 * Every live remote object, and which sessions hold it — Kurento's reference model.
 *
 * Any session that creates or touches an object (and therefore its ancestors) holds it. An
 * object dies when no session holds it any more: when it is released (every session lets go),
 * when its parent dies, or when the last session holding it is closed or garbage-collected.
 * Children made later are held by every session that holds their parent.
 */
import { KurentoError } from '../errors.js';
import { TypedEmitter } from '../typed-emitter.js';
import { RemoteObject } from './remote-object.js';

const NEW_REF = 'newref:';

export interface ObjectRegistryEvents {
  /** An object died; `dead` lists it and its descendants, children first. */
  released: [dead: RemoteObject[]];
}

export class ObjectRegistry extends TypedEmitter<ObjectRegistryEvents> {
  private readonly objects = new Map<string, RemoteObject>();
  private readonly sessionObjects = new Map<string, Set<RemoteObject>>();

  constructor(private readonly permanent: RemoteObject) {
    super();
    this.objects.set(permanent.id, permanent);
  }

  get size(): number {
    return this.objects.size;
  }

  /** Registers a new object held by `sessionId` (and by every session that holds its parent). */
  add(object: RemoteObject, sessionId: string): void {
    this.objects.set(object.id, object);
    object.parent?.children.add(object);
    if (object.parent) for (const s of object.parent.sessions) this.ref(s, object);
    this.ref(sessionId, object);
  }

  /** Looks an object up without touching any session. */
  find(id: string): RemoteObject | undefined {
    return this.objects.get(id);
  }

  /** Looks an object up, failing as KMS does for unknown ids and uncommitted transaction refs. */
  get(id: string): RemoteObject {
    if (id.startsWith(NEW_REF) && id.length > NEW_REF.length) {
      throw new KurentoError(
        'MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT',
        `Object '${id}' not found. Possibly using a transactional object without committing the transaction.`,
      );
    }
    const found = this.objects.get(id);
    if (!found || found.released) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${id}' not found`);
    return found;
  }

  /** Looks an object up on behalf of a session, which from now on holds it. */
  acquire(sessionId: string, id: string): RemoteObject {
    const found = this.get(id);
    this.ref(sessionId, found);
    return found;
  }

  /** Makes a session hold an object and its ancestors. */
  ref(sessionId: string, object: RemoteObject): void {
    if (object === this.permanent) return;
    for (let o: RemoteObject | undefined = object; o; o = o.parent) {
      o.sessions.add(sessionId);
      let set = this.sessionObjects.get(sessionId);
      if (!set) {
        set = new Set();
        this.sessionObjects.set(sessionId, set);
      }
      set.add(o);
    }
  }

  /** A session lets go of an object and its descendants; those no session holds any more die. */
  unref(sessionId: string, object: RemoteObject): void {
    // No session holds the ServerManager: letting go of it must not make it look abandoned.
    if (object === this.permanent) return;
    const dead = new Set<RemoteObject>();
    this.unrefInto(sessionId, object, dead);
    this.bury(dead);
  }

  /** Every session lets go: the object and its descendants die. Unknown ids are not an error. */
  release(object: RemoteObject): void {
    if (object === this.permanent || object.released) return;
    const dead = new Set<RemoteObject>();
    for (const sessionId of [...object.sessions]) this.unrefInto(sessionId, object, dead);
    // An object no session holds any more (its sessions all went away) still dies when released.
    dead.add(object);
    this.bury(dead);
  }

  /** The session lets go of everything it holds (closeSession, garbage collection). */
  unrefSession(sessionId: string): void {
    const held = this.sessionObjects.get(sessionId);
    if (!held) return;
    const dead = new Set<RemoteObject>();
    for (const object of [...held]) if (!object.released) this.unrefInto(sessionId, object, dead);
    this.sessionObjects.delete(sessionId);
    this.bury(dead);
  }

  /** Releases everything the session holds, even objects other sessions hold too. */
  releaseSession(sessionId: string): void {
    const held = this.sessionObjects.get(sessionId);
    if (!held) return;
    for (const object of [...held]) this.release(object);
    this.sessionObjects.delete(sessionId);
  }

  /** Objects held by a session (for tests and `getSessions`). */
  heldBy(sessionId: string): RemoteObject[] {
    return [...(this.sessionObjects.get(sessionId) ?? [])];
  }

  sessionIds(): string[] {
    return [...this.sessionObjects.keys()];
  }

  all(): RemoteObject[] {
    return [...this.objects.values()];
  }

  private unrefInto(sessionId: string, object: RemoteObject, dead: Set<RemoteObject>): void {
    for (const child of [...object.children]) this.unrefInto(sessionId, child, dead);
    object.sessions.delete(sessionId);
    this.sessionObjects.get(sessionId)?.delete(object);
    if (object.sessions.size === 0 && !object.released) dead.add(object);
  }

  /** Removes dead objects (children first) and announces them. */
  private bury(dead: Set<RemoteObject>): void {
    if (dead.size === 0) return;
    // A parent that dies takes its children along, whoever still held them.
    const all = new Set<RemoteObject>();
    for (const o of dead) for (const d of o.descendantsFirst()) all.add(d);
    for (const o of all) {
      o.released = true;
      this.objects.delete(o.id);
      o.parent?.children.delete(o);
      for (const s of o.sessions) this.sessionObjects.get(s)?.delete(o);
      o.sessions.clear();
    }
    this.emit('released', [...all]);
  }
}
