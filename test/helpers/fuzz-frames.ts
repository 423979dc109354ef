/**
 * The frames of the protocol fuzz (`protocol-fuzz.ts`), from a seeded generator: the same seed
 * and API make the same frames. About half are requests as an application would send them, for
 * every method and operation, with values of the declared types; the rest mutate them: values of
 * other types, broken envelopes, text that is not JSON, binary frames, huge strings, unicode,
 * deep nesting.
 */

import { seededRandom } from './seeded-random.js';

/** A class as `getKmd` describes it. */
export interface KmdClass {
  name: string;
  abstract?: boolean;
  constructor?: { params: KmdParam[] };
  methods: { name: string; params: KmdParam[] }[];
  properties: { name: string; type: string; readonly?: boolean; final?: boolean }[];
  events?: string[];
}

export interface KmdParam {
  name: string;
  type: string;
  optional?: boolean;
}

export interface FuzzApi {
  classes: KmdClass[];
  types: Map<string, { typeFormat: string; values?: string[]; properties?: KmdParam[] }>;
}

/** The objects the fuzz aims at: a pipeline and elements in it (made by a client of its own). */
export interface FuzzTargets {
  pipeline: string;
  elements: string[];
}

export interface FuzzFrame {
  data: string | Buffer;
  /** The id of a request whose answer is awaited (a well-formed envelope with an id of ours). */
  trackId?: string;
  boundMs: number;
}

const METHODS = ['ping', 'connect', 'create', 'describe', 'invoke', 'subscribe', 'unsubscribe', 'release', 'ref', 'unref', 'keepAlive', 'closeSession', 'transaction'];

const STRINGS = ['', 'a', 'null', 'newref:0', 'newref:x', 'manager_ServerManager', '../../etc/passwd', 'file:///tmp/../x', '\u0000', '\ud800', '😀'.repeat(50), 'ü'.repeat(300), '%00%2F', '{"a":1}'];
const NUMBERS = [0, -1, 1, 0.5, -0.0, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 53, 1e308, -1e308, 4294967295];

export class FrameMaker {
  private readonly rand: () => number;
  private count = 0;
  private readonly sessions: string[] = [];

  constructor(
    seed: number,
    private readonly api: FuzzApi,
    private readonly targets: () => FuzzTargets,
  ) {
    this.rand = seededRandom(seed);
  }

  private int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  private chance(p: number): boolean {
    return this.rand() < p;
  }

  /** Any JSON value, of any type; `depth` bounds nesting. */
  private anyValue(depth = 2): unknown {
    switch (this.int(depth > 0 ? 8 : 6)) {
      case 0: return null;
      case 1: return this.chance(0.5);
      case 2: return this.pick(NUMBERS);
      case 3: return this.pick(STRINGS);
      case 4: return this.objectId();
      case 5: return this.int(1000);
      case 6: return Array.from({ length: this.int(4) }, () => this.anyValue(depth - 1));
      default: return Object.fromEntries(Array.from({ length: this.int(4) }, (_, i) => [this.pick(['a', 'type', 'sessionId', 'object', `k${i}`]), this.anyValue(depth - 1)]));
    }
  }

  private objectId(): string {
    const t = this.targets();
    const known = ['manager_ServerManager', t.pipeline, ...t.elements];
    if (this.chance(0.85)) return this.pick(known);
    return this.pick([`${t.pipeline}/nope_kurento.PassThrough`, 'newref:0', '', 'x'.repeat(200), `${this.pick(known)}\u0000`]);
  }

  /** A value of a declared type; mutated into another type now and then. */
  private valueOf(type: string, depth = 3): unknown {
    if (this.chance(0.1) || depth <= 0) return this.anyValue(1);
    if (type.endsWith('[]')) return Array.from({ length: this.int(3) }, () => this.valueOf(type.slice(0, -2), depth - 1));
    if (type.endsWith('<>')) return { [this.pick(['k', ''])]: this.valueOf(type.slice(0, -2), depth - 1) };
    switch (type) {
      case 'String': return this.pick(STRINGS);
      case 'boolean': return this.chance(0.5);
      case 'int': case 'int64': return this.chance(0.7) ? this.int(1000) : this.pick(NUMBERS);
      case 'float': case 'double': return this.chance(0.7) ? this.rand() * 100 : this.pick(NUMBERS);
    }
    const complex = this.api.types.get(type);
    if (complex?.typeFormat === 'ENUM') return this.chance(0.9) ? this.pick(complex.values ?? ['']) : 'NOT_A_VALUE';
    if (complex) {
      return Object.fromEntries((complex.properties ?? []).filter((p) => !p.optional || this.chance(0.5)).map((p) => [p.name, this.valueOf(p.type, depth - 1)]));
    }
    return this.objectId(); // a remote class: an object reference
  }

  private paramsOf(params: readonly KmdParam[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const p of params) if (!(p.optional && this.chance(0.5)) && !this.chance(0.05)) out[p.name] = this.valueOf(p.type);
    if (this.chance(0.05)) out[this.pick(['extra', 'sessionId', '__proto__'])] = this.anyValue();
    return out;
  }

  private sessionId(): string | undefined {
    if (this.sessions.length === 0 || this.chance(0.2)) this.sessions.push(`fuzz-session-${this.int(8)}`);
    return this.chance(0.7) ? undefined : this.pick(this.sessions);
  }

  /** The params of a request for one of the Kurento methods, mostly as an application sends them. */
  private requestParams(method: string): unknown {
    const sessionId = this.sessionId();
    const withSession = (p: Record<string, unknown>): Record<string, unknown> => (sessionId === undefined ? p : { ...p, sessionId });
    switch (method) {
      case 'create': {
        const cls = this.pick(this.api.classes);
        const type = this.chance(0.95) ? cls.name : this.pick(STRINGS);
        const ctor = this.paramsOf(cls.constructor?.params ?? []);
        if ('mediaPipeline' in ctor && this.chance(0.8)) ctor.mediaPipeline = this.targets().pipeline;
        // Recordings would write wherever a fuzzed URI points: keep them in the temporary folder.
        if (cls.name === 'RecorderEndpoint') ctor.uri = `file:///tmp/kuroshio-fuzz-${this.int(4)}.webm`;
        return withSession({ type, constructorParams: ctor, properties: this.chance(0.1) ? this.anyValue() : {} });
      }
      case 'invoke': {
        const cls = this.pick(this.api.classes);
        const operations = [
          ...cls.methods.map((m) => ({ name: m.name, params: m.params })),
          ...cls.properties.map((p) => ({ name: `get${p.name[0]!.toUpperCase()}${p.name.slice(1)}`, params: [] as KmdParam[] })),
          ...cls.properties.filter((p) => !p.readonly).map((p) => ({ name: `set${p.name[0]!.toUpperCase()}${p.name.slice(1)}`, params: [{ name: p.name, type: p.type }] })),
        ];
        if (operations.length === 0) return withSession({ object: this.objectId(), operation: 'getName' });
        const op = this.pick(operations);
        return withSession({ object: this.objectId(), operation: op.name, operationParams: this.paramsOf(op.params) });
      }
      case 'subscribe': {
        const events = this.api.classes.flatMap((c) => c.events ?? []);
        return withSession({ object: this.objectId(), type: this.chance(0.9) && events.length > 0 ? this.pick(events) : this.pick(STRINGS) });
      }
      case 'unsubscribe': return withSession({ object: this.objectId(), subscription: this.pick(STRINGS) });
      case 'describe': case 'ref': case 'unref': return withSession({ object: this.objectId() });
      // Releasing the targets would leave little to fuzz: release what does not exist, mostly.
      case 'release': return withSession({ object: this.chance(0.9) ? `${this.targets().pipeline}/gone_kurento.PassThrough` : this.objectId() });
      case 'closeSession': return withSession({ release: this.chance(0.1) });
      case 'transaction': {
        const operations = Array.from({ length: this.int(5) }, (_, i) => {
          const m = this.pick(['create', 'invoke', 'describe', 'subscribe', 'release']);
          return { jsonrpc: '2.0', id: this.chance(0.9) ? i : this.anyValue(0), method: m, params: this.requestParams(m) };
        });
        return withSession({ operations });
      }
      default: return this.chance(0.5) ? withSession({}) : undefined;
    }
  }

  /** The next frame. `boundMs`: how long its answer may take. */
  next(boundMs: number): FuzzFrame {
    const id = `fuzz-${this.count++}`;
    const kind = this.rand();
    if (kind < 0.6) {
      // A well-formed envelope: answered under our id.
      const method = this.chance(0.97) ? this.pick(METHODS) : this.pick(STRINGS);
      const params = this.requestParams(method);
      const message = { jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) };
      const interval = (params as { operation?: string; operationParams?: { interval?: unknown } } | undefined)?.operation === 'getUsedCpu'
        ? Number((params as { operationParams?: { interval?: unknown } }).operationParams?.interval)
        : 0;
      // getUsedCpu measures over the interval it is given (60 s at most): its answer takes that long.
      const extra = Number.isFinite(interval) && interval > 0 && interval <= 60_000 ? interval : 0;
      return { data: JSON.stringify(message), trackId: id, boundMs: boundMs + extra };
    }
    if (kind < 0.75) return { data: JSON.stringify(this.brokenEnvelope(id)), boundMs };
    return { data: this.brokenText(id), boundMs };
  }

  private brokenEnvelope(id: string): unknown {
    const method = this.pick(METHODS);
    switch (this.int(8)) {
      case 0: return { id, method, params: this.requestParams(method) };
      case 1: return { jsonrpc: '1.0', id, method };
      case 2: return { jsonrpc: '2.0', id: this.anyValue(2), method };
      case 3: return { jsonrpc: '2.0', id, method: this.anyValue(1) };
      case 4: return { jsonrpc: '2.0', id, method, params: this.anyValue(3) };
      case 5: return [{ jsonrpc: '2.0', id, method }];
      case 6: return { jsonrpc: '2.0', method, params: this.requestParams(method) }; // a notification
      default: return this.anyValue(3);
    }
  }

  private brokenText(id: string): string | Buffer {
    const valid = JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });
    switch (this.int(9)) {
      case 0: return valid.slice(0, this.int(valid.length));
      case 1: return Buffer.from(Array.from({ length: 1 + this.int(200) }, () => this.int(256)));
      case 2: return Buffer.from(valid);
      case 3: return '';
      case 4: {
        const depth = 10 + this.int(2000);
        return `{"jsonrpc":"2.0","id":"${id}","method":"ping","params":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
      }
      case 5: return `{"jsonrpc":"2.0","id":"${id}","method":"create","params":{"type":"${'A'.repeat(this.int(3) === 0 ? 3_000_000 : 100_000)}"}}`;
      case 6: return `{"jsonrpc":"2.0","id":"${id}","method":"ping","params":{"sessionId":"\\ud800\\udfff\\u0000${'\u{1F600}'.repeat(1000)}"}}`;
      case 7: return '{"jsonrpc":"2.0","id":1e999,"method":"ping","jsonrpc":"2.0","params":{"a":-0,"b":1E400}}';
      default: return valid.replace(/"/g, this.pick(["'", '', '\\"']));
    }
  }
}
