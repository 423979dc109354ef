/**
 * What the filter examples share (magic-mirror, chroma, crowddetector, platedetector,
 * pointerdetector), as Kurento's tutorials build them: the browser's camera goes to a
 * WebRtcEndpoint, through one filter, and back to the same endpoint; the filter's events are
 * forwarded to the page (`{type: 'event', event, data}`), and the page's buttons can call the
 * filter (`{type: 'action', action}`).
 */
import type { ModuleSpec } from '../../src/api/spec.js';
import { candidateField, runExample, stringField, type Browser } from './app-server.js';
import { BrowserLeg } from './browser-leg.js';
import { MediaServerConnection, registerModule, type MediaElement, type MediaPipeline, type WebRtcEndpoint } from './kurento.js';

export interface FilterExample {
  name: string;
  staticDir: URL;
  /** Plugin modules whose client classes the filter needs (Kurento's example modules). */
  modules?: readonly ModuleSpec[];
  /** Creates the filter in the pipeline and sets it up; `browser.pageUrl` serves the example's images. */
  makeFilter(pipeline: MediaPipeline, browser: Browser): Promise<MediaElement>;
  /** Events of the filter shown on the page. */
  events: readonly string[];
  /** What the page's action buttons do. */
  actions?: Record<string, (filter: MediaElement) => Promise<unknown>>;
}

export async function runFilterExample(example: FilterExample): Promise<void> {
  for (const module of example.modules ?? []) registerModule(module);
  await runExample({
    name: example.name,
    staticDir: example.staticDir,
    // The official kurento-client: Kurento's example modules need its registered client classes.
    openMedia: (wsUri, log) => new MediaServerConnection(wsUri, log),
    connect(browser, media) {
      const leg = new BrowserLeg<WebRtcEndpoint>(browser);
      let pipeline: MediaPipeline | undefined;
      let filter: MediaElement | undefined;

      const stop = async (): Promise<void> => {
        const released = pipeline;
        pipeline = undefined;
        filter = undefined;
        leg.reset();
        await released?.release();
      };

      return {
        messages: {
          async start(message) {
            const sdpOffer = stringField(message, 'sdpOffer');
            await stop();
            pipeline = await media.createPipeline();
            try {
              const created = await pipeline.createWebRtcEndpoint();
              const endpoint = await leg.open(created, (listener) => created.onIceCandidate(listener));
              filter = await example.makeFilter(pipeline, browser);
              for (const event of example.events) filter.on(event, (data) => browser.send({ type: 'event', event, data }));
              await endpoint.connect(filter);
              await filter.connect(endpoint);
              await leg.negotiate(sdpOffer);
              browser.log(`${example.name} running`);
            } catch (err) {
              await stop();
              throw err;
            }
          },
          async action(message) {
            const name = stringField(message, 'action');
            const act = example.actions?.[name];
            if (!act) throw new Error(`unknown action '${name}'`);
            if (!filter) throw new Error('start first');
            await act(filter);
          },
          iceCandidate: (message) => leg.addRemoteCandidate(candidateField(message)),
          stop,
        },
        closed: stop,
      };
    },
  });
}
