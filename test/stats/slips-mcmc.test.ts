/**
 * SLIPS with its MCMC denoiser (the algorithm of the paper, spec section 1.4) recovers the mode weights of the SLIPS
 * two-modes target in d = 8 (spec section 1.6: weights 2/3 and 1/3, means −(2/3)·1 and +(4/3)·1, covariance 0.05 I;
 * the modes are 25 within-mode standard deviations apart), on a small CPU budget: N = 2048 particles, K = 64 grid
 * points (geometric (1, 1), ε = 0.3, ε_end = 6.62e-3), M = 16 MALA steps per call with 2 chains per particle, the last
 * 8 kept, a first call of 50 M = 800 steps, 10 Langevin-within-Langevin steps, σ by the benchmark rule
 * σ² = (R/√d)² + τ² with R = (4/3)√d, τ² = 0.05. That is 2784 batched MALA steps on [4096, 8].
 *
 * Bound: |ŵ₁ − w₁| < 4 sqrt(w₁ (1 − w₁) / N) + 0.02 = 0.042 + 0.02.
 * - The particles are independent given nothing (no resampling, no interaction: each has its own chains and step
 *   sizes), so the count in mode 1 is exactly binomial(N, p) with p the algorithm's mode-1 probability: the first
 *   term is 4 binomial standard errors.
 * - The second term bounds the algorithm's own bias |p − w₁| at this budget, which no SE covers: the MCMC denoiser
 *   is biased when the posterior q_t(· | y) is multimodal (its chains stay in the posterior mode they start in), and
 *   ε trades that off against the initialisation of p_{t_0} (the paper's "sweet spot"). In a pilot with other seeds,
 *   ε = 0.3 gave a pooled error of +0.005 ± 0.004 (10 runs, 11264 particles), and ε = 0.1, 0.2, 0.25 gave −0.069 (1 run),
 *   −0.039 (6 runs), −0.021 (6 runs): 0.02 is the pilot bias at ε = 0.3 plus about 3.5 pooled SE.
 * Power: a sampler that ignores the weights (ŵ₁ = 1/2) misses by 0.17; ε = 0.1, the wrong side of the sweet spot,
 * by about 0.07; both fail the bound of 0.062.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { key } from '../../lib/core/random.js';
import { slips, slipsSigma } from '../../lib/samplers/diffusion/slips.js';
import { twoModesSlips } from '../../lib/targets/twoModes.js';
import type { GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { useBackend } from '../helpers/backends.js';

const DIM = 8;
let target: GaussianMixtureTarget;

before(async () => {
  await useBackend('wasm');
  target = twoModesSlips(DIM);
});
after(() => target.dispose());

test('SLIPS (MCMC denoiser) recovers the 2/3 : 1/3 mode weights of the two-modes target in d = 8', async (t) => {
  const numParticles = 2048;
  const { samples, diagnostics } = await slips(key(2402), {
    target,
    sigma: slipsSigma((4 / 3) * Math.sqrt(DIM), Math.sqrt(0.05), DIM),
    epsilon: 0.3,
    numParticles,
    numSteps: 64,
    numMcmcSteps: 16,
    numChains: 2,
    numInitSteps: 10,
  });
  const modes = await target.modes.assign(samples);
  samples.dispose();
  let first = 0;
  for (let i = 0; i < numParticles; i++) if (modes[i] === 0) first++;
  const estimate = first / numParticles;
  const truth = target.modes.weights[0];
  const bound = 4 * Math.sqrt((truth * (1 - truth)) / numParticles) + 0.02;
  const detail =
    `weight of mode 1: ${estimate.toFixed(4)}, exact ${truth.toFixed(4)} +- ${bound.toFixed(4)}; ` +
    `acceptance first/last outer step ${diagnostics.acceptanceRate[0].toFixed(2)}/${diagnostics.acceptanceRate[63].toFixed(2)}`;
  t.diagnostic(detail);
  assert.ok(Math.abs(estimate - truth) < bound, detail);
  // The SLIPS step-size rule keeps MALA near its 0.75 target while the posteriors sharpen.
  const meanAcceptance = diagnostics.acceptanceRate.reduce((s, a) => s + a, 0) / diagnostics.acceptanceRate.length;
  assert.ok(meanAcceptance > 0.5 && meanAcceptance < 0.9, `mean MALA acceptance ${meanAcceptance}`);
  assert.equal(diagnostics.totalMcmcSteps, 50 * 16 + (10 + 64) * 16);
});
