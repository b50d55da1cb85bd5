/**
 * SMC and AIS at a fixed budget (lib/samplers/diffusion/equalBudget.ts) on an asymmetric 2-D mixture (weights 0.7 /
 * 0.3, different covariances; normalised, so log Z = 0), from the reference N(0, (R^2 + tau^2) I) of the SLIPS rule
 * (R = the largest mean norm, tau^2 = the largest component variance). Budget 512 = K 64 levels x M 8 MALA steps.
 *
 * Tolerances (z = 4.5; 6 checks, normal tails: 4e-5 false alarms, test/README.md):
 * - log Z: Var(log Z^) ≈ sum over resampling segments of (N / ESS_end - 1) / N, ESS_end the Kish ESS of the weights
 *   accumulated in the segment when it closes (the delta method for a ratio of means, one term per segment; with
 *   resampling at every level, one term per level; AIS: one term).
 * - first-mode weight (fraction of the weighted particles that `modes.assign` puts in mode 0) against the fraction
 *   among 40 000 exact samples: Var <= p (1 - p) ((1 + R) / N + 1 / 40 000) for SMC with R multinomial resampling
 *   events (each adds at most p (1 - p) / N once the modes stop exchanging particles), p (1 - p) (1 / ESS + 1 / 40 000)
 *   for AIS's importance weights.
 * - AIS weighted mean per coordinate: sqrt(Var_j / ESS), Var_j the exact variance.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { key } from '../../lib/core/random.js';
import { modeWeights } from '../../lib/metrics/modeWeights.js';
import { aisAtBudget, smcAtBudget, type GeometricPathRunResult } from '../../lib/samplers/diffusion/equalBudget.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { useBackend } from '../helpers/backends.js';

const Z = 4.5;
/** The runs here have a log Z sd of about 0.01 (N = 2000); one collapsed onto a few particles has sd of order 1. */
const MAX_LOG_Z_SD = 0.1;
const N = 2000;
const NUM_EXACT = 40000;
let target: GaussianMixtureTarget;
let referenceVariance: number;
let exactFirstMode: number;

before(async () => {
  await useBackend('wasm');
  target = gaussianMixture({ weights: [0.7, 0.3], means: [[-1, 0.5], [1.5, -1]], covariances: [0.3, [0.2, 0.5]] });
  const R = Math.max(...target.components.means.map((m) => Math.hypot(...m)));
  referenceVariance = R * R + 0.5;
  const exact = target.sample(key(4242), NUM_EXACT);
  exactFirstMode = modeWeights(await target.modes.assign(exact), 2)[0];
  exact.dispose();
});
after(() => target.dispose());

function logZVariance(result: GeometricPathRunResult): number {
  let variance = (N / result.ess - 1) / N;
  for (const level of result.levels) if (level.resampled) variance += (N / level.ess - 1) / N;
  return variance;
}

async function check(name: string, result: GeometricPathRunResult): Promise<void> {
  const logZSd = Math.sqrt(logZVariance(result));
  const p = exactFirstMode;
  const h = modeWeights(await target.modes.assign(result.samples), 2, result.weights)[0];
  const resamplings = result.levels.filter((l) => l.resampled).length;
  const modeVariance = name === 'ais'
    ? p * (1 - p) * (1 / result.ess + 1 / NUM_EXACT)
    : p * (1 - p) * ((1 + resamplings) / N + 1 / NUM_EXACT);
  const detail = `${name}: log Z ${result.logZ.toFixed(4)} (sd ${logZSd.toFixed(4)}), first mode ${h.toFixed(4)} vs ${p.toFixed(4)} ` +
    `(sd ${Math.sqrt(modeVariance).toFixed(4)}, ${resamplings} resamplings), ESS ${result.ess.toFixed(0)}, final step ${result.stepSize.toFixed(3)}`;
  console.log(`# ${detail}`);
  // Log scale: E[log Z^] = log Z - Var/2 (here log Z = 0); and a stated bound on the sd, which a run whose weights
  // collapse (ESS of a few particles) exceeds, where its own delta-method sd would make any log Z pass.
  assert.ok(Math.abs(result.logZ + logZSd ** 2 / 2) < Z * logZSd, detail);
  assert.ok(logZSd < MAX_LOG_Z_SD, `${detail}: log Z sd above ${MAX_LOG_Z_SD}`);
  assert.ok(Math.abs(h - p) < Z * Math.sqrt(modeVariance), detail);
  assert.equal(result.budget.numLevels, 64);
  assert.equal(result.cost.gradientEvaluations, 64 * 9 * N);
}

test('SMC at budget 512 (SLIPS settings: multinomial resampling at every level): log Z and mode weight', async () => {
  const result = await smcAtBudget(key(11), target, { budget: 512, numMcmcSteps: 8, numParticles: N, referenceVariance, stepSize: 0.1 });
  await check('smc', result);
  result.samples.dispose();
});

test('AIS at budget 512: log Z, weighted mode weight and weighted mean', async () => {
  const result = await aisAtBudget(key(12), target, { budget: 512, numMcmcSteps: 8, numParticles: N, referenceVariance, stepSize: 0.1 });
  await check('ais', result);
  const x = result.samples.dataSync();
  for (let j = 0; j < 2; j++) {
    let mean = 0;
    for (let i = 0; i < N; i++) mean += result.weights[i] * x[2 * i + j];
    const truth = target.mean[j];
    const sd = Math.sqrt(target.variance[j] / result.ess);
    assert.ok(Math.abs(mean - truth) < Z * sd, `AIS weighted mean[${j}] ${mean} vs ${truth} (sd ${sd})`);
  }
  result.samples.dispose();
});
