import type { ModuleSpec } from 'kuroshio/plugin';

/** The API description of Kurento's example module `platedetector`: licence plate recognition. */
const api = {
  name: 'platedetector',
  namespace: 'platedetector',
  version: '7.3.0',
  classes: [
    {
      name: 'PlateDetectorFilter',
      extends: 'Filter',
      doc: 'Looks for vehicle number plates in the video and reports the text it reads on them.',
      ctor: ['mediaPipeline: MediaPipeline'],
      methods: ['setPlateWidthPercentage(plateWidthPercentage: float)'],
      events: ['PlateDetected'],
    },
  ],
  events: [{ name: 'PlateDetected', extends: 'Media', fields: ['plate: String'] }],
} as const satisfies ModuleSpec;

export default api;
