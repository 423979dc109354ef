/**
 * Chroma (Kurento's chroma tutorial): stand in front of a plain-coloured wall; the colour in the
 * top-left calibration window is learnt over the first two seconds, then replaced by this
 * example's background image (a beach), served with the page.
 *
 *   node dist/examples/chroma/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 */
import chroma from '../../modules/chroma/api.js';
import { runFilterExample } from '../common/filter-example.js';

await runFilterExample({
  name: 'chroma',
  staticDir: new URL('./static/', import.meta.url),
  modules: [chroma],
  events: [],
  makeFilter: (pipeline, browser) =>
    pipeline.create('chroma.ChromaFilter', {
      window: { topRightCornerX: 5, topRightCornerY: 5, width: 80, height: 80 },
      backgroundImage: `${browser.pageUrl}/img/background.jpg`,
    }),
});
