import type { ModuleSpec } from '../spec.js';

/** Module `filters`: the stock video filters (overlays, GStreamer pipelines, barcode reading). */
export const filters: ModuleSpec = {
  name: 'filters',
  namespace: 'kurento',
  version: '7.3.0',
  classes: [
    {
      name: 'FaceOverlayFilter',
      extends: 'Filter',
      doc: 'Finds faces in the video and pins an image onto each one.',
      ctor: ['mediaPipeline: MediaPipeline'],
      methods: [
        'unsetOverlayedImage()',
        'setOverlayedImage(uri: String, offsetXPercent: float, offsetYPercent: float, widthPercent: float, heightPercent: float)',
      ],
    },
    {
      name: 'GStreamerFilter',
      extends: 'Filter',
      doc: 'Inserts one GStreamer element, described in gst-launch syntax, into the media path.',
      ctor: ['mediaPipeline: MediaPipeline', 'command: String', 'filterType?: FilterType = "AUTODETECT"'],
      properties: ['readonly command: String'],
      methods: ['setElementProperty(propertyName: String, propertyValue: String)'],
    },
    {
      name: 'ImageOverlayFilter',
      extends: 'Filter',
      doc: 'Draws a set of identified images at fixed positions over the video.',
      ctor: ['mediaPipeline: MediaPipeline'],
      methods: [
        'removeImage(id: String)',
        'addImage(id: String, uri: String, offsetXPercent: float, offsetYPercent: float, widthPercent: float, heightPercent: float, keepAspectRatio: boolean, center: boolean)',
      ],
    },
    { name: 'OpenCVFilter', extends: 'Filter', abstract: true, doc: 'Base of filters whose per-frame work is written against OpenCV.' },
    {
      name: 'ZBarFilter',
      extends: 'Filter',
      doc: 'Scans the video for barcodes and QR codes and reports what they contain.',
      ctor: ['mediaPipeline: MediaPipeline'],
      events: ['CodeFound'],
    },
  ],
  events: [{ name: 'CodeFound', extends: 'Media', fields: ['codeType: String', 'value: String'] }],
};
