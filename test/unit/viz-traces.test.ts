import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traces } from '../../lib/viz/traces.js';
import { markItems, markPaths, normals, renderClean, svgTexts } from './viz-fixtures.js';

type Spec = { datasets: { traces: { step: number; chain: string; value: number | null }[] }; title?: { text: string; subtitle?: string[] } };
const asSpec = (s: unknown) => s as Spec;

function randomWalk(seed: number, steps: number, chains: number): number[][] {
  const z = normals(seed);
  const rows = [Array(chains).fill(0)];
  for (let s = 1; s < steps; s++) rows.push(rows[s - 1].map((v: number) => 0.9 * v + z()));
  return rows;
}

test('[steps, chains] matrix: one line per chain, every value in the data, step numbers from stepStart/stepEvery', async () => {
  const trace = randomWalk(1, 120, 3);
  const spec = traces({ trace, label: 'log density', stepStart: 100, stepEvery: 5 });
  const rows = asSpec(spec).datasets.traces;
  assert.equal(rows.length, 360);
  for (const r of rows) assert.equal(r.value, trace[(r.step - 100) / 5][Number(r.chain)]);
  const svg = await renderClean(spec);
  assert.equal(markItems(svg, 'line'), 3);
  const texts = svgTexts(svg);
  for (const t of ['log density', 'step', 'chain', '0', '1', '2']) assert.ok(texts.includes(t), `SVG has the text ${t}`);
});

test('per-chain arrays of different lengths (Float32Array too) give the same rows as the matrix form', async () => {
  const trace = randomWalk(2, 30, 2);
  const a = asSpec(traces({ trace })).datasets.traces;
  const b = asSpec(traces({ chains: [trace.map((r) => r[0]), Float64Array.from(trace.map((r) => r[1]))] })).datasets.traces;
  assert.deepEqual(b, a);
  const uneven = traces({ chains: [[1, 2, 3], Float32Array.from([4, 5])], chainNames: ['MALA', 'HMC'] });
  assert.deepEqual(asSpec(uneven).datasets.traces.map((r) => [r.chain, r.step, r.value]), [['MALA', 0, 1], ['MALA', 1, 2], ['MALA', 2, 3], ['HMC', 0, 4], ['HMC', 1, 5]]);
  assert.equal(markItems(await renderClean(uneven), 'line'), 2);
});

test('non-finite values become null gaps (counted), long runs are thinned and extra chains left out (noted)', async () => {
  const trace = randomWalk(3, 50, 2);
  trace[20][1] = NaN;
  trace[21][1] = Infinity;
  const spec = asSpec(traces({ trace }));
  const chain1 = spec.datasets.traces.filter((r) => r.chain === '1');
  assert.deepEqual([chain1[20].value, chain1[21].value], [null, null]);
  assert.deepEqual(spec.title!.subtitle, ['2 non-finite values (gaps)']);
  const svg = await renderClean(spec);
  // The broken chain is drawn in two pieces: its path has two move-to commands, the other chain's one.
  const moves = markPaths(svg, 'line').map((d) => (d.match(/M/g) ?? []).length);
  assert.deepEqual(moves.sort(), [1, 2]);

  const long = asSpec(traces({ trace: randomWalk(4, 1000, 12), maxSteps: 100, maxChains: 3 }));
  assert.equal(long.datasets.traces.length, 3 * 100);
  assert.deepEqual([...new Set(long.datasets.traces.map((r) => r.step))].slice(0, 3), [0, 10, 20]);
  assert.deepEqual(long.title!.subtitle, ['3 of 12 chains shown', 'at most 100 points per chain shown (evenly thinned)']);
});

test('bad input: clear errors', () => {
  assert.throws(() => traces({}), /traces: option "trace" = undefined, expected exactly one of "trace" \(\[steps, chains\] matrix\) or "chains"/);
  assert.throws(() => traces({ trace: [[1]], chains: [[1]] }), /expected exactly one of "trace"/);
  assert.throws(() => traces({ chains: [[1, 2], []] }), /option "chains" has entry \[1\] = \[\], expected a non-empty array of numbers \(one chain\)/);
  assert.throws(() => traces({ chains: [[1, '2']] as never }), /option "chains" has entry \[0\]\[1\] = "2", expected a number/);
  assert.throws(() => traces({ trace: [[1, 2], [3]] }), /option "trace" has entry \[1\] = \[3\], expected a row of 2 numbers/);
  assert.throws(() => traces({ trace: [[1, 2]], chainNames: ['a'] }), /option "chainNames" = \["a"\], expected 2 names, one per chain/);
  assert.throws(() => traces({ trace: [[1]], maxSteps: 1 }), /option "maxSteps" = 1, expected an integer >= 2/);
  assert.throws(() => traces({ trace: [[1]], stepEvery: 0 }), /option "stepEvery" = 0, expected a finite number > 0/);
  assert.throws(() => traces({ trace: [[1]], lable: 'x' } as never), /option "lable" = "x", expected no such option/);
});
