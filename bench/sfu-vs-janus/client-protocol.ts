/**
 * Messages between the bench (which measures the server) and its client process (which hosts
 * every publisher and subscriber, on another core). One command at a time, each answered once.
 */
import type { Protocol } from './signalling.js';

export interface Scenario {
  label: string;
  rooms: number;
  subscribersPerRoom: number;
  /**
   * Publishers send three simulcast layers (the top one the usual load); the label of the
   * single-layer scenario whose figures this one is compared with.
   */
  simulcastOf?: string;
}

export type Command =
  | { type: 'publish'; protocol: Protocol; url: string; clientAddress: string; scenario: Scenario }
  | { type: 'subscribe' }
  | { type: 'window-start' }
  | { type: 'window-stop' }
  | { type: 'teardown' };

/** What every subscriber of the client received in one measurement window, summed. */
export interface WindowReport {
  seconds: number;
  /** Distinct packets received (see WindowCounts). */
  received: number;
  expected: number;
  duplicates: number;
  /** Packets the publishers sent during the window, all rooms together, and resent on NACK. */
  published: number;
  nacked: number;
  sampled: number;
  corrupt: number;
  /** Send → receive delay of the sampled packets, ms. */
  latencyP50: number;
  latencyP99: number;
  keyframeRequests: number;
}

export type Reply =
  | { type: 'published' }
  | { type: 'subscribed'; setupSeconds: number }
  | { type: 'window-started' }
  | { type: 'window'; report: WindowReport }
  | { type: 'closed' }
  | { type: 'error'; message: string };
