/**
 * Unit tests of the pieces under the filters that need no media: the gst-launch parser and its
 * FFmpeg translations, the picture sizes read from image headers before FFmpeg sees a file, and
 * KMS's repeat rule's neighbour, the face tracker's extrapolation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { FaceTracker } from '../../src/filters/face-tracker.js';
import { GstParseError, parseCaps, parseGstCommand } from '../../src/filters/gst-launch.js';
import { GstPropertyError, translate } from '../../src/filters/gst-to-ffmpeg.js';
import { declaredSize } from '../../src/filters/image-cache.js';

const filtersOf = (command: string): string | undefined => translate(parseGstCommand(command))?.filters;

test('one element with properties, quoted values, and a bare caps string parse; chains and bins do not', () => {
  assert.deepEqual(parseGstCommand('videoflip method=horizontal-flip'), { name: 'videoflip', properties: new Map([['method', 'horizontal-flip']]) });
  assert.deepEqual(parseGstCommand('textoverlay text="Hello, world" valignment=top').properties.get('text'), 'Hello, world');
  assert.deepEqual(parseGstCommand('video/x-raw,width=320,height=240'), { name: 'capsfilter', properties: new Map([['caps', 'video/x-raw,width=320,height=240']]) });
  for (const command of ['videoflip ! videobalance', '( videoflip )', 'videoflip videobalance', 'fakesrc ! fakesink']) {
    assert.throws(() => parseGstCommand(command), (err: unknown) => err instanceof GstParseError && err.notOneElement, command);
  }
  assert.throws(() => parseGstCommand(''), GstParseError);
  assert.throws(() => parseGstCommand('textoverlay text="unterminated'), GstParseError);
  assert.deepEqual([...parseCaps('video/x-raw,width=(int)320,framerate=15/1').fields], [['width', '320'], ['framerate', '15/1']]);
});

test('the common elements become the FFmpeg filters that do the same', () => {
  assert.equal(filtersOf('videoflip method=horizontal-flip'), 'hflip');
  assert.equal(filtersOf('videoflip method=4'), 'hflip');
  assert.equal(filtersOf('videoflip video-direction=vert'), 'vflip');
  assert.equal(filtersOf('videoflip method=clockwise'), 'transpose=clock');
  assert.equal(filtersOf('videoflip method=rotate-180'), 'hflip,vflip');
  assert.equal(filtersOf('videobalance saturation=0.0'), 'eq=contrast=1:brightness=0:saturation=0');
  assert.equal(filtersOf('videobalance hue=0.5'), 'eq=contrast=1:brightness=0:saturation=1,hue=h=90');
  assert.equal(filtersOf('gamma gamma=2'), 'eq=gamma=2');
  assert.equal(filtersOf('capsfilter caps=video/x-raw,width=320,height=240'), 'scale=320:240');
  assert.equal(filtersOf('videocrop top=10 bottom=20 left=30 right=40'), 'crop=iw-70:ih-30:30:10');
  assert.equal(filtersOf('videobox top=-10 left=20'), 'crop=iw-20:ih-0:20:0,pad=iw+0:ih+10:0:10');
  assert.equal(filtersOf('identity'), 'null');
  assert.equal(translate(parseGstCommand('volume volume=0.5'))?.kind, 'AUDIO');
  assert.equal(filtersOf('volume volume=0.5'), 'volume=0.5');
  assert.equal(filtersOf('volume mute=true'), 'volume=0');
  assert.equal(filtersOf('audiocheblimit mode=high-pass cutoff=400'), 'highpass=f=400');
  assert.match(filtersOf('textoverlay text="Hi: 100%"') ?? '', /^drawtext=fontfile=.*:text='Hi\\\\: 100\\\\%'/);
  assert.equal(filtersOf('nosuchelement'), undefined);
  assert.throws(() => filtersOf('videoflip method=sideways'), GstPropertyError);
  assert.throws(() => filtersOf('gamma gamma=bright'), GstPropertyError);
});

test('image sizes come from the file header, before any decoding', () => {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(20_000, 0);
  ihdr.writeUInt32BE(30_000, 4);
  const body = Buffer.concat([Buffer.from('IHDR'), ihdr]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), body, crc]);
  assert.deepEqual(declaredSize(png), { width: 20_000, height: 30_000 });
  const gif = Buffer.from('GIF89a\x40\x01\xf0\x00\x00\x00', 'latin1');
  assert.deepEqual(declaredSize(gif), { width: 320, height: 240 });
  // JPEG: SOI, an APP0 segment, then SOF0 with height 480 and width 640.
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03, 0, 0, 0, 0]);
  assert.deepEqual(declaredSize(jpeg), { width: 640, height: 480 });
  assert.equal(declaredSize(Buffer.from('just some text')), undefined);
});

test('faces move on between detections by their measured velocity, for a bounded time', () => {
  const tracker = new FaceTracker();
  tracker.update([{ x: 100, y: 100, width: 80, height: 80, score: 0.9 }], 0);
  tracker.update([{ x: 110, y: 100, width: 80, height: 80, score: 0.9 }], 100);
  assert.equal(tracker.at(150)[0]!.x, 115, 'half-way to the next detection: 5 px further');
  assert.equal(tracker.at(10_000)[0]!.x, 125, 'no further than 150 ms ahead');
  tracker.update([{ x: 400, y: 300, width: 80, height: 80, score: 0.9 }], 200);
  assert.equal(tracker.at(300)[0]!.x, 400, 'a face elsewhere is a new face: no velocity');
});
