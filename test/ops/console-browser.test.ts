/**
 * The live console in headless Chromium. An application (the official kurento-client) builds a
 * one-to-many call with Chromium pages as presenter and viewer, plus a PassThrough branch; the
 * console page, opened with its token, shows the pipeline with its nodes and its edges by media
 * type and codec, marks the flowing ones, and once the presenter is clicked plots its bitrate and
 * frame rate, which move while media flows. Without the token the console answers 401. The typed
 * client's browser bundle drives the server from a page too. Screenshots are kept in
 * test-artifacts/console/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Core } from 'cytoscape';
import type { Page } from 'playwright-core';
import { pollUntil } from '../helpers/poll.js';
import type { Remote } from '../helpers/kurento-client.js';
import { setUp } from '../helpers/server-process.js';
import { negotiate, Rig, type Scene } from '../webrtc-browser/fixtures.js';

const TOKEN = 'console-test-token';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/console/', import.meta.url));

let rig: Rig | undefined;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  rig = await Rig.start({}, ['--console', '--console-token', TOKEN]);
});

after(async () => {
  await rig?.close();
});

function httpBase(): string {
  return setUp(rig, 'rig').server.url.replace(/^ws:/, 'http:').replace(/\/kurento$/, '');
}

/** What console/app.ts exposes on the page's window. */
interface ConsoleWindow {
  kuroshioConsole: { cy: Core; plotted: { samples: { t: number; inKbps: number; fps: number }[] } };
}

interface GraphView {
  nodes: { id: string; label: string; flowing: boolean; pipeline: boolean }[];
  edges: { source: string; target: string; label: string; flowing: boolean }[];
}

/** What the page's cytoscape graph holds now. */
function graphOf(page: Page): Promise<GraphView> {
  return page.evaluate(() => {
    const cy = (globalThis as unknown as ConsoleWindow).kuroshioConsole.cy;
    return {
      nodes: cy.nodes().map((n) => ({ id: n.id(), label: String(n.data('label')), flowing: n.data('flowing') === true, pipeline: n.hasClass('pipeline') })),
      edges: cy.edges().map((e) => ({ source: e.source().id(), target: e.target().id(), label: String(e.data('label')), flowing: e.data('flowing') === true })),
    };
  });
}

/** The samples plotted for the selected element. */
function plotted(page: Page): Promise<{ t: number; inKbps: number; fps: number }[]> {
  return page.evaluate(() => (globalThis as unknown as ConsoleWindow).kuroshioConsole.plotted.samples.map((s) => ({ t: s.t, inKbps: s.inKbps, fps: s.fps })));
}

test('without the token the console is closed', async () => {
  assert.equal((await fetch(`${httpBase()}/console/`)).status, 401);
  assert.equal((await fetch(`${httpBase()}/console/api/state`)).status, 401);
  assert.equal((await fetch(`${httpBase()}/console/?token=wrong`)).status, 401);
});

test('the console shows the pipeline graph live, and plots that move while media flows', (t) =>
  setUp(rig, 'rig').scene(t, async (scene: Scene) => {
    const pipeline = await scene.pipeline();
    const presenter = await pipeline.create('WebRtcEndpoint');
    const presenterPage = await scene.page();
    await negotiate(scene, presenterPage, presenter, { direction: 'sendonly' });
    const viewer = await pipeline.create('WebRtcEndpoint');
    const viewerPage = await scene.page();
    await negotiate(scene, viewerPage, viewer, { direction: 'recvonly', beforeAnswer: () => presenter.call('connect', viewer) });
    const branch: Remote = await pipeline.create('PassThrough');
    await presenter.call('connect', branch, 'VIDEO');

    const console = await scene.rig.browser.open(`${httpBase()}/console/?token=${TOKEN}`);
    const page = console.page;
    await page.setViewportSize({ width: 1400, height: 800 });
    // The pipeline, its three elements, and the presenter's links: audio, video and data to the
    // viewer, video to the branch; media flows on the viewer's audio and video.
    const graph = await pollUntil(
      () => graphOf(page),
      (g) => g.nodes.length === 4 && g.edges.length === 4 && g.edges.filter((e) => e.flowing).length >= 2,
      20_000,
      'the pipeline graph with flowing edges',
    );
    assert.ok(graph.nodes.some((n) => n.pipeline && n.id === pipeline.id));
    const node = (id: string): GraphView['nodes'][number] => graph.nodes.find((n) => n.id === id)!;
    assert.match(node(presenter.id).label, /^WebRtcEndpoint/);
    assert.match(node(branch.id).label, /^PassThrough/);
    assert.ok(node(presenter.id).flowing, 'the presenter is marked flowing');
    const toViewer = graph.edges.filter((e) => e.source === presenter.id && e.target === viewer.id).map((e) => e.label).sort();
    assert.deepEqual(toViewer.map((l) => l.split(' ')[0]), ['AUDIO', 'DATA', 'VIDEO']);
    assert.ok(toViewer.some((l) => /^VIDEO VP8\/90000$/.test(l)), `video edge labelled with its codec: ${toViewer.join(', ')}`);
    assert.ok(toViewer.some((l) => /^AUDIO OPUS\/48000$/i.test(l)), `audio edge labelled with its codec: ${toViewer.join(', ')}`);
    assert.deepEqual(graph.edges.filter((e) => e.target === branch.id).map((e) => e.label.split(' ')[0]), ['VIDEO']);
    await page.screenshot({ path: join(ARTIFACTS, '1-pipeline-graph.png') });

    // Click the presenter where the graph draws it.
    const box = (await page.locator('#graph').boundingBox())!;
    const position = await page.evaluate((id) => (globalThis as unknown as ConsoleWindow).kuroshioConsole.cy.getElementById(id).renderedPosition(), presenter.id);
    await page.mouse.click(box.x + position.x, box.y + position.y);
    await pollUntil(() => page.locator('#selected').textContent(), (text) => (text ?? '').includes(presenter.id), 5_000, 'the presenter to be selected');
    const early = await pollUntil(() => plotted(page), (s) => s.length >= 2 && s.at(-1)!.inKbps > 20, 20_000, 'the presenter bitrate plot');
    const later = await pollUntil(() => plotted(page), (s) => s.length >= early.length + 3, 20_000, 'the plot to move on');
    assert.ok(later.at(-1)!.t > early.at(-1)!.t);
    assert.ok(later.slice(-3).every((s) => s.inKbps > 20), `bitrate while media flows: ${JSON.stringify(later.slice(-3))}`);
    assert.ok(later.slice(-3).some((s) => s.fps > 5), `frame rate while media flows: ${JSON.stringify(later.slice(-3))}`);
    const events = await page.locator('#events li').allTextContents();
    assert.ok(events.some((e) => e.includes('MediaFlowOutStateChanged')), 'the presenter event log shows its flows');
    await page.screenshot({ path: join(ARTIFACTS, '2-presenter-plots.png') });

    // The viewer goes: the graph follows.
    await viewer.release();
    await pollUntil(() => graphOf(page), (g) => g.nodes.length === 3 && g.edges.length === 1, 10_000, 'the viewer to leave the graph');
    await page.screenshot({ path: join(ARTIFACTS, '3-viewer-released.png') });
    assert.deepEqual(console.consoleErrors, []);
    await page.close();
  }),
);

test('the typed client works in a browser page (its browser bundle)', async () => {
  const r = setUp(rig, 'rig');
  const page = await r.browser.context.newPage();
  try {
    await page.goto(`${r.pageServer.url}/peer.html`);
    await page.addScriptTag({ path: fileURLToPath(new URL('../../browser/kuroshio-client.js', import.meta.url)) });
    const result = await page.evaluate(async (url) => {
      const { KurentoClient } = (globalThis as unknown as { kuroshioClient: typeof import('kuroshio-client') }).kuroshioClient;
      const client = await KurentoClient.connect(url);
      const pipeline = await client.create('MediaPipeline');
      const endpoint = await client.create('WebRtcEndpoint', { mediaPipeline: pipeline });
      const offer = await endpoint.generateOffer();
      const children = await pipeline.getChildren();
      await pipeline.release();
      client.close();
      return { offerStartsWith: offer.slice(0, 4), children: children.map((c) => c.id), endpoint: endpoint.id };
    }, r.server.url);
    assert.equal(result.offerStartsWith, 'v=0\r');
    assert.deepEqual(result.children, [result.endpoint]);
  } finally {
    await page.close();
  }
});
