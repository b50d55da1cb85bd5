import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heatmap } from '../../lib/viz/heatmap.js';
import { markItems, renderClean, svgTexts } from './viz-fixtures.js';

type Cell = { x: string | number; y: string | number; value: number | null };
const cellsOf = (s: unknown) => (s as { datasets: { cells: Cell[] } }).datasets.cells;

const dims = [2, 8, 32, 64];
const qualities = ['poor', 'medium', 'good'];
const rows = dims.flatMap((x, i) => qualities.map((y, j) => ({ x, y, value: (i + 1) / (j + 1) })));

test('one rect per cell and, with showValues, one text per cell in the given format; categories in input order', async () => {
  const spec = heatmap({ rows, showValues: true, format: '.3f', xTitle: 'dimension', yTitle: 'flow', valueTitle: 'error' });
  assert.deepEqual(cellsOf(spec), rows);
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'rect'), 12);
  assert.equal(markItems(svg, 'text'), 12);
  const texts = svgTexts(svg);
  for (const t of ['4.000', '0.333', '1.333', 'dimension', 'flow', 'error', 'poor', 'good', '64']) assert.ok(texts.includes(t), `SVG has the text ${t}`);
  // Axis labels keep the input order (2, 8, 32, 64 and poor, medium, good), not an alphabetical one.
  const order = texts.filter((t) => ['2', '8', '32', '64'].includes(t));
  assert.deepEqual(order.slice(0, 4), ['2', '8', '32', '64']);
  const yOrder = texts.filter((t) => qualities.includes(t));
  assert.deepEqual(yOrder, qualities);

  const noText = await renderClean(heatmap({ rows }));
  assert.equal(markItems(noText, 'text'), 0);
});

test('missing values: blank cell, "–" when values are shown; explicit orders', async () => {
  const withGap = rows.map((r, i) => (i === 5 ? { ...r, value: NaN } : r));
  const spec = heatmap({ rows: withGap, showValues: true, xOrder: [64, 32, 8, 2], yOrder: ['good', 'medium', 'poor'] });
  assert.equal(cellsOf(spec)[5].value, null);
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'rect'), 11, 'the missing cell is not drawn');
  assert.equal(markItems(svg, 'text'), 12);
  assert.ok(svgTexts(svg).includes('–'));
});

test('bad input: clear errors', () => {
  assert.throws(() => heatmap({ rows: [{ x: 1, y: 'a', value: 1 }, { x: 1, y: 'a', value: 2 }] }), /heatmap: option "rows" has entry \[1\] = .*expected one row per \(x, y\); \(1, a\) appears twice/);
  assert.throws(() => heatmap({ rows: [{ x: '', y: 'a', value: 1 }] }), /option "rows" has entry \[0\].x = "", expected a category label/);
  assert.throws(() => heatmap({ rows: [{ x: 1, y: 'a', value: NaN }] }), /expected at least one row with a finite value \(all are missing\)/);
  assert.throws(() => heatmap({ rows: [{ x: 1, y: 'a', value: '3' }] as never }), /entry \[0\].value = "3", expected a finite number, or NaN \/ null \/ undefined for a missing value/);
  assert.throws(() => heatmap({ rows, xOrder: [2, 8] }), /option "xOrder" = \[2,8\], expected a list containing every category of the rows, missing 32/);
  assert.throws(() => heatmap({ rows, format: '.1f' }), /option "format" = ".1f", expected no format unless showValues is true/);
  assert.throws(() => heatmap({ rows, colors: ['red'] }), /option "colors" = \["red"\], expected no colors for a heat map/);
  assert.throws(() => heatmap({ rows, domain: [1, 0] }), /option "domain" = \[1,0\], expected an interval/);
  assert.throws(() => heatmap({ rows, showValue: true } as never), /option "showValue" = true, expected no such option/);
});
