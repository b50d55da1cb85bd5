/**
 * SMC / AIS at a budget of target-gradient evaluations (lib/samplers/diffusion/equalBudget.ts): the budget formulas,
 * the counts of target evaluations actually made, and the SLIPS reference's initial-gradient bug.
 *
 * The bug (spec section 1.7): the reference's Gaussian reference N(0, sigma^2 I) returned the gradient -x instead of
 * -x / sigma^2, and a chain state is only correct if its log-density and gradient are those of the density the
 * level's kernel targets. The spy kernel below checks, at EVERY MALA step of every level, that the state's
 * logDensity equals the kernel target's logDensity at the state's position and that its gradient equals the
 * autodiff gradient of that logDensity (float32: relative 1e-3). sigma^2 = 4, so -x and -x / sigma^2 differ.
 * Two negative controls show the check has power: a reference with the buggy gradient, and a kernel whose state is
 * initialised with the previous level's density (a stale state), are both caught.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { aisAtBudget, geometricPathBudget, smcAtBudget, type GeometricPathRunOptions } from '../../lib/samplers/diffusion/equalBudget.js';
import type { Kernel } from '../../lib/samplers/mcmc/kernel.js';
import { costPerParticle, zeroCost } from '../../lib/samplers/particleSampler.js';
import { mala, type MalaParams, type MalaState } from '../../lib/samplers/mcmc/mala.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { logDensityAndGrad, type Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

const REFERENCE_VARIANCE = 4;
let target: GaussianMixtureTarget;
let reference: GaussianTarget;

before(async () => {
  await useBackend('wasm');
  target = gaussianMixture({ weights: [0.7, 0.3], means: [[-1, 0.5], [1.5, -1]], covariances: [0.3, [0.2, 0.5]] });
  reference = gaussian([0, 0], REFERENCE_VARIANCE);
});
after(() => {
  target.dispose();
  reference.dispose();
});

test('geometricPathBudget: K and M from the budget in both conventions', () => {
  assert.deepEqual(geometricPathBudget(1024 * 32), {
    convention: 'slips', requested: 32768, numLevels: 1024, numMcmcSteps: 32,
    nominalGradientEvaluations: 32768, costPerParticle: { ...zeroCost(), gradientEvaluations: 1024 * 33, densityEvaluations: 1024 }, unspent: 0,
  });
  const byLevels = geometricPathBudget(1000, { numLevels: 64 }); // M = floor(1000 / 64) = 15, 40 unspent
  assert.equal(byLevels.numMcmcSteps, 15);
  assert.equal(byLevels.unspent, 1000 - 64 * 15);
  const exact = geometricPathBudget(1024 * 32, { convention: 'exact' }); // K = floor(32768 / 33) = 992
  assert.equal(exact.numLevels, 992);
  assert.equal(exact.costPerParticle.gradientEvaluations, 992 * 33);
  assert.equal(exact.unspent, 32768 - 992 * 33);
  const exactByLevels = geometricPathBudget(330, { numLevels: 10, convention: 'exact' }); // M + 1 = 33
  assert.equal(exactByLevels.numMcmcSteps, 32);
  assert.equal(exactByLevels.unspent, 0);
});

/** Counts the rows the target is evaluated at, with a gradient and density only. */
function counting(inner: Target) {
  const counts = { gradientRows: 0, densityRows: 0 };
  const wrapped: Target = {
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
  };
  return { wrapped, counts };
}

type KernelFactory = (t: Target) => Kernel<MalaState, MalaParams>;

/**
 * Wrap a kernel factory: before every step, compare the state with the kernel target's log-density and autodiff
 * gradient at the state's position; record the largest relative error.
 */
function spy(factory: KernelFactory) {
  const record = { steps: 0, maxLogDensityError: 0, maxGradError: 0 };
  const wrapped: KernelFactory = (t) => {
    const inner = factory(t);
    return {
      ...inner,
      step(k, state, params) {
        tf.tidy(() => {
          const logDensity = t.logDensity(state.position);
          const grad = tf.grad((x: tf.Tensor) => tf.sum(t.logDensity(x as tf.Tensor2D)))(state.position);
          const relative = (a: tf.Tensor, b: tf.Tensor) =>
            tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.add(1, tf.abs(b)))).dataSync()[0];
          record.maxLogDensityError = Math.max(record.maxLogDensityError, relative(state.logDensity, logDensity));
          record.maxGradError = Math.max(record.maxGradError, relative(state.grad, grad));
        });
        record.steps++;
        return inner.step(k, state, params);
      },
    };
  };
  return { wrapped, record };
}

const budgetOptions = (extra: Partial<GeometricPathRunOptions> = {}): GeometricPathRunOptions => ({
  budget: 12, numMcmcSteps: 3, numParticles: 64, stepSize: 0.1, ...extra,
});

for (const [name, run] of [['smcAtBudget', smcAtBudget], ['aisAtBudget', aisAtBudget]] as const) {
  test(`${name}: every MALA step starts from a state of its own level's density (no stale or wrong gradient)`, async () => {
    const { wrapped, record } = spy((t) => mala(t));
    const result = await run(key(1), target, budgetOptions({ referenceVariance: REFERENCE_VARIANCE, kernel: wrapped }));
    result.samples.dispose();
    assert.equal(record.steps, 4 * 3, 'K = 4 levels x M = 3 steps');
    assert.ok(record.maxLogDensityError < 1e-3, `log-density error ${record.maxLogDensityError}`);
    assert.ok(record.maxGradError < 1e-3, `gradient error ${record.maxGradError}`);
  });

  test(`${name}: target evaluations made = the reported budget (K (M + 1) gradients, K densities per particle)`, async () => {
    const { wrapped, counts } = counting(target);
    const result = await run(key(2), wrapped, budgetOptions({ referenceVariance: REFERENCE_VARIANCE }));
    result.samples.dispose();
    assert.equal(result.budget.numLevels, 4);
    assert.equal(counts.gradientRows, 4 * (3 + 1) * 64);
    assert.equal(counts.densityRows, 4 * 64);
    assert.deepEqual(result.cost, { ...zeroCost(), gradientEvaluations: counts.gradientRows, densityEvaluations: counts.densityRows });
    assert.deepEqual(costPerParticle(result.cost, 64), result.budget.costPerParticle);
    assert.equal(result.budget.nominalGradientEvaluations, 12);
    assert.equal(result.levels.length, 4);
    assert.ok(Math.abs(result.weights.reduce((s, w) => s + w, 0) - 1) < 1e-12);
  });
}

test('negative controls: the spy catches the reference gradient bug (-x) and a stale state from the previous level', async () => {
  // The SLIPS reference's Gaussian: log N(0, sigma^2 I) with gradient -x instead of -x / sigma^2.
  const buggyReference: Target = {
    ...reference,
    name: 'buggy-reference',
    gradLogDensity: (x) => tf.neg(x),
    logDensityAndGrad: (x) => ({ logDensity: reference.logDensity(x), grad: tf.neg(x) as tf.Tensor2D }),
  };
  const withBug = spy((t) => mala(t));
  const buggy = await smcAtBudget(key(1), target, budgetOptions({ reference: buggyReference, kernel: withBug.wrapped }));
  buggy.samples.dispose();
  assert.ok(withBug.record.maxGradError > 0.1, `the buggy gradient went unnoticed: ${withBug.record.maxGradError}`);
  // A kernel whose state is initialised for the previous level's density.
  let previous: Target | null = null;
  const stale: KernelFactory = (t) => {
    const initTarget = previous ?? t;
    previous = t;
    return { ...mala(t), init: (x) => mala(initTarget).init(x) };
  };
  const withStale = spy(stale);
  const staleRun = await aisAtBudget(key(1), target, budgetOptions({ referenceVariance: REFERENCE_VARIANCE, kernel: withStale.wrapped }));
  staleRun.samples.dispose();
  assert.ok(withStale.record.maxLogDensityError > 0.01, `the stale state went unnoticed: ${withStale.record.maxLogDensityError}`);
});

test('determinism and memory', async () => {
  const options = budgetOptions({ referenceVariance: REFERENCE_VARIANCE });
  const a = await smcAtBudget(key(7), target, options);
  const before = tf.memory().numTensors;
  const b = await smcAtBudget(key(7), target, options);
  const c = await aisAtBudget(key(8), target, options);
  assert.equal(tf.memory().numTensors - before, 2, 'only the two results are held');
  assert.deepEqual(a.samples.dataSync(), b.samples.dataSync());
  assert.deepEqual(a.logWeights, b.logWeights);
  assert.notDeepEqual(a.samples.dataSync(), c.samples.dataSync());
  tf.dispose([a.samples, b.samples, c.samples]);
  // Flat over 120 levels.
  const counts: number[] = [];
  const long = await aisAtBudget(key(9), target, { ...options, budget: 240, numMcmcSteps: 2, onLevel: () => counts.push(tf.memory().numTensors) });
  long.samples.dispose();
  assert.equal(counts.length, 120);
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts ${counts[0]} .. ${Math.max(...counts)}`);
});

test('bad input: errors name the option, the value and what was expected', async () => {
  assert.throws(() => geometricPathBudget(0), /geometricPathBudget: option "budget" = 0, expected an integer >= 1/);
  assert.throws(() => geometricPathBudget(10, { numMcmcSteps: 32 }), /option "budget" = 10, expected at least numMcmcSteps \+ 0 = 32 for one level/);
  assert.throws(() => geometricPathBudget(10, { numLevels: 10, convention: 'exact' }), /option "budget" = 10, expected at least numLevels \(1 \+ 1\) = 20/);
  assert.throws(() => geometricPathBudget(64, { numLevels: 2, numMcmcSteps: 32 }), /option "numLevels" = 2, expected undefined when numMcmcSteps \(32\) is given/);
  assert.throws(() => geometricPathBudget(64, { convention: 'paper' as 'slips' }), /option "convention" = "paper", expected one of "slips", "exact"/);
  const ok = budgetOptions({ referenceVariance: REFERENCE_VARIANCE });
  await assert.rejects(smcAtBudget(key(0), target, { ...ok, referenceVariance: -1 }), /smcAtBudget: option "referenceVariance" = -1, expected a finite number > 0/);
  await assert.rejects(smcAtBudget(key(0), target, { ...ok, referenceVariance: undefined }), /smcAtBudget: option "referenceVariance" = undefined, expected a finite number > 0/);
  await assert.rejects(smcAtBudget(key(0), target, { ...ok, reference }), /option "referenceVariance" = 4, expected undefined when a reference is given/);
  await assert.rejects(smcAtBudget(key(0), target, { ...ok, numParticles: 0 }), /option "numParticles" = 0, expected an integer >= 1/);
  await assert.rejects(smcAtBudget(key(0), target, { ...ok, stepSize: NaN }), /option "stepSize" = NaN, expected a finite number > 0/);
  await assert.rejects(aisAtBudget(key(0), target, { ...ok, resampleThreshold: 0.5 }), /aisAtBudget: option "resampleThreshold" = 0.5, expected no resampling option/);
  await assert.rejects(aisAtBudget(key(0), target, { ...ok, levels: 3 } as GeometricPathRunOptions), /option "levels" = 3, expected no such option/);
  await assert.rejects(smcAtBudget(key(0), target, { ...ok, resampling: 'residual' as 'systematic' }), /smcAtBudget: option "resampling" = "residual", expected one of "multinomial", "systematic", "stratified"/);
  await assert.rejects(smcAtBudget(key(0), target, { ...ok, resampleThreshold: 2 }), /smcAtBudget: option "resampleThreshold" = 2, expected a number in \[0, 1\]/);
  await assert.rejects(smcAtBudget(key(0), target, { ...ok, kernel: 'mala' as unknown as GeometricPathRunOptions['kernel'] }), /smcAtBudget: option "kernel" = "mala", expected a kernel factory/);
});
