/**
 * The media server through kuroshio-client, the typed client generated from Kuroshio's API
 * description: one session, opened on first use. The client reconnects by itself after a drop
 * and resumes the session; if the media server cannot be reached at all, the request at hand
 * fails (and the next one tries again), not the application.
 */
import { KurentoClient, type MediaPipeline, type WebRtcEndpoint } from 'kuroshio-client';
import type { CandidateSource } from './browser-leg.js';

export class KuroshioConnection {
  private client: Promise<KurentoClient> | undefined;

  constructor(
    readonly wsUri: string,
    private readonly log: (message: string) => void = console.log,
  ) {}

  private connect(): Promise<KurentoClient> {
    const attempt = KurentoClient.connect(this.wsUri).then(
      (client) => {
        client.on('disconnected', () => this.log(`lost the media server at ${this.wsUri}; reconnecting`));
        client.on('reconnected', ({ sameSession }) => this.log(sameSession ? 'media server back, same session' : 'media server restarted: earlier calls are gone'));
        return client;
      },
      (err: Error) => {
        this.client = undefined;
        throw new Error(`cannot reach the media server at ${this.wsUri}: ${err.message}`);
      },
    );
    return attempt;
  }

  async createPipeline(): Promise<MediaPipeline> {
    this.client ??= this.connect();
    return (await this.client).create('MediaPipeline');
  }

  async createWebRtcEndpoint(pipeline: MediaPipeline): Promise<WebRtcEndpoint> {
    this.client ??= this.connect();
    return (await this.client).create('WebRtcEndpoint', { mediaPipeline: pipeline });
  }

  close(): void {
    this.client?.then((c) => c.close(), () => undefined);
    this.client = undefined;
  }
}

/** The endpoint's candidates, for a BrowserLeg: typed `IceCandidateFound` events. */
export function candidatesOf(endpoint: WebRtcEndpoint): CandidateSource {
  return (listener) => endpoint.on('IceCandidateFound', (event) => listener(event.candidate));
}
