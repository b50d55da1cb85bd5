import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Plot from '@observablehq/plot';
import { plot, plotDocument, plotToSvg, isPlotChart } from '../../lib/viz/plot.js';
import { toPng } from '../../lib/viz/render.js';
import { decodePng, gaussianRows, inkPixels } from './viz-fixtures.js';

test('plot(): Observable Plot in a linkedom document; one circle per datum; standalone SVG rasterises with text', () => {
  const data = gaussianRows(1, 25, [0, 0]).map(([x, y]) => ({ x, y }));
  const chart = plot({ width: 300, height: 200, marks: [Plot.dot(data, { x: 'x', y: 'y' }), Plot.ruleY([0])], x: { label: 'position' } });
  assert.ok(isPlotChart(chart));
  assert.equal(chart.tagName.toLowerCase(), 'svg');
  const svg = plotToSvg(chart);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<circle/g)?.length, 25);
  assert.ok(svg.includes('position'));
  const png = decodePng(toPng(svg, { scale: 1 }));
  assert.deepEqual([png.width, png.height], [300, 200]);
  // Axis tick labels sit in the bottom 20 px: they must have ink.
  assert.ok(inkPixels(png, { x: 0, y: 180, width: 300, height: 20 }) > 100);
  const doc = plotDocument() as unknown as { createElement(tag: string): { tagName: string } };
  assert.equal(doc.createElement('div').tagName.toLowerCase(), 'div');
});

test('a plot with a title is an HTML <figure>: plotToSvg refuses it; bad options throw', () => {
  const fig = plot({ title: 'Title', marks: [Plot.dot([{ x: 1, y: 1 }], { x: 'x', y: 'y' })] });
  assert.equal(fig.tagName.toLowerCase(), 'figure');
  assert.throws(() => plotToSvg(fig), /plotToSvg: option "chart" = "<figure>", expected a bare <svg> chart/);
  assert.throws(() => plot(null as never), /plot: option "options" = null, expected Observable Plot options/);
  assert.throws(() => plotToSvg({} as never), /plotMarkup: option "chart" = \{\}, expected a chart returned by plot\(\)/);
});
