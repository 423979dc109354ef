/**
 * Kurento's four example modules, loaded as plugins by default, on videos whose right answer is
 * known: a green screen replaced by a background image after calibration (chroma), a coloured
 * pointer crossing a window (pointerdetector), blobs moving right through one region of two
 * (crowddetector), and a rendered licence plate read (platedetector).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { create, eventsOf, invoke, subscribe } from '../helpers/uri-endpoints.js';
import { filterClip, frameAt, makeClip, near, writePicture, type Rgb, useFilterStage } from '../filters/media.js';


const stage = useFilterStage();

test('chroma: after calibration on the green window, the background image replaces the green', async () => {
  const clip = await makeClip(join(stage.dir, 'greenscreen.webm'), { lavfi: 'color=0x00c000:s=640x480,drawbox=x=260:y=180:w=120:h=120:color=red:t=fill' }, 4);
  const background = await writePicture(join(stage.dir, 'sky.png'), Buffer.alloc(640 * 480 * 3, Buffer.from([0, 0, 255])), 640, 480, 'rgb24');
  const output = join(stage.dir, 'chroma.webm');
  await filterClip(stage.client, clip, output, (pipeline) =>
    create(stage.client, 'chroma.ChromaFilter', { mediaPipeline: pipeline, window: { topRightCornerX: 20, topRightCornerY: 20, width: 100, height: 100 }, backgroundImage: pathToFileURL(background).href }),
  );
  const early = await frameAt(output, 0.5);
  assert.ok(near(early.mean(60, 400, 8, 8), [0, 192, 0], 45), 'green while calibrating');
  const late = await frameAt(output, 3.3);
  const blue: Rgb = [0, 0, 255];
  for (const [x, y] of [[60, 400], [600, 40], [320, 420]] as const) assert.ok(near(late.mean(x, y, 8, 8), blue, 50), `(${x}, ${y}) shows the background: ${late.mean(x, y, 8, 8).map(Math.round).join(',')}`);
  assert.ok(near(late.mean(316, 236, 8, 8), [255, 0, 0], 50), 'the subject stays');
});

test('pointerdetector: a pointer of the calibrated colour crossing a window raises WindowIn then WindowOut', async () => {
  // An orange ball from x 20 to the right at 130 px/s; its centre crosses x 300..400 between 2.0 s and 2.8 s.
  const clip = await makeClip(join(stage.dir, 'pointer.webm'), { lavfi: "color=0x303850:s=640x480[bg];color=0xff8000:s=40x40[ball];[bg][ball]overlay=x='20+t*130':y=220" }, 4);
  const window = (id: string, x: number, y: number) => ({ id, upperRightX: x, upperRightY: y, width: 100, height: 120 });
  const { filter } = await filterClip(
    stage.client,
    clip,
    join(stage.dir, 'pointer-out.webm'),
    (pipeline) => create(stage.client, 'pointerdetector.PointerDetectorFilter', { mediaPipeline: pipeline, calibrationRegion: { topRightCornerX: 22, topRightCornerY: 222, width: 36, height: 36 }, windows: [window('target', 300, 180)] }),
    async ({ filter }) => {
      await invoke(stage.client, filter, 'addWindow', { window: window('elsewhere', 300, 20) });
      await subscribe(stage.client, filter, 'WindowIn', 'WindowOut');
      await invoke(stage.client, filter, 'trackColorFromCalibrationRegion');
    },
  );
  const events = [...eventsOf(stage.client, filter, 'WindowIn'), ...eventsOf(stage.client, filter, 'WindowOut')].sort((a, b) => Number(a.timestampMillis) - Number(b.timestampMillis));
  assert.deepEqual(events.map((e) => `${e.type} ${e.windowId}`), ['WindowIn target', 'WindowOut target'], JSON.stringify(events));
  const dwell = Number(events[1]!.timestampMillis) - Number(events[0]!.timestampMillis);
  assert.ok(dwell > 400 && dwell < 1300, `in the window for ${dwell} ms (0.8 s of video)`);
});

test('crowddetector: blobs moving right in one region give occupancy and a rightward direction there only', async () => {
  // Four bright blobs move right across the left half from 1 s on (180 px/s); the right half stays empty.
  const blobs = [0, 1, 2, 3].map((k) => `color=white:s=50x50[b${k}];[bg${k}][b${k}]overlay=enable='gte(t,1)':x='10+mod((t-1)*180+${k * 55},200)':y=${60 + k * 100}[bg${k + 1}]`).join(';');
  const clip = await makeClip(join(stage.dir, 'crowd.webm'), { lavfi: `color=0x404040:s=640x480[bg0];${blobs};[bg4]null` }, 4);
  const config = { occupancyLevelMin: 2, occupancyLevelMed: 20, occupancyLevelMax: 50, occupancyNumFramesToEvent: 5, fluidityLevelMin: 10, fluidityLevelMed: 35, fluidityLevelMax: 65, fluidityNumFramesToEvent: 5, sendOpticalFlowEvent: true, opticalFlowNumFramesToEvent: 3, opticalFlowNumFramesToReset: 3, opticalFlowAngleOffset: 0 };
  const half = (id: string, x0: number) => ({ id, points: [{ x: x0, y: 0 }, { x: x0 + 0.5, y: 0 }, { x: x0 + 0.5, y: 1 }, { x: x0, y: 1 }], regionOfInterestConfig: config });
  const { filter } = await filterClip(
    stage.client,
    clip,
    join(stage.dir, 'crowd-out.webm'),
    (pipeline) => create(stage.client, 'crowddetector.CrowdDetectorFilter', { mediaPipeline: pipeline, rois: [half('left', 0), half('right', 0.5)] }),
    ({ filter }) => subscribe(stage.client, filter, 'CrowdDetectorOccupancy', 'CrowdDetectorDirection', 'CrowdDetectorFluidity'),
  );
  const occupancy = eventsOf(stage.client, filter, 'CrowdDetectorOccupancy');
  const left = occupancy.filter((e) => e.roiId === 'left');
  assert.ok(left.some((e) => e.occupancyLevel >= 1 && e.occupancyPercentage > 2), `occupancy in the left region: ${JSON.stringify(left)}`);
  assert.deepEqual(occupancy.filter((e) => e.roiId === 'right' && e.occupancyLevel > 0), [], 'nothing in the right region');
  const directions = eventsOf(stage.client, filter, 'CrowdDetectorDirection').filter((e) => e.roiId === 'left');
  assert.ok(directions.length > 0, 'a direction was reported');
  const rightward = directions.filter((e) => e.directionAngle < 30 || e.directionAngle > 330);
  assert.ok(rightward.length >= directions.length * 0.7, `rightwards (0°): ${directions.map((e) => Math.round(e.directionAngle)).join(', ')}`);
  assert.deepEqual(eventsOf(stage.client, filter, 'CrowdDetectorDirection').filter((e) => e.roiId === 'right'), []);
});

test('platedetector: a rendered licence plate is read', async () => {
  const font = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
  const scene = `color=0x2a2a30:s=640x480,drawbox=x=120:y=200:w=400:h=200:color=0x602020:t=fill,drawbox=x=170:y=300:w=300:h=72:color=white:t=fill,drawtext=fontfile=${font}:text='1234 BCD':fontsize=54:fontcolor=black:x=(w-text_w)/2:y=309`;
  const clip = await makeClip(join(stage.dir, 'plate.webm'), { lavfi: scene }, 4);
  const { filter } = await filterClip(
    stage.client,
    clip,
    join(stage.dir, 'plate-out.webm'),
    (pipeline) => create(stage.client, 'platedetector.PlateDetectorFilter', { mediaPipeline: pipeline }),
    async ({ filter }) => {
      await invoke(stage.client, filter, 'setPlateWidthPercentage', { plateWidthPercentage: 0.4 });
      await subscribe(stage.client, filter, 'PlateDetected');
    },
  );
  const plates = eventsOf(stage.client, filter, 'PlateDetected').map((e) => String(e.plate));
  assert.ok(plates.length >= 1, 'a plate was read');
  assert.deepEqual([...new Set(plates)], ['1234 BCD']);
  assert.deepEqual(eventsOf(stage.client, filter, 'Error'), []);
});
