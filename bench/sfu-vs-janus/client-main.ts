/**
 * The bench's client process: every publisher and subscriber of a scenario, driven by the bench
 * over Node's IPC channel (`client-protocol.ts`). It runs on its own core, so what it costs is
 * not counted as the server's.
 */
import type { Command, Reply, Scenario, WindowReport } from './client-protocol.js';
import { JanusSignalling } from './janus.js';
import { KurentoSignalling } from './kurento.js';
import { PACKETS_PER_SECOND } from './load.js';
import { Publisher, Subscriber } from './peers.js';
import type { Protocol, Room, Signalling } from './signalling.js';
import { quantile } from './stats.js';
import { withTimeout } from './time.js';

/** Decrypted samples per second, all subscribers together: enough for a p99, cheap to take. */
const SAMPLES_PER_SECOND = 1_500;
/** Subscribers negotiated at once: quicker setup without a burst of DTLS handshakes. */
const SETUP_CONCURRENCY = 8;
const FIRST_PACKET_TIMEOUT_MS = 15_000;

interface RoomState {
  room: Room;
  publisher: Publisher;
  subscribers: Subscriber[];
}

class Client {
  private signalling: Signalling | undefined;
  private address = '127.0.0.1';
  private scenario: Scenario | undefined;
  private readonly rooms: RoomState[] = [];
  private readonly latencies: number[] = [];
  private windowStart = 0;
  /** Publisher counters at the start of the window. */
  private atStart = { sent: 0, keyframeRequests: 0, nacked: 0 };

  async publish(protocol: Protocol, url: string, address: string, scenario: Scenario): Promise<Reply> {
    this.scenario = scenario;
    this.address = address;
    this.signalling = protocol === 'janus' ? await JanusSignalling.connect(url) : await KurentoSignalling.connect(url);
    for (let i = 0; i < scenario.rooms; i++) {
      const publisher = new Publisher(this.address, scenario.simulcastOf !== undefined);
      const room = await this.signalling.createRoom(publisher);
      publisher.start();
      this.rooms.push({ room, publisher, subscribers: [] });
    }
    return { type: 'published' };
  }

  /** Adds every subscriber, and answers once each has received media. */
  async subscribe(): Promise<Reply> {
    const signalling = this.signalling!;
    const scenario = this.scenario!;
    const total = scenario.rooms * scenario.subscribersPerRoom;
    const perSecond = total * (PACKETS_PER_SECOND.video + PACKETS_PER_SECOND.audio);
    const sampleEvery = Math.max(1, Math.ceil(perSecond / SAMPLES_PER_SECOND));
    const started = performance.now();
    const jobs = this.rooms.flatMap((state) => Array.from({ length: scenario.subscribersPerRoom }, () => state));
    const next = async (): Promise<void> => {
      for (let state = jobs.shift(); state; state = jobs.shift()) {
        const subscriber = new Subscriber(this.address, sampleEvery, this.latencies, signalling.subscriberMakesOffer);
        state.subscribers.push(subscriber);
        await state.room.subscribe(subscriber);
      }
    };
    await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, next));
    const all = this.rooms.flatMap((r) => r.subscribers);
    await withTimeout(Promise.all(all.map((s) => s.receiving)), FIRST_PACKET_TIMEOUT_MS, 'not every subscriber received media');
    return { type: 'subscribed', setupSeconds: (performance.now() - started) / 1000 };
  }

  startWindow(): Reply {
    for (const s of this.subscribers()) s.resetWindow();
    this.latencies.length = 0;
    this.atStart = this.publisherCounters();
    this.windowStart = performance.now();
    return { type: 'window-started' };
  }

  stopWindow(): Reply {
    const seconds = (performance.now() - this.windowStart) / 1000;
    const now = this.publisherCounters();
    const report: WindowReport = {
      seconds,
      received: 0,
      expected: 0,
      duplicates: 0,
      published: now.sent - this.atStart.sent,
      nacked: now.nacked - this.atStart.nacked,
      sampled: 0,
      corrupt: 0,
      latencyP50: quantile(this.latencies, 0.5),
      latencyP99: quantile(this.latencies, 0.99),
      keyframeRequests: now.keyframeRequests - this.atStart.keyframeRequests,
    };
    for (const s of this.subscribers()) {
      const w = s.window();
      report.received += w.received;
      report.expected += w.expected;
      report.duplicates += w.duplicates;
      report.sampled += w.sampled;
      report.corrupt += w.corrupt;
    }
    return { type: 'window', report };
  }

  async teardown(): Promise<Reply> {
    try {
      await this.signalling?.close();
    } finally {
      await Promise.allSettled([...this.subscribers(), ...this.rooms.map((r) => r.publisher)].map((p) => p.close()));
    }
    return { type: 'closed' };
  }

  private subscribers(): Subscriber[] {
    return this.rooms.flatMap((r) => r.subscribers);
  }

  private publisherCounters(): { sent: number; keyframeRequests: number; nacked: number } {
    const sum = (of: (p: Publisher) => number): number => this.rooms.reduce((total, r) => total + of(r.publisher), 0);
    return { sent: sum((p) => p.sent), keyframeRequests: sum((p) => p.keyframeRequests), nacked: sum((p) => p.nacked) };
  }
}

const client = new Client();

async function handle(command: Command): Promise<Reply> {
  switch (command.type) {
    case 'publish':
      return client.publish(command.protocol, command.url, command.clientAddress, command.scenario);
    case 'subscribe':
      return client.subscribe();
    case 'window-start':
      return client.startWindow();
    case 'window-stop':
      return client.stopWindow();
    case 'teardown':
      return client.teardown();
  }
}

process.on('message', (command: Command) => {
  handle(command)
    .then((reply) => {
      process.send!(reply);
      if (reply.type === 'closed') process.disconnect();
    })
    .catch((err: Error) => process.send!({ type: 'error', message: err.stack ?? err.message } satisfies Reply));
});
// The bench going away (even killed) closes the channel: never outlive it.
process.on('disconnect', () => process.exit(0));
