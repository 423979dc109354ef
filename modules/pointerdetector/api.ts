import type { ModuleSpec } from 'kuroshio/plugin';

/** The API description of Kurento's example module `pointerdetector`: tracking a coloured pointer across on-screen hot zones. */
const api = {
  name: 'pointerdetector',
  namespace: 'pointerdetector',
  version: '7.3.0',
  classes: [
    {
      name: 'PointerDetectorFilter',
      extends: 'Filter',
      doc: 'Follows an object of a calibrated colour and signals when it enters or leaves configured screen areas.',
      ctor: [
        'mediaPipeline: MediaPipeline',
        'calibrationRegion: WindowParam',
        'windows?: PointerDetectorWindowMediaParam[] = []',
      ],
      methods: [
        'addWindow(window: PointerDetectorWindowMediaParam)',
        'clearWindows()',
        'trackColorFromCalibrationRegion()',
        'removeWindow(windowId: String)',
      ],
      events: ['WindowIn', 'WindowOut'],
    },
  ],
  events: [
    { name: 'WindowOut', extends: 'Media', fields: ['windowId: String'] },
    { name: 'WindowIn', extends: 'Media', fields: ['windowId: String'] },
  ],
  types: [
    { name: 'WindowParam', fields: ['topRightCornerX: int', 'topRightCornerY: int', 'width: int', 'height: int'] },
    {
      name: 'PointerDetectorWindowMediaParam',
      fields: [
        'id: String', 'height: int', 'width: int', 'upperRightX: int', 'upperRightY: int',
        'activeImage?: String', 'imageTransparency?: float', 'image?: String',
      ],
    },
  ],
} as const satisfies ModuleSpec;

export default api;
