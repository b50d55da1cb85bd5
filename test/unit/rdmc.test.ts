/**
 * RDMC (lib/samplers/diffusion/rdmc.ts): the score estimators, budget accounting, determinism, memory, progress /
 * abort and bad input. The distributional tests are in test/stats/rdmc.test.ts; the OU posterior is the shared
 * observation posterior with a = e^{-t}, v = 1 - e^{-2t} (test/unit/observation-posterior.test.ts).
 *
 * Score estimators on a 1-D Gaussian target N(m, s2) (m = 1.5, asymmetric about 0 so a sign error shows): the
 * posterior q_t(x | y) is Gaussian with precision 1/s2 + a^2/v and mean (m/s2 + a y/v) / precision, so the exact
 * score is (a E[x | y] - y) / v. Each of n particles gets an independent estimate; the mean error over particles
 * must be within 4 sd / sqrt(n) of 0 (sd: the spread of the per-particle errors), and the spread itself must be of
 * the size Monte Carlo predicts (a posterior mean from at most numChains * numKept draws, at least one effective
 * draw per chain).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { rdmc, rdmcBudget, rdmcScoreEstimator, type RdmcOptions } from '../../lib/samplers/diffusion/rdmc.js';
import { costPerParticle, zeroCost } from '../../lib/samplers/particleSampler.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import { logDensityAndGrad, type Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd } from '../helpers/stats.js';

const M = 1.5;
const S2 = 0.4;
let target1d: GaussianTarget;
let target2d: GaussianTarget;

before(async () => {
  await useBackend('wasm');
  target1d = gaussian([M], S2);
  target2d = gaussian([1, -0.5], [[0.5, 0.2], [0.2, 0.3]]);
});
after(() => {
  target1d.dispose();
  target2d.dispose();
});

/** Exact posterior mean and variance of x given y at OU time t for the 1-D target. */
function exactPosterior(y: number, t: number): { mean: number; variance: number; score: number } {
  const a = Math.exp(-t);
  const v = -Math.expm1(-2 * t);
  const precision = 1 / S2 + (a * a) / v;
  const mean = (M / S2 + (a * y) / v) / precision;
  return { mean, variance: 1 / precision, score: (a * mean - y) / v };
}

/** Counts the rows the target is evaluated at: with a gradient, and density only. */
function counting(inner: Target): { target: Target; counts: { gradientRows: number; densityRows: number } } {
  const counts = { gradientRows: 0, densityRows: 0 };
  return {
    counts,
    target: {
      name: `counting(${inner.name})`,
      dim: inner.dim,
      logDensity(x) {
        counts.densityRows += x.shape[0];
        return inner.logDensity(x);
      },
      logDensityAndGrad(x) {
        counts.gradientRows += x.shape[0];
        return logDensityAndGrad(inner, x);
      },
    },
  };
}

for (const method of ['importance', 'mcmc'] as const) {
  test(`rdmcScoreEstimator (${method}): unbiased posterior mean and score on a 1-D Gaussian, error of Monte Carlo size`, () => {
    const n = 400;
    const t = 0.4;
    const yValues = Array.from({ length: n }, (_, i) => -1 + (3 * i) / (n - 1));
    const y = tf.tensor2d(yValues, [n, 1]);
    const options = method === 'importance'
      ? { method, numProposals: 1024 }
      : { method, numChains: 4, numMcmcSteps: 32, numWarmupSteps: 200, initialStepSize: 0.05, numProposals: 16 };
    const estimator = rdmcScoreEstimator(target1d, n, options);
    const { score, posteriorMean, acceptanceRate } = estimator.estimate(key(11), y, t);
    const s = score.dataSync();
    const pm = posteriorMean.dataSync();
    const meanErrors = yValues.map((yi, i) => pm[i] - exactPosterior(yi, t).mean);
    const scoreErrors = yValues.map((yi, i) => s[i] - exactPosterior(yi, t).score);
    for (const [what, errors] of [['posterior mean', meanErrors], ['score', scoreErrors]] as const) {
      const { mean, sd } = meanAndSd(errors);
      assert.ok(Math.abs(mean) < (4 * sd) / Math.sqrt(n), `${method} ${what}: mean error ${mean} vs 4 SE ${(4 * sd) / Math.sqrt(n)}`);
    }
    // Spread: at most sqrt(Var_post / 1) (one effective draw), at least sqrt(Var_post / (number of draws)) / 2.
    const postSd = Math.sqrt(exactPosterior(0, t).variance);
    const draws = method === 'importance' ? 1024 : 4 * 16;
    const { sd } = meanAndSd(meanErrors);
    assert.ok(sd < postSd && sd > postSd / Math.sqrt(draws) / 2, `${method}: spread ${sd}, posterior sd ${postSd}`);
    if (method === 'mcmc') {
      const acc = acceptanceRate!.dataSync()[0];
      assert.ok(acc > 0.5 && acc < 0.95, `MALA acceptance ${acc} (SLIPS rule aims at 0.75)`);
      assert.equal(estimator.stepSizes!.shape[0], 4 * n);
    } else {
      assert.equal(acceptanceRate, null);
    }
    tf.dispose([y, score, posteriorMean, acceptanceRate ?? []]);
    estimator.dispose();
  });
}

test('budget: the reported counts equal the target evaluations made, and rdmcBudget predicts them', async () => {
  const n = 6;
  const cases: RdmcOptions[] = [
    { numParticles: n, numSteps: 3, numInitSteps: 2, estimator: { numChains: 2, numMcmcSteps: 4, numWarmupSteps: 5, numProposals: 7 } },
    { numParticles: n, numSteps: 3, numInitSteps: 1, estimator: { numChains: 3, numMcmcSteps: 2, numWarmupSteps: 0, numProposals: 5, chainStart: 'previous' } },
    { numParticles: n, numSteps: 4, numInitSteps: 0, estimator: { numChains: 1, numMcmcSteps: 3, numProposals: 0 } },
    { numParticles: n, numSteps: 4, numInitSteps: 2, estimator: { method: 'importance', numProposals: 9 } },
  ];
  const formulas = [
    // (numInitSteps + numSteps) estimates; chains (steps + 1) each, + chains * warmup once; proposals when IS starts.
    { gradients: 5 * 2 * (4 + 1) + 2 * 5, densities: 5 * 7 },
    { gradients: 4 * 3 * (2 + 1), densities: 5 },
    { gradients: 4 * 1 * (3 + 1) + 1 * 64, densities: 0 },
    { gradients: 0, densities: 6 * 9 },
  ];
  for (const [i, options] of cases.entries()) {
    const { target, counts } = counting(target2d);
    const result = await rdmc(key(3), target, options);
    result.samples.dispose();
    const what = `case ${i}`;
    const perParticle = costPerParticle(result.budget.cost, n);
    assert.equal(perParticle.gradientEvaluations, formulas[i].gradients, what);
    assert.equal(perParticle.densityEvaluations, formulas[i].densities, what);
    assert.equal(counts.gradientRows, formulas[i].gradients * n, `${what}: gradient rows evaluated`);
    assert.equal(counts.densityRows, formulas[i].densities * n, `${what}: density rows evaluated`);
    assert.deepEqual(rdmcBudget(options), result.budget, what);
    assert.deepEqual(result.budget.cost, { ...zeroCost(), gradientEvaluations: counts.gradientRows, densityEvaluations: counts.densityRows }, what);
    assert.equal(result.budget.scoreEstimates, (options.numInitSteps ?? 16) + options.numSteps!);
  }
  // An exact score costs no target evaluation: one model score evaluation per particle and estimate instead.
  const { target, counts } = counting(target2d);
  const calls: number[] = [];
  const exact = await rdmc(key(3), target, { numParticles: n, numSteps: 3, score: (y) => (calls.push(y.shape[0]), tf.neg(y)) });
  exact.samples.dispose();
  assert.equal(counts.gradientRows + counts.densityRows, 0);
  assert.deepEqual(exact.budget.cost, { ...zeroCost(), modelScoreEvaluations: calls.reduce((a, b) => a + b, 0) });
  assert.equal(calls.length, 16 + 3);
});

test('determinism, time grid, progress, memory and abort', async () => {
  const options: RdmcOptions = { numParticles: 20, numSteps: 5, numInitSteps: 2, terminalTime: 0.5, endTime: 0.1, estimator: { numChains: 2, numMcmcSteps: 4 } };
  const a = await rdmc(key(5), target2d, options);
  const before = tf.memory().numTensors;
  const progress: string[] = [];
  const b = await rdmc(key(5), target2d, { ...options, onProgress: (p) => progress.push(`${p.phase}:${p.step}/${p.numSteps}`) });
  const c = await rdmc(key(6), target2d, options);
  assert.equal(tf.memory().numTensors - before, 2, 'two results held, nothing else');
  assert.deepEqual(a.samples.dataSync(), b.samples.dataSync());
  assert.notDeepEqual(a.samples.dataSync(), c.samples.dataSync());
  assert.deepEqual(progress, ['init:1/2', 'init:2/2', 'reverse:1/5', 'reverse:2/5', 'reverse:3/5', 'reverse:4/5', 'reverse:5/5']);
  const grid = [0.5, 0.42, 0.34, 0.26, 0.18, 0.1];
  assert.equal(a.times.length, grid.length);
  a.times.forEach((t, k) => assert.ok(Math.abs(t - grid[k]) < 1e-12, `t_${k} = ${t}, expected ${grid[k]}`));
  assert.equal(a.times[5], 0.1, 'the grid ends exactly at endTime');
  assert.equal(a.acceptanceRate.length, 7);
  assert.ok(a.acceptanceRate.every((r) => r >= 0 && r <= 1));
  tf.dispose([a.samples, b.samples, c.samples]);
  const controller = new AbortController();
  const beforeAbort = tf.memory().numTensors;
  await assert.rejects(
    rdmc(key(5), target2d, { ...options, signal: controller.signal, onProgress: (p) => p.step === 3 && p.phase === 'reverse' && controller.abort() }),
    (err: Error) => err.name === 'AbortError' && /rdmc: aborted in the reverse phase after 3 of 5 steps/.test(err.message),
  );
  assert.equal(tf.memory().numTensors, beforeAbort, 'an aborted run frees its tensors');
  const early = new AbortController();
  await assert.rejects(
    rdmc(key(5), target2d, { ...options, signal: early.signal, onProgress: (p) => p.phase === 'init' && early.abort() }),
    (err: Error) => err.name === 'AbortError' && /rdmc: aborted in the init phase after 1 of 2 steps/.test(err.message),
  );
  assert.equal(tf.memory().numTensors, beforeAbort, 'a run aborted in the Langevin initialisation frees its tensors');
});

test('tensor count flat over 100 reverse steps (mcmc and importance estimators)', async () => {
  for (const method of ['mcmc', 'importance'] as const) {
    const counts: number[] = [];
    const result = await rdmc(key(9), target2d, {
      numParticles: 8,
      numSteps: 100,
      numInitSteps: 2,
      estimator: { method, numChains: 2, numMcmcSteps: 2, numProposals: 4, numWarmupSteps: 2 },
      onProgress: (p) => p.phase === 'reverse' && counts.push(tf.memory().numTensors),
    });
    result.samples.dispose();
    assert.equal(counts.length, 100);
    assert.ok(counts.every((c) => c === counts[0]), `${method}: tensor counts ${counts[0]} .. ${Math.max(...counts)}`);
  }
});

test('bad input: errors name the option, the value and what was expected', async () => {
  const ok: RdmcOptions = { numParticles: 4, numSteps: 2 };
  const cases: [RdmcOptions | unknown, RegExp][] = [
    [{ numParticles: 0 }, /rdmc: option "numParticles" = 0, expected an integer >= 1/],
    [{ ...ok, terminalTime: -1 }, /option "terminalTime" = -1, expected a finite number > 0/],
    [{ ...ok, terminalTime: 0.5, endTime: 0.5 }, /option "endTime" = 0.5, expected a number in \[0, terminalTime\) = \[0, 0.5\)/],
    [{ ...ok, numSteps: 1.5 }, /option "numSteps" = 1.5, expected an integer >= 1/],
    [{ ...ok, stepz: 3 }, /option "stepz" = 3, expected no such option/],
    [{ ...ok, estimator: { method: 'gibbs' } }, /option "estimator.method" = "gibbs", expected one of "mcmc", "importance"/],
    [{ ...ok, estimator: { keepFraction: 0 } }, /option "estimator.keepFraction" = 0, expected a number in \(0, 1\]/],
    [{ ...ok, estimator: { method: 'importance', numProposals: 0 } }, /option "estimator.numProposals" = 0, expected an integer >= 1/],
    [{ ...ok, estimator: { initialStepSize: NaN } }, /option "estimator.initialStepSize" = NaN, expected a finite number > 0/],
    [{ ...ok, initialMean: [0, 0, 0] }, /option "initialMean" = \[0,0,0\], expected an array of length 2/],
    [{ ...ok, initialScale: 0 }, /option "initialScale" = 0, expected a finite number > 0/],
    [{ ...ok, score: 'exact' }, /option "score" = "exact", expected a function/],
    [{ ...ok, score: () => tf.zeros([4, 3]) }, /option "score" = a function returning shape \[4, 3\], expected grad log p_t\(y\) of shape \[4, 2\]/],
    [undefined, /rdmc: option "options" = undefined, expected an options object/],
  ];
  for (const [options, pattern] of cases) {
    await assert.rejects(rdmc(key(0), target2d, options as RdmcOptions), pattern);
  }
  const wrongShape = tf.zeros([4, 3]);
  await assert.rejects(rdmc(key(0), target2d, { ...ok, initialParticles: wrongShape as tf.Tensor2D }), /option "initialParticles" has shape \[4, 3\], expected \[n, 2\]/);
  const wrongRows = tf.zeros([5, 2]);
  await assert.rejects(rdmc(key(0), target2d, { ...ok, initialParticles: wrongRows as tf.Tensor2D }), /option "initialParticles" = a tensor of shape \[5, 2\], expected numParticles = 4 rows/);
  const nonFinite = tf.tensor2d([0, 0, NaN, 0, 0, 0, 0, 0], [4, 2]);
  await assert.rejects(rdmc(key(0), target2d, { ...ok, initialParticles: nonFinite as tf.Tensor2D }), /option "initialParticles" has a non-finite entry NaN/);
  await assert.rejects(rdmc(key(0), { name: 'x' } as unknown as Target, ok), /rdmc: option "target"/);
  assert.throws(() => rdmcBudget({ numParticles: -2 }), /rdmcBudget: option "numParticles" = -2, expected an integer >= 1/);
  const estimator = rdmcScoreEstimator(target2d, 4);
  const y = tf.zeros([3, 2]) as tf.Tensor2D;
  assert.throws(() => estimator.estimate(key(0), y, 0.1), /rdmcScoreEstimator.estimate: option "y" = a tensor with 3 rows, expected numParticles = 4 rows/);
  const y4 = tf.zeros([4, 2]) as tf.Tensor2D;
  assert.throws(() => estimator.estimate(key(0), y4, 0), /option "t" = 0, expected a finite number > 0/);
  tf.dispose([wrongShape, wrongRows, nonFinite, y, y4]);
  estimator.dispose();
});
