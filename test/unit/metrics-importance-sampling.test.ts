import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, foldIn, type Key } from '../../lib/core/random.js';
import {
  importanceEss,
  logSumExp64,
  logZError,
  logZEstimate,
  normalizedWeights,
} from '../../lib/metrics/importanceSampling.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd } from '../helpers/stats.js';
import { gaussianRows } from './metrics-fixtures.js';

before(async () => {
  await useBackend('wasm');
});

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

// Unnormalised target gamma(x) = exp(-sum_j (x_j - mu_j)^2 / (2 sigma_j^2)), Z = prod_j sqrt(2 pi) sigma_j;
// proposal q = N(0, s^2 I), wider than the target in every direction.
const MU = [1, -0.5];
const SIGMA = [0.5, 1.2];
const PROPOSAL_STD = 2.5;
const LOG_Z = MU.length * 0.5 * Math.log(2 * Math.PI) + Math.log(SIGMA[0] * SIGMA[1]);

function gaussianLogWeights(k: Key, n: number): Float64Array {
  const d = MU.length;
  const x = gaussianRows(k, n, [0, 0], [PROPOSAL_STD, PROPOSAL_STD]);
  return Float64Array.from(x, (row) => {
    let logGamma = 0;
    let logQ = -0.5 * d * Math.log(2 * Math.PI * PROPOSAL_STD ** 2);
    for (let j = 0; j < d; j++) {
      logGamma -= (row[j] - MU[j]) ** 2 / (2 * SIGMA[j] ** 2);
      logQ -= row[j] ** 2 / (2 * PROPOSAL_STD ** 2);
    }
    return logGamma - logQ;
  });
}

test('logSumExp64 is stable for large and -Infinity entries', () => {
  close(logSumExp64([1000, 1000]), 1000 + Math.log(2), 1e-12);
  close(logSumExp64([-1000, -Infinity, -1000]), -1000 + Math.log(2), 1e-12);
  assert.equal(logSumExp64([-Infinity, -Infinity]), -Infinity);
});

test('equal weights: ESS = N, weights 1/N, log Z = the common log-weight, standard error 0', async () => {
  const n = 1000;
  const l = new Float64Array(n).fill(-3.25);
  close(await importanceEss(l), n, 1e-9);
  for (const w of await normalizedWeights(l)) close(w, 1 / n, 1e-15);
  const est = await logZEstimate(l);
  close(est.logZ, -3.25, 1e-12);
  close(est.standardError, 0, 1e-6);
});

test('one dominant weight: ESS = 1; a hand example (sum w)^2 / sum w^2 = 36 / 14 for weights 1, 2, 3', async () => {
  close(await importanceEss([0, -800, -900, -Infinity, -750]), 1, 1e-12);
  close(await importanceEss([0, Math.log(2), Math.log(3)].map((v) => v + 500)), 36 / 14, 1e-12);
  const w = await normalizedWeights([0, Math.log(2), Math.log(3)]);
  [1 / 6, 2 / 6, 3 / 6].forEach((expected, i) => close(w[i], expected, 1e-15));
  // se = sqrt((N / ESS - 1) / (N - 1)) = sample sd of w over (sqrt(N) mean w) for w = 1, 2, 3: sd 1, mean 2.
  close((await logZEstimate([0, Math.log(2), Math.log(3)])).standardError, 1 / (Math.sqrt(3) * 2), 1e-12);
});

test('log Z of a Gaussian by IS with a wider Gaussian proposal: within 4 delta-method standard errors', async () => {
  const est = await logZEstimate(gaussianLogWeights(key(41), 20000));
  assert.ok(est.standardError > 0 && est.standardError < 0.05, `se ${est.standardError}`);
  assert.ok(Math.abs(logZError(est.logZ, LOG_Z)) < 4 * est.standardError, `log Z ${est.logZ} vs ${LOG_Z} (se ${est.standardError})`);
  assert.ok(est.ess > 1000 && est.ess < 20000);
});

test('the delta-method standard error matches the replicate spread of log Z (chi-square bounds)', async () => {
  // R = 20 replicates: sd_emp / se ~ sqrt(chi2_19 / 19), inside [0.5, 1.55] with probability > 0.999.
  const replicates = 20;
  const estimates = await Promise.all(Array.from({ length: replicates }, (_, r) => logZEstimate(gaussianLogWeights(foldIn(key(42), r), 2000))));
  const { mean, sd } = meanAndSd(estimates.map((e) => e.logZ));
  const se = estimates.reduce((s, e) => s + e.standardError, 0) / replicates;
  assert.ok(sd / se > 0.5 && sd / se < 1.55, `replicate sd ${sd}, delta-method se ${se}`);
  assert.ok(Math.abs(mean - LOG_Z) < (4 * sd) / Math.sqrt(replicates), `mean ${mean} vs ${LOG_Z}`);
});

test('tensor input equals array input; logZError is signed', async () => {
  const l = [-1.5, 0.25, -3, 2];
  const t = tf.tensor1d(l);
  close(await importanceEss(t), await importanceEss(l), 1e-6);
  t.dispose();
  assert.equal(logZError(1.5, 2), -0.5);
  assert.equal(logZError(2, 1.5), 0.5);
});

test('bad inputs throw errors naming the option, the value and what was expected', async () => {
  await assert.rejects(() => importanceEss([]), /importanceEss: option "logWeights" = \[\], expected at least 1 entry \(got 0\)/);
  await assert.rejects(() => importanceEss([0, NaN]), /option "logWeights" has entry \[1\] = NaN, expected finite numbers or -Infinity/);
  await assert.rejects(() => logZEstimate([0, Infinity]), /logZEstimate: option "logWeights" has entry \[1\] = Infinity/);
  await assert.rejects(() => normalizedWeights([-Infinity, -Infinity]), /normalizedWeights: option "logWeights" = \[-Infinity,-Infinity\], expected at least one finite log-weight/);
  await assert.rejects(() => importanceEss('x' as never), /option "logWeights" = "x", expected a rank-1 tensor \[n\] or an array of numbers/);
  const m = tf.zeros([2, 2]);
  await assert.rejects(() => importanceEss(m), /option "logWeights" = Tensor\(float32, \[2, 2\]\), expected a rank-1 tensor/);
  m.dispose();
  assert.throws(() => logSumExp64([0, NaN]), /logSumExp64: option "values" has entry \[1\] = NaN, expected numbers \(not NaN\)/);
  assert.throws(() => logZError(NaN, 1), /logZError: option "estimate" = NaN, expected a finite number/);
  assert.throws(() => logZError(1, Infinity), /logZError: option "truth" = Infinity, expected a finite number/);
});
