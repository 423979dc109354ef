/**
 * The console page (bundled by `npm run build` into dist/console/app.js): every pipeline as a
 * graph (cytoscape), updated each second from /console/api/state, and for the element clicked,
 * plots of its bitrate, frame rate, packet loss and round-trip time (uPlot) and its event log,
 * from /console/api/element.
 *
 * `window.kuroshioConsole` exposes the graph and the plotted data, for tests and for whoever
 * wants to poke at it from the browser's developer tools.
 */
import cytoscape from 'cytoscape';
import uPlot from 'uplot';
import type { ConsoleState as State, ElementDetails, ElementSample as Sample, ElementView, LinkView } from '../src/ops/console-history.js';

const REFRESH_MS = 1000;
const COLORS: Record<string, string> = { VIDEO: '#1f6feb', AUDIO: '#2da44e', DATA: '#8c959f' };

function shortId(id: string): string {
  const last = id.slice(id.lastIndexOf('/') + 1);
  return last.slice(0, 8);
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const cy = cytoscape({
  container: document.getElementById('graph'),
  wheelSensitivity: 0.3,
  style: [
    { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'center', 'font-size': 11, width: 150, height: 54, shape: 'round-rectangle', 'background-color': '#dde7f0', 'border-width': 2, 'border-color': '#8c959f' } },
    { selector: 'node[?flowing]', style: { 'border-color': '#2da44e', 'background-color': '#dafbe1' } },
    { selector: 'node[?transcoding]', style: { 'border-color': '#d4a72c', 'border-width': 4 } },
    { selector: 'node.pipeline', style: { 'background-color': '#f6f8fa', 'border-color': '#0b3954', 'text-valign': 'top', 'font-weight': 'bold', shape: 'round-rectangle' } },
    { selector: 'node:selected', style: { 'border-color': '#cf222e', 'border-width': 4 } },
    { selector: 'edge', style: { label: 'data(label)', 'font-size': 9, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', width: 2, 'line-color': 'data(color)', 'target-arrow-color': 'data(color)', 'line-style': 'dashed', 'text-rotation': 'autorotate', 'text-background-color': '#fff', 'text-background-opacity': 0.8 } },
    { selector: 'edge[?flowing]', style: { 'line-style': 'solid' } },
    { selector: 'edge[?transcoded]', style: { width: 5, 'line-color': '#d4a72c', 'target-arrow-color': '#d4a72c' } },
  ],
});

let structure = '';
let selected: string | undefined;
let latest: State | undefined;
const plotted: { samples: Sample[] } = { samples: [] };

function edgeLabel(link: LinkView, source: ElementView): string {
  const pad = source.processing.find((p) => p.mediaType === link.type && p.description === link.sourceDescription);
  const encoded = pad?.encoders.map((e) => e.codec).join(',');
  const codec = link.codec ? ` ${link.codec}` : '';
  return link.route === 'transcoded' ? `${link.type}${codec} ⇒ ${encoded ?? '?'} (transcoded)` : `${link.type}${codec}`;
}

/** Brings the graph to the state: adds, updates and removes nodes and edges; lays out only when the structure changed. */
function draw(state: State): void {
  const wanted: cytoscape.ElementDefinition[] = [];
  for (const pipeline of state.pipelines) {
    wanted.push({ group: 'nodes', data: { id: pipeline.id, label: `MediaPipeline ${shortId(pipeline.id)} (worker ${pipeline.worker ?? '?'})` }, classes: 'pipeline' });
    const byId = new Map(pipeline.elements.map((e) => [e.id, e]));
    for (const element of pipeline.elements) {
      const flows = [...new Set([...element.flowingIn, ...element.flowingOut].map((p) => p.split('/')[0]))].join(' ');
      wanted.push({
        group: 'nodes',
        data: { id: element.id, parent: pipeline.id, label: `${element.type}\n${shortId(element.id)}${flows ? `\n▶ ${flows}` : ''}`, flowing: flows !== '', transcoding: element.transcoding.length > 0 },
      });
      for (const link of element.links) {
        if (!byId.has(link.sink)) continue;
        const pad = `${link.type}/${link.sourceDescription}`;
        const flowing = element.flowingOut.includes(pad) || (byId.get(link.sink)?.flowingIn.includes(`${link.type}/${link.sinkDescription}`) ?? false);
        wanted.push({
          group: 'edges',
          data: { id: `${link.source}->${link.sink}:${pad}:${link.sinkDescription}`, source: link.source, target: link.sink, label: edgeLabel(link, element), color: COLORS[link.type] ?? '#000', flowing, transcoded: link.route === 'transcoded' },
        });
      }
    }
  }
  const ids = new Set(wanted.map((w) => w.data.id!));
  cy.batch(() => {
    cy.elements().forEach((e) => {
      if (!ids.has(e.id())) e.remove();
    });
    for (const w of wanted) {
      const existing = cy.getElementById(w.data.id!);
      if (existing.nonempty()) existing.data(w.data);
      else cy.add(w);
    }
  });
  const shape = [...ids].sort().join('|');
  if (shape !== structure) {
    structure = shape;
    cy.layout({ name: 'breadthfirst', directed: true, spacingFactor: 1.1, padding: 30, animate: false }).run();
  }
  const elements = state.pipelines.reduce((n, p) => n + p.elements.length, 0);
  document.getElementById('summary')!.textContent = `${state.pipelines.length} pipelines, ${elements} elements`;
}

// ---- plots of the selected element ----------------------------------------------------------

const PLOTS: { title: string; series: { label: string; key: keyof Sample; stroke: string }[] }[] = [
  { title: 'Bitrate (kbit/s)', series: [{ label: 'in', key: 'inKbps', stroke: '#1f6feb' }, { label: 'out', key: 'outKbps', stroke: '#8250df' }] },
  { title: 'Frame rate (fps)', series: [{ label: 'fps', key: 'fps', stroke: '#2da44e' }] },
  { title: 'Packet loss (%)', series: [{ label: 'loss', key: 'lossPercent', stroke: '#cf222e' }] },
  { title: 'Round-trip time (ms)', series: [{ label: 'rtt', key: 'roundTripMs', stroke: '#d4a72c' }] },
];

const charts = PLOTS.map((plot) => {
  const holder = document.createElement('div');
  holder.className = 'plot';
  document.getElementById('plots')!.append(holder);
  return new uPlot(
    { title: plot.title, width: 400, height: 130, scales: { x: { time: true } }, series: [{}, ...plot.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))] },
    [[], ...plot.series.map(() => [])],
    holder,
  );
});

function plot(details: ElementDetails): void {
  plotted.samples = details.samples;
  const xs = details.samples.map((s) => s.t / 1000);
  PLOTS.forEach((p, i) => charts[i]!.setData([xs, ...p.series.map((s) => details.samples.map((sample) => sample[s.key]))]));
  const log = document.getElementById('events')!;
  log.replaceChildren(
    ...details.events
      .slice()
      .reverse()
      .map((e) => {
        const item = document.createElement('li');
        item.textContent = `${new Date(e.t).toISOString().slice(11, 23)} ${e.type} ${JSON.stringify(e.data)}`;
        return item;
      }),
  );
}

function select(id: string | undefined): void {
  selected = id;
  document.getElementById('selected')!.textContent = id ? `${cy.getElementById(id).data('label')?.split('\n')[0] ?? ''} ${id}` : 'Select an element';
  plotted.samples = [];
  void refresh();
}

cy.on('tap', 'node', (event) => {
  const node = event.target as cytoscape.NodeSingular;
  if (!node.hasClass('pipeline')) select(node.id());
});

// ---- refresh loop -----------------------------------------------------------------------------

async function refresh(): Promise<void> {
  const status = document.getElementById('status')!;
  try {
    latest = await getJson<State>('api/state');
    draw(latest);
    if (selected) {
      if (cy.getElementById(selected).empty()) select(undefined);
      else plot(await getJson<ElementDetails>(`api/element?id=${encodeURIComponent(selected)}`));
    }
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    status.className = '';
  } catch (err) {
    status.textContent = (err as Error).message;
    status.className = 'error';
  }
}

setInterval(() => void refresh(), REFRESH_MS);
void refresh();

declare global {
  interface Window {
    kuroshioConsole: { cy: cytoscape.Core; plotted: { samples: Sample[] }; state: () => State | undefined; select: (id: string | undefined) => void };
  }
}
window.kuroshioConsole = { cy, plotted, state: () => latest, select };
