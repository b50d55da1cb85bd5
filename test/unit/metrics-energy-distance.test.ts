import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, split, foldIn } from '../../lib/core/random.js';
import { erf } from '../../lib/core/special.js';
import { energyDistance } from '../../lib/metrics/energyDistance.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd } from '../helpers/stats.js';
import { bruteForcePairSum, gaussianRows } from './metrics-fixtures.js';

before(async () => {
  await useBackend('wasm');
});

/** E|Z| for Z ~ N(mu, s^2): s sqrt(2/pi) exp(-mu^2 / (2 s^2)) + mu erf(mu / (s sqrt 2)). */
function meanAbsNormal(mu: number, s: number): number {
  return s * Math.sqrt(2 / Math.PI) * Math.exp(-(mu * mu) / (2 * s * s)) + mu * erf(mu / (s * Math.SQRT2));
}

function bruteForceEnergy(x: number[][], y: number[][], unbiased: boolean): number {
  const dist = Math.sqrt;
  const n = x.length;
  const m = y.length;
  const xx = bruteForcePairSum(x, x, dist, true) / (unbiased ? n * (n - 1) : n * n);
  const yy = bruteForcePairSum(y, y, dist, true) / (unbiased ? m * (m - 1) : m * m);
  return (2 * bruteForcePairSum(x, y, dist)) / (n * m) - xx - yy;
}

test('matches a float64 brute force (both estimators, unequal sizes, small blocks)', async () => {
  const [kx, ky] = split(key(21), 2);
  const x = gaussianRows(kx, 130, [0, 1, -1], [1, 2, 0.5]);
  const y = gaussianRows(ky, 77, [0.5, 1, -1.5], [1, 1, 1]);
  for (const estimator of ['biased', 'unbiased'] as const) {
    const expected = bruteForceEnergy(x, y, estimator === 'unbiased');
    const got = await energyDistance(x, y, { estimator });
    // float32 distances (relative error ~1e-6 of E|X - Y| ~ 3): 1e-4 absolute is ~30x that.
    assert.ok(Math.abs(got - expected) < 1e-4, `${estimator}: ${got} vs ${expected}`);
    assert.ok(Math.abs(await energyDistance(x, y, { estimator, blockSize: 20 }) - got) < 1e-5);
  }
});

test('identical sample sets give 0 (V-statistic) up to float32 rounding of the distances', async () => {
  const x = gaussianRows(key(4), 300, [2, -1], [1, 3]);
  const scale = bruteForcePairSum(x, x, Math.sqrt, true) / (300 * 299); // E|X - X'|
  const got = await energyDistance(x, x);
  // Each term is a mean of float32 distances (relative error ~1e-6); they cancel to ~1e-6 * scale.
  assert.ok(Math.abs(got) < 1e-5 * scale, `${got} (scale ${scale})`);
});

test('1-D normals: the unbiased estimate matches the closed form within 4 replicate standard errors', async () => {
  // D^2 = 2 E|X - Y| - E|X - X'| - E|Y - Y'| with X - Y ~ N(mu1 - mu2, s1^2 + s2^2), X - X' ~ N(0, 2 s1^2).
  const [mu1, s1, mu2, s2] = [0.5, 1, -0.3, 1.7];
  const truth =
    2 * meanAbsNormal(mu1 - mu2, Math.hypot(s1, s2)) - meanAbsNormal(0, Math.SQRT2 * s1) - meanAbsNormal(0, Math.SQRT2 * s2);
  const replicates = 10;
  const estimates: number[] = [];
  for (let r = 0; r < replicates; r++) {
    const [kx, ky] = split(foldIn(key(77), r), 2);
    const x = gaussianRows(kx, 600, [mu1], [s1]).map((row) => row[0]); // flat 1-D input
    const y = gaussianRows(ky, 400, [mu2], [s2]).map((row) => row[0]);
    estimates.push(await energyDistance(x, y, { estimator: 'unbiased' }));
  }
  const { mean, sd } = meanAndSd(estimates);
  assert.ok(truth > 0.1, `the case needs a clearly non-zero distance (truth ${truth})`);
  assert.ok(Math.abs(mean - truth) < (4 * sd) / Math.sqrt(replicates), `mean ${mean} truth ${truth} sd ${sd}`);
});

test('tensor input, flat tensor count, determinism', async () => {
  const [kx, ky] = split(key(8), 2);
  const x = tf.tensor2d(gaussianRows(kx, 200, [0, 0], [1, 1]));
  const y = tf.tensor2d(gaussianRows(ky, 150, [1, 0], [1, 2]));
  const before = tf.memory().numTensors;
  const a = await energyDistance(x, y, { blockSize: 64 });
  const b = await energyDistance(x, y, { blockSize: 64 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(a, b);
  assert.ok(a > 0);
  tf.dispose([x, y]);
});

test('bad inputs throw errors naming the option, the value and what was expected', async () => {
  const x = [[0, 1], [2, 3]];
  await assert.rejects(() => energyDistance(x, [[1], [2]]), /energyDistance: option "y" has d = 1 coordinates but "x" has d = 2/);
  await assert.rejects(() => energyDistance([], x), /energyDistance: option "x" = \[\], expected at least 1 sample \(got n = 0\)/);
  await assert.rejects(() => energyDistance([[0, 1]], x, { estimator: 'unbiased' }), /option "x" .*at least 2 samples/);
  await assert.rejects(() => energyDistance(x, [[Infinity, 0]]), /option "y" has a non-finite entry Infinity at row 0, column 0/);
  await assert.rejects(() => energyDistance(x, x, { estimator: 'v' as never }), /option "estimator" = "v", expected one of "biased", "unbiased"/);
  await assert.rejects(() => energyDistance(x, x, { blockSize: 2.5 }), /option "blockSize" = 2.5, expected an integer >= 1/);
});
