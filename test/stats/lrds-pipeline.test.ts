/**
 * The GMM-LRDS pipeline end to end (spec slips-lrds-amcbg.md section 2.3; lib/experiments/lrds/pipeline.ts) on an
 * asymmetric two-mode target, twoModesLrds(4): weights (2/3, 1/3), means -1 and +1, variances 0.05.
 *
 * 1. The local MALA data (4 chains per mode) have EQUAL mode weights (no chain crosses), and the GMM fitted to them
 *    by EM has weights 1/2 +- 0.02: the reference does not know the truth. GMM-LRDS (VP, LV loss, FourierMLP control)
 *    trained on this reference must move the mode weight of its UNWEIGHTED samples from 1/2 to 2/3:
 *      |h_0 - 2/3| < Z sqrt(p(1 - p)/N) + B,
 *    N = 4096 samples, Z = 4.5 binomial SEs (0.033), and B = 0.04 the training bias allowed at this budget
 *    (100 LV steps x 256 trajectories, 50 EI steps; stated, not a Monte Carlo error: pilot runs at this budget and
 *    seed gave |h_0 - 2/3| = 0.014 to 0.04 over configurations; the paper's own budget, 4096 x 1024, reports 0.017 at
 *    d = 16). The reference itself (h_0 = 1/2) is 0.167 away, beyond the bound.
 *    The IS side, exact and free of any allowance: whatever the control, E[exp(-rnd)] is the same number,
 *    E over the DISCRETE reference chain (same EI steps, no control, started at N(0, I)) of gamma / pi^ref at its end
 *    (the running terms are the exact log-ratio of the controlled and uncontrolled discrete kernels). So the trained
 *    sampler's IS log Z and IS-weighted mode weight must agree with those of the uncontrolled reference process run on
 *    the same reference and grid (16384 paths), within Z combined standard errors (log Z: the delta-method SE of
 *    evaluateRnd; the weight: delta-method SE of the self-normalised ratio). Both are then within 0.03 of the truth
 *    (log Z = 0, w = 2/3), a sanity bound on the discretisation (measured: -0.004 and 0.66 at this configuration).
 * 2. LV-DDS with its Gaussian reference N(0, sigma_opt^2) from the same data (sigma_opt rule, spec 2.3), the same
 *    network, budget and keys, does NOT recover the weights: |h_0 - 2/3| > Z sqrt(p(1 - p)/N) + B (it collapses onto
 *    one mode at this budget; the paper's baselines degrade to ~33 points at d >= 32 with the full budget).
 * Power (checked by hand, then restored): dropping the control from the drift of the generative step
 * (controlledSde.ts `force = tf.add(force, uHat)` -> `force`) fails 1 (h_0 = 0.494); halving the stochastic-integral
 * term of the rnd (`tf.mul(rowDot(u, z), Math.sqrt(step.omega))` x 0.5) fails 1 (h_0 = 0.800).
 * False alarms: 1 + 2 + 1 checks at 4.5 (6.8e-6 each, the training allowance not counted): < 3e-5.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { foldIn, key } from '../../lib/core/random.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { vpSde } from '../../lib/samplers/diffusion/rds/noisingSde.js';
import { rds, type RdsDetails } from '../../lib/samplers/diffusion/rds/rds.js';
import { rdsTimeGrid } from '../../lib/samplers/diffusion/rds/rdsTimeGrid.js';
import { mixtureReference } from '../../lib/samplers/diffusion/rds/referenceMarginal.js';
import { twoModesLrds } from '../../lib/targets/twoModes.js';
import type { GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { disposeLrdsData, fitLrdsReference, lrdsData, runRdsMethod, type LrdsData, type RdsMethodSettings } from '../../lib/experiments/lrds/pipeline.js';
import { useBackend } from '../helpers/backends.js';

const Z = 4.5;
/** Training bias allowed at this budget (see the header). */
const B = 0.04;
const N = 4096;
const TRUE_W0 = 2 / 3;
const binomialSe = Math.sqrt((TRUE_W0 * (1 - TRUE_W0)) / N);

const settings: RdsMethodSettings = {
  train: { numTimeSteps: 50, numLayers: 3, channels: 32, steps: 100, batchSize: 256, learningRate: 1e-2, numEvalParticles: N },
};

let target: GaussianMixtureTarget;
let data: LrdsData;

before(async () => {
  await useBackend('wasm');
  target = twoModesLrds(4);
  data = await lrdsData(key(1), target, { chainsPerMode: 4, numWarmup: 200, numSteps: 250 });
});
after(() => {
  disposeLrdsData(data);
  target.dispose();
});

/** Self-normalised IS estimate of the first mode's weight and its delta-method SE, from the run's log-weights. */
function weightedFraction(logWeights: Float64Array, inMode: (i: number) => boolean): { p: number; se: number } {
  const w = Array.from(logWeights, Math.exp);
  const total = w.reduce((a, b) => a + b, 0);
  let p = 0;
  w.forEach((wi, i) => (p += inMode(i) ? wi / total : 0));
  let v = 0;
  w.forEach((wi, i) => (v += (wi / total) ** 2 * ((inMode(i) ? 1 : 0) - p) ** 2));
  return { p, se: Math.sqrt(v) };
}

test('GMM-LRDS: a reference fitted to equal-weight local-MCMC data, and the trained RDS recovers the 2/3 : 1/3 weights', async () => {
  assert.deepEqual(data.dataModeWeights, [0.5, 0.5], 'every chain stays in its mode, so the data are half and half');
  const fitted = await fitLrdsReference(data);
  for (const w of fitted.weights) assert.ok(Math.abs(w - 0.5) < 0.02, `fitted GMM weight ${w}: the reference does not know the truth`);

  const run = await runRdsMethod(foldIn(key(2), 0), target, 'gmm-lrds', data, settings, { keepSamples: true });
  try {
    assert.ok(!run.diverged && run.details !== null, 'GMM-LRDS training diverged');
    const h0 = run.modeWeights[0];
    assert.ok(Math.abs(h0 - TRUE_W0) < Z * binomialSe + B, `GMM-LRDS unweighted mode weight ${h0} vs ${TRUE_W0} (SE ${binomialSe}, allowance ${B})`);
    // the uncontrolled reference process on the same reference and grid: the same expectation of exp(-rnd)
    const sde = vpSde();
    const mixture = gaussianMixture({ weights: fitted.weights, means: fitted.means, covariances: fitted.covariances as number[][] });
    const plain = await rds(foldIn(key(2), 1), target, { numParticles: 16384, sde, reference: mixtureReference(sde, mixture), grid: rdsTimeGrid(sde, settings.train.numTimeSteps) });
    mixture.dispose();
    const plainAssigned = await target.modes.assign(plain.particles);
    plain.particles.dispose();
    const plainEval = (plain.details as RdsDetails).evaluation;
    const trained = run.details!.evaluation;
    const logZSe = Math.hypot(trained.logZStandardError, plainEval.logZStandardError);
    assert.ok(Math.abs(trained.logZ - plainEval.logZ) < Z * logZSe, `IS log Z: trained ${trained.logZ}, uncontrolled ${plainEval.logZ} (SE ${logZSe})`);
    const assigned = await target.modes.assign(run.samples!);
    const is = weightedFraction(run.details!.rnd.map((r) => -r), (i) => assigned[i] === 0);
    const is0 = weightedFraction((plain.details as RdsDetails).rnd.map((r) => -r), (i) => plainAssigned[i] === 0);
    const pSe = Math.hypot(is.se, is0.se);
    assert.ok(Math.abs(is.p - is0.p) < Z * pSe, `IS-weighted mode weight: trained ${is.p}, uncontrolled ${is0.p} (SE ${pSe})`);
    assert.ok(Math.abs(trained.logZ) < 0.03 && Math.abs(is.p - TRUE_W0) < 0.03, `IS log Z ${trained.logZ} and weight ${is.p} near the truth (0, 2/3)`);
  } finally {
    run.samples?.dispose();
  }
});

test('LV-DDS with the Gaussian reference N(0, sigma_opt^2), same data and budget: the weights are not recovered', async () => {
  assert.ok(Math.abs(data.sigmaOpt - Math.sqrt(1.05)) < 0.05, `sigma_opt ${data.sigmaOpt}: the per-coordinate second moment of half-and-half data is 1.05`);
  const run = await runRdsMethod(foldIn(key(2), 0), target, 'lv-dds', data, settings);
  const h0 = run.modeWeights[0];
  assert.ok(Math.abs(h0 - TRUE_W0) > Z * binomialSe + B, `LV-DDS unweighted mode weight ${h0}: expected a failure at this budget`);
});
