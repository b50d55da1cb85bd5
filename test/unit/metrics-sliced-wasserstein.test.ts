import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, split, foldIn } from '../../lib/core/random.js';
import {
  slicedWasserstein,
  slicedWassersteinGaussianApprox,
  wasserstein1dSquaredSorted,
} from '../../lib/metrics/slicedWasserstein.js';
import { forEachProjectionGroup, randomUnitDirections } from '../../lib/metrics/randomDirections.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd } from '../helpers/stats.js';
import { gaussianRows } from './metrics-fixtures.js';

before(async () => {
  await useBackend('wasm');
});

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, j) => s + v * b[j], 0);

test('random unit directions: unit norm, deterministic per key', () => {
  const u = randomUnitDirections(key(1), 50, 4);
  for (let k = 0; k < 50; k++) assert.ok(Math.abs(dot(u.subarray(4 * k, 4 * k + 4), u.subarray(4 * k, 4 * k + 4)) - 1) < 1e-12);
  assert.deepEqual(randomUnitDirections(key(1), 50, 4), u);
  assert.notDeepEqual(randomUnitDirections(key(2), 50, 4), u);
});

test('1-D W2^2 between empirical measures: equal sizes = mean squared sorted difference; unequal sizes exact', () => {
  assert.equal(wasserstein1dSquaredSorted([0, 1, 5], [1, 1, 2]), (1 + 0 + 9) / 3);
  // Quantile functions of {0, 1} and {0, 0.5, 1}: they differ by 0.5 on (1/3, 2/3), so W2^2 = 0.25 / 3 = 1/12.
  assert.ok(Math.abs(wasserstein1dSquaredSorted([0, 1], [0, 0.5, 1]) - 1 / 12) < 1e-15);
  // The same empirical measure with every atom repeated twice is at distance 0.
  assert.equal(wasserstein1dSquaredSorted([0, 2, 3], [0, 0, 2, 2, 3, 3]), 0);
});

test('sliced W2 is exactly 0 for identical sets, and for a set against itself repeated (unequal sizes)', async () => {
  const x = gaussianRows(key(5), 200, [1, -2, 0.5], [1, 2, 0.3]);
  assert.equal(await slicedWasserstein(x, x, { key: key(9), numDirections: 64 }), 0);
  assert.equal(await slicedWasserstein(x, [...x, ...x], { key: key(9), numDirections: 64 }), 0);
  // In 1-D every direction is +-1: the hand example above.
  assert.ok(Math.abs((await slicedWasserstein([0, 1], [0, 0.5, 1], { key: key(3), numDirections: 8 })) ** 2 - 1 / 12) < 1e-7);
});

test('a shifted copy y = x + m: SW2^2 = mean_k (u_k . m)^2 exactly, and ~ |m|^2 / d within 4 MC standard errors', async () => {
  const d = 4;
  const m = [1.5, -0.5, 0.8, 0];
  const x = gaussianRows(key(6), 500, [0, 1, 0, -1], [1, 0.5, 2, 1]);
  const y = x.map((row) => row.map((v, j) => v + m[j]));
  const numDirections = 1024;
  const k = key(10);
  const sw2 = (await slicedWasserstein(x, y, { key: k, numDirections })) ** 2;
  // Projections of y are those of x shifted by u.m: the sorted projections differ by exactly u.m.
  const u = randomUnitDirections(k, numDirections, d);
  let exact = 0;
  for (let i = 0; i < numDirections; i++) exact += dot(u.subarray(i * d, (i + 1) * d), m) ** 2 / numDirections;
  assert.ok(Math.abs(sw2 - exact) < 1e-5 * exact, `${sw2} vs ${exact}`);
  // (u.m)^2 / |m|^2 ~ Beta(1/2, (d-1)/2) for u uniform on the sphere: mean 1/d, variance 2 (d-1) / (d^2 (d+2)).
  const m2 = dot(m, m);
  const sd = m2 * Math.sqrt((2 * (d - 1)) / (d * d * (d + 2)));
  assert.ok(Math.abs(sw2 - m2 / d) < (4 * sd) / Math.sqrt(numDirections), `${sw2} vs ${m2 / d}`);
  // SLIPS's centring removes the shift entirely.
  assert.ok(await slicedWasserstein(x, y, { key: k, numDirections: 64, center: true }) < 1e-5);
});

test('independent N(0, I) and N(m, I) samples: mean SW2^2 over replicates ~ |m|^2 / d within 4 standard errors', async () => {
  // Fresh samples and directions per replicate; tolerance 4 sd / sqrt(R) from the replicate spread. The O(1/n)
  // upward bias of empirical W2^2 (~4e-3 here) is far below the tolerance (~0.08).
  const d = 3;
  const m = [1.5, -0.5, 0.8];
  const replicates = 8;
  const estimates: number[] = [];
  for (let r = 0; r < replicates; r++) {
    const [kx, ky, ku] = split(foldIn(key(31), r), 3);
    const x = gaussianRows(kx, 1000, [0, 0, 0], [1, 1, 1]);
    const y = gaussianRows(ky, 800, m, [1, 1, 1]);
    estimates.push((await slicedWasserstein(x, y, { key: ku, numDirections: 256 })) ** 2);
  }
  const { mean, sd } = meanAndSd(estimates);
  const truth = dot(m, m) / d;
  assert.ok(Math.abs(mean - truth) < (4 * sd) / Math.sqrt(replicates), `mean ${mean} truth ${truth} sd ${sd}`);
});

test('Gaussian-approximation SW: y = c x + shift gives |1 - c| sqrt(E|x - mean|^2 / d) exactly', async () => {
  const x = gaussianRows(key(12), 400, [1, 2, 3], [1, 0.5, 2]);
  const c = 1.7;
  const y = x.map((row) => row.map((v, j) => c * v + [5, -1, 0][j]));
  const d = 3;
  const mean = [0, 1, 2].map((j) => x.reduce((s, r) => s + r[j], 0) / x.length);
  const m2 = x.reduce((s, r) => s + r.reduce((t, v, j) => t + (v - mean[j]) ** 2, 0), 0) / (x.length * d);
  const expected = Math.abs(1 - c) * Math.sqrt(m2);
  assert.ok(Math.abs(await slicedWassersteinGaussianApprox(x, y) - expected) < 1e-12);
  assert.ok(Math.abs(await slicedWassersteinGaussianApprox(y, x) - expected) < 1e-12);
  assert.equal(await slicedWassersteinGaussianApprox(x, x), 0);
});

test('determinism, tensor inputs and a flat tensor count', async () => {
  const [kx, ky] = split(key(13), 2);
  const x = tf.tensor2d(gaussianRows(kx, 300, [0, 0], [1, 1]));
  const y = tf.tensor2d(gaussianRows(ky, 200, [0.3, 0], [1, 1.5]));
  const before = tf.memory().numTensors;
  const a = await slicedWasserstein(x, y, { key: key(1), numDirections: 100 });
  assert.equal(await slicedWasserstein(x, y, { key: key(1), numDirections: 100 }), a);
  assert.notEqual(await slicedWasserstein(x, y, { key: key(2), numDirections: 100 }), a);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
});

test('bad inputs throw errors naming the option, the value and what was expected', async () => {
  const x = [[0, 1], [1, 0]];
  await assert.rejects(() => slicedWasserstein(x, x, {} as never), /slicedWasserstein: option "key" = undefined, expected a Key/);
  await assert.rejects(() => slicedWasserstein(x, x, { key: key(1), numDirections: 0 }), /option "numDirections" = 0, expected an integer >= 1/);
  await assert.rejects(() => slicedWasserstein(x, x, { key: key(1), center: 'yes' as never }), /option "center" = "yes", expected true or false/);
  await assert.rejects(() => slicedWasserstein(x, [[1, 2, 3]], { key: key(1) }), /option "y" has d = 3 coordinates but "x" has d = 2/);
  await assert.rejects(() => slicedWasserstein(x, [], { key: key(1) }), /option "y" = \[\], expected at least 1 sample/);
  await assert.rejects(() => slicedWasserstein(x, [[NaN, 1]], { key: key(1) }), /option "y" has a non-finite entry NaN at row 0, column 0/);
  await assert.rejects(() => slicedWasserstein(x, x, { key: [1, -1] as never }), /option "key" = \[1,-1\], expected a Key/);
  await assert.rejects(() => slicedWassersteinGaussianApprox(x, [[1]]), /slicedWassersteinGaussianApprox: option "y" has d = 1/);
  assert.throws(() => wasserstein1dSquaredSorted([], [1]), /expected at least 1 in each/);
  assert.throws(() => randomUnitDirections(key(1), 0, 3), /randomUnitDirections: option "numDirections" = 0, expected an integer >= 1/);
  assert.throws(() => randomUnitDirections(key(1), 4, 0), /randomUnitDirections: option "dim" = 0, expected an integer >= 1/);
  assert.throws(() => randomUnitDirections('seed' as never, 4, 2), /option "key" = "seed", expected a Key/);
  const t = tf.zeros([3, 2]) as tf.Tensor2D;
  const visit = () => assert.fail('not reached');
  await assert.rejects(() => forEachProjectionGroup([t], new Float64Array(5), 2, visit),
    /forEachProjectionGroup: option "directions" = a Float64Array of length 5, expected a Float64Array of numDirections \* d = 4 values/);
  await assert.rejects(() => forEachProjectionGroup([t, tf.zeros([2, 3]) as tf.Tensor2D], new Float64Array(4), 2, visit),
    /option "sampleSets" = Tensor\(float32, \[2, 3\]\), expected rank-2 tensors \[n, 2\] with the same d/);
  t.dispose();
});
