/**
 * Hello world: the browser sends its camera to the media server, which sends it straight back
 * (a WebRtcEndpoint connected to itself). One pipeline per browser connection.
 *
 *   node dist/examples/hello-world/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 */
import type { MediaPipeline, WebRtcEndpoint } from 'kuroshio-client';
import { candidateField, runExample, stringField } from '../common/app-server.js';
import { BrowserLeg } from '../common/browser-leg.js';
import { KuroshioConnection, candidatesOf } from '../common/kuroshio.js';

await runExample({
  name: 'hello-world',
  staticDir: new URL('./static/', import.meta.url),
  openMedia: (wsUri, log) => new KuroshioConnection(wsUri, log),
  connect(browser, media) {
    const leg = new BrowserLeg<WebRtcEndpoint>(browser);
    let pipeline: MediaPipeline | undefined;

    const stop = async (): Promise<void> => {
      const released = pipeline;
      pipeline = undefined;
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
            const created = await media.createWebRtcEndpoint(pipeline);
            const endpoint = await leg.open(created, candidatesOf(created));
            await endpoint.connect(endpoint);
            await leg.negotiate(sdpOffer);
            browser.log('loopback running');
          } catch (err) {
            await stop();
            throw err;
          }
        },
        iceCandidate: (message) => leg.addRemoteCandidate(candidateField(message)),
        stop,
      },
      closed: stop,
    };
  },
});
