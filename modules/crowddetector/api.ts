import type { ModuleSpec } from 'kuroshio/plugin';

/** The API description of Kurento's example module `crowddetector`: occupancy, movement and direction analysis over regions of the picture. */
const api = {
  name: 'crowddetector',
  namespace: 'crowddetector',
  version: '7.3.0',
  classes: [
    {
      name: 'CrowdDetectorFilter',
      extends: 'Filter',
      doc: 'Watches given polygons of the frame and raises events as people fill them, move through them or head somewhere.',
      ctor: ['mediaPipeline: MediaPipeline', 'rois: RegionOfInterest[]'],
      properties: ['processingWidth: int = 320'],
      events: ['CrowdDetectorFluidity', 'CrowdDetectorOccupancy', 'CrowdDetectorDirection'],
    },
  ],
  events: [
    {
      name: 'CrowdDetectorFluidity',
      extends: 'Media',
      fields: ['fluidityPercentage: float', 'fluidityLevel: int', 'roiId: String'],
    },
    {
      name: 'CrowdDetectorOccupancy',
      extends: 'Media',
      fields: ['occupancyPercentage: float', 'occupancyLevel: int', 'roiId: String'],
    },
    { name: 'CrowdDetectorDirection', extends: 'Media', fields: ['directionAngle: float', 'roiId: String'] },
  ],
  types: [
    { name: 'RelativePoint', fields: ['x: float', 'y: float'] },
    {
      name: 'RegionOfInterestConfig',
      fields: [
        'occupancyLevelMin?: int = 10', 'occupancyLevelMed?: int = 35', 'occupancyLevelMax?: int = 65',
        'occupancyNumFramesToEvent?: int = 5', 'fluidityLevelMin?: int = 10', 'fluidityLevelMed?: int = 35',
        'fluidityLevelMax?: int = 65', 'fluidityNumFramesToEvent?: int = 5', 'sendOpticalFlowEvent?: boolean = false',
        'opticalFlowNumFramesToEvent?: int = 3', 'opticalFlowNumFramesToReset?: int = 3', 'opticalFlowAngleOffset?: int = 0',
      ],
    },
    {
      name: 'RegionOfInterest',
      fields: ['points: RelativePoint[]', 'regionOfInterestConfig: RegionOfInterestConfig', 'id: String'],
    },
  ],
} as const satisfies ModuleSpec;

export default api;
