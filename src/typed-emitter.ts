/**
 * A small typed event emitter. Listeners that throw are logged and do not stop the others, nor
 * the code that emitted (mediasoup's `safeEmit` idea): one bad listener must not break a server.
 */

type Listener<Args extends unknown[]> = (...args: Args) => void;
// Listeners are stored type-erased; `on`/`emit` keep the event-to-arguments mapping typed.
type AnyListener = (...args: unknown[]) => void;

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<AnyListener>>();

  constructor(private readonly onListenerError: (err: unknown, event: string) => void = defaultListenerError) {}

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as unknown as AnyListener);
    return this;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    this.listeners.get(event)?.delete(listener as unknown as AnyListener);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const wrapper = (...args: Events[K]): void => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    // Media events fire per packet: iterate the set itself (a Set tolerates removal during
    // iteration) instead of copying it on every emit.
    for (const listener of set) {
      try {
        listener(...args);
      } catch (err) {
        this.onListenerError(err, String(event));
      }
    }
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}

function defaultListenerError(err: unknown, event: string): void {
  process.stderr.write(`listener of '${event}' threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}
