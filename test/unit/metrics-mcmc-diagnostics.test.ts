import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, foldIn, normalArray, type Key } from '../../lib/core/random.js';
import { autocorrelation, autocovariance } from '../../lib/metrics/autocorrelation.js';
import { effectiveSampleSize, splitRHat, type ChainTrace } from '../../lib/metrics/mcmcDiagnostics.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd, sampleMean } from '../helpers/stats.js';

before(async () => {
  await useBackend('wasm');
});

/**
 * Stationary AR(1) chains x_t = mu + rho (x_{t-1} - mu) + sqrt(1 - rho^2) sigma eps_t, x_0 ~ N(mu, sigma^2),
 * one coordinate, as a ChainTrace (draw-major layout). Chain c gets mean means[c % means.length].
 */
function ar1Trace(k: Key, numDraws: number, numChains: number, rho: number, sigma: number, means: number[]): ChainTrace {
  const eps = normalArray(k, numDraws * numChains);
  const values = new Float64Array(numDraws * numChains);
  for (let c = 0; c < numChains; c++) {
    const mu = means[c % means.length];
    let x = mu + sigma * eps[c];
    for (let t = 0; t < numDraws; t++) {
      if (t > 0) x = mu + rho * (x - mu) + Math.sqrt(1 - rho * rho) * sigma * eps[t * numChains + c];
      values[t * numChains + c] = x;
    }
  }
  return { values, numDraws, numChains, dim: 1 };
}

test('autocovariance by FFT equals the direct biased sum (1/n) sum (x_i - m)(x_{i+t} - m)', () => {
  for (const n of [1, 2, 7, 100]) {
    const x = Array.from(normalArray(foldIn(key(1), n), n), (v, i) => v + 0.01 * i);
    const m = sampleMean(x);
    const gamma = autocovariance(x);
    for (let t = 0; t < n; t++) {
      let direct = 0;
      for (let i = 0; i + t < n; i++) direct += (x[i] - m) * (x[i + t] - m);
      assert.ok(Math.abs(gamma[t] - direct / n) < 1e-12, `n=${n}, lag ${t}`);
    }
  }
  const rho = autocorrelation([1, 3, 2, 5, 4], 2);
  assert.equal(rho.length, 3);
  assert.equal(rho[0], 1);
});

test('ESS of AR(1) chains: the mean of tau = N / ESS over replicates matches (1 + rho) / (1 - rho) within 4 SE', async () => {
  // Integrated autocorrelation time of AR(1): tau = (1 + rho) / (1 - rho), ESS = N (1 - rho) / (1 + rho).
  // Compared on tau (N / ESS; unbiased to O(tau / N)), tolerance 4 sd / sqrt(R) from the replicate spread.
  // rho < 0 exercises Geyer's antithetic case (ESS > N).
  const replicates = 16;
  for (const rho of [0.6, -0.3]) {
    const taus: number[] = [];
    for (let r = 0; r < replicates; r++) {
      const trace = ar1Trace(foldIn(key(rho > 0 ? 100 : 200), r), 2000, 4, rho, 1.5, [2]);
      taus.push((trace.numDraws * trace.numChains) / (await effectiveSampleSize(trace))[0]);
    }
    const { mean, sd } = meanAndSd(taus);
    const truth = (1 + rho) / (1 - rho);
    assert.ok(Math.abs(mean - truth) < (4 * sd) / Math.sqrt(replicates), `rho ${rho}: mean tau ${mean}, truth ${truth}, sd ${sd}`);
  }
});

test('split R-hat: ~1 for iid chains (chi-square bound), > 1.1 for chains stuck at different means or drifting', async () => {
  // iid chains: with M split chains of L draws, R-hat^2 = (L - 1) / L + (B / W) / L, B / W ~ chi2_{M-1} / (M-1);
  // P(chi2_7 / 7 > 5) ~ 1e-5, so 1 - 1/(2L) <= R-hat <= 1 + 2 / L.
  const iid = ar1Trace(key(7), 2000, 4, 0, 2, [1]);
  const L = 1000;
  const rIid = (await splitRHat(iid))[0];
  assert.ok(rIid >= Math.sqrt((L - 1) / L) - 1e-12 && rIid <= 1 + 2 / L, `R-hat ${rIid}`);
  // Well-mixed but autocorrelated chains stay close to 1.
  assert.ok((await splitRHat(ar1Trace(key(8), 2000, 4, 0.6, 1, [0])))[0] < 1.01);
  // Chains stuck in two different modes.
  const stuck = (await splitRHat(ar1Trace(key(9), 1000, 4, 0.3, 1, [0, 0, 3, 3])))[0];
  assert.ok(stuck > 1.1, `stuck chains R-hat ${stuck}`);
  // One chain drifting: only the split halves reveal it.
  const drift = ar1Trace(key(10), 1000, 1, 0, 1, [0]);
  for (let t = 0; t < 1000; t++) drift.values[t] += (3 * t) / 1000;
  assert.ok((await splitRHat(drift))[0] > 1.1);
  // Without splitting, one chain has no between-chain variance: R-hat = sqrt((N - 1) / N), the drift is invisible.
  assert.ok(Math.abs((await splitRHat(drift, { split: false }))[0] - Math.sqrt(999 / 1000)) < 1e-15);
});

test('non-split R-hat is Pyro gelman_rubin: sqrt(((N - 1) / N W + var(chain means)) / W)', async () => {
  const trace = ar1Trace(key(14), 300, 4, 0.3, 1, [0, 0.2, 1, 0.5]);
  const chains = [0, 1, 2, 3].map((c) => Array.from({ length: 300 }, (_, t) => trace.values[t * 4 + c]));
  const means = chains.map((x) => meanAndSd(x).mean);
  const within = chains.reduce((s, x) => s + meanAndSd(x).sd ** 2, 0) / 4;
  const between = meanAndSd(means).sd ** 2;
  const expected = Math.sqrt(((299 / 300) * within + between) / within);
  assert.ok(Math.abs((await splitRHat(trace, { split: false }))[0] - expected) < 1e-12);
  // Non-split ESS needs only 3 draws per chain.
  assert.equal((await effectiveSampleSize({ ...trace, numDraws: 3, values: trace.values.subarray(0, 12) }, { split: false })).length, 1);
});

test('every input layout gives the same per-coordinate results; a constant coordinate gives ESS = M L and R-hat 1', async () => {
  const numDraws = 61; // odd: the middle draw is dropped from the split chains
  const numChains = 3;
  const a = ar1Trace(key(11), numDraws, numChains, 0.5, 1, [0, 1, 2]);
  const b = ar1Trace(key(12), numDraws, numChains, -0.2, 3, [5]);
  const nested = Array.from({ length: numDraws }, (_, t) =>
    Array.from({ length: numChains }, (_, c) => [a.values[t * numChains + c], b.values[t * numChains + c], 4]),
  );
  const packed: ChainTrace = { values: Float64Array.from(nested.flat(2)), numDraws, numChains, dim: 3 };
  const tensor = tf.tensor3d(nested);
  const ess = await effectiveSampleSize(packed);
  const rhat = await splitRHat(packed);
  assert.deepEqual(await effectiveSampleSize(nested), ess);
  assert.deepEqual(await splitRHat(nested), rhat);
  assert.deepEqual((await effectiveSampleSize(a))[0], ess[0]);
  assert.deepEqual((await splitRHat(b))[0], rhat[1]);
  const singleCoordinate = nested.map((draw) => draw.map((cell) => cell[1]));
  assert.deepEqual((await effectiveSampleSize(singleCoordinate))[0], ess[1]);
  // float32 tensor input: the same up to float32 rounding of the draws.
  const fromTensor = await effectiveSampleSize(tensor);
  for (let j = 0; j < 2; j++) assert.ok(Math.abs(fromTensor[j] - ess[j]) < 1e-3 * ess[j]);
  tensor.dispose();
  assert.equal(ess[2], 2 * numChains * Math.floor(numDraws / 2));
  assert.equal(rhat[2], 1);
});

test('bad inputs throw errors naming the option, the value and what was expected', async () => {
  const good = ar1Trace(key(13), 10, 2, 0.5, 1, [0]);
  await assert.rejects(() => effectiveSampleSize({ ...good, numDraws: 5, values: good.values.subarray(0, 10) }),
    /effectiveSampleSize: option "trace" = .*expected at least 6 draws per chain \(got numDraws = 5\)/);
  await assert.rejects(() => splitRHat({ ...good, numDraws: 3, values: good.values.subarray(0, 6) }), /splitRHat: .*at least 4 draws per chain/);
  const withNaN = { ...good, values: Float64Array.from(good.values) };
  withNaN.values[7] = NaN;
  await assert.rejects(() => splitRHat(withNaN), /option "trace" has a non-finite value NaN at draw 3, chain 1, coordinate 0/);
  await assert.rejects(() => effectiveSampleSize({ ...good, values: new Float64Array(3) }),
    /option "trace.values" = a Float64Array of length 3, expected a Float64Array of numDraws \* numChains \* dim = 20 values/);
  await assert.rejects(() => effectiveSampleSize({ ...good, numChains: 0 }), /option "trace.numChains" = 0, expected an integer >= 1/);
  await assert.rejects(() => splitRHat([[1, 2], [1], [1, 2], [1, 2]]), /option "trace" = .*draw 1 is \[1\] but draw 0 has 2 chains/);
  await assert.rejects(() => splitRHat([1, 2, 3, 4] as never), /option "trace" = \[1,2,3,4\], expected a trace/);
  const flat = tf.zeros([8]);
  await assert.rejects(() => splitRHat(flat), /option "trace" = Tensor\(float32, \[8\]\), expected a trace/);
  flat.dispose();
  await assert.rejects(() => splitRHat(good, { split: 1 as never }), /splitRHat: option "split" = 1, expected true or false/);
  await assert.rejects(() => effectiveSampleSize(good, { splitt: true } as never), /option "splitt" = true, expected no such option/);
  assert.throws(() => autocorrelation([1, 1, 1]), /autocorrelation: option "series" = \[1,1,1\], expected a non-constant series/);
  assert.throws(() => autocorrelation([1, 2, 3], 3), /option "maxLag" = 3, expected an integer in \[0, 2\]/);
  assert.throws(() => autocovariance([1, NaN]), /autocovariance: option "series" has entry \[1\] = NaN, expected finite numbers/);
});
