/**
 * Magic mirror (Kurento's tutorial): the camera comes back with a party hat on every face. A
 * FaceOverlayFilter between the WebRtcEndpoint and itself; the hat is this example's own image,
 * served with the page.
 *
 *   node dist/examples/magic-mirror/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 */
import { runFilterExample } from '../common/filter-example.js';

await runFilterExample({
  name: 'magic-mirror',
  staticDir: new URL('./static/', import.meta.url),
  events: [],
  async makeFilter(pipeline, browser) {
    const filter = await pipeline.create('FaceOverlayFilter');
    // Relative to each face's box: a hat as wide as the face, 1.6 times, sitting on the head.
    await filter.invoke('setOverlayedImage', `${browser.pageUrl}/img/party-hat.png`, -0.3, -1.4, 1.6, 1.6);
    return filter;
  },
});
