import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, split } from '../../lib/core/random.js';
import { ksTwoSample } from '../../lib/metrics/ks.js';
import { marginalKs, maxMarginalKs, slicedKs } from '../../lib/metrics/marginalKs.js';
import { randomUnitDirections } from '../../lib/metrics/randomDirections.js';
import { useBackend } from '../helpers/backends.js';
import { gaussianRows } from './metrics-fixtures.js';

before(async () => {
  await useBackend('wasm');
});

test('marginal KS: per-coordinate two-sample statistics and their maximum', async () => {
  const [kx, ky] = split(key(51), 2);
  const x = gaussianRows(kx, 300, [0, 0, 0], [1, 1, 1]);
  const y = gaussianRows(ky, 250, [0, 0.8, 0], [1, 1, 3]);
  const perCoordinate = await marginalKs(x, y);
  for (let j = 0; j < 3; j++) {
    assert.equal(perCoordinate[j], ksTwoSample(x.map((r) => r[j]), y.map((r) => r[j])).statistic);
  }
  assert.equal(await maxMarginalKs(x, y), Math.max(...perCoordinate));
  // Hand case: identical first coordinates (D = 0), disjoint second coordinates (D = 1).
  assert.deepEqual(Array.from(await marginalKs([[0, 0], [1, 1], [2, 2]], [[2, 5], [0, 6], [1, 7]])), [0, 1]);
});

test('sliced KS (exact): 0 for identical sets; in 1-D every direction is +-1, so it is the two-sample KS statistic', async () => {
  const x = gaussianRows(key(52), 200, [1, 2], [1, 0.5]);
  assert.equal(await slicedKs(x, x, { key: key(1) }), 0);
  const a = [0.3, -1, 2, 5, 0.7];
  const b = [0.1, 0.2, 4, -3];
  const sliced = await slicedKs(a, b, { key: key(2), numDirections: 16 });
  assert.ok(Math.abs(sliced - ksTwoSample(a, b).statistic) < 1e-12, `${sliced}`); // a mean of 16 equal values
});

test('sliced KS (binned, SLIPS): a hand example on the reference range, samples outside the range dropped', async () => {
  // reference {-3, -1, 1, 3}, 3 bins on [-3, 3] (edges -3, -1, 1, 3): counts 1, 1, 2 -> CDF .25, .5, 1.
  // samples {-2, 0, -8, 10}: -8 and 10 are dropped; direction +1: counts 1, 1, 0 -> CDF .5, 1, 1 -> KS .5;
  // direction -1 (samples {2, 0}): counts 0, 1, 1 -> CDF 0, .5, 1 -> KS .25. (Pooled mean 0: no shift.)
  const reference = [-3, -1, 1, 3];
  const samples = [-2, 0, -8, 10];
  const k = key(3);
  const numDirections = 32;
  const u = randomUnitDirections(k, numDirections, 1);
  const expected = Array.from(u).reduce((s, v) => s + (v > 0 ? 0.5 : 0.25), 0) / numDirections;
  assert.equal(await slicedKs(reference, samples, { key: k, numDirections, bins: 3 }), expected);
  // Every sample outside the reference range: distance 1 in every direction.
  assert.equal(await slicedKs(reference, [10, 11], { key: k, bins: 3 }), 1);
});

test('sliced KS of two samples from one distribution is at the null scale; a shifted sample is far above it', async () => {
  // Under the null, each direction's KS statistic has mean ~0.87 / sqrt(n_eff) and sd ~0.26 / sqrt(n_eff)
  // (Kolmogorov distribution); the mean over directions is below mean + 4 sd = 1.91 / sqrt(n_eff).
  const [kx, ky, kz] = split(key(53), 3);
  const x = gaussianRows(kx, 1000, [0, 0, 0], [1, 2, 0.5]);
  const y = gaussianRows(ky, 800, [0, 0, 0], [1, 2, 0.5]);
  const z = gaussianRows(kz, 800, [1, 0, 0], [1, 2, 0.5]); // shifted by one sd along the first axis
  const nEff = (1000 * 800) / 1800;
  const bound = 1.91 / Math.sqrt(nEff);
  assert.ok(await slicedKs(x, y, { key: key(4) }) < bound);
  assert.ok(await slicedKs(x, z, { key: key(4) }) > bound);
  // The papers' binned version stays within a bin's worth of mass + dropped samples of the exact one here.
  const exact = await slicedKs(x, z, { key: key(4) });
  const binned = await slicedKs(x, z, { key: key(4), bins: 1024 });
  assert.ok(Math.abs(binned - exact) < 0.02, `binned ${binned} vs exact ${exact}`);
});

test('determinism, tensor inputs and a flat tensor count', async () => {
  const [kx, ky] = split(key(54), 2);
  const x = tf.tensor2d(gaussianRows(kx, 200, [0, 0], [1, 1]));
  const y = tf.tensor2d(gaussianRows(ky, 150, [0.2, 0], [1, 1]));
  const before = tf.memory().numTensors;
  const a = await slicedKs(x, y, { key: key(5) });
  assert.equal(await slicedKs(x, y, { key: key(5) }), a);
  assert.notEqual(await slicedKs(x, y, { key: key(6) }), a);
  assert.deepEqual(await marginalKs(x, y), await marginalKs(await x.array(), await y.array()));
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
});

test('bad inputs throw errors naming the option, the value and what was expected', async () => {
  const x = [[0, 1], [1, 0]];
  await assert.rejects(() => marginalKs(x, [[1, 2, 3]]), /marginalKs: option "y" has d = 3 coordinates but "x" has d = 2/);
  await assert.rejects(() => maxMarginalKs([], x), /maxMarginalKs: option "x" = \[\], expected at least 1 sample/);
  await assert.rejects(() => marginalKs(x, [[0, NaN]]), /option "y" has a non-finite entry NaN at row 0, column 1/);
  await assert.rejects(() => slicedKs(x, x, {} as never), /slicedKs: option "key" = undefined, expected a Key/);
  await assert.rejects(() => slicedKs(x, x, { key: key(1), bins: 0 }), /option "bins" = 0, expected an integer >= 1/);
  await assert.rejects(() => slicedKs(x, x, { key: key(1), numDirections: 1.5 }), /option "numDirections" = 1.5, expected an integer >= 1/);
  await assert.rejects(() => slicedKs(x, [[1]], { key: key(1) }), /option "samples" has d = 1 coordinates but "reference" has d = 2/);
});
