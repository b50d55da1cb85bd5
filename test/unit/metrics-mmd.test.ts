import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, split, foldIn } from '../../lib/core/random.js';
import { mmd, mmdSquared, medianHeuristicBandwidth } from '../../lib/metrics/mmd.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd } from '../helpers/stats.js';
import { bruteForcePairSum, gaussianRows, squaredDistance } from './metrics-fixtures.js';

before(async () => {
  await useBackend('wasm');
});

/**
 * E exp(-|X - Y|^2 / (2 h^2)) for independent X ~ N(m1, diag(s1^2)), Y ~ N(m2, diag(s2^2)): X - Y ~ N(m1 - m2, S)
 * with S = diag(s1^2 + s2^2), and for Z ~ N(mu, S), E exp(-|Z|^2 / (2h^2)) = prod_j (1 + S_j / h^2)^(-1/2)
 * exp(-mu_j^2 / (2 (S_j + h^2))).
 */
function gaussianKernelMean(m1: number[], s1: number[], m2: number[], s2: number[], h: number): number {
  let value = 1;
  for (let j = 0; j < m1.length; j++) {
    const variance = s1[j] ** 2 + s2[j] ** 2;
    value *= (1 + variance / (h * h)) ** -0.5 * Math.exp(-((m1[j] - m2[j]) ** 2) / (2 * (variance + h * h)));
  }
  return value;
}

function bruteForceMmd(x: number[][], y: number[][], h: number, unbiased: boolean): number {
  const k = (d2: number) => Math.exp(-d2 / (2 * h * h));
  const n = x.length;
  const m = y.length;
  const xx = bruteForcePairSum(x, x, k, unbiased);
  const yy = bruteForcePairSum(y, y, k, unbiased);
  const xy = bruteForcePairSum(x, y, k);
  return unbiased ? xx / (n * (n - 1)) + yy / (m * (m - 1)) - (2 * xy) / (n * m) : xx / n ** 2 + yy / m ** 2 - (2 * xy) / (n * m);
}

function lowerMedianPooledDistance(x: number[][], y: number[][]): number {
  const z = [...x, ...y];
  const d2: number[] = [];
  for (let i = 0; i < z.length; i++) for (let j = i + 1; j < z.length; j++) d2.push(squaredDistance(z[i], z[j]));
  d2.sort((a, b) => a - b);
  return Math.sqrt(d2[Math.floor((d2.length - 1) / 2)]);
}

test('median heuristic: lower median of the pooled pairwise distances, exact on a hand example', async () => {
  // pooled {0, 1, 3, 7}: distances 1, 3, 7, 2, 6, 4 -> sorted 1 2 3 4 6 7, lower median 3 (torch.median).
  assert.equal(await medianHeuristicBandwidth([0, 1], [3, 7]), 3);
});

test('median heuristic and MMD^2 match a float64 brute force on unequal, asymmetric samples', async () => {
  const [kx, ky] = split(key(11), 2);
  const x = gaussianRows(kx, 150, [0.4, -1, 2], [1, 0.5, 2]);
  const y = gaussianRows(ky, 97, [0, -0.6, 2.5], [1.5, 0.5, 1]);
  const h = await medianHeuristicBandwidth(x, y);
  const hTrue = lowerMedianPooledDistance(x, y);
  // float32 distances: relative error ~ 1e-6 on the median distance.
  assert.ok(Math.abs(h - hTrue) < 1e-5 * hTrue, `h = ${h}, brute force ${hTrue}`);
  for (const estimator of ['unbiased', 'biased'] as const) {
    const expected = bruteForceMmd(x, y, hTrue, estimator === 'unbiased');
    // Kernel values <= 1 in float32 (rel. error ~1e-6), averaged: the estimate is good to ~1e-6 absolute.
    const got = await mmdSquared(x, y, { estimator });
    assert.ok(Math.abs(got - expected) < 1e-5, `${estimator}: ${got} vs ${expected}`);
    // Small blocks (uneven last blocks, many off-diagonal self blocks) give the same sums.
    const blocked = await mmdSquared(x, y, { estimator, blockSize: 16 });
    assert.ok(Math.abs(blocked - got) < 1e-6, `blockSize 16: ${blocked} vs ${got}`);
  }
  const fixed = await mmdSquared(x, y, { bandwidth: 0.7 });
  assert.ok(Math.abs(fixed - bruteForceMmd(x, y, 0.7, true)) < 1e-5);
  assert.equal(await mmd(x, y, { bandwidth: 0.7 }), Math.sqrt(fixed));
});

test('median heuristic over more pairs than one buffer holds (2.2M > 2^21): equal to the brute-force lower median', async () => {
  const [kx, ky] = split(key(12), 2);
  const x = gaussianRows(kx, 1100, [0, 0], [1, 3]);
  const y = gaussianRows(ky, 1000, [2, 0], [1, 1]);
  const h = await medianHeuristicBandwidth(x, y);
  const hTrue = lowerMedianPooledDistance(x, y);
  assert.ok(Math.abs(h - hTrue) < 1e-5 * hTrue, `h = ${h}, brute force ${hTrue}`);
});

test('identical samples: biased MMD^2 = 0, unbiased MMD^2 = -2 (1 - S / n^2) / (n - 1) (S = sum_ij k), mmd = 1e-10', async () => {
  const x = gaussianRows(key(3), 200, [1, -2], [0.5, 3]);
  const h = 1.3;
  assert.ok(Math.abs(await mmdSquared(x, x, { bandwidth: h, estimator: 'biased' })) < 1e-6);
  // Unbiased with x = y: 2 [S_off / (n (n-1)) - (S_off + n) / n^2], a known negative number of order 1/n.
  const n = x.length;
  const sOff = bruteForcePairSum(x, x, (d2) => Math.exp(-d2 / (2 * h * h)), true);
  const expected = 2 * (sOff / (n * (n - 1)) - (sOff + n) / (n * n));
  const got = await mmdSquared(x, x, { bandwidth: h });
  assert.ok(expected < 0 && Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
  assert.equal(await mmd(x, x, { bandwidth: h }), 1e-10); // LRDS's sqrt(max(1e-20, MMD^2))
});

test('unbiased MMD^2 between two Gaussians matches the closed form within 4 replicate standard errors', async () => {
  // |mean of R estimates - MMD^2| < 4 sd / sqrt(R): the U-statistic is unbiased, sd is the replicate spread.
  const m1 = [0, 0.5, -1];
  const s1 = [1, 0.6, 1.4];
  const m2 = [0.8, 0.5, -0.4];
  const s2 = [1.3, 0.6, 0.9];
  const h = 1.5;
  const truth =
    gaussianKernelMean(m1, s1, m1, s1, h) + gaussianKernelMean(m2, s2, m2, s2, h) - 2 * gaussianKernelMean(m1, s1, m2, s2, h);
  const replicates = 10;
  const estimates: number[] = [];
  for (let r = 0; r < replicates; r++) {
    const [kx, ky] = split(foldIn(key(2024), r), 2);
    estimates.push(await mmdSquared(gaussianRows(kx, 500, m1, s1), gaussianRows(ky, 400, m2, s2), { bandwidth: h }));
  }
  const { mean, sd } = meanAndSd(estimates);
  assert.ok(truth > 0.05, `the test needs a clearly non-zero MMD^2 (truth ${truth})`);
  assert.ok(Math.abs(mean - truth) < (4 * sd) / Math.sqrt(replicates), `mean ${mean} truth ${truth} sd ${sd}`);
});

test('tensor and array inputs agree; tensor count is flat; results are deterministic', async () => {
  const [kx, ky] = split(key(5), 2);
  const x = gaussianRows(kx, 300, [0, 1], [1, 2]);
  const y = gaussianRows(ky, 260, [0.5, 1], [1, 1]);
  const xt = tf.tensor2d(x);
  const yt = tf.tensor2d(y);
  const fromArrays = await mmdSquared(x, y);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await mmdSquared(xt, yt, { blockSize: 100 });
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  assert.ok(Math.abs(await mmdSquared(xt, yt) - fromArrays) < 1e-6);
  assert.equal(await mmdSquared(xt, yt), await mmdSquared(xt, yt));
  tf.dispose([xt, yt]);
});

test('bad inputs throw errors naming the option, the value and what was expected', async () => {
  const x = [[0, 1], [1, 2], [2, 0]];
  await assert.rejects(() => mmdSquared(x, [[0, 1, 2], [1, 1, 1]]), /mmdSquared: option "y" has d = 3 coordinates but "x" has d = 2/);
  await assert.rejects(() => mmdSquared([], x), /mmdSquared: option "x" = \[\], expected at least 2 samples \(got n = 0\)/);
  await assert.rejects(() => mmdSquared([[0, 1]], x), /option "x" .*expected at least 2 samples \(got n = 1\)/);
  await assert.rejects(() => mmdSquared(x, [[0, NaN], [1, 1]]), /option "y" has a non-finite entry NaN at row 0, column 1/);
  await assert.rejects(() => mmdSquared(x, x, { bandwidth: -1 }), /option "bandwidth" = -1, expected a finite number > 0 or "median"/);
  await assert.rejects(() => mmdSquared(x, x, { estimator: 'fast' as never }), /option "estimator" = "fast", expected one of "unbiased", "biased"/);
  await assert.rejects(() => mmdSquared(x, x, { blockSize: 0 }), /option "blockSize" = 0, expected an integer >= 1/);
  await assert.rejects(() => mmdSquared(x, x, { bandwith: 1 } as never), /option "bandwith" = 1, expected no such option/);
  await assert.rejects(() => mmd(x, [[0, 1], [1]]), /mmd: option "y" = \[\[0,1\],\[1\]\], expected samples .*row 1/);
  const cube = tf.zeros([2, 2, 2]);
  await assert.rejects(() => mmdSquared(cube, x), /option "x" = Tensor\(float32, \[2, 2, 2\]\), expected samples \[n, d\]/);
  cube.dispose();
  await assert.rejects(() => medianHeuristicBandwidth(x, x, { blockSize: -4 }), /medianHeuristicBandwidth: option "blockSize" = -4, expected an integer >= 1/);
  await assert.rejects(() => medianHeuristicBandwidth(x, [[1, 2, 3]]), /medianHeuristicBandwidth: option "y" has d = 3 coordinates but "x" has d = 2/);
  await assert.rejects(() => medianHeuristicBandwidth([1, 1, 1], [1, 1]), /bandwidth 0 .*pass option "bandwidth" explicitly/);
});
