/**
 * Composite, as a group call sees it: Chromium participants, each with a camera of its own colour
 * and a microphone of its own tone, joined to one Composite through the official kurento-client.
 * Each must receive the grid — every participant's colour in its own cell, in joining order — at
 * 12 frames a second or more, and sound with everyone's tone but its own (the page's own
 * frequency analysis). Then two pages watch while a participant joins and another leaves (those
 * two are PlayerEndpoints of colour clips, so that two cores need not also carry two more
 * browsers): neither page's pictures may pause for more than 300 ms (timed in the pages).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pollUntil } from '../helpers/browser.js';
import type { Remote } from '../helpers/kurento-client.js';
import { Rig } from '../webrtc-browser/fixtures.js';
import { decodedFrameRate, join, LOOKS, picturesWatched, stopWatching, waitForColors, waitForPictureSize, watchPictures, type Look, type Participant } from './participants.js';
import { colorClip, type ColorName } from './media-files.js';

let rig: Rig;
let clipDir: string;

before(async () => {
  rig = await Rig.start();
  clipDir = await mkdtemp(joinPath(tmpdir(), 'kuroshio-composite-'));
  for (const look of [LOOKS.green, LOOKS.yellow]) colorClip(clipOf(look), look.color, look.tone, 30);
});

after(async () => {
  await rig?.close();
  if (clipDir) await rm(clipDir, { recursive: true, force: true });
});

const clipOf = (look: Look): string => joinPath(clipDir, `${look.name}.webm`);

/** A participant that is a PlayerEndpoint of a clip of its colour and tone, on a new port of `hub`. */
async function playerJoins(pipeline: Remote, hub: Remote, look: Look): Promise<{ player: Remote; port: Remote }> {
  const player = await pipeline.create('PlayerEndpoint', { uri: pathToFileURL(clipOf(look)).href });
  const port = await hub.call<Remote>('createHubPort');
  await player.call('connect', port);
  await player.call('play');
  return { player, port };
}

/** KMS's default canvas. */
const CANVAS = { width: 800, height: 600 };
/** Cell centres of a 2x2 grid, row by row. */
const CELLS: Array<[number, number]> = [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]];
const LONGEST_GAP_MS = 300;

/** What the server did for a port: the hub's composition and the shared encoders (getStats). */
async function serverSide(port: Remote): Promise<string> {
  const stats = await port.call<Record<string, Record<string, unknown>>>('getStats', 'VIDEO');
  return JSON.stringify(Object.values(stats).map((s) => s.compositor ?? s.mediaProcessing));
}

/** The composite's own pauses between pictures (its statistics). */
async function serverPauses(port: Remote): Promise<string> {
  const stats = await port.call<Record<string, { compositor?: { pauses: unknown } }>>('getStats', 'VIDEO');
  return JSON.stringify(Object.values(stats).find((s) => s.compositor)?.compositor?.pauses);
}

function gridOf(names: Array<ColorName | null>): Array<[[number, number], ColorName | null]> {
  return CELLS.map((cell, i) => [cell, names[i] ?? null]);
}

/** Waits until the page hears each other participant's tone, and not its own; returns the levels. */
async function assertHearsOthers(p: Participant, others: ReadonlyArray<{ name: ColorName }>): Promise<string> {
  const own = LOOKS[p.name as keyof typeof LOOKS].tone;
  const tones = others.map((o) => LOOKS[o.name as keyof typeof LOOKS].tone);
  const heard = await pollUntil(
    () => p.page.remoteTones([own, ...tones]),
    (s) => s !== null && s.levels.slice(1).every((db) => db > -75) && s.levels[0]! < Math.min(...s.levels.slice(1)) - 30,
    15_000,
    `${p.name} to hear ${tones.join(', ')} Hz and not its own ${own} Hz`,
    200,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}; levels ${JSON.stringify(await p.page.remoteTones([own, ...tones]))}`);
  });
  return `${p.name}: own ${own} Hz ${heard!.levels[0]!.toFixed(0)} dB, others ${tones.map((t, i) => `${t} Hz ${heard!.levels[i + 1]!.toFixed(0)} dB`).join(', ')}`;
}

test('three participants get the grid with everyone in their own cell at 12 fps or more, and hear the others but not themselves', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const composite = await pipeline.create('Composite');
    const people: Participant[] = [];
    for (const look of [LOOKS.red, LOOKS.green, LOOKS.blue]) people.push(await join(scene, pipeline, composite, look));

    // The grid: red, green, blue in joining order, the fourth cell empty (black).
    for (const p of people) await waitForPictureSize(p.page, CANVAS);
    for (const p of people) await waitForColors(p.page, gridOf(['red', 'green', 'blue', 'black']), `${p.name}'s grid`);
    const rates = await Promise.all(people.map((p) => decodedFrameRate(p.page, 3000)));
    t.diagnostic(`decoded frame rates: ${rates.map((r) => r.toFixed(1)).join(', ')}; server: ${await serverSide(people[0]!.port)}`);
    for (const [i, rate] of rates.entries()) assert.ok(rate >= 12, `${people[i]!.name} decodes ${rate.toFixed(1)} pictures a second`);
    for (const p of people) t.diagnostic(await assertHearsOthers(p, people.filter((o) => o !== p)));
    await composite.release();
  }));

test('a participant joining and another leaving re-lay the grid without stalling the pictures of the others', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const composite = await pipeline.create('Composite');
    const red = await join(scene, pipeline, composite, LOOKS.red);
    const blue = await join(scene, pipeline, composite, LOOKS.blue);
    const green = await playerJoins(pipeline, composite, LOOKS.green);
    for (const p of [red, blue]) await waitForColors(p.page, gridOf(['red', 'blue', 'green', 'black']), `${p.name}'s grid`);

    // A fourth joins, then the third leaves; the first two are watched throughout.
    await Promise.all([watchPictures(red.page), watchPictures(blue.page)]);
    const marks: string[] = [`watch ${Date.now()}`];
    const yellow = await playerJoins(pipeline, composite, LOOKS.yellow);
    marks.push(`joined ${Date.now()}`);
    await waitForColors(red.page, gridOf(['red', 'blue', 'green', 'yellow']), 'the fourth in the grid');
    marks.push(`in grid ${Date.now()}`);
    await green.port.release();
    marks.push(`left ${Date.now()}`);
    await green.player.release();
    for (const p of [red, blue]) await waitForColors(p.page, gridOf(['red', 'blue', 'yellow', 'black']), `${p.name}'s grid after the third left`);
    // Watched a second and a half longer: the old graph's last pictures and the new one's first.
    for (const p of [red, blue]) {
      const seen = await picturesWatched(p.page);
      await pollUntil(() => picturesWatched(p.page), (n) => n >= seen + 22, 10_000, `${p.name} to get pictures after the change`, 100);
    }
    const gaps = await Promise.all([stopWatching(red.page), stopWatching(blue.page)]);
    t.diagnostic(`longest pauses between pictures: red ${gaps[0].longestGapMs} ms, blue ${gaps[1].longestGapMs} ms (${gaps[0].frames} and ${gaps[1].frames} pictures watched)`);
    t.diagnostic(`${marks.join(', ')}; pauses red ${JSON.stringify(gaps[0].pauses)} blue ${JSON.stringify(gaps[1].pauses)}; the server's own pauses between composed pictures: ${await serverPauses(red.port)}`);
    for (const [i, gap] of gaps.entries()) assert.ok(gap.longestGapMs <= LONGEST_GAP_MS, `${[red, blue][i]!.name} paused ${gap.longestGapMs} ms`);
    t.diagnostic(await assertHearsOthers(red, [blue, LOOKS.yellow]));
    await composite.release();
  }));

test('releasing a Composite releases its ports; a port released while media flows leaves the others flowing', (t) =>
  rig.scene(t, async (scene) => {
    const pipeline = await scene.pipeline();
    const composite = await pipeline.create('Composite', { width: 320, height: 240 });
    const red = await join(scene, pipeline, composite, LOOKS.red);
    const blue = await join(scene, pipeline, composite, LOOKS.blue);
    await waitForColors(red.page, [[[0.25, 0.5], 'red'], [[0.75, 0.5], 'blue']], 'red and blue side by side');
    const destroyed = (await scene.kurento.serverManager()).events('ObjectDestroyed');
    await red.port.release();
    await waitForColors(blue.page, [[[0.5, 0.5], 'blue']], 'blue alone, the whole canvas');
    await composite.release();
    const ids = new Set<string>();
    while (!ids.has(blue.port.id) || !ids.has(composite.id)) ids.add(String((await destroyed.next(5000)).objectId));
    destroyed.stop();
    await assert.rejects(blue.port.call('getName'), (err: { code?: number }) => err.code === 40101, 'the port went with its hub');
    assert.ok(await blue.endpoint.call('getName'), 'the participant’s endpoint is still there');
  }));

