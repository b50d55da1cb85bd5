import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { sweepCurves } from '../../lib/viz/sweepCurves.js';
import { markItems, markPaths, renderClean, svgTexts } from './viz-fixtures.js';

type Row = { series: string; x: number; y: number | null; lo: number | null; hi: number | null };
const rowsOf = (s: unknown) => (s as { datasets: { curves: Row[] } }).datasets.curves;

const sweep = ['MALA', 'HMC'].flatMap((series, k) =>
  [2, 4, 8, 16].map((x) => ({ series, x, y: (k + 1) * Math.log(x), lo: (k + 1) * Math.log(x) - 0.1, hi: (k + 1) * Math.log(x) + 0.1 })),
);

test('one line and one band per series, one dot per row; rows sorted by x within a series', async () => {
  const shuffled = [sweep[3], sweep[0], sweep[6], sweep[2], sweep[5], sweep[1], sweep[7], sweep[4]];
  const spec = sweepCurves({ rows: shuffled, xScale: 'log', xTitle: 'dimension', yTitle: 'MMD', title: 'sweep' });
  assert.deepEqual(rowsOf(spec), [...sweep.slice(4), ...sweep.slice(0, 4)].sort((a, b) => (a.series === b.series ? a.x - b.x : shuffled.findIndex((r) => r.series === a.series) - shuffled.findIndex((r) => r.series === b.series))));
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'line'), 2);
  assert.equal(markItems(svg, 'area'), 2);
  assert.equal(markItems(svg, 'symbol'), 8);
  const texts = svgTexts(svg);
  for (const t of ['sweep', 'dimension', 'MMD', 'MALA', 'HMC']) assert.ok(texts.includes(t), `SVG has the text ${t}`);
});

test('arquero tables, renamed fields, missing y (a gap), rows without a band, a single series (no legend)', async () => {
  const table = aq.table({ dim: [1, 2, 3, 4], err: [0.5, NaN, 0.3, 0.2] });
  const spec = sweepCurves({ rows: table, fields: { x: 'dim', y: 'err' }, points: false });
  assert.deepEqual(rowsOf(spec).map((r) => [r.x, r.y, r.lo, r.hi, r.series]), [[1, 0.5, null, null, ''], [2, null, null, null, ''], [3, 0.3, null, null, ''], [4, 0.2, null, null, '']]);
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'area'), 0);
  assert.equal(markItems(svg, 'symbol'), 0);
  assert.equal((markPaths(svg, 'line')[0].match(/M/g) ?? []).length, 2, 'the line breaks at the missing y');
  const texts = svgTexts(svg);
  assert.ok(texts.includes('dim') && texts.includes('err'), 'axis titles default to the field names');
});

test('bad input: clear errors', () => {
  assert.throws(() => sweepCurves({ rows: [] }), /sweepCurves: option "rows" = \[\], expected at least 1 row/);
  assert.throws(() => sweepCurves({ rows: [{ x: NaN, y: 1 }] }), /option "rows" has entry \[0\].x = NaN, expected a finite number/);
  assert.throws(() => sweepCurves({ rows: [{ x: 1, y: Infinity }] }), /entry \[0\].y = Infinity, expected a finite number, or NaN \/ null \/ undefined for a missing value/);
  assert.throws(() => sweepCurves({ rows: [{ x: 1, y: 1, lo: 2, hi: 1 }] }), /option "rows" has entry \[0\] = \{"x":1,"y":1,"lo":2,"hi":1\}, expected lo <= hi/);
  assert.throws(() => sweepCurves({ rows: [{ x: 1, y: 1, lo: 0 }] }), /expected both "lo" and "hi" or neither/);
  assert.throws(() => sweepCurves({ rows: [{ x: 0, y: 1 }], xScale: 'log' }), /entry \[0\].x = 0, expected a positive number \(xScale is "log"\)/);
  assert.throws(() => sweepCurves({ rows: [{ x: 1, y: -1 }], yScale: 'log' }), /entry \[0\].y = -1, expected a positive number \(yScale is "log"\)/);
  assert.throws(() => sweepCurves({ rows: [{ x: 1, y: 1 }, { x: 1, y: 2 }] }), /expected one row per \(series, x\); series "" has x = 1 twice/);
  assert.throws(() => sweepCurves({ rows: [{ x: 1, y: 1 }], xScale: 'symlog' as never }), /option "xScale" = "symlog", expected one of "linear", "log"/);
  assert.throws(() => sweepCurves({ rows: [{ x: 1, y: 1 }], fields: { z: 'a' } as never }), /option "z" = "a", expected no such option; known options: x, y, lo, hi, series/);
  assert.throws(() => sweepCurves({ rows: [{ x: 1, y: 1, series: 'a' }, { x: 1, y: 1, series: 'b' }], colors: ['red'] }), /option "colors" = \["red"\], expected at least 2 colours/);
  assert.throws(() => sweepCurves({ rows: 'x' as never }), /option "rows" = "x", expected an array of row objects or an arquero table/);
});
