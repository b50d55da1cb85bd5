/**
 * The posterior of X given Y = a X + √v Z, Tweedie's formula, and the MCMC posterior-mean estimator shared by SLIPS
 * and RDMC (lib/samplers/diffusion/observationPosterior.ts). Their accuracy as estimators is tested through the two
 * papers' front ends (test/unit/slips.test.ts: createMcmcDenoiser; test/unit/rdmc.test.ts: rdmcScoreEstimator);
 * here: the closed forms in both papers' parametrisations, and the estimator's mechanics (warm or fresh starts,
 * kept iterates, warm-up on the first call only, determinism, flat tensor count, errors).
 *
 * Target: 1-D Gaussian N(m, s2) with m = 1.5 (asymmetric about 0, so a sign error shows). Its posterior given y is
 * Gaussian with precision 1/s2 + a²/v and mean (m/s2 + a y/v) / precision, and p = law(Y) = N(a m, a² s2 + v).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { foldIn, key } from '../../lib/core/random.js';
import { geometricSchedule } from '../../lib/diffusion/localizationSchedules.js';
import {
  numKeptIterates,
  observationPosterior,
  posteriorMeanEstimator,
  tweedieScore,
  checkPosteriorMeanOptions,
} from '../../lib/samplers/diffusion/observationPosterior.js';
import { localizationPosterior } from '../../lib/samplers/diffusion/slips.js';
import { mala, type MalaState } from '../../lib/samplers/mcmc/mala.js';
import { adaptStepSizePerChain, SLIPS_RULE } from '../../lib/samplers/mcmc/stepSizeAdaptation.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { logDensityAndGrad } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

const M = 1.5;
const S2 = 0.4;
let target1d: GaussianTarget;
let mixture: GaussianMixtureTarget;

before(async () => {
  await useBackend('wasm');
  target1d = gaussian([M], S2);
  mixture = gaussianMixture({ weights: [2 / 3, 1 / 3], means: [[-1, 0.5], [1.5, -0.5]], covariances: [0.1, 0.3] });
});
after(() => {
  target1d.dispose();
  mixture.dispose();
});

const logPi = (x: number) => -0.5 * Math.log(2 * Math.PI * S2) - (x - M) ** 2 / (2 * S2);
const posteriorMean = (y: number, a: number, v: number) => (M / S2 + (a * y) / v) / (1 / S2 + (a * a) / v);

/** Both papers' (a, v) at a time t: SLIPS's localization with σ = 1.2 on the geometric schedule, RDMC's OU. */
const PARAMETRISATIONS = [
  { paper: 'SLIPS', t: 0.4, a: geometricSchedule().alpha(0.4), v: 1.2 * 1.2 * 0.4 },
  { paper: 'RDMC', t: 0.3, a: Math.exp(-0.3), v: -Math.expm1(-0.6) },
];

for (const { paper, t, a, v } of PARAMETRISATIONS) {
  test(`observationPosterior (${paper}, t = ${t}): log π(x) − |a x − y|² / (2v), its gradient, its maximiser`, () => {
    const yValues = [-1, 0.5, 2];
    const xValues = [0.2, 1.7, -0.4];
    const y = tf.tensor2d(yValues, [3, 1]);
    const x = tf.tensor2d(xValues, [3, 1]);
    const posterior = observationPosterior(target1d, y, a, v);
    const { logDensity, grad } = logDensityAndGrad(posterior, x);
    const logQ = logDensity.dataSync();
    const logQOnly = posterior.logDensity(x).dataSync();
    const g = grad.dataSync();
    const auto = tf.grad((z: tf.Tensor) => tf.sum(posterior.logDensity(z as tf.Tensor2D)))(x).dataSync();
    for (let i = 0; i < 3; i++) {
      const expected = logPi(xValues[i]) - (a * xValues[i] - yValues[i]) ** 2 / (2 * v);
      assert.ok(Math.abs(logQ[i] - expected) < 1e-4 * (1 + Math.abs(expected)), `row ${i}: ${logQ[i]} vs ${expected}`);
      assert.equal(logQOnly[i], logQ[i]);
      const expectedGrad = -(xValues[i] - M) / S2 - (a / v) * (a * xValues[i] - yValues[i]);
      assert.ok(Math.abs(g[i] - expectedGrad) < 1e-4 * (1 + Math.abs(expectedGrad)), `grad row ${i}: ${g[i]} vs ${expectedGrad}`);
      assert.ok(Math.abs(auto[i] - expectedGrad) < 1e-3 * (1 + Math.abs(expectedGrad)), `autodiff row ${i}: ${auto[i]}`);
    }
    // The gradient vanishes at the exact posterior mean (Gaussian posterior).
    const mode = tf.tensor2d(yValues.map((yi) => posteriorMean(yi, a, v)), [3, 1]);
    for (const gi of posterior.gradLogDensity!(mode).dataSync()) assert.ok(Math.abs(gi) < 1e-3, `gradient at the posterior mean: ${gi}`);
    tf.dispose([y, x, logDensity, grad, mode]);
  });
}

test("RDMC's form π(x) N(x; y / a, (e^{2t} − 1) I) is the same posterior: the log-densities differ by a constant in x", () => {
  const t = 0.3;
  const a = Math.exp(-t);
  const v = -Math.expm1(-2 * t);
  const y = tf.fill([5, 1], 0.7) as tf.Tensor2D;
  const xValues = [-1, -0.2, 0.4, 1.1, 2.5];
  const x = tf.tensor2d(xValues, [5, 1]);
  const logQ = observationPosterior(target1d, y, a, v).logDensity(x).dataSync();
  const s2 = Math.expm1(2 * t);
  const diffs = xValues.map((xi, i) => logQ[i] - (logPi(xi) - (xi - 0.7 / a) ** 2 / (2 * s2)));
  for (const d of diffs) assert.ok(Math.abs(d - diffs[0]) < 1e-4, `not constant in x: ${diffs}`);
  tf.dispose([y, x]);
});

test('tweedieScore: (a E[X | y] − y) / v is the score of N(a m, a² s2 + v) with the exact posterior mean', () => {
  for (const { a, v } of PARAMETRISATIONS) {
    const yValues = [-2, 0, 0.9, 3];
    const y = tf.tensor2d(yValues, [4, 1]);
    const mean = tf.tensor2d(yValues.map((yi) => posteriorMean(yi, a, v)), [4, 1]);
    const score = tweedieScore(mean, y, a, v).dataSync();
    yValues.forEach((yi, i) => {
      const expected = -(yi - a * M) / (a * a * S2 + v);
      assert.ok(Math.abs(score[i] - expected) < 1e-4 * (1 + Math.abs(expected)), `y = ${yi}: ${score[i]} vs ${expected}`);
    });
    tf.dispose([y, mean]);
  }
});

test("SLIPS's localizationPosterior is observationPosterior (the paper's name, kept for the notebook)", () => {
  assert.equal(localizationPosterior, observationPosterior);
});

test('posteriorMeanEstimator: warm or fresh starts, kept iterates, warm-up once, determinism, flat tensor count', () => {
  const n = 6;
  const C = 3;
  const y = mixture.sample(key(1), n);
  const a = 0.8;
  const v = 0.5;
  for (const warmStart of [true, false]) {
    const estimator = posteriorMeanEstimator(mixture, { numChains: C, numMcmcSteps: 5, numWarmupSteps: 7, initialStepSize: 0.05, warmStart });
    let freshStarts = 0;
    const fresh = () => {
      freshStarts++;
      return tf.tidy(() => tf.tile(tf.div(y, a), [C, 1]) as tf.Tensor2D);
    };
    const first = estimator.estimate(key(2), y, a, v, fresh);
    assert.deepEqual(first.mean.shape, [n, 2]);
    assert.ok(first.warmupAcceptanceRate !== null);
    assert.equal(estimator.totalMcmcSteps, 7 + 5);
    assert.equal(estimator.stepSizes!.shape[0], C * n);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const results: tf.Tensor[] = [];
    for (let call = 0; call < 3; call++) {
      const r = estimator.estimate(key(3 + call), y, a, v, fresh);
      assert.equal(r.warmupAcceptanceRate, null, 'warm-up on the first call only');
      const acceptance = r.acceptanceRate.dataSync()[0];
      assert.ok(acceptance > 0 && acceptance <= 1, `acceptance ${acceptance}`);
      results.push(r.mean, r.acceptanceRate);
      counts.push(tf.memory().numTensors - 2 * (call + 1));
    }
    assert.equal(freshStarts, warmStart ? 1 : 4, `warmStart ${warmStart}: fresh starts`);
    assert.ok(counts.every((c) => c === before), `tensor count not flat: ${counts} vs ${before}`);
    assert.equal(estimator.totalMcmcSteps, 7 + 4 * 5);
    tf.dispose([first.mean, first.acceptanceRate, first.warmupAcceptanceRate ?? [], ...results]);
    estimator.dispose();
  }
  // Same key, same state -> same numbers; the default start is y / a.
  const run = () => {
    const estimator = posteriorMeanEstimator(mixture, { numChains: 2, numMcmcSteps: 4, numWarmupSteps: 3 });
    const r = estimator.estimate(key(8), y, a, v);
    const values = Array.from(r.mean.dataSync());
    tf.dispose([r.mean, r.acceptanceRate, r.warmupAcceptanceRate ?? []]);
    estimator.dispose();
    return values;
  };
  assert.deepEqual(run(), run());
  y.dispose();
});

test('kept iterates: int(keepFraction · M) (SLIPS) or round (RDMC), at least one; the estimate is the documented algorithm', () => {
  const kept = (keepFraction: number, numMcmcSteps: number, keptRounding: 'down' | 'nearest') =>
    numKeptIterates(checkPosteriorMeanOptions('test', { keepFraction, numMcmcSteps, keptRounding }));
  assert.equal(kept(0.5, 32, 'down'), 16);
  assert.equal(kept(0.5, 32, 'nearest'), 16);
  assert.equal(kept(0.5, 5, 'down'), 2);
  assert.equal(kept(0.5, 5, 'nearest'), 3);
  assert.equal(kept(0.1, 4, 'down'), 1);
  // The estimate is the documented algorithm: C chains per particle (row c·N + i), started at y / a, the MALA
  // kernel with keys foldIn(key, j), per-chain step sizes adapted by SLIPS's rule after each step, the mean of the
  // last numKept iterates over steps and chains. Written out here with the kernel: the same numbers, bit for bit.
  const n = 3;
  const C = 2;
  const a = 0.9;
  const v = 0.4;
  const y = mixture.sample(key(4), n);
  for (const keptRounding of ['down', 'nearest'] as const) {
    const numKept = keptRounding === 'down' ? 2 : 3;
    const estimator = posteriorMeanEstimator(mixture, { numChains: C, numMcmcSteps: 5, keptRounding, numWarmupSteps: 0, initialStepSize: 0.05 });
    const r = estimator.estimate(key(5), y, a, v);
    const byHand = tf.tidy(() => {
      const yTiled = tf.tile(y, [C, 1]) as tf.Tensor2D;
      const kernel = mala(observationPosterior(mixture, yTiled, a, v));
      const start = tf.div(yTiled, a) as tf.Tensor2D;
      let state: MalaState = { position: start, ...logDensityAndGrad(kernel.target, start) };
      let h = tf.fill([C * n], 0.05, 'float32') as tf.Tensor1D;
      let sum = tf.zeros([C * n, 2]);
      for (let j = 0; j < 5; j++) {
        const step = kernel.step(foldIn(key(5), j), state, { stepSize: h });
        state = step.state;
        h = adaptStepSizePerChain(h, step.info.acceptanceRate, SLIPS_RULE);
        if (j >= 5 - numKept) sum = tf.add(sum, state.position);
      }
      return tf.div(tf.sum(tf.reshape(sum, [C, n, 2]), 0), C * numKept);
    });
    assert.deepEqual(Array.from(r.mean.dataSync()), Array.from(byHand.dataSync()), keptRounding);
    tf.dispose([r.mean, r.acceptanceRate, byHand]);
    estimator.dispose();
  }
  y.dispose();
});

test('bad input: errors name the option, the value and what was expected', () => {
  const y4 = tf.zeros([4, 2]) as tf.Tensor2D;
  const y3 = tf.zeros([3, 2]) as tf.Tensor2D;
  assert.throws(() => observationPosterior(mixture, tf.zeros([4, 3]) as tf.Tensor2D, 1, 1), /observationPosterior: option "y" has shape \[4, 3\], expected \[n, 2\]/);
  assert.throws(() => observationPosterior(mixture, y4, 1, 0), /observationPosterior: option "v" = 0, expected a finite number > 0/);
  assert.throws(() => observationPosterior(mixture, y4, -1, 1), /observationPosterior: option "a" = -1, expected a finite number > 0/);
  assert.throws(() => observationPosterior(mixture, y4, 0.5, 0.1).logDensity(y3), /observationPosterior: option "x" = a tensor with 3 rows, expected one row per conditioning row of y \(4\)/);
  assert.throws(() => posteriorMeanEstimator(mixture, { chains: 2 } as never), /posteriorMeanEstimator: option "chains" = 2, expected no such option/);
  assert.throws(() => posteriorMeanEstimator(mixture, { numChains: 0 }), /posteriorMeanEstimator: option "numChains" = 0, expected an integer >= 1/);
  assert.throws(() => posteriorMeanEstimator(mixture, { keptRounding: 'up' as never }), /option "keptRounding" = "up", expected one of "down", "nearest"/);
  assert.throws(() => posteriorMeanEstimator(mixture, { warmStart: 1 as never }), /option "warmStart" = 1, expected true or false/);
  assert.throws(() => posteriorMeanEstimator({ name: 'x' } as never), /posteriorMeanEstimator: option "target"/);
  const estimator = posteriorMeanEstimator(mixture, { numChains: 1, numMcmcSteps: 1, numWarmupSteps: 0 });
  const r = estimator.estimate(key(0), y4, 1, 1);
  tf.dispose([r.mean, r.acceptanceRate]);
  assert.throws(() => estimator.estimate(key(0), y3, 1, 1), /posteriorMeanEstimator.estimate: option "y" = .*expected \[4, 2\] \(the number of particles is fixed by the first call\)/);
  estimator.dispose();
  tf.dispose([y4, y3]);
});
