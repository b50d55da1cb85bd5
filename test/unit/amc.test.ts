/**
 * Annealed MC along a diffusion path (lib/samplers/diffusion/amc.ts, amcKernels.ts; spec slips-lrds-amcbg.md 3.4):
 * the oracle-kernel identity (exact reverse transition => every incremental weight is 1 and log Z is exact, up to
 * float32 log-densities), the float64 Woodbury / determinant-lemma helpers against dense algebra, cost counts,
 * determinism, a flat tensor count, and clear errors for bad options.
 * Target: an asymmetric 2-D mixture, weights 3 : 1 (log Z = log 4), one isotropic and one diagonal component.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normalArray, uniformArray } from '../../lib/core/random.js';
import { gaussianLogDensity, matrix } from '../../lib/core/linalg.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { perfectModel, type PerfectDiffusionModel } from '../../lib/diffusion/forwardNoising.js';
import { amc, type AmcOptions } from '../../lib/samplers/diffusion/amc.js';
import { logAbsDetInPlace, lowRankGaussianLogDensity, lowRankLogAbsDet } from '../../lib/samplers/diffusion/amcKernels.js';
import { useBackend } from '../helpers/backends.js';

let mixture: GaussianMixtureTarget;
let model: PerfectDiffusionModel;

before(async () => {
  await useBackend('wasm');
  mixture = gaussianMixture({ weights: [3, 1], means: [[-2, 1], [2.5, -1]], covariances: [0.3, [0.5, 0.1]] });
  model = perfectModel(mixture, vpSchedule());
});

after(() => {
  model.dispose();
  mixture.dispose();
});

const base = (): AmcOptions => ({ model, target: mixture, kernel: 'firstOrder', numParticles: 128, numLevels: 8 });

test('oracle kernel: every incremental log-weight is 0 and log Z is exact (float32 log-densities)', async () => {
  for (const numLevels of [4, 32]) {
    const r = await amc(key(11), { ...base(), kernel: 'oracle', numParticles: 256, numLevels });
    // Tolerance: float32 log-densities of magnitude <= ~30 carry ~1e-5 relative error, a few terms per weight.
    const worst = Math.max(...r.levels.map((l) => l.maxAbsIncrement));
    assert.ok(worst < 2e-3, `max |log w_k| = ${worst} at ${numLevels} levels`);
    assert.ok(Math.abs(r.logZ - Math.log(4)) < 2e-3, `log Z = ${r.logZ}, exact ${Math.log(4)}`);
    assert.ok(r.ess > 0.999 * 256, `ESS = ${r.ess}`);
    assert.equal(r.levels.length, numLevels);
    assert.ok(r.levels.every((l) => !l.resampled && l.numInvalid === 0));
    r.particles.dispose();
  }
});

test('Woodbury log-density and determinant-lemma log|det| match dense float64 algebra', () => {
  const n = 3, d = 4, K = 2;
  const r = normalArray(key(1), n * d);
  const delta = uniformArray(key(2), n * d).map((u) => 0.2 + u);
  const g = normalArray(key(3), n * K * d);
  const woodbury = lowRankGaussianLogDensity(r, delta, g, n, d, K);
  const jDiag = normalArray(key(4), n * d).map((v) => v + 0.1 * Math.sign(v));
  const e = 0.7;
  const det = lowRankLogAbsDet(jDiag, g, e, n, d, K);
  for (let i = 0; i < n; i++) {
    const cov = matrix(d, d);
    const jac = new Float64Array(d * d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += g[i * K * d + k * d + a] * g[i * K * d + k * d + b];
        cov.data[a * d + b] = s + (a === b ? delta[i * d + a] : 0);
        jac[a * d + b] = e * s + (a === b ? jDiag[i * d + a] : 0);
      }
    }
    const dense = gaussianLogDensity(matrix(1, d, Array.from(r.subarray(i * d, (i + 1) * d))), new Float64Array(d), cov)[0];
    assert.ok(Math.abs(woodbury[i] - dense) < 1e-10, `Woodbury ${woodbury[i]} vs dense ${dense}`);
    const denseDet = logAbsDetInPlace(jac, d);
    assert.ok(Math.abs(det[i] - denseDet) < 1e-10, `lemma ${det[i]} vs LU ${denseDet}`);
  }
  assert.ok(Number.isNaN(lowRankGaussianLogDensity(r, delta.map((v, i) => (i === 0 ? -1 : v)), g, n, d, K)[0]));
});

test('cost is counted in target / density / score / Hessian evaluations', async () => {
  const N = 64, L = 5;
  const first = await amc(key(2), { ...base(), numParticles: N, numLevels: L, resampleThreshold: 0 });
  assert.deepEqual(first.cost, { densityEvaluations: N, gradientEvaluations: 0, modelDensityEvaluations: L * N, modelScoreEvaluations: L * N, hessianEvaluations: 0 });
  first.particles.dispose();
  const second = await amc(key(2), { ...base(), kernel: 'secondOrder', numParticles: N, numLevels: L, reference: 'prior' });
  // 'prior' reference: gamma_K is the Gaussian (not a model evaluation), so L - 1 model densities.
  assert.deepEqual(second.cost, { densityEvaluations: N, gradientEvaluations: 0, modelDensityEvaluations: (L - 1) * N, modelScoreEvaluations: L * N, hessianEvaluations: L * N });
  second.particles.dispose();
  const mcmc = await amc(key(2), { ...base(), kernel: 'mcmc', numParticles: N, numLevels: L, numMcmcSteps: 2 });
  // Reweighting: one density per level; MALA: init + 2 steps per level, each with a score (target at level 0).
  assert.equal(mcmc.cost.densityEvaluations, N, 'pi at the last level');
  assert.equal(mcmc.cost.gradientEvaluations, 3 * N, 'the MALA moves at t = 0 (initial state and 2 steps)');
  assert.equal(mcmc.cost.modelDensityEvaluations, L * N + 3 * (L - 1) * N);
  assert.equal(mcmc.cost.modelScoreEvaluations, 3 * (L - 1) * N);
  mcmc.particles.dispose();
});

test('same key, same output (with resampling and MALA moves); the tensor count stays flat', async () => {
  const options: AmcOptions = { ...base(), kernel: 'secondOrder', resampleThreshold: 1, numMcmcSteps: 2, stepSize: 0.05 };
  const a = await amc(key(5), options);
  const before = tf.memory().numTensors;
  const b = await amc(key(5), options);
  const c = await amc(key(6), options);
  assert.deepEqual(Array.from(await a.particles.data()), Array.from(await b.particles.data()));
  assert.equal(a.logZ, b.logZ);
  assert.notEqual(a.logZ, c.logZ);
  b.particles.dispose();
  c.particles.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensor count after two more runs');
  a.particles.dispose();
  for (const kernel of ['firstOrder', 'transport', 'oracle', 'mcmc'] as const) {
    const warm = await amc(key(7), { ...base(), kernel, numLevels: 16 });
    warm.particles.dispose();
    const count = tf.memory().numTensors;
    const again = await amc(key(8), { ...base(), kernel, numLevels: 16 });
    again.particles.dispose();
    assert.equal(tf.memory().numTensors, count, `tensor count over a ${kernel} run`);
  }
});

test('diagnostics: one entry per level from K-1 down to 0 with the time grid (t_0 = 0, t_K = T)', async () => {
  const seen: number[] = [];
  const r = await amc(key(3), { ...base(), numLevels: 6, onLevel: (l) => seen.push(l.level) });
  assert.deepEqual(seen, [5, 4, 3, 2, 1, 0]);
  assert.equal(r.times[0], 0);
  assert.equal(r.times[6], 1);
  for (const l of r.levels) {
    assert.equal(l.t, r.times[l.level]);
    assert.ok(l.ess >= 1 && l.ess <= 128 + 1e-9 && Number.isFinite(l.incrementVariance) && Number.isFinite(l.logZ));
  }
  r.particles.dispose();
  const uniform = await amc(key(3), { ...base(), spacing: 'uniform', numLevels: 4 });
  assert.deepEqual(Array.from(uniform.times), [0, 0.25, 0.5, 0.75, 1]);
  uniform.particles.dispose();
});

test('bad options give errors naming the option, the value and what was expected', async () => {
  const rejects = (patch: Partial<AmcOptions> | Record<string, unknown>, pattern: RegExp) =>
    assert.rejects(amc(key(1), { ...base(), ...patch } as AmcOptions), pattern);
  await rejects({ kernel: 'euler' }, /amc: option "kernel" = "euler", expected one of "firstOrder", "secondOrder"/);
  await rejects({ numParticles: 0 }, /option "numParticles" = 0, expected an integer >= 2/);
  await rejects({ numLevels: 1.5 }, /option "numLevels" = 1.5, expected an integer >= 1/);
  await rejects({ times: [0.1, 0.5, 1] }, /option "times" = \[0.1,0.5,1\], expected a strictly increasing array of times from 0 to T = 1/);
  await rejects({ times: [0, 0.5, 0.4, 1] }, /option "times"/);
  await rejects({ resampleThreshold: 2 }, /option "resampleThreshold" = 2, expected a number in \[0, 1\]/);
  await rejects({ resampleThreshold: NaN }, /option "resampleThreshold" = NaN/);
  await rejects({ stepSize: -1 }, /option "stepSize" = -1, expected a finite number > 0/);
  await rejects({ kernel: 'mcmc', numMcmcSteps: 0 }, /option "numMcmcSteps" = 0, expected an integer >= 1/);
  await rejects({ numStep: 3 }, /option "numStep" = 3, expected no such option/);
  await rejects({ model: { dim: 2 } }, /option "model" = .*expected a diffusion model/);
  const wrongDim = gaussianMixture({ weights: [1], means: [[0, 0, 0]], covariances: [1] });
  await rejects({ target: wrongDim }, /option "target" = .*expected a Target with logDensity and dim = model.dim = 2/);
  wrongDim.dispose();
  // A model with a score only: no log-density for the intermediate levels; no Hessian for the second-order kernel.
  const scoreOnly = { dim: 2, schedule: model.schedule, score: (x: tf.Tensor2D, t: number) => model.score(x, t) };
  await rejects({ model: scoreOnly }, /option "model" = a model without logDensity, expected a diffusion model with logDensity/);
  const noHessian = { ...scoreOnly, logDensity: (x: tf.Tensor2D, t: number) => model.logDensity(x, t) };
  await rejects({ model: noHessian, kernel: 'secondOrder' }, /option "kernel" = "secondOrder", expected .*needs a model with hessianLowRank/);
  await rejects({ model: noHessian, kernel: 'oracle' }, /option "kernel" = "oracle", expected another kernel: 'oracle' needs a perfect model/);
  await rejects({ model: noHessian, reference: 'model' }, /option "reference" = "model", expected 'prior'/);
});

test('distinct ancestors: transport with resampling and no moves keeps duplicates that the ESS does not see', async () => {
  const N = 128;
  // Resampling at every level: each resampling draws duplicates, which the deterministic transport map keeps identical.
  const r = await amc(key(12), { model, target: mixture, kernel: 'transport', numParticles: N, numLevels: 8, resampleThreshold: 1 });
  const distinctRows = new Set<string>();
  const values = await r.particles.data();
  for (let i = 0; i < N; i++) distinctRows.add(Array.from(values.subarray(i * mixture.dim, (i + 1) * mixture.dim)).join(','));
  assert.equal(r.distinctAncestors, distinctRows.size, 'distinct ancestors = distinct particles for a deterministic map');
  assert.ok(r.distinctAncestors < 0.8 * N, `${r.distinctAncestors} of ${N}`);
  r.particles.dispose();
  // With one MALA move per level the particles differ even when they share an ancestor: the count says so.
  const moved = await amc(key(12), { model, target: mixture, kernel: 'transport', numParticles: N, numLevels: 8, resampleThreshold: 1, numMcmcSteps: 1 });
  assert.ok(moved.distinctAncestors < N);
  moved.particles.dispose();
});
