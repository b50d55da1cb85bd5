/**
 * SLIPS mechanics (lib/samplers/diffusion/slips.ts); the statistical checks against exact samples are in
 * test/stats/slips-exact.test.ts (exact denoiser), test/stats/slips-mcmc.test.ts (MCMC denoiser) and
 * test/stats/slips-init.test.ts (the Langevin-within-Langevin initialisation); the localization posterior is tested
 * as the shared observation posterior (test/unit/observation-posterior.test.ts). Here: the σ rule, the MCMC
 * denoiser against the exact posterior mean of a Gaussian mixture, the call structure (phases, grid, warm start,
 * budget), determinism, a flat tensor count, abort, and bad options.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, split } from '../../lib/core/random.js';
import { classicSchedule, geometricSchedule, snrTimeGrid } from '../../lib/diffusion/localizationSchedules.js';
import {
  createMcmcDenoiser,
  slips,
  slipsSigma,
  type SlipsOptions,
  type SlipsProgress,
} from '../../lib/samplers/diffusion/slips.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { noisedMixture } from '../../lib/targets/noisedMixture.js';
import { useBackend } from '../helpers/backends.js';

let target: GaussianMixtureTarget;

before(async () => {
  await useBackend('wasm');
  // Asymmetric: unequal weights, unequal variances, means off the diagonal.
  target = gaussianMixture({ weights: [2 / 3, 1 / 3], means: [[-1, 0.5], [1.5, -0.5]], covariances: [0.1, 0.3] });
});
after(() => target.dispose());

const smallOptions = (): SlipsOptions => ({
  target,
  sigma: 1.2,
  epsilon: 0.2,
  numParticles: 64,
  numSteps: 8,
  numMcmcSteps: 4,
  numChains: 2,
  adaptationMultiplier: 5,
  numInitSteps: 2,
});

test('slipsSigma is sqrt((R / sqrt(d))^2 + tau^2) (spec section 1.4) and checks its inputs', () => {
  // two_modes_dim_8: R = (4/3) sqrt(8), tau^2 = 0.05 -> sigma^2 = 16/9 + 0.05.
  assert.ok(Math.abs(slipsSigma((4 / 3) * Math.sqrt(8), Math.sqrt(0.05), 8) - Math.sqrt(16 / 9 + 0.05)) < 1e-14);
  // 8 Gaussians: R = 10, tau^2 = 0.7, d = 2 -> sqrt(50.7) = 7.12 (the value quoted in the spec).
  assert.ok(Math.abs(slipsSigma(10, Math.sqrt(0.7), 2) - 7.12) < 5e-3);
  assert.throws(() => slipsSigma(-1, 0.1, 2), /slipsSigma: option "R" = -1, expected a finite number >= 0/);
  assert.throws(() => slipsSigma(1, NaN, 2), /slipsSigma: option "tau" = NaN, expected a finite number >= 0/);
  assert.throws(() => slipsSigma(1, 0.1, 0), /slipsSigma: option "dim" = 0, expected an integer >= 1/);
  assert.throws(() => slipsSigma(0, 0, 3), /slipsSigma: option "tau" = 0, expected a number > 0 when R = 0/);
});

test('the MCMC denoiser estimates E[X | Y_t = y] of an anisotropic Gaussian without bias (two warm-started calls)', async () => {
  // A Gaussian N(m, diag(v)) with m = (1, -0.5), v = (0.3, 1.5): the posterior q_t(x | y) is Gaussian,
  // so MALA mixes and the estimate must be unbiased. (On a multimodal target the posterior is multimodal at low
  // SNR and the MALA chains stay in the posterior mode they start in: that bias is what the choice of t_0 trades
  // off, spec section 1.4, and is tested at the level of the whole sampler in test/stats/slips-mcmc.test.ts.)
  // Y = a X + s Z exactly (noisedMixture.sampleJoint), a = alpha(t), s = sigma sqrt(t). The particles are
  // independent, so the per-particle errors e_i = u_hat_i - u_i are i.i.d.: their mean over N particles must be 0
  // within 4 sd(e) / sqrt(N) per coordinate (a sign error in the posterior's gradient biases every particle). The
  // mean squared error of a mean of posterior draws is at most the posterior variance when the chains are at
  // stationarity, so mean |e|^2 < mean tr Cov[X | y] (exact, from noisedMixture) checks that they are.
  const schedule = geometricSchedule();
  const sigma = 1.2;
  const N = 256;
  // (Two identical components: gaussianMixture's sampler fails for K = 1, "oneHot: depth must be >= 2".)
  const gaussianTarget = gaussianMixture({ weights: [2 / 3, 1 / 3], means: [[1, -0.5], [1, -0.5]], covariances: [[0.3, 1.5], [0.3, 1.5]] });
  const denoiser = createMcmcDenoiser(gaussianTarget, { sigma, schedule, numMcmcSteps: 32, numChains: 4, adaptationMultiplier: 20 });
  const [kJoint, kCall1, kCall2] = split(key(11), 3);
  for (const [t, callKey] of [[0.5, kCall1], [0.55, kCall2]] as const) {
    const law = noisedMixture(gaussianTarget, schedule.alpha(t), sigma * Math.sqrt(t));
    const { x, y } = law.sampleJoint(kJoint, N);
    const call = await denoiser.estimate(callKey, y, t);
    const exact = law.denoiser(y);
    const traceCov = tf.tidy(() => tf.mean(tf.sum(tf.sum(tf.mul(law.posteriorCovariance(y), tf.eye(2)), 2), 1)).dataSync()[0]);
    const e = tf.sub(call.mean, exact);
    const errors = e.arraySync() as number[][];
    tf.dispose([x, y, exact, e, call.mean]);
    law.dispose();
    let mse = 0;
    for (let j = 0; j < 2; j++) {
      const col = errors.map((r) => r[j]);
      const mean = col.reduce((s, v) => s + v, 0) / N;
      const sd = Math.sqrt(col.reduce((s, v) => s + (v - mean) ** 2, 0) / (N - 1));
      assert.ok(Math.abs(mean) < (4 * sd) / Math.sqrt(N), `t = ${t}, coordinate ${j}: mean error ${mean} (sd ${sd})`);
      mse += col.reduce((s, v) => s + v * v, 0) / N;
    }
    assert.ok(mse < traceCov, `t = ${t}: mean squared error ${mse} >= mean posterior variance ${traceCov}`);
    assert.ok(call.acceptanceRate > 0.5 && call.acceptanceRate < 0.95, `acceptance ${call.acceptanceRate}`);
    assert.ok(call.minStepSize > 0 && call.maxStepSize <= 1);
  }
  // The first call ran 20 * 32 adaptation steps + 32, the second 32 (warm start, no adaptation).
  assert.equal(denoiser.totalMcmcSteps, 20 * 32 + 32 + 32);
  assert.equal((await denoiser.stepSizes())!.length, 4 * N);
  denoiser.dispose();
  gaussianTarget.dispose();
});

test('slips: call structure, grid, diagnostics, progress and state callbacks', async () => {
  const progress: SlipsProgress[] = [];
  const states: { t: number; k: number; rows: number }[] = [];
  const tensorCounts: number[] = [];
  const before = tf.memory().numTensors;
  const options = smallOptions();
  const { samples, diagnostics } = await slips(key(5), {
    ...options,
    onProgress: (p) => {
      progress.push(p);
      if (p.phase === 'integrate') tensorCounts.push(tf.memory().numTensors);
    },
    onState: (y, t, k) => states.push({ t, k, rows: y.shape[0] }),
  });
  assert.deepEqual(samples.shape, [64, 2]);
  samples.dispose();
  assert.equal(tf.memory().numTensors, before, 'slips leaked tensors (or freed the caller\'s)');
  assert.ok(tensorCounts.every((c) => c === tensorCounts[0]), `tensor count not flat over outer steps: ${tensorCounts}`);
  const grid = snrTimeGrid(geometricSchedule(), { epsilon: 0.2, epsilonEnd: 6.62e-3, numSteps: 8 });
  assert.deepEqual(Array.from(diagnostics.times), Array.from(grid));
  assert.deepEqual(progress.map((p) => p.phase), ['init', 'init', ...new Array(7).fill('integrate'), 'denoise']);
  assert.deepEqual(progress.filter((p) => p.phase === 'integrate').map((p) => p.t), Array.from(grid.slice(0, 7)));
  assert.deepEqual(states.map((s) => s.k), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(states.map((s) => s.t), Array.from(grid));
  assert.equal(diagnostics.numDenoiserCalls, 2 + 8);
  assert.equal(diagnostics.totalMcmcSteps, 5 * 4 + 10 * 4);
  assert.equal(diagnostics.stepSizes!.length, 2 * 64);
  assert.ok(Number.isFinite(diagnostics.adaptationAcceptanceRate));
  for (const series of [diagnostics.acceptanceRate, diagnostics.meanStepSize, diagnostics.initAcceptanceRate]) {
    assert.ok(series.every((v) => Number.isFinite(v) && v > 0), `non-finite diagnostics: ${series}`);
  }
  assert.ok(diagnostics.maxStepSize.every((h, k) => h <= 1 && h >= diagnostics.minStepSize[k]));
});

test('slips is deterministic given the key (MCMC and exact denoisers)', async () => {
  const run = async (seed: number, extra: Partial<SlipsOptions> = {}) => {
    const { samples } = await slips(key(seed), { ...smallOptions(), ...extra });
    const values = samples.dataSync().slice();
    samples.dispose();
    return values;
  };
  assert.deepEqual(await run(7), await run(7));
  assert.notDeepEqual(await run(7), await run(8));
  const schedule = geometricSchedule();
  const exact = (y: tf.Tensor2D, t: number) => {
    const law = noisedMixture(target, schedule.alpha(t), 1.2 * Math.sqrt(t));
    const u = law.denoiser(y);
    law.dispose();
    return u;
  };
  const before = tf.memory().numTensors;
  assert.deepEqual(await run(9, { denoiser: exact }), await run(9, { denoiser: exact }));
  assert.equal(tf.memory().numTensors, before, 'the exact-denoiser path leaked tensors');
});

test('slips with a classic schedule needs a horizon and runs on its grid', async () => {
  await assert.rejects(slips(key(1), { ...smallOptions(), schedule: classicSchedule() }), /slips: option "horizon" = undefined, expected a finite horizon T > 0 for the infinite-time schedule classic/);
  const { samples, diagnostics } = await slips(key(1), { ...smallOptions(), schedule: classicSchedule(), horizon: 150, epsilon: 0.3 });
  assert.equal(diagnostics.times[7], 150);
  samples.dispose();
});

test('abort between denoiser calls throws an AbortError and leaks nothing', async () => {
  const controller = new AbortController();
  const before = tf.memory().numTensors;
  await assert.rejects(
    slips(key(4), { ...smallOptions(), signal: controller.signal, onProgress: (p) => p.phase === 'integrate' && p.step === 3 && controller.abort() }),
    (err: Error) => err.name === 'AbortError' && /slips: aborted after outer step 3 of 7/.test(err.message),
  );
  assert.equal(tf.memory().numTensors, before);
  // In the Langevin initialisation (the shared ULA loop frees its y).
  const early = new AbortController();
  await assert.rejects(
    slips(key(4), { ...smallOptions(), signal: early.signal, onProgress: (p) => p.phase === 'init' && early.abort() }),
    (err: Error) => err.name === 'AbortError' && /slips: aborted after Langevin initialisation step 1 of 2/.test(err.message),
  );
  assert.equal(tf.memory().numTensors, before);
});

test('bad options give errors that name the option, the value and what was expected', async () => {
  const bad = (extra: Record<string, unknown>) => slips(key(1), { ...smallOptions(), ...extra } as SlipsOptions);
  await assert.rejects(bad({ sigma: 0 }), /slips: option "sigma" = 0, expected a finite number > 0/);
  await assert.rejects(bad({ sigma: -1 }), /slips: option "sigma" = -1, expected a finite number > 0/);
  await assert.rejects(bad({ sigma: NaN }), /slips: option "sigma" = NaN, expected a finite number > 0/);
  await assert.rejects(bad({ epsilon: 0 }), /slips: option "epsilon" = 0, expected a start time in \(0, 0.99338\)/);
  await assert.rejects(bad({ epsilon: 0.995 }), /slips: option "epsilon" = 0.995, expected a start time in \(0, 0.99338\)/);
  await assert.rejects(bad({ epsilon: 1 }), /slips: option "epsilon" = 1, expected a start time in/);
  await assert.rejects(bad({ epsilon: undefined }), /slips: option "epsilon" = undefined, expected a start time in/);
  await assert.rejects(bad({ numSteps: 1 }), /slips: option "numSteps" = 1, expected an integer >= 2/);
  await assert.rejects(bad({ epsilonEnd: 0 }), /slips: option "epsilonEnd" = 0, expected a number in \(0, 1\)/);
  await assert.rejects(bad({ horizon: 2 }), /slips: option "horizon" = 2, expected a number in \(0, 1\]/);
  await assert.rejects(bad({ numParticles: 0 }), /slips: option "numParticles" = 0, expected an integer >= 1/);
  await assert.rejects(bad({ numMcmcSteps: 0 }), /createMcmcDenoiser: option "numMcmcSteps" = 0, expected an integer >= 1/);
  await assert.rejects(bad({ numChains: 1.5 }), /createMcmcDenoiser: option "numChains" = 1.5, expected an integer >= 1/);
  await assert.rejects(bad({ keepFraction: 0 }), /createMcmcDenoiser: option "keepFraction" = 0, expected a number in \(0, 1\]/);
  await assert.rejects(bad({ initialStepSize: -1e-5 }), /createMcmcDenoiser: option "initialStepSize" = -0.00001, expected a finite number > 0/);
  await assert.rejects(bad({ numInitSteps: -1 }), /slips: option "numInitSteps" = -1, expected an integer >= 0/);
  await assert.rejects(bad({ targetMean: [0, 0, 0] }), /slips: option "targetMean" = \[0,0,0\], expected an array of length 2 of finite numbers/);
  await assert.rejects(bad({ denoiser: 'exact' }), /slips: option "denoiser" = "exact", expected 'mcmc' or a function/);
  await assert.rejects(bad({ schedule: { kind: 'geometric' } }), /slips: option "schedule" = \{"kind":"geometric"\}, expected a LocalizationSchedule/);
  await assert.rejects(bad({ target: undefined }), /slips: option "target" = undefined, expected a Target/);
  await assert.rejects(bad({ stepsize: 0.1 }), /slips: option "stepsize" = 0.1, expected no such option; known options: target, sigma/);
  await assert.rejects(bad({ onProgress: 3 }), /slips: option "onProgress" = 3, expected a function/);
  await assert.rejects(slips(key(1), null as never), /slips: option "options" = null, expected an options object/);
  const wrongShape = tf.zeros([64, 3]) as tf.Tensor2D;
  const withNaN = tf.fill([64, 2], NaN) as tf.Tensor2D;
  const rows = tf.zeros([10, 2]) as tf.Tensor2D;
  await assert.rejects(bad({ initialY: wrongShape }), /slips: option "initialY" has shape \[64, 3\], expected \[n, 2\]/);
  await assert.rejects(bad({ initialY: withNaN }), /slips: option "initialY" has a non-finite entry NaN at flat index 0, expected finite values/);
  await assert.rejects(bad({ initialY: rows, numParticles: 64 }), /slips: option "numParticles" = 64, expected 10, the number of rows of initialY/);
  const before = tf.memory().numTensors;
  await assert.rejects(
    bad({ denoiser: (y: tf.Tensor2D) => tf.zeros([y.shape[0], 5]) }),
    /slips: option "denoiser" = a function returning shape \[64, 5\], expected a function returning E\[X \| Y_t = y\] of shape \[64, 2\]/,
  );
  assert.equal(tf.memory().numTensors, before, 'a failing denoiser leaked tensors');
  tf.dispose([wrongShape, withNaN, rows]);
  assert.throws(() => createMcmcDenoiser(target, { sigma: 1, schedule: geometricSchedule(), chains: 2 } as never), /createMcmcDenoiser: option "chains" = 2, expected no such option/);
});
