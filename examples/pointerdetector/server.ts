/**
 * Pointer detector (Kurento's tutorial): hold a brightly coloured object in the calibration square
 * (top left), press Calibrate, then move it into the two windows drawn on the picture: WindowIn and
 * WindowOut events are listed on the page.
 *
 *   node dist/examples/pointerdetector/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 */
import pointerdetector from '../../modules/pointerdetector/api.js';
import { runFilterExample } from '../common/filter-example.js';

await runFilterExample({
  name: 'pointerdetector',
  staticDir: new URL('./static/', import.meta.url),
  modules: [pointerdetector],
  events: ['WindowIn', 'WindowOut'],
  makeFilter: (pipeline) =>
    pipeline.create('pointerdetector.PointerDetectorFilter', {
      calibrationRegion: { topRightCornerX: 20, topRightCornerY: 20, width: 50, height: 50 },
      windows: [
        { id: 'goal', upperRightX: 440, upperRightY: 60, width: 140, height: 120 },
        { id: 'exit', upperRightX: 440, upperRightY: 300, width: 140, height: 120 },
      ],
    }),
  actions: { calibrate: (filter) => filter.invoke('trackColorFromCalibrationRegion') },
});
