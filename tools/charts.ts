/**
 * Charts for the demo's HTML report and for docs/benchmarks.md: Vega-Lite specifications compiled
 * (vega-lite) and rendered to standalone SVG in Node (vega's headless view), so the pictures need
 * no browser and no script to show.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** The look every chart shares. */
const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 360 },
  title: { fontSize: 14, anchor: 'start' as const },
  range: { category: ['#9e9e9e', '#e6862e', '#2f7ed8', '#54a24b', '#b279a2', '#e45756'] },
};

/** A Vega-Lite specification rendered to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile({ config: CONFIG, ...spec } as TopLevelSpec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
