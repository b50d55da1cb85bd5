/**
 * Resampling schemes and float64 weight helpers: known answers from given uniforms, unbiasedness of the offspring
 * counts (E[count_i] = N w_i, within z = 4.5 standard errors over 2000 replicates; z is Bonferroni over the 57
 * tested (particle, scheme) pairs), lower variance of systematic and stratified than multinomial, bad inputs.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { foldIn, key } from '../../lib/core/random.js';
import {
  gatherRows,
  multinomialResample,
  offspringCounts,
  resample,
  stratifiedResample,
  systematicResample,
  RESAMPLING_SCHEMES,
} from '../../lib/samplers/smc/resampling.js';
import { essFromLogWeights, logSumExp64, normaliseLogWeights, weightsFromLogWeights } from '../../lib/core/logspace.js';
import { conditionalEss } from '../../lib/samplers/smc/weights.js';
import { useBackend } from '../helpers/backends.js';

before(async () => {
  await useBackend('wasm');
});

const SMALL = [0.1, 0.2, 0.7];

test('known answers from given uniforms', () => {
  // Points (j + 0.5) / 3 = 1/6, 1/2, 5/6 against the cumulative weights 0.1, 0.3, 1.
  assert.deepEqual(Array.from(systematicResample(SMALL, 0.5)), [1, 2, 2]);
  // Points (0 + 0.6) / 3, (1 + 0.1) / 3, (2 + 0.5) / 3 = 0.2, 0.367, 0.833.
  assert.deepEqual(Array.from(stratifiedResample(SMALL, [0.6, 0.1, 0.5])), [1, 2, 2]);
  // Equal exponential spacings: the sorted points are 1/4, 2/4, 3/4.
  assert.deepEqual(Array.from(multinomialResample(SMALL, [0.5, 0.5, 0.5, 0.5])), [1, 2, 2]);
  // More or fewer draws than particles.
  // Points 0.05, 0.25, 0.45, 0.65, 0.85.
  assert.deepEqual(Array.from(systematicResample(SMALL, 0.25, 5)), [0, 1, 2, 2, 2]);
  assert.deepEqual(Array.from(systematicResample([0, 1, 0], 0.999999)), [1, 1, 1], 'zero-weight particles are never picked');
});

test('offspring counts are unbiased for every scheme; systematic and stratified have lower variance than multinomial', () => {
  // Asymmetric weights with a zero and a dominant particle.
  const n = 20;
  const raw = Array.from({ length: n }, (_, i) => (i === 3 ? 0 : i === n - 1 ? 5 * (i + 1) : i + 1));
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = Float64Array.from(raw, (w) => w / total);
  const replicates = 2000;
  const totalVariance: Record<string, number> = {};
  for (const scheme of RESAMPLING_SCHEMES) {
    const sum = new Float64Array(n);
    const sumSquares = new Float64Array(n);
    for (let r = 0; r < replicates; r++) {
      const ancestors = resample(foldIn(key(11), r), weights, scheme);
      assert.equal(ancestors.length, n);
      const counts = offspringCounts(ancestors, n);
      for (let i = 0; i < n; i++) {
        sum[i] += counts[i];
        sumSquares[i] += counts[i] * counts[i];
      }
    }
    let varianceSum = 0;
    for (let i = 0; i < n; i++) {
      const mean = sum[i] / replicates;
      const variance = (sumSquares[i] - replicates * mean * mean) / (replicates - 1);
      varianceSum += variance;
      const expected = n * weights[i];
      if (weights[i] === 0) {
        assert.equal(sum[i], 0, `${scheme}: a zero-weight particle was picked`);
        continue;
      }
      // |mean - N w_i| < z sd / sqrt(R), sd the empirical sd of the counts (a floor of 1e-9 for exact schemes).
      const bound = (4.5 * Math.max(Math.sqrt(variance), 1e-9)) / Math.sqrt(replicates);
      assert.ok(Math.abs(mean - expected) < bound, `${scheme}: particle ${i}: mean count ${mean}, expected ${expected} +- ${bound}`);
    }
    totalVariance[scheme] = varianceSum;
  }
  // Multinomial: sum_i N w_i (1 - w_i); the others are bounded by sum_i frac(N w_i)(1 - frac(N w_i)) <= N / 4.
  const multinomialExpected = Array.from(weights).reduce((a, w) => a + n * w * (1 - w), 0);
  assert.ok(Math.abs(totalVariance.multinomial / multinomialExpected - 1) < 0.15, `multinomial total variance ${totalVariance.multinomial} vs ${multinomialExpected}`);
  assert.ok(totalVariance.systematic < totalVariance.multinomial / 2, JSON.stringify(totalVariance));
  assert.ok(totalVariance.stratified < totalVariance.multinomial, JSON.stringify(totalVariance));
});

test('same key -> same ancestors', () => {
  for (const scheme of RESAMPLING_SCHEMES) {
    assert.deepEqual(resample(key(5), SMALL, scheme), resample(key(5), SMALL, scheme));
  }
});

test('gatherRows picks rows on the forward pass and leaks nothing', () => {
  const x = tf.tensor2d([[0, 1], [2, 3], [4, 5]]);
  const before = tf.memory().numTensors;
  const y = gatherRows(x, Int32Array.from([2, 2, 0]));
  assert.equal(tf.memory().numTensors, before + 1);
  assert.deepEqual(y.arraySync(), [[4, 5], [4, 5], [0, 1]]);
  tf.dispose([x, y]);
});

test('float64 weight helpers: log-sum-exp range, ESS, conditional ESS', () => {
  assert.equal(logSumExp64([1000, 1000]), 1000 + Math.log(2));
  assert.equal(logSumExp64([-Infinity, -Infinity]), -Infinity);
  assert.equal(logSumExp64([NaN, 0]), 0, 'NaN counts as a zero weight');
  const { logWeights, logSum } = normaliseLogWeights([-1000, -1000 + Math.log(3)]);
  assert.ok(Math.abs(logSum - (-1000 + Math.log(4))) < 1e-9);
  assert.deepEqual(Array.from(weightsFromLogWeights([-1000, -1000 + Math.log(3)])).map((w) => +w.toFixed(12)), [0.25, 0.75]);
  assert.ok(Math.abs(logSumExp64(logWeights)) < 1e-12);
  assert.ok(Math.abs(essFromLogWeights(new Float64Array(7)) - 7) < 1e-12);
  assert.ok(Math.abs(essFromLogWeights([0, -Infinity, -Infinity]) - 1) < 1e-12);
  // ESS of weights (1, 3): (1 + 3)^2 / (1 + 9) = 1.6.
  assert.ok(Math.abs(essFromLogWeights([0, Math.log(3)]) - 1.6) < 1e-12);
  // Conditional ESS: uniform current weights -> the ESS of the increments; zero increments -> N.
  const increments = [0.3, -2, 1.1, 0.7];
  assert.ok(Math.abs(conditionalEss([5, 5, 5, 5], increments) - essFromLogWeights(increments)) < 1e-12);
  assert.ok(Math.abs(conditionalEss([0, -1, -3, 2], [0, 0, 0, 0]) - 4) < 1e-12);
  // Non-uniform current weights W (normalised) and increments w: N (sum W w)^2 / sum W w^2.
  const current = [0, Math.log(2), Math.log(3), Math.log(4)];
  const W = [1, 2, 3, 4].map((v) => v / 10);
  const w = increments.map(Math.exp);
  const direct = (4 * W.reduce((a, Wi, i) => a + Wi * w[i], 0) ** 2) / W.reduce((a, Wi, i) => a + Wi * w[i] * w[i], 0);
  assert.ok(Math.abs(conditionalEss(current, increments) - direct) < 1e-9);
});

test('bad inputs give clear errors', () => {
  assert.throws(() => systematicResample([0.5, 0.6], 0.5), /systematicResample: option "weights" sums to 1.1, expected normalised weights/);
  assert.throws(() => systematicResample([1.5, -0.5], 0.5), /option "weights" has entry -0.5 at index 1, expected finite non-negative weights/);
  assert.throws(() => stratifiedResample([NaN, 1], [0.1, 0.2]), /option "weights" has entry NaN at index 0/);
  assert.throws(() => systematicResample([], 0.5), /option "weights" has length 0, expected at least one weight/);
  assert.throws(() => systematicResample(SMALL, 1), /option "uniform" has entry 1 at index 0, expected uniforms in \[0, 1\)/);
  assert.throws(() => systematicResample(SMALL, 0.5, 0), /option "numSamples" = 0, expected an integer >= 1/);
  assert.throws(() => multinomialResample(SMALL, [0.5]), /multinomialResample: option "numSamples" = 0, expected an integer >= 1/);
  assert.throws(() => resample(key(1), SMALL, 'residual' as never), /resample: option "scheme" = "residual", expected one of multinomial, systematic, stratified/);
  assert.throws(() => normaliseLogWeights([-Infinity, NaN]), /expected at least one finite log-weight/);
});
