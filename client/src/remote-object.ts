/**
 * The base of every generated class: one remote object (a pipeline, an endpoint...) known by its
 * id. Generated methods call `call()` with the operation's name and named parameters; what runs
 * the call is the object's executor: the client itself (sent at once), or a transaction (sent in
 * one batch at commit, see `transaction.ts`).
 */

/** A listener of one event type; the generated classes type the event per class. */
export type EventListener = (event: never) => void;

export interface Subscription {
  /** The server's id of the subscription. */
  readonly id: string;
  unsubscribe(): Promise<void>;
}

/** How a result is turned back into values: as it is, or as the remote object(s) its id(s) name. */
export type Returns = 'value' | 'object' | 'objects';

/** Runs operations on remote objects: the client, or a transaction. */
export interface Executor {
  invoke(target: RemoteObject, operation: string, params: Record<string, unknown>, returns: Returns): Promise<unknown>;
  release(target: RemoteObject): Promise<void>;
}

/** What objects need of their client besides running operations. */
export interface ObjectHome {
  subscribe(target: RemoteObject, event: string, listener: (event: unknown) => void): Promise<Subscription>;
}

export class RemoteObject {
  /** The API class this generated class stands for. */
  static readonly className: string = 'RemoteObject';
  /** Where its operations go; a transaction's view of the object replaces it (`Transaction.with`). */
  protected executor: Executor;
  private objectId: string | undefined;

  constructor(
    protected readonly home: ObjectHome & Executor,
    id: string | undefined,
  ) {
    this.executor = home;
    this.objectId = id;
  }

  /** The object's id on the server. An object created in a transaction has it once the transaction commits. */
  get id(): string {
    if (this.objectId === undefined) throw new Error('this object was created in a transaction that has not committed yet');
    return this.objectId;
  }

  get hasId(): boolean {
    return this.objectId !== undefined;
  }

  /** Sets the id of an object created in a transaction, at commit. */
  assignId(id: string): void {
    this.objectId = id;
  }

  /** A copy of this object whose operations run on another executor (a transaction). */
  withExecutor(executor: Executor): this {
    const view = Object.create(this) as this;
    Object.defineProperty(view, 'executor', { value: executor });
    return view;
  }

  /** Releases the object (and, for a pipeline, everything in it). */
  release(): Promise<void> {
    return this.executor.release(this);
  }

  /** Subscribes to an event; the generated classes' `on` narrows the names and the event types. */
  protected subscribeTo(event: string, listener: (event: unknown) => void): Promise<Subscription> {
    return this.home.subscribe(this, event, listener);
  }

  protected call<T>(operation: string, params: Record<string, unknown>, returns: Returns = 'value'): Promise<T> {
    return this.executor.invoke(this, operation, params, returns) as Promise<T>;
  }
}
