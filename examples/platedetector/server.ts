/**
 * Plate detector (Kurento's tutorial): show the camera a licence plate (a printed or on-screen
 * Spanish-style plate such as "1234 BCD"); the plates read are listed on the page.
 *
 *   node dist/examples/platedetector/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 */
import platedetector from '../../modules/platedetector/api.js';
import { runFilterExample } from '../common/filter-example.js';

await runFilterExample({
  name: 'platedetector',
  staticDir: new URL('./static/', import.meta.url),
  modules: [platedetector],
  events: ['PlateDetected'],
  async makeFilter(pipeline) {
    const filter = await pipeline.create('platedetector.PlateDetectorFilter');
    await filter.invoke('setPlateWidthPercentage', 0.3);
    return filter;
  },
});
