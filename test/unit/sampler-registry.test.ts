/**
 * The sampler registry (lib/samplers/samplerRegistry.ts): every population sampler runs through one call with one
 * result type and one cost count; options are checked at the boundary; aborts throw the one AbortError.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { key } from '../../lib/core/random.js';
import { AbortError } from '../../lib/core/abort.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { perfectModel } from '../../lib/diffusion/forwardNoising.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { samplers, type RdmcSamplerOptions, type SamplerName } from '../../lib/samplers/samplerRegistry.js';
import { zeroCost, type ParticleRun, type SamplerProgress } from '../../lib/samplers/particleSampler.js';
import { rdmcBudget } from '../../lib/samplers/diffusion/rdmc.js';

let target: GaussianMixtureTarget;
before(async () => {
  await useBackend('wasm');
  target = gaussianMixture({ weights: [2 / 3, 1 / 3], means: [[-1, 0.5], [1.5, -0.5]], covariances: [0.2, 0.4] });
});
after(() => target.dispose());

const N = 64;
function optionsFor(name: SamplerName): Record<string, unknown> {
  switch (name) {
    case 'smc': return { numParticles: N, referenceScale: 2, numMcmcSteps: 2 };
    case 'ais': return { numParticles: N, referenceScale: 2, numMcmcSteps: 2, schedule: [0, 0.25, 0.5, 1] };
    case 'replica-exchange': return { numLevels: 4, numChains: 16, numSteps: 4, numWarmup: 4, swapFrequency: 2, stepSize: 0.05, referenceScale: 2 };
    case 'amc': return { model: perfectModel(target, vpSchedule()), kernel: 'firstOrder', numParticles: N, numLevels: 6 };
    case 'slips': return { sigma: 1.2, epsilon: 0.2, numParticles: N, numSteps: 6, numMcmcSteps: 3, numChains: 2, numInitSteps: 2 };
    case 'rdmc': return { numParticles: N, numSteps: 4, numInitSteps: 2, terminalTime: 0.5, estimator: { numChains: 2, numMcmcSteps: 3 } };
    case 'rds': return { numParticles: N, numSteps: 20 };
    case 'neural-is': return { proposal: gaussian([0, 0], 4), numSamples: N };
    case 'mala': case 'rwmh': return { numChains: 8, numSteps: 8, numWarmup: 4 };
    case 'hmc': return { numChains: 8, numSteps: 8, numWarmup: 4, params: { stepSize: 0.2, numIntegrationSteps: 3 } };
  }
}

test('every registered sampler returns a ParticleRun: particles [n, 2], a counted cost, and log Z where it has one', async () => {
  const withLogZ = new Set(['smc', 'ais', 'amc', 'rds', 'neural-is']);
  assert.deepEqual(samplers.names(), ['smc', 'ais', 'replica-exchange', 'amc', 'slips', 'rdmc', 'rds', 'neural-is', 'mala', 'rwmh', 'hmc']);
  const before = tf.memory().numTensors;
  for (const name of samplers.names()) {
    const options = optionsFor(name);
    const progress: string[] = [];
    const run: ParticleRun = await samplers.get(name)(key(1), target, { ...options, onProgress: (p: SamplerProgress) => progress.push(p.message) } as never);
    try {
      assert.equal(run.sampler, name);
      assert.equal(run.particles.shape[1], 2, name);
      assert.ok(run.particles.shape[0] >= N, `${name}: ${run.particles.shape[0]} particles`);
      assert.ok(run.seconds > 0 && run.levels >= 1, name);
      const evaluations = run.cost.densityEvaluations + run.cost.gradientEvaluations + run.cost.modelDensityEvaluations + run.cost.modelScoreEvaluations;
      assert.ok(evaluations > 0, `${name}: cost counted ${JSON.stringify(run.cost)}`);
      assert.equal(run.logZ !== undefined, withLogZ.has(name), `${name}: log Z present iff the method gives one`);
      if (run.logZ !== undefined) {
        assert.ok(Number.isFinite(run.logZ), name);
        // exact log Z = 0 (normalised mixture): a loose sanity bound, the statistical tests check the estimators.
        assert.ok(Math.abs(run.logZ) < 2, `${name}: log Z ${run.logZ}`);
      }
      if (run.logWeights) assert.equal(run.logWeights.length, run.particles.shape[0]);
      assert.ok(progress.length > 0, `${name}: progress lines`);
      if (name === 'amc') (options.model as { dispose(): void }).dispose();
      if (name === 'neural-is') (options.proposal as { dispose(): void }).dispose();
    } finally {
      run.particles.dispose();
    }
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
});

test('cost is counted one way: MALA chains and SMC levels count exactly what they evaluate', async () => {
  const mala = await samplers.get('mala')(key(2), target, { numChains: 8, numSteps: 5, numWarmup: 3 });
  // the initial state (one gradient per chain) and one proposal gradient per chain and step
  assert.deepEqual(mala.cost, { densityEvaluations: 0, gradientEvaluations: 8 * (1 + 8), modelDensityEvaluations: 0, modelScoreEvaluations: 0, hessianEvaluations: 0 });
  assert.equal(mala.particles.shape[0], 8 * 5, 'the draws after warm-up of all chains');
  mala.particles.dispose();
  const M = 3;
  const smc = await samplers.get('smc')(key(3), target, { numParticles: N, referenceScale: 2, numMcmcSteps: M, schedule: [0, 0.2, 0.6, 1] });
  const levels = smc.levels;
  assert.equal(levels, 3);
  // per level: a fresh state (one gradient) and M steps; the log-ratio at the start and after each level but the last
  assert.equal(smc.cost.gradientEvaluations, levels * (M + 1) * N);
  assert.equal(smc.cost.densityEvaluations, levels * N);
  assert.ok(smc.logZStandardError! > 0, 'SMC reports a standard error for log Z');
  smc.particles.dispose();
  // RDMC: the counted target evaluations are the ones rdmcBudget predicts; a given score costs model score
  // evaluations (one per particle and score estimate) and no target evaluation.
  const rdmcOptions = optionsFor('rdmc') as unknown as RdmcSamplerOptions;
  const rdmc = await samplers.get('rdmc')(key(4), target, rdmcOptions);
  assert.deepEqual(rdmc.cost, rdmcBudget(rdmcOptions).cost);
  assert.ok(rdmc.cost.gradientEvaluations > 0 && rdmc.cost.densityEvaluations > 0);
  rdmc.particles.dispose();
  const scored = await samplers.get('rdmc')(key(5), target, { ...rdmcOptions, score: (y) => tf.neg(y) as tf.Tensor2D });
  assert.deepEqual(scored.cost, { ...zeroCost(), modelScoreEvaluations: (2 + 4) * N });
  scored.particles.dispose();
});

test('options are checked at the boundary, by name', async () => {
  await assert.rejects(() => samplers.get('smc')(key(0), target, { numParticles: N, referenceScale: 2, stepsize: 0.1 } as never), /smc: option "stepsize" = 0.1, expected no such option/);
  await assert.rejects(() => samplers.get('smc')(key(0), target, { numParticles: N } as never), /smc: option "reference" = undefined, expected a reference Target/);
  await assert.rejects(() => samplers.get('mala')(key(0), target, { numChains: 0, numSteps: 3 }), /mala: option "numChains" = 0, expected an integer >= 1/);
  await assert.rejects(() => samplers.get('ais')(key(0), target, { numParticles: N, referenceScale: 2, resampling: 'systematic' } as never), /ais: option "resampling"/);
  assert.throws(() => samplers.get('nuts' as never), /samplers.get: option "name" = "nuts", expected one of "smc", "ais"/);
});

test('an aborted signal stops every kind of run with the one AbortError', async () => {
  const controller = new AbortController();
  controller.abort();
  for (const name of ['smc', 'mala', 'amc'] as const) {
    const options = optionsFor(name);
    await assert.rejects(() => samplers.get(name)(key(4), target, { ...options, signal: controller.signal } as never), (err: unknown) => {
      assert.ok(err instanceof AbortError, `${name}: ${String(err)}`);
      assert.equal((err as Error).name, 'AbortError');
      return true;
    });
    if (name === 'amc') (options.model as { dispose(): void }).dispose();
  }
});

test('a weighted run with a collapsed ESS warns that its log Z is unreliable', async () => {
  // One jump from a reference 20 times wider than the modes, no moves: a handful of particles carry the weight.
  const run = await samplers.get('ais')(key(5), target, { numParticles: N, referenceScale: 20, numMcmcSteps: 0, schedule: [0, 1] });
  assert.ok(run.ess < 0.05 * N, `ESS ${run.ess}`);
  assert.match(run.warnings.join('\n'), /ais: final ESS .* unreliable/);
  run.particles.dispose();
});
