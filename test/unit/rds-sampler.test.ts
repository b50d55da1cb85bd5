/**
 * lib/samplers/diffusion/rds/rds.ts, the RDS as a ParticleSampler. PIS without a control, in EM, is importance
 * sampling from exact Brownian motion (rds-losses.test.ts), so its log Z is unbiased: within 4 of its standard errors
 * of the truth (an unnormalised, non-centred, anisotropic Gaussian target). The run's numbers agree with its own rnd
 * (weights exp(-rnd) normalised, log Z, ESS); cost: N target densities, K N control evaluations with a control; bad
 * options name the option.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { logSumExp64 } from '../../lib/core/logspace.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { pinnedBrownianSde } from '../../lib/samplers/diffusion/rds/noisingSde.js';
import { rds, type RdsDetails } from '../../lib/samplers/diffusion/rds/rds.js';
import { defaultReference } from '../../lib/samplers/diffusion/rds/referenceMarginal.js';
import { mixtureOptimalControl } from '../../lib/samplers/diffusion/rds/optimalControl.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

const target = gaussianMixture({ weights: [3], means: [[0.3, -0.2]], covariances: [[0.8, 1.2]] });

test('PIS without a control: log Z within 4 SE, weights and ESS from the rnd', async () => {
  const n = 4000;
  const run = await rds(key(1), target, { numParticles: n, sde: pinnedBrownianSde(), scheme: 'em', numSteps: 20 });
  const details = run.details as RdsDetails;
  assert.deepEqual(run.particles.shape, [n, 2]);
  assert.ok(Math.abs(run.logZ! - target.logZ) < 4 * run.logZStandardError!, `log Z ${run.logZ} vs ${target.logZ} (SE ${run.logZStandardError})`);
  assert.ok(run.logZStandardError! > 0.005, 'IS from the reference has a visible error');
  assert.ok(Math.abs(logSumExp64(run.logWeights!)) < 1e-12);
  assert.ok(Math.abs(run.logWeights![5] - (-details.rnd[5] - logSumExp64(Array.from(details.rnd, (r) => -r)))) < 1e-9);
  assert.ok(Math.abs(run.ess - details.evaluation.normalisedEss * n) < 1e-9 && run.ess < n);
  assert.equal(run.cost.densityEvaluations, n);
  assert.equal(run.cost.modelScoreEvaluations, 0);
  assert.equal(run.levels, 20);
  run.particles.dispose();
});

test('with a control: its evaluations are counted, and nothing leaks', async () => {
  const sde = pinnedBrownianSde();
  const reference = defaultReference(sde, 2);
  const control = mixtureOptimalControl(sde, target, reference);
  const before = tf.memory().numTensors;
  const run = await rds(key(2), target, { numParticles: 100, sde, reference, control, numSteps: 10, scheme: 'em' });
  assert.equal(run.cost.modelScoreEvaluations, 10 * 100);
  assert.ok(run.ess > 0.8 * 100, `ESS ${run.ess} with the exact control`);
  run.particles.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('bad options name the option', async () => {
  await assert.rejects(rds(key(0), target, { numParticles: 0 }), /option "numParticles"/);
  await assert.rejects(rds(key(0), target, { numParticles: 4, scheme: 'heun' as never }), /option "scheme"/);
  await assert.rejects(rds(key(0), target, { numParticles: 4, grid: [0, 0.5, 1], numSteps: 3 }), /option "grid"/);
  await assert.rejects(rds(key(0), target, { numParticles: 4, steps: 3 } as never), /steps/);
});
