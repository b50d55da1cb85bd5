/**
 * SLIPS's Gaussian initialisation with Langevin-within-Langevin (spec section 1.4, step 2; issue 11 item 7; issue 12
 * item 3), with the exact denoiser on a correlated Gaussian target, against the exact law of the discretised chain.
 *
 * Target π = N(m, S), m = (3, −2), S = [[0.3, 0.35], [0.35, 1.5]] (correlated, unequal variances, off-centre: a sign,
 * scale or transpose error shows). Observation at t_0: Y = α X + √v Z with α = α(t_0), v = σ² t_0, so
 *   p_{t_0} = N(μ, C),   μ = α m,   C = α² S + v I,
 *   E[X | Y = y] = m + α S C⁻¹ (y − μ)    (the exact denoiser, written out below),
 * and the Tweedie score SLIPS forms, (α u(y) − y) / v, is −C⁻¹ (y − μ): the exact score of p_{t_0}.
 *
 * SLIPS starts from Y_0 = α m̂ + √v ξ_0 (m̂ = `targetMean`; the reference's `sample_y_init`) and runs K ULA steps
 * with h = v / 2:  Y_{k+1} − μ = A (Y_k − μ) + √(2h) ξ_k,  A = I − h C⁻¹.
 * A, C and S share eigenvectors e_i (eigenvalues s_i of S, c_i = α² s_i + v of C), so the coordinates
 * z_i = e_iᵀ (Y − μ) are independent Gaussian AR(1) recursions with ρ_i = 1 − h / c_i:
 *   E[z_i(K)]   = ρ_i^K e_iᵀ (α m̂ − μ),
 *   Var[z_i(K)] = ρ_i^{2K} v + 2h (1 − ρ_i^{2K}) / (1 − ρ_i²),      Cov[z_1(K), z_2(K)] = 0,
 * converging to the stationary law of the discretised step, Var = c_i / (1 − h / (2 c_i)): the ULA bias inflates
 * the variance of p_{t_0} by 1 / (1 − v / (4 c_i)) at h = v / 2. If the inner denoiser were an MCMC estimate instead
 * of the exact mean, its noise would add to the variance; with the exact denoiser the law above is exact at any K.
 * Two runs: K = 12 (in effect the stationary law: ρ^{2K} < 1e-4) and K = 3 (the transient: the start α m̂ and ρ^K).
 *
 * The particles are independent, so with N of them, per run and eigen-coordinate: |mean − E| < z √(Var / N),
 * |sample variance − Var| < z Var √(2 / (N − 1)), and the sample covariance of z_1, z_2 within z √(Var_1 Var_2 / N)
 * of 0, z = 4.5: 10 checks (normal tails, 6.8e-6 each): 6.8e-5 false alarms in all.
 * Power: doubling h (h = v) changes the stationary variances by 20 to 40 %, tens of standard errors (mutation
 * checked by editing the step in slips.ts).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { geometricSchedule } from '../../lib/diffusion/localizationSchedules.js';
import { slips } from '../../lib/samplers/diffusion/slips.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd } from '../helpers/stats.js';

before(() => useBackend('wasm'));

const M = [3, -2];
const S: [[number, number], [number, number]] = [[0.3, 0.35], [0.35, 1.5]];
const TARGET_MEAN = [1, 1]; // m̂, deliberately off
const SIGMA = 1;
const T0 = 0.2;
const N = 8192;
const Z = 4.5;

/** Eigenvalues and unit eigenvectors of a symmetric 2 x 2 matrix (a rotation by θ, tan 2θ = 2b / (a − d)). */
function eigen2(a: number, b: number, d: number): { values: number[]; vectors: number[][] } {
  const theta = 0.5 * Math.atan2(2 * b, a - d);
  const e1 = [Math.cos(theta), Math.sin(theta)];
  const e2 = [-Math.sin(theta), Math.cos(theta)];
  const quad = (e: number[]) => a * e[0] * e[0] + 2 * b * e[0] * e[1] + d * e[1] * e[1];
  return { values: [quad(e1), quad(e2)], vectors: [e1, e2] };
}

/** Y at t_0 after K Langevin-within-Langevin steps with the exact denoiser, as rows. */
async function initialY(seed: number, numInitSteps: number, alpha: number, v: number): Promise<number[][]> {
  const target = gaussian(M, S);
  const schedule = geometricSchedule();
  const mu = M.map((m) => alpha * m);
  // Gain α S C⁻¹ with C = α² S + v I (2 x 2 inverse written out).
  const C = [[alpha * alpha * S[0][0] + v, alpha * alpha * S[0][1]], [alpha * alpha * S[1][0], alpha * alpha * S[1][1] + v]];
  const det = C[0][0] * C[1][1] - C[0][1] * C[1][0];
  const Cinv = [[C[1][1] / det, -C[0][1] / det], [-C[1][0] / det, C[0][0] / det]];
  const gain = [0, 1].map((i) => [0, 1].map((j) => alpha * (S[i][0] * Cinv[0][j] + S[i][1] * Cinv[1][j])));
  const exactDenoiser = (y: tf.Tensor2D) =>
    tf.tidy(() => tf.add(tf.tensor1d(M), tf.matMul(tf.sub(y, tf.tensor1d(mu)), tf.tensor2d(gain), false, true)) as tf.Tensor2D);
  const captured: number[][][] = [];
  const { samples } = await slips(key(seed), {
    target,
    sigma: SIGMA,
    epsilon: T0,
    schedule,
    numParticles: N,
    numSteps: 2,
    numInitSteps,
    targetMean: TARGET_MEAN,
    // Only the initialisation is checked: the denoiser is exact at t_0, and the outer step is not looked at.
    denoiser: (y, t) => (t === T0 ? exactDenoiser(y) : tf.clone(y)),
    onState: (y, t, k) => {
      if (k === 0) {
        assert.equal(t, T0);
        captured.push(y.arraySync() as number[][]);
      }
    },
  });
  samples.dispose();
  target.dispose();
  assert.equal(captured.length, 1, 'onState was not called once at k = 0');
  return captured[0];
}

for (const [K, seed] of [[12, 2024], [3, 2025]] as const) {
  test(`Langevin-within-Langevin (K = ${K}) with the exact denoiser: Y at t_0 has the law of the discretised ULA chain (4.5 SE)`, async () => {
    const alpha = geometricSchedule().alpha(T0);
    const v = SIGMA * SIGMA * T0;
    const h = v / 2;
    const y = await initialY(seed, K, alpha, v);
    const { values, vectors } = eigen2(S[0][0], S[0][1], S[1][1]);
    const mu = M.map((m) => alpha * m);
    const start = TARGET_MEAN.map((m, j) => alpha * m - mu[j]);
    const z = vectors.map((e) => y.map((row) => e[0] * (row[0] - mu[0]) + e[1] * (row[1] - mu[1])));
    const expectedVariance: number[] = [];
    const failures: string[] = [];
    for (let i = 0; i < 2; i++) {
      const c = alpha * alpha * values[i] + v;
      const rho = 1 - h / c;
      const rhoK = rho ** K;
      const expectedMean = rhoK * (vectors[i][0] * start[0] + vectors[i][1] * start[1]);
      const variance = rhoK * rhoK * v + (2 * h * (1 - rhoK * rhoK)) / (1 - rho * rho);
      expectedVariance.push(variance);
      const { mean, sd } = meanAndSd(z[i]);
      const meanSe = Math.sqrt(variance / N);
      const varianceSe = variance * Math.sqrt(2 / (N - 1));
      if (!(Math.abs(mean - expectedMean) < Z * meanSe)) failures.push(`eigen-coordinate ${i}: mean ${mean} vs ${expectedMean} (SE ${meanSe})`);
      if (!(Math.abs(sd * sd - variance) < Z * varianceSe)) {
        failures.push(`eigen-coordinate ${i}: variance ${sd * sd} vs ${variance} (SE ${varianceSe}; p_t0 has ${c})`);
      }
    }
    const m0 = meanAndSd(z[0]).mean;
    const m1 = meanAndSd(z[1]).mean;
    let cov = 0;
    for (let p = 0; p < N; p++) cov += (z[0][p] - m0) * (z[1][p] - m1);
    cov /= N - 1;
    const covSe = Math.sqrt((expectedVariance[0] * expectedVariance[1]) / N);
    if (!(Math.abs(cov) < Z * covSe)) failures.push(`covariance of the eigen-coordinates ${cov} vs 0 (SE ${covSe})`);
    assert.deepEqual(failures, []);
  });
}
