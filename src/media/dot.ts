/** Renders the element graph of a pipeline as Graphviz DOT, as `getGstreamerDot` answers. */
import type { SinkPad, SourcePad } from './pads.js';

export interface DotElement {
  readonly id: string;
  readonly className: string;
  sourcePads(): readonly SourcePad[];
  sinkPads(): readonly SinkPad[];
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function shortId(id: string): string {
  const slash = id.lastIndexOf('/');
  return slash >= 0 ? id.slice(slash + 1) : id;
}

export function renderDot(graphName: string, elements: readonly DotElement[]): string {
  const lines = [`digraph ${quote(shortId(graphName))} {`, '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  for (const element of elements) {
    const pads = [...element.sinkPads(), ...element.sourcePads()].map((p) => p.name);
    const label = [element.className, shortId(element.id), ...pads].join('\n');
    lines.push(`  ${quote(element.id)} [label=${quote(label)}];`);
  }
  for (const element of elements) {
    for (const pad of element.sourcePads()) {
      for (const edge of pad.links) {
        const label = `${pad.kind} ${pad.description}->${edge.sink.description}`;
        lines.push(`  ${quote(element.id)} -> ${quote(edge.sink.owner.id)} [label=${quote(label)}];`);
      }
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
