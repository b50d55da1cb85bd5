import { test } from 'node:test';
import assert from 'node:assert/strict';
import { marginalHistograms } from '../../lib/viz/marginalHistograms.js';
import { densityHistogram } from '../../lib/viz/histogram.js';
import { gaussianRows, markItems, renderClean, svgTexts } from './viz-fixtures.js';

type Row = { coordinate: string; series: string; kind: string; binStart: number | null; binEnd: number | null; x: number; density: number };
type Spec = { datasets: { marginals: Row[] }; title?: { text: string; subtitle?: string[] } };
const rowsOf = (s: unknown) => (s as Spec).datasets.marginals;

const phi = (x: number, m: number) => Math.exp(-0.5 * (x - m) ** 2) / Math.sqrt(2 * Math.PI);

test('densityHistogram: counts / (n * width), last bin closed, outside values count in the total', () => {
  const h = densityHistogram([0, 0.1, 0.2, 0.9, 1], 0, 1, 2);
  assert.deepEqual([...h.binStart], [0, 0.5]);
  assert.deepEqual([...h.binEnd], [0.5, 1]);
  assert.deepEqual([...h.density], [3 / 2.5, 2 / 2.5]);
  const out = densityHistogram([-5, 0.25, 0.75, 7], 0, 1, 2);
  assert.deepEqual([...out.density], [1 / 2, 1 / 2]); // integrates to 1/2: half the values are outside
});

test('truth samples: one bar per bin for each set in every panel; histograms integrate to 1', async () => {
  const samples = gaussianRows(1, 400, [0, 2, -1]);
  const truth = gaussianRows(2, 300, [0, 2, -1]);
  const spec = marginalHistograms({ samples, truth, bins: 12, title: 'Marginals' });
  const rows = rowsOf(spec);
  assert.equal(rows.length, 3 * 2 * 12);
  for (const coordinate of ['x1', 'x2', 'x3']) {
    for (const series of ['samples', 'truth']) {
      const bars = rows.filter((r) => r.coordinate === coordinate && r.series === series);
      assert.equal(bars.length, 12);
      const mass = bars.reduce((a, r) => a + r.density * (r.binEnd! - r.binStart!), 0);
      assert.ok(Math.abs(mass - 1) < 1e-12, `${coordinate} ${series} mass ${mass}`);
    }
  }
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'rect'), 72);
  assert.equal(markItems(svg, 'line'), 0);
  const texts = svgTexts(svg);
  for (const t of ['Marginals', 'x1', 'x2', 'x3', 'samples', 'truth']) assert.ok(texts.includes(t), `SVG has the text ${t}`);
});

test('pdf truth (array of functions or one function of (x, coordinate)): one curve per panel, exact pdf values', async () => {
  const samples = gaussianRows(3, 300, [0, 1, 2, 3]);
  const pdfs = [0, 1, 2, 3].map((m) => (x: number) => phi(x, m));
  const spec = marginalHistograms({ samples, truth: pdfs, dims: [3, 1], bins: 10, curvePoints: 50, names: ['a', 'b', 'c', 'd'] });
  const rows = rowsOf(spec);
  const curves = rows.filter((r) => r.kind === 'curve');
  assert.equal(curves.length, 2 * 50);
  for (const r of curves) assert.equal(r.density, phi(r.x, r.coordinate === 'd' ? 3 : 1));
  assert.deepEqual([...new Set(rows.map((r) => r.coordinate))], ['d', 'b']);
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'line'), 2);
  assert.equal(markItems(svg, 'rect'), 2 * 10);

  const same = marginalHistograms({ samples, truth: (x, k) => phi(x, k), dims: [3, 1], bins: 10, curvePoints: 50, names: ['a', 'b', 'c', 'd'] });
  assert.deepEqual(rowsOf(same), rows);
});

test('non-finite values are dropped per coordinate and counted; a fixed range and more than 16 coordinates are noted', () => {
  const samples = gaussianRows(4, 50, [0, 0]);
  samples[2][1] = NaN;
  const spec = marginalHistograms({ samples, bins: 5 }) as unknown as Spec;
  assert.deepEqual(spec.title!.subtitle, ['samples x2: 1 of 50 values non-finite, not shown']);
  const mass = spec.datasets.marginals.filter((r) => r.coordinate === 'x2').reduce((a, r) => a + r.density * (r.binEnd! - r.binStart!), 0);
  assert.ok(Math.abs(mass - 1) < 1e-12);
  assert.throws(() => marginalHistograms({ samples, nonFinite: 'error' }), /option "samples" has entry \[2\]\[1\] = NaN, expected a finite number \(or nonFinite: "drop"\)/);

  const wide = gaussianRows(5, 10, Array(20).fill(0));
  const w = marginalHistograms({ samples: wide, bins: 3 }) as unknown as Spec;
  assert.equal(new Set(w.datasets.marginals.map((r) => r.coordinate)).size, 16);
  assert.match(w.title!.subtitle![0], /coordinates 1-16 of 20 shown/);
  const ranged = rowsOf(marginalHistograms({ samples, range: [-1, 1], bins: 4, dims: [0] }));
  assert.deepEqual(ranged.map((r) => r.binStart), [-1, -0.5, 0, 0.5]);
});

test('bad input: clear errors', () => {
  const samples = [[0, 1], [1, 2], [2, 3]];
  assert.throws(() => marginalHistograms({ samples, dims: [2] }), /option "dims" has entry \[0\] = 2, expected an integer coordinate index in \[0, 2\)/);
  assert.throws(() => marginalHistograms({ samples, dims: [0, 0] }), /option "dims" = \[0,0\], expected distinct coordinate indices/);
  assert.throws(() => marginalHistograms({ samples, names: ['a'] }), /option "names" = \["a"\], expected 2 names, one per column of samples/);
  assert.throws(() => marginalHistograms({ samples, truth: [[0, 1, 2]] }), /option "truth" = \[\[0,1,2\]\], expected exact samples with 2 columns like samples, got 3/);
  assert.throws(() => marginalHistograms({ samples, truth: [(x: number) => x] }), /expected 2 pdf functions, one per coordinate \(samples have 2 columns\), got 1/);
  assert.throws(() => marginalHistograms({ samples, truth: () => -1 }), /expected pdf functions returning finite densities >= 0; coordinate 0 \(x1\) gave -1 at x = /);
  assert.throws(() => marginalHistograms({ samples, bins: 0 }), /option "bins" = 0, expected an integer >= 1/);
  assert.throws(() => marginalHistograms({ samples: [] }), /option "samples" = \[\], expected at least 1 row/);
  assert.throws(() => marginalHistograms({ samples: [[NaN]] }), /option "samples" has no finite value in coordinate 0 \(x1\)/);
  assert.throws(() => marginalHistograms({ samples, bin: 3 } as never), /option "bin" = 3, expected no such option/);
  assert.throws(() => marginalHistograms({ samples, range: [2, 2] }), /option "range" = \[2,2\], expected an interval \[lo, hi\] of finite numbers with lo < hi/);
});
