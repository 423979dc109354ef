/**
 * One-to-many broadcast: one presenter sends camera and microphone; any number of viewers
 * receive them. One pipeline for the presenter; each viewer gets a WebRtcEndpoint in it, fed by
 * presenter.connect(viewer).
 *
 *   node dist/examples/one2many-call/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 *
 * Signalling (besides the shared 'answer', 'iceCandidate' and 'error'):
 *   browser → server: present {sdpOffer} · view {sdpOffer} · stop
 *   server → browser: ended {reason}   (the presenter left, or the request was refused)
 */
import { candidateField, runExample, stringField, type Browser } from '../common/app-server.js';
import { BrowserLeg } from '../common/browser-leg.js';
import { MediaServerConnection, type MediaPipeline, type WebRtcEndpoint } from '../common/kurento.js';

interface Presenter {
  browser: Browser;
  /** Both unset while the presenter's pipeline is being built. */
  pipeline: MediaPipeline | undefined;
  endpoint: WebRtcEndpoint | undefined;
}

interface Viewer {
  browser: Browser;
  leg: BrowserLeg;
}

let presenter: Presenter | undefined;
const viewers = new Set<Viewer>();

/** Ends the broadcast: every viewer is told, and the pipeline (with all endpoints) released. */
async function endBroadcast(reason: string): Promise<void> {
  const ending = presenter;
  if (!ending) return;
  presenter = undefined;
  for (const viewer of viewers) {
    viewer.leg.reset();
    viewer.browser.send({ type: 'ended', reason });
  }
  viewers.clear();
  await ending.pipeline?.release();
}

await runExample({
  name: 'one2many-call',
  staticDir: new URL('./static/', import.meta.url),
  // This example keeps the official kurento-client, to show that both clients work.
  openMedia: (wsUri, log) => new MediaServerConnection(wsUri, log),
  connect(browser, media) {
    const leg = new BrowserLeg<WebRtcEndpoint>(browser);
    let role: 'presenter' | 'viewer' | undefined;
    const asViewer: Viewer = { browser, leg };

    const stop = async (): Promise<void> => {
      if (role === 'presenter') {
        await endBroadcast('the presenter left');
      } else if (role === 'viewer' && viewers.delete(asViewer)) {
        await leg.reset()?.release();
      }
      leg.reset();
      role = undefined;
    };

    return {
      messages: {
        async present(message) {
          const sdpOffer = stringField(message, 'sdpOffer');
          await stop(); // a browser that starts again leaves what it was doing
          if (presenter) {
            browser.send({ type: 'ended', reason: 'someone else is presenting' });
            return;
          }
          // Claim the role before the first await, so two presenters cannot both get it.
          const me: Presenter = { browser, pipeline: undefined, endpoint: undefined };
          presenter = me;
          role = 'presenter';
          try {
            me.pipeline = await media.createPipeline();
            const created = await me.pipeline.createWebRtcEndpoint();
            const endpoint = await leg.open(created, (listener) => created.onIceCandidate(listener));
            await leg.negotiate(sdpOffer);
            me.endpoint = endpoint;
            browser.log('presenting');
          } catch (err) {
            await stop();
            throw err;
          }
        },

        async view(message) {
          const sdpOffer = stringField(message, 'sdpOffer');
          await stop(); // a browser that starts again leaves what it was doing
          const source = presenter;
          if (!source?.pipeline || !source.endpoint) {
            browser.send({ type: 'ended', reason: 'nobody is presenting yet' });
            return;
          }
          role = 'viewer';
          viewers.add(asViewer);
          try {
            const created = await source.pipeline.createWebRtcEndpoint();
            const endpoint = await leg.open(created, (listener) => created.onIceCandidate(listener));
            await source.endpoint.connect(endpoint);
            await leg.negotiate(sdpOffer);
            browser.log('viewing');
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
