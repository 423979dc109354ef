/**
 * Crowd detector (Kurento's tutorial): two regions of interest, the left and right halves of the
 * picture; move in front of the camera and watch occupancy, fluidity and direction events.
 *
 *   node dist/examples/crowddetector/server.js --ws_uri=ws://localhost:8888/kurento --port 8443
 */
import crowddetector from '../../modules/crowddetector/api.js';
import { runFilterExample } from '../common/filter-example.js';

const config = {
  occupancyLevelMin: 10, occupancyLevelMed: 35, occupancyLevelMax: 65, occupancyNumFramesToEvent: 5,
  fluidityLevelMin: 10, fluidityLevelMed: 35, fluidityLevelMax: 65, fluidityNumFramesToEvent: 5,
  sendOpticalFlowEvent: true, opticalFlowNumFramesToEvent: 3, opticalFlowNumFramesToReset: 3, opticalFlowAngleOffset: 0,
};
const half = (id: string, x: number) => ({ id, points: [{ x, y: 0 }, { x: x + 0.5, y: 0 }, { x: x + 0.5, y: 1 }, { x, y: 1 }], regionOfInterestConfig: config });

await runFilterExample({
  name: 'crowddetector',
  staticDir: new URL('./static/', import.meta.url),
  modules: [crowddetector],
  events: ['CrowdDetectorOccupancy', 'CrowdDetectorFluidity', 'CrowdDetectorDirection'],
  makeFilter: (pipeline) => pipeline.create('crowddetector.CrowdDetectorFilter', { rois: [half('left', 0), half('right', 0.5)] }),
});
