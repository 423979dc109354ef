import type { ModuleSpec } from 'kuroshio/plugin';

/** The API description of Kurento's example module `chroma`: green-screen style background replacement. */
const api = {
  name: 'chroma',
  namespace: 'chroma',
  version: '7.3.0',
  classes: [
    {
      name: 'ChromaFilter',
      extends: 'Filter',
      doc: 'Keys out a background colour sampled from a calibration area and puts an image behind the subject.',
      ctor: ['mediaPipeline: MediaPipeline', 'window: WindowParam', 'backgroundImage?: String = ""'],
      methods: ['setBackground(uri: String)', 'unsetBackground()'],
    },
  ],
  types: [{ name: 'WindowParam', fields: ['topRightCornerX: int', 'topRightCornerY: int', 'width: int', 'height: int'] }],
} as const satisfies ModuleSpec;

export default api;
