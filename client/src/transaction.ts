/**
 * Transactions: several operations sent in one `transaction` request, run by the server in order
 * and stopped at the first failure. Objects created in the transaction are usable in it at once
 * (the server receives `newref:<n>` for them) and get their ids at commit. Every operation's
 * promise settles at commit: with its result, its error, or, for operations after a failure,
 * an error saying it was not executed.
 *
 *     const tx = client.beginTransaction();
 *     const pipeline = tx.create('MediaPipeline');
 *     const endpoint = tx.create('WebRtcEndpoint', { mediaPipeline: pipeline });
 *     const connected = tx.with(endpoint).connect(endpoint);
 *     await tx.commit();
 */
import { KurentoError } from './errors.js';
import type { Executor, RemoteObject, Returns } from './remote-object.js';

interface Operation {
  method: string;
  params: Record<string, unknown>;
  settle: (response: { result?: { value?: unknown }; error?: { code: number; message: string; data?: unknown } } | undefined) => Promise<void>;
}

/** What a transaction needs of the client. */
export interface TransactionHost {
  encode(value: unknown, ref: (object: RemoteObject) => string): unknown;
  decode(value: unknown, returns: Returns): Promise<unknown>;
  construct(type: string, id: string | undefined): RemoteObject;
  /** An object created in the transaction got its id at commit. */
  adopt(object: RemoteObject): void;
  send(operations: { jsonrpc: '2.0'; id: number; method: string; params: Record<string, unknown> }[]): Promise<unknown[]>;
}

export class TransactionCore implements Executor {
  private readonly operations: Operation[] = [];
  /** Objects created in this transaction, by the index of their `create`. */
  private readonly created = new Map<RemoteObject, number>();
  private committed = false;

  constructor(private readonly host: TransactionHost) {}

  /** Queues a `create`; the object is usable in this transaction now, and everywhere after commit. */
  createObject(type: string, params: Record<string, unknown>): RemoteObject {
    const object = this.host.construct(type, undefined);
    const index = this.operations.length;
    this.created.set(object, index);
    this.queue('create', () => ({ type, constructorParams: this.encode(params), properties: {} }), async (value) => {
      object.assignId(value as string);
      this.host.adopt(object);
    });
    return object;
  }

  invoke(target: RemoteObject, operation: string, params: Record<string, unknown>, returns: Returns): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue(
        'invoke',
        () => ({ object: this.ref(target), operation, operationParams: this.encode(params) }),
        async (value) => resolve(await this.host.decode(value, returns)),
        reject,
      );
    });
  }

  release(target: RemoteObject): Promise<void> {
    return new Promise((resolve, reject) => this.queue('release', () => ({ object: this.ref(target) }), async () => resolve(), reject));
  }

  /** Sends every queued operation in one request; rejects with the first failure. */
  async commit(): Promise<void> {
    if (this.committed) throw new Error('this transaction was already committed');
    this.committed = true;
    const operations = this.operations.map((op, id) => ({ jsonrpc: '2.0' as const, id, method: op.method, params: op.params }));
    let responses: unknown[];
    try {
      responses = await this.host.send(operations);
    } catch (err) {
      for (const op of this.operations) await op.settle({ error: { code: -32603, message: (err as Error).message } });
      throw err;
    }
    let failure: KurentoError | undefined;
    for (let i = 0; i < this.operations.length; i++) {
      const response = responses[i] as Parameters<Operation['settle']>[0];
      if (response?.error && !failure) failure = KurentoError.fromBody(response.error);
      await this.operations[i]!.settle(response);
    }
    if (failure) throw failure;
  }

  private queue(method: string, params: () => Record<string, unknown>, onValue: (value: unknown) => Promise<void>, onError: (err: Error) => void = () => undefined): void {
    if (this.committed) throw new Error('this transaction was already committed');
    const op: Operation = {
      method,
      params: {},
      settle: async (response) => {
        if (!response) onError(new Error(`${method} was not executed: an earlier operation of the transaction failed`));
        else if (response.error) onError(KurentoError.fromBody(response.error));
        else await onValue(response.result?.value ?? null).catch(onError);
      },
    };
    // Encoded now (objects created earlier in the transaction are known by index): a later change
    // to the arguments does not change what was asked.
    op.params = params();
    this.operations.push(op);
  }

  private ref(object: RemoteObject): string {
    const index = this.created.get(object) ?? this.created.get(Object.getPrototypeOf(object) as RemoteObject);
    if (index !== undefined) return `newref:${index}`;
    return object.id;
  }

  private encode(value: Record<string, unknown>): Record<string, unknown> {
    return this.host.encode(value, (o) => this.ref(o)) as Record<string, unknown>;
  }
}
