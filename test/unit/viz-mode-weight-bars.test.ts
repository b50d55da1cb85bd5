import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modeWeightBars } from '../../lib/viz/modeWeightBars.js';
import { markElements, markItems, renderClean, svgTexts } from './viz-fixtures.js';

type Spec = { datasets: { estimated: { mode: string; method: string; weight: number }[]; truth: { mode: string; weight: number }[] } };
const asSpec = (s: unknown) => s as Spec;
const truth = [0.6, 0.3, 0.1];

test('grouped bars: one bar per (mode, method), one truth tick per mode, legend with the methods and the truth', async () => {
  const spec = modeWeightBars({ estimated: { MALA: [0.5, 0.45, 0.05], SMC: Float64Array.from([0.62, 0.28, 0.1]) }, truth, modeNames: ['A', 'B', 'C'] });
  const s = asSpec(spec);
  assert.deepEqual(s.datasets.truth, [{ mode: 'A', weight: 0.6 }, { mode: 'B', weight: 0.3 }, { mode: 'C', weight: 0.1 }]);
  assert.deepEqual(s.datasets.estimated.slice(0, 2), [{ mode: 'A', method: 'MALA', weight: 0.5 }, { mode: 'A', method: 'SMC', weight: 0.62 }]);
  const svg = await renderClean(spec);
  // Vega draws bars and ticks as rects: 6 bars in the first layer, 3 ticks in the second, each at its datum.
  assert.equal(markItems(svg, 'rect'), 9);
  const bars = markElements(svg, 'rect', 'layer_0_marks').map((e) => e.getAttribute('aria-label'));
  assert.equal(bars.length, 6);
  assert.ok(bars.includes('mode: A; weight: 0.62; method: SMC'), bars.join(' | '));
  const ticks = markElements(svg, 'rect', 'layer_1_marks').map((e) => e.getAttribute('aria-label'));
  assert.deepEqual(ticks, ['mode: A; weight: 0.6', 'mode: B; weight: 0.3', 'mode: C; weight: 0.1']);
  const texts = svgTexts(svg);
  for (const t of ['MALA', 'SMC', 'truth', 'A', 'B', 'C', 'weight', 'mode']) assert.ok(texts.includes(t), `SVG has the text ${t}`);
});

test('the three input forms give the same data', () => {
  const a = asSpec(modeWeightBars({ estimated: [0.5, 0.4, 0.1], truth, method: 'IS' }));
  const b = asSpec(modeWeightBars({ estimated: { IS: [0.5, 0.4, 0.1] }, truth }));
  const c = asSpec(modeWeightBars({ estimated: [{ method: 'IS', weights: [0.5, 0.4, 0.1] }], truth }));
  assert.deepEqual(b.datasets, a.datasets);
  assert.deepEqual(c.datasets, a.datasets);
  assert.deepEqual(a.datasets.estimated.map((r) => r.mode), ['1', '2', '3']);
});

test('bad input: clear errors', () => {
  assert.throws(() => modeWeightBars({ estimated: [0.5, 0.5], truth }), /modeWeightBars: option "estimated" = \[0.5,0.5\], expected 3 weights, one per mode of "truth", got 2/);
  assert.throws(() => modeWeightBars({ estimated: { MALA: [0.5, NaN, 0.1] }, truth }), /option "estimated.MALA" has entry \[1\] = NaN, expected a finite weight >= 0/);
  assert.throws(() => modeWeightBars({ estimated: [0.5, 0.4, 0.1], truth: [] }), /option "truth" = \[\], expected at least one weight/);
  assert.throws(() => modeWeightBars({ estimated: [0.5, 0.4, 0.1], truth: [0.5, -0.1, 0.6] }), /option "truth" has entry \[1\] = -0.1, expected a finite weight >= 0/);
  assert.throws(() => modeWeightBars({ estimated: [{ method: '', weights: truth }], truth }), /option "estimated" has entry \[0\] = .*expected \{ method: a non-empty name, weights: number\[\] \}/);
  assert.throws(() => modeWeightBars({ estimated: { truth: [0.5, 0.4, 0.1] }, truth }), /option "truthLabel" = "truth", expected a label different from every method name/);
  assert.throws(() => modeWeightBars({ estimated: {}, truth }), /option "estimated" = \{\}, expected at least one method/);
  assert.throws(() => modeWeightBars({ estimated: truth, truth, modeNames: ['a', 'a', 'b'] }), /option "modeNames" = \["a","a","b"\], expected distinct names/);
  assert.throws(() => modeWeightBars({ estimated: truth } as never), /option "truth" = undefined, expected a value \(this option is required\)/);
});
