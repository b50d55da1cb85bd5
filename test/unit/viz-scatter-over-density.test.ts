import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scatterOverDensity } from '../../lib/viz/scatterOverDensity.js';
import { gaussianRows, markItems, renderClean, svgTexts } from './viz-fixtures.js';

type Spec = { datasets: Record<string, Record<string, unknown>[]>; title?: { text: string; subtitle?: string[] }; layer: unknown[] };
const asSpec = (s: unknown) => s as Spec;

const logGauss = (x: number, y: number) => -0.5 * (x * x + y * y);

test('points over a heat map: one symbol per point of both sets, one rect per grid cell, inline data', async () => {
  const samples = gaussianRows(1, 150, [0, 0]);
  const reference = gaussianRows(2, 60, [0.5, 0]);
  const spec = scatterOverDensity({ samples, reference, density: logGauss, gridSize: 12, title: 'N(0, I)' });
  const s = asSpec(spec);
  assert.equal(s.datasets.points.length, 210);
  assert.equal(s.datasets.density.length, 144);
  assert.equal(s.datasets.contours, undefined);
  // The data rows are the input numbers, exactly.
  assert.deepEqual(s.datasets.points.filter((p) => p.set === 'samples').map((p) => [p.x, p.y]), samples);
  assert.deepEqual(s.datasets.points.filter((p) => p.set === 'reference').map((p) => [p.x, p.y]), reference);
  // Relative density: max 1 on the grid, exp(logp - max) elsewhere.
  const dens = s.datasets.density.map((c) => c.density as number);
  assert.equal(Math.max(...dens), 1);
  for (const c of s.datasets.density) {
    assert.ok(Math.abs((c.density as number) - Math.exp((c.logDensity as number) - Math.max(...s.datasets.density.map((d) => d.logDensity as number)))) < 1e-12);
  }
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'symbol'), 210);
  assert.equal(markItems(svg, 'rect'), 144);
  assert.equal(markItems(svg, 'rule'), 0);
  const texts = svgTexts(svg);
  for (const t of ['N(0, I)', 'samples', 'reference', 'density / max']) assert.ok(texts.includes(t), `SVG has the text ${t}`);
});

test('contours: one rule per contour segment; "both" draws heat map and contours; a grid density is used as given', async () => {
  const xs = [-2, -1, 0, 1, 2, 3];
  const ys = [-1, 0, 1, 2];
  const logDensity = ys.map((y) => xs.map((x) => logGauss(x, y)));
  const samples = gaussianRows(3, 40, [0, 0]);
  const spec = scatterOverDensity({ samples, density: { x: xs, y: ys, logDensity }, densityLayer: 'both', contourLevels: [0.3, 0.7] });
  const s = asSpec(spec);
  assert.equal(s.datasets.density.length, xs.length * ys.length);
  // Cell (i, j) of the data is (xs[i], ys[j]) with the value given at [j][i].
  const cell = s.datasets.density.find((c) => c.x === 3 && c.y === 2)!;
  assert.equal(cell.logDensity, logGauss(3, 2));
  assert.deepEqual([cell.x0, cell.x1, cell.y0, cell.y1], [2.5, 3.5, 1.5, 2.5]);
  const segments = s.datasets.contours.length;
  assert.ok(segments > 4, `${segments} contour segments`);
  assert.deepEqual([...new Set(s.datasets.contours.map((c) => c.level))], [0.3, 0.7]);
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'rule'), segments);
  assert.equal(markItems(svg, 'rect'), xs.length * ys.length);
  assert.equal(markItems(svg, 'symbol'), 40);

  const contoursOnly = asSpec(scatterOverDensity({ samples, density: logGauss, densityLayer: 'contours', gridSize: 10 }));
  assert.equal(contoursOnly.datasets.density, undefined);
  assert.ok(contoursOnly.datasets.contours.length > 0);
});

test('flat {shape, data} and Float32Array inputs give the same points; a tensor is refused (host data only)', () => {
  const rows = [[0.5, 1.25], [-1, 2], [3, -0.75]];
  const flat = Float32Array.from(rows.flat());
  const a = asSpec(scatterOverDensity({ samples: rows })).datasets.points;
  const b = asSpec(scatterOverDensity({ samples: { shape: [3, 2], data: flat } })).datasets.points;
  assert.deepEqual(b, a);
  // A runChain trace [numDraws, numChains, d] goes in as it is: every chain's draws, pooled.
  const trace = { shape: [1, 3, 2], data: flat };
  assert.deepEqual(asSpec(scatterOverDensity({ samples: trace })).datasets.points, a);
  assert.throws(() => scatterOverDensity({ samples: { shape: [1, 3, 1, 2], data: flat } }), /got rank 4/);
  // Shaped like a tf.Tensor2D: values behind methods (`data()` is async), so the builder cannot read them.
  const tensorLike = { shape: [3, 2], data: async () => flat, dataSync: () => flat };
  assert.throws(
    () => scatterOverDensity({ samples: tensorLike as never }),
    /scatterOverDensity: option "samples" = a tensor of shape \[3, 2\], expected a matrix \[n, 2\] .*not a tensor: pass `await x.array\(\)`/,
  );
});

test('non-finite rows are dropped and counted in the subtitle (or rejected with nonFinite: "error"); thinning is noted', async () => {
  const samples = gaussianRows(4, 20, [0, 0]);
  samples[3] = [NaN, 0];
  samples[7] = [1, Infinity];
  const spec = asSpec(scatterOverDensity({ samples }));
  assert.equal(spec.datasets.points.length, 18);
  assert.deepEqual(spec.title!.subtitle, ['samples: 2 of 20 points non-finite, not shown']);
  assert.equal(markItems(await renderClean(spec), 'symbol'), 18);
  assert.throws(() => scatterOverDensity({ samples, nonFinite: 'error' }), /scatterOverDensity: option "samples" has entry \[3\] = \[NaN,0\], expected finite coordinates/);
  assert.throws(() => scatterOverDensity({ samples: [[NaN, 1]] }), /option "samples" has no row with finite coordinates/);

  const many = gaussianRows(5, 1000, [0, 0]);
  const thinned = asSpec(scatterOverDensity({ samples: many, maxPoints: 100 }));
  assert.equal(thinned.datasets.points.length, 100);
  assert.deepEqual(thinned.datasets.points[1], { x: many[10][0], y: many[10][1], set: 'samples' });
  assert.match(thinned.title!.subtitle![0], /100 of 1000 points shown/);
});

test('bad input: clear errors naming the option, the value and what was expected', () => {
  const samples = [[0, 0], [1, 1]];
  assert.throws(() => scatterOverDensity({ samples: [[0, 0, 0]] }), /option "samples" = .*expected 2 columns \(shape \[n, 2\]\), got 3/);
  assert.throws(() => scatterOverDensity({ samples: [[0, 0], [1]] }), /option "samples" has entry \[1\] = \[1\], expected a row of 2 numbers/);
  assert.throws(() => scatterOverDensity({ samples: [] }), /option "samples" = \[\], expected at least 1 row/);
  assert.throws(() => scatterOverDensity({ samples: { shape: [2, 2], data: [1, 2, 3] } }), /expected data of length 2 \* 2 = 4 for shape \[2, 2\], got 3/);
  assert.throws(() => scatterOverDensity({ samples: [[0, '1']] as never }), /has entry \[0\]\[1\] = "1", expected a number/);
  assert.throws(() => scatterOverDensity({ samples, colour: 'red' } as never), /option "colour" = "red", expected no such option; known options: samples, reference/);
  assert.throws(() => scatterOverDensity({} as never), /option "samples" = undefined, expected a value \(this option is required\)/);
  assert.throws(() => scatterOverDensity({ samples, density: () => NaN }), /option "density" = a function( density)?, expected a function returning a finite log-density or -Infinity; it returned NaN at \(x, y\)/);
  assert.throws(() => scatterOverDensity({ samples, density: () => -Infinity }), /density that is positive somewhere on the grid/);
  assert.throws(
    () => scatterOverDensity({ samples, density: { x: [0, 1, 2], y: [0, 1], logDensity: [[0, 0, 0]] } }),
    /option "density.logDensity" = \[\[0,0,0\]\], expected 2 rows \(one per y value\) of 3 values, got 1 rows/,
  );
  assert.throws(() => scatterOverDensity({ samples, density: { x: [0, 2, 1], y: [0, 1], density: [1, 1, 1, 1, 1, 1] } }), /option "density.x" has entry \[2\] = 1, expected a finite number greater than entry \[1\]/);
  assert.throws(() => scatterOverDensity({ samples, density: { x: [0, 1], y: [0, 1], density: [1, -1, 1, 1] } }), /option "density.density" has entry \[1\] = -1, expected a finite number >= 0/);
  assert.throws(() => scatterOverDensity({ samples, density: { x: [0, 1], y: [0, 1] } }), /expected exactly one of "logDensity" or "density"/);
  assert.throws(() => scatterOverDensity({ samples, density: logGauss, contourLevels: [0.5] }), /option "contourLevels" = \[0.5\], expected no contour levels unless densityLayer is "contours" or "both"/);
  assert.throws(() => scatterOverDensity({ samples, density: logGauss, densityLayer: 'both', contourLevels: [1.5] }), /option "contourLevels" has entry \[0\] = 1.5, expected a number in \(0, 1\)/);
  assert.throws(() => scatterOverDensity({ samples, densityLayer: 'shade' as never }), /option "densityLayer" = "shade", expected one of "heatmap", "contours", "both"/);
  assert.throws(() => scatterOverDensity({ samples, domain: { x: [1, 0] } }), /option "domain.x" = \[1,0\], expected an interval \[lo, hi\]/);
  assert.throws(() => scatterOverDensity({ samples, width: -3 }), /option "width" = -3, expected a finite number > 0/);
  assert.throws(() => scatterOverDensity({ samples, reference: samples, colors: ['red'] }), /option "colors" = \["red"\], expected at least 2 colours, one per series/);
  assert.throws(() => scatterOverDensity({ samples, reference: samples, referenceLabel: 'samples' }), /option "referenceLabel" = "samples", expected a label different from samplesLabel/);
});
