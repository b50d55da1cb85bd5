/**
 * Replica exchange against known answers (lib/samplers/replicaExchange/), on Gaussian ends of the path, where every
 * level is Gaussian in closed form: per coordinate j, with reference N(0, r_j) and target N(m_j, t_j),
 *   π_β = N(μ_β, 1/λ_β),   λ_β = (1 − β)/r_j + β/t_j,   μ_β = β (m_j/t_j) / λ_β.
 *
 * 1. Swap acceptance. Two levels started at exact draws of their own laws, one MALA step (invariant) and one swap:
 *    the mean of min(1, α) over n chains against E[min(1, α)] under the product of the exact level laws, computed
 *    here in float64 by a 2-D trapezoid rule on ±9 sd (error far below 1e-6), within Z standard errors
 *    sqrt((E[min²] − E[min]²)/n) (the second moment from the same quadrature). The chains are independent.
 * 2. Invariance. Four levels started at exact draws, 12 steps (MALA with a fixed step size, a swap round every 2
 *    steps, so both parities): every level's final positions, per coordinate, against its exact law: the mean within
 *    Z sqrt(v/n), the variance within Z v sqrt(2/(n − 1)) (Gaussian), and a two-sample KS test against n fresh exact
 *    draws (p > P_MIN). The chain index c's rows are independent of other chains', so each level's n values are iid.
 *    24 checks; false alarms: 16 × 6.8e-6 + 8 × 1e-4 < 1e-3.
 * 3. Mode weights. A 0.7/0.3 mixture of two Gaussians 14 within-mode sds apart: MALA at β = 1 never crosses (no
 *    chain visits both modes), replica exchange does, and its β = 1 draws recover w₁ = 0.7. Honest standard error:
 *    the 64 chain indices are independent runs, so the per-chain fractions of draws in mode 1 are iid and
 *    SE = sd/√64 (autocorrelation inside a chain is in each fraction's spread, not ignored). The test also asks
 *    for SE < MAX_SE, so that a stuck sampler (SE ~ 0.5/√64 at least with a balanced start) cannot pass by spread.
 *    Chains stuck at their start would give E[f_c] = 0.5 (the reference is symmetric), not 0.7.
 * Power (each checked by hand, then restored): the sign of the swap log α flipped fails 1, 2 and 3; the per-row
 * temperatures laid out chain-major instead of level-major fails 1, 2 and 3; swapped positions kept with their old
 * log-densities and gradients (no re-blend at the new level) fails 2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normalArray } from '../../lib/core/random.js';
import { ksTwoSample } from '../../lib/metrics/ks.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { replicaExchange } from '../../lib/samplers/replicaExchange/replicaExchange.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import { runChain } from '../../lib/samplers/runChain.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSe } from '../helpers/stats.js';

const Z = 4.5;
const P_MIN = 1e-4;
const MAX_SE = 0.04;

before(async () => {
  await useBackend('wasm');
});

/** The exact law of level β per coordinate (diagonal Gaussian ends): mean and variance. */
function levelLaw(beta: number, refVar: number[], targetMean: number[], targetVar: number[]): { mean: number[]; variance: number[] } {
  const precision = refVar.map((r, j) => (1 - beta) / r + beta / targetVar[j]);
  return {
    mean: precision.map((p, j) => (beta * targetMean[j]) / targetVar[j] / p),
    variance: precision.map((p) => 1 / p),
  };
}

/** n exact draws of each level, level-major rows, float64 (and the float32 tensor of them). */
function exactDraws(seed: number, betas: number[], n: number, refVar: number[], targetMean: number[], targetVar: number[]): Float64Array {
  const d = refVar.length;
  const z = normalArray(key(seed), betas.length * n * d);
  const out = new Float64Array(z.length);
  betas.forEach((beta, k) => {
    const { mean, variance } = levelLaw(beta, refVar, targetMean, targetVar);
    for (let c = 0; c < n; c++) {
      for (let j = 0; j < d; j++) {
        const i = (k * n + c) * d + j;
        out[i] = mean[j] + Math.sqrt(variance[j]) * z[i];
      }
    }
  });
  return out;
}

test('swap acceptance: the mean min(1, alpha) of one swap matches E[min(1, alpha)] under the exact level laws', async (t) => {
  const refVar = [4];
  const targetMean = [1];
  const targetVar = [0.25];
  const betas = [0.4, 1];
  const n = 20000;
  // log alpha = (β1 − β0)(ℓ(x0) − ℓ(x1)), ℓ(x) = log N(x; m, t) − log N(x; 0, r) up to a constant.
  const ell = (x: number) => -((x - targetMean[0]) ** 2) / (2 * targetVar[0]) + (x * x) / (2 * refVar[0]);
  const [l0, l1] = betas.map((b) => levelLaw(b, refVar, targetMean, targetVar));
  const points = 1201;
  const h = 18 / (points - 1);
  const phi = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  let m1 = 0;
  let m2 = 0;
  for (let a = 0; a < points; a++) {
    const za = -9 + a * h;
    const wa = (a === 0 || a === points - 1 ? 0.5 : 1) * h * phi(za);
    const x0 = l0.mean[0] + Math.sqrt(l0.variance[0]) * za;
    for (let b = 0; b < points; b++) {
      const zb = -9 + b * h;
      const wb = (b === 0 || b === points - 1 ? 0.5 : 1) * h * phi(zb);
      const x1 = l1.mean[0] + Math.sqrt(l1.variance[0]) * zb;
      const accept = Math.min(1, Math.exp((betas[1] - betas[0]) * (ell(x0) - ell(x1))));
      m1 += wa * wb * accept;
      m2 += wa * wb * accept * accept;
    }
  }
  const reference = gaussian([0], refVar);
  const target = gaussian(targetMean, targetVar);
  const start = tf.tensor2d(Float32Array.from(exactDraws(11, betas, n, refVar, targetMean, targetVar)), [2 * n, 1]);
  const run = await replicaExchange(key(12), {
    reference, target, schedule: betas, numChains: n, numSteps: 1, swapFrequency: 1, stepSize: 0.05, adaptation: false, initialPositions: start,
  });
  tf.dispose([start, run.draws, run.finalPositions]);
  reference.dispose();
  target.dispose();
  const se = Math.sqrt((m2 - m1 * m1) / n);
  assert.equal(run.swapRounds[0], 1);
  t.diagnostic(`swap acceptance ${run.swapAcceptance[0].toFixed(5)}, exact ${m1.toFixed(5)} ± ${se.toFixed(5)}`);
  assert.ok(Math.abs(run.swapAcceptance[0] - m1) < Z * se, `swap acceptance ${run.swapAcceptance[0]}, exact ${m1} ± ${se}`);
});

test('invariance: every level keeps its exact tempered law through MALA moves and even/odd swaps', async (t) => {
  const refVar = [4, 1];
  const targetMean = [1, -0.5];
  const targetVar = [0.3, 0.6];
  const betas = [0, 0.35, 0.7, 1];
  const n = 3000;
  const d = 2;
  const reference = gaussian([0, 0], refVar);
  const target = gaussian(targetMean, targetVar);
  const start = tf.tensor2d(Float32Array.from(exactDraws(21, betas, n, refVar, targetMean, targetVar)), [betas.length * n, d]);
  const run = await replicaExchange(key(22), {
    reference, target, schedule: betas, numChains: n, numSteps: 12, swapFrequency: 2, stepSize: 0.4, adaptation: false, initialPositions: start,
  });
  const final = await run.finalPositions.data();
  tf.dispose([start, run.draws, run.finalPositions]);
  reference.dispose();
  target.dispose();
  assert.ok(Array.from(run.swapAcceptance).every((a) => a > 0.2), `swaps happen: ${Array.from(run.swapAcceptance)}`);
  t.diagnostic(`swap acceptance per pair ${Array.from(run.swapAcceptance).map((x) => x.toFixed(3))}, MALA acceptance per level ${Array.from(run.mcmcAcceptance).map((x) => x.toFixed(3))}`);
  let worst = 0;
  const fresh = exactDraws(23, betas, n, refVar, targetMean, targetVar);
  betas.forEach((beta, k) => {
    const { mean, variance } = levelLaw(beta, refVar, targetMean, targetVar);
    for (let j = 0; j < d; j++) {
      const values = Float64Array.from({ length: n }, (_, c) => final[(k * n + c) * d + j]);
      const exact = Float64Array.from({ length: n }, (_, c) => fresh[(k * n + c) * d + j]);
      const [m] = meanAndSe(values);
      let ss = 0;
      for (const v of values) ss += (v - m) ** 2;
      const v = ss / (n - 1);
      const where = `level ${k} (beta ${beta}), coordinate ${j}`;
      assert.ok(Math.abs(m - mean[j]) < Z * Math.sqrt(variance[j] / n), `${where}: mean ${m}, exact ${mean[j]}`);
      assert.ok(Math.abs(v - variance[j]) < Z * variance[j] * Math.sqrt(2 / (n - 1)), `${where}: variance ${v}, exact ${variance[j]}`);
      const ks = ksTwoSample(values, exact);
      worst = Math.max(worst, Math.abs(m - mean[j]) / Math.sqrt(variance[j] / n), Math.abs(v - variance[j]) / (variance[j] * Math.sqrt(2 / (n - 1))));
      assert.ok(ks.pValue > P_MIN, `${where}: KS D = ${ks.statistic}, p = ${ks.pValue}`);
    }
  });
  t.diagnostic(`largest |z| of the 16 moment checks: ${worst.toFixed(2)}`);
});

test('mode weights 0.7 / 0.3: MALA at beta = 1 stays in its mode, replica exchange recovers w1 within its SE', async (t) => {
  const d = 2;
  const a = 2.5;
  const target: GaussianMixtureTarget = gaussianMixture({ weights: [0.7, 0.3], means: [[-a, -a], [a, a]], covariances: [0.25, 0.25] });
  const reference = gaussian([0, 0], 9);
  const numChains = 64;
  const numSteps = 600;
  const betas = [0, 0.02, 0.05, 0.1, 0.17, 0.27, 0.4, 0.55, 0.75, 1];
  const run = await replicaExchange(key(31), {
    reference, target, schedule: betas, numChains, numSteps, numWarmup: 200, swapFrequency: 4, stepSize: 0.1,
  });
  const draws = await run.draws.data();
  const start = tf.slice(run.finalPositions, [0, 0], [numChains, d]) as tf.Tensor2D;
  const plain = await runChain(key(32), mala(target), await mala(target).init(start), { numSteps: 800, params: { stepSize: 0.1 } });
  tf.dispose([run.draws, run.finalPositions, start, ...Object.values(plain.state)]);
  target.dispose();
  reference.dispose();
  /** Per chain: the fraction of draws in mode 1 (x1 + x2 < 0) and whether the chain visited both modes. */
  const perChain = (data: ArrayLike<number>, steps: number) => Array.from({ length: numChains }, (_, c) => {
    let inFirst = 0;
    for (let s = 0; s < steps; s++) if (data[(s * numChains + c) * d] + data[(s * numChains + c) * d + 1] < 0) inFirst++;
    return { fraction: inFirst / steps, visitedBoth: inFirst > 0 && inFirst < steps };
  });
  const re = perChain(draws, numSteps);
  const stuck = perChain(plain.samples.data, 800);
  assert.equal(stuck.filter((c) => c.visitedBoth).length, 0, 'plain MALA never crosses between the modes');
  assert.ok(re.filter((c) => c.visitedBoth).length >= numChains / 2, `RE: ${re.filter((c) => c.visitedBoth).length} of ${numChains} chains visit both modes`);
  const [w1, se] = meanAndSe(re.map((c) => c.fraction));
  t.diagnostic(`RE w1 = ${w1.toFixed(4)} ± ${se.toFixed(4)}; ${re.filter((c) => c.visitedBoth).length}/${numChains} chains visit both modes; swap acceptance ${Array.from(run.swapAcceptance).map((x) => x.toFixed(2))}; step sizes ${Array.from(run.stepSizes).map((x) => x.toPrecision(2))}`);
  assert.ok(se < MAX_SE, `RE: SE ${se} too large to test the weight (swap acceptance ${Array.from(run.swapAcceptance).map((x) => x.toFixed(2))})`);
  assert.ok(Math.abs(w1 - 0.7) < Z * se, `RE: w1 = ${w1} ± ${se}, exact 0.7`);
});
