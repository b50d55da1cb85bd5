/**
 * Two properties of the annealed-MC kernels along a perfect diffusion model (lib/samplers/diffusion/amc.ts,
 * amcKernels.ts; spec slips-lrds-amcbg.md 3.4), issue 11 item 7:
 *   1. on a single anisotropic Gaussian every p_t is Gaussian with a linear score, so the second-order
 *      (Hessian-corrected) kernel IS the exact reverse transition: the incremental log-weights are constant across
 *      particles (incrementVariance = 0 up to float32 rounding) and log Z is exact; the first-order kernel, same
 *      setting, has clearly nonzero variance (so the test separates the two), and so has a second-order kernel fed
 *      a Hessian that is 1% off;
 *   2. the 'transport' kernel's DDIM step against the probability-flow ODE (RK4, probabilityFlow.ts) on a 2-D
 *      mixture: (a) its one-level error shrinks 4x per halving of the level width (local error O(h^2)); (b) its
 *      log|det dT/dx| (closed form: determinant lemma on the diag + rank-K Hessian) equals the log|det| of the
 *      Jacobian of the same map taken by autodiff through the score.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normalArray } from '../../lib/core/random.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { perfectModel, type PerfectDiffusionModel } from '../../lib/diffusion/forwardNoising.js';
import { integrateProbabilityFlow } from '../../lib/diffusion/probabilityFlow.js';
import { amc, type AmcResult } from '../../lib/samplers/diffusion/amc.js';
import { transportProposal, type LevelStep } from '../../lib/samplers/diffusion/amcKernels.js';
import { useBackend } from '../helpers/backends.js';

/** float32 unit roundoff 2^-24. */
const U32 = 2 ** -24;
const schedule = vpSchedule();

let gaussian: GaussianMixtureTarget; // one component: N(m, diag(c))
let gaussianModel: PerfectDiffusionModel;
let mixture: GaussianMixtureTarget;
let mixtureModel: PerfectDiffusionModel;

const MEAN = [1.5, -0.7];
const COV = [0.2, 2.0];

before(async () => {
  await useBackend('wasm');
  gaussian = gaussianMixture({ weights: [1], means: [MEAN], covariances: [COV] });
  gaussianModel = perfectModel(gaussian, schedule);
  mixture = gaussianMixture({ weights: [2, 1], means: [[-1.5, 0.5], [1.5, -1]], covariances: [[0.4, 0.2], 0.3] });
  mixtureModel = perfectModel(mixture, schedule);
});

after(() => {
  gaussianModel.dispose();
  gaussian.dispose();
  mixtureModel.dispose();
  mixture.dispose();
});

function levelStep(tTo: number, tFrom: number): LevelStep {
  const { scale: alpha, std } = schedule.transition(tTo, tFrom);
  return { tFrom, tTo, alpha, variance: std * std, noiseTo: schedule.noiseScale(tTo), noiseFrom: schedule.noiseScale(tFrom) };
}

const maxVariance = (r: AmcResult) => Math.max(...r.levels.map((l) => l.incrementVariance));

test('second-order kernel on a single Gaussian: zero-variance incremental weights, exact log Z; first-order is not', async () => {
  const N = 512, d = 2;
  for (const numLevels of [8, 32]) {
    const run = (kernel: 'firstOrder' | 'secondOrder', model = gaussianModel) =>
      amc(key(5), { model, target: gaussian, kernel, numParticles: N, numLevels, resampleThreshold: 0 });
    const second = await run('secondOrder');
    // Tolerance from float32 rounding. Each increment log gamma_k(x_k) + log F_k - log gamma_{k+1}(x_{k+1}) - log K_k
    // is exactly 0 here (Bayes' rule with the exact reverse transition); in float32 each of the 4 terms is a
    // Gaussian log-density made of a normaliser -d/2 log(2 pi var) and a half squared Mahalanobis norm, evaluated
    // with O(10) float32 ops of relative error <= U32 each, so |computed increment| <= delta = 8 U32 M with
    // M = 4 (max normaliser + Q), Q = 20 bounding the half squared norms (each is chi^2_2 / 2-like for the exact
    // joint law: P(> 20) = e^-20 per particle). The normaliser's worst case is the smallest variance among the
    // transition variances v_k (t_1 = 1e-4: v ~ 1e-5) and the marginal variances a_t^2 c + s_t^2 >= min(c).
    const times = second.times;
    let minVar = Math.min(...COV);
    for (let k = 0; k + 1 < times.length; k++) minVar = Math.min(minVar, schedule.transition(times[k], times[k + 1]).std ** 2);
    const normaliser = (d / 2) * Math.abs(Math.log(2 * Math.PI * minVar));
    const delta = 8 * U32 * 4 * (normaliser + 20);
    // Variance of values in [-delta, delta] is <= delta^2; log Z sums K level terms log mean_i exp(w_k^i), each in [-delta, delta].
    const varianceTol = delta * delta;
    const v2 = maxVariance(second);
    assert.ok(v2 <= varianceTol, `${numLevels} levels: second-order max incrementVariance ${v2} > ${varianceTol} (delta ${delta})`);
    assert.ok(Math.max(...second.levels.map((l) => l.maxAbsIncrement)) <= delta, `second-order |log w| > ${delta}`);
    assert.ok(Math.abs(second.logZ) <= numLevels * delta, `second-order log Z = ${second.logZ}, exact 0 (tol ${numLevels * delta})`);
    assert.ok(second.levels.every((l) => l.numInvalid === 0 && l.ess > (1 - 1e-6) * N));
    second.particles.dispose();

    // Same setting, first-order kernel (Hessian dropped): the incremental weights vary, by many orders more.
    const first = await run('firstOrder');
    const v1 = maxVariance(first);
    assert.ok(v1 > 1e-2 && v1 > 1e6 * varianceTol, `${numLevels} levels: first-order max incrementVariance ${v1} should be clearly nonzero`);
    first.particles.dispose();

    // And a second-order kernel whose Hessian is 1% off (a perturbed correction) is caught by the same tolerance.
    const perturbed: PerfectDiffusionModel = {
      ...gaussianModel,
      hessianLowRank: (x, t) => {
        const h = gaussianModel.hessianLowRank(x, t);
        const diag = tf.mul(h.diag, 1.01) as tf.Tensor2D;
        h.diag.dispose();
        return { diag, factors: h.factors };
      },
    };
    const off = await run('secondOrder', perturbed);
    const vOff = maxVariance(off);
    assert.ok(vOff > 100 * varianceTol, `${numLevels} levels: 1%-perturbed Hessian gives variance ${vOff}, not clearly above ${varianceTol}`);
    off.particles.dispose();
    console.log(`${numLevels} levels: var tol ${varianceTol.toExponential(2)}; max var second ${v2.toExponential(2)}, first ${v1.toExponential(2)}, 1%-off Hessian ${vOff.toExponential(2)}; log Z ${second.logZ.toExponential(2)}`);
  }
});

/** RMS over particles of |a - b| (rows of [n, d]). */
async function rmsDistance(a: tf.Tensor2D, b: tf.Tensor2D): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  const n = a.shape[0];
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - y[i]) ** 2;
  return Math.sqrt(s / n);
}

test('DDIM step vs the probability-flow ODE: one-level error O(h^2) (4x per halving)', async () => {
  const n = 32;
  const x = tf.tensor2d(Float32Array.from(normalArray(key(3), n * 2)), [n, 2]);
  try {
    for (const tTo of [0.3, 0.1]) {
      const widths = [0.04, 0.02, 0.01, 0.005];
      const errors: number[] = [];
      for (const h of widths) {
        const step = levelStep(tTo, tTo + h);
        const ddim = await transportProposal(mixtureModel, x, step);
        // Reference flow map: RK4 (global error O(h^4)); 32 vs 64 steps agree to float32 rounding (checked below).
        const ref = integrateProbabilityFlow(mixtureModel, x, { from: tTo + h, to: tTo, numSteps: 64 });
        const ref32 = integrateProbabilityFlow(mixtureModel, x, { from: tTo + h, to: tTo, numSteps: 32 });
        const refError = await rmsDistance(ref, ref32);
        errors.push(await rmsDistance(ddim.next, ref));
        assert.ok(refError < 1e-2 * errors[errors.length - 1], `RK4 reference not converged: ${refError} vs DDIM error ${errors[errors.length - 1]}`);
        tf.dispose([ddim.next, ref, ref32]);
      }
      const ratios = errors.slice(1).map((e, i) => errors[i] / e);
      console.log(`t_k = ${tTo}: DDIM-vs-PF-ODE RMS errors ${errors.map((e) => e.toExponential(3)).join(', ')}; ratios ${ratios.map((r) => r.toFixed(3)).join(', ')}`);
      // Local error of a first-order (exponential-Euler) step is O(h^2): ratio -> 4 as h -> 0 (next term O(h^3)).
      for (const r of ratios) assert.ok(r > 3.2 && r < 4.8, `error ratio ${r} per halving, expected ~4 (errors ${errors})`);
      assert.ok(Math.abs(ratios[ratios.length - 1] - 4) < 0.4, `finest ratio ${ratios[ratios.length - 1]}, expected 4 +- 0.4`);
    }
  } finally {
    x.dispose();
  }
});

/** Jacobian [n, d, d] (float64, row-major per particle) of the DDIM map by autodiff through the model's score. */
function autodiffJacobian(model: PerfectDiffusionModel, x: tf.Tensor2D, step: LevelStep): Promise<Float64Array> {
  const [n, d] = x.shape;
  const c = step.noiseTo - step.noiseFrom / step.alpha;
  const map = (u: tf.Tensor2D) => tf.add(tf.mul(u, 1 / step.alpha), tf.mul(model.score(u, step.tFrom), -c * step.noiseFrom)) as tf.Tensor2D;
  const rows = tf.tidy(() => {
    const out: tf.Tensor[] = [];
    for (let i = 0; i < d; i++) {
      const unit = tf.oneHot(tf.tensor1d([i], 'int32'), d).toFloat();
      out.push(tf.grad((u: tf.Tensor) => tf.sum(tf.mul(map(u as tf.Tensor2D), unit)))(x)); // row i of dT/dx, [n, d]
    }
    return tf.stack(out, 1); // [n, d (output), d (input)]
  });
  return rows.data().then((v) => {
    rows.dispose();
    return Float64Array.from(v as Float32Array);
  });
}

test('DDIM log|det dT/dx| (determinant lemma) matches the autodiff Jacobian of the map', async () => {
  const n = 64, d = 2;
  const x = tf.tensor2d(Float32Array.from(normalArray(key(8), n * d).map((v) => 1.5 * v)), [n, d]);
  // A model whose Hessian lost its rank-K part: the check must reject its log|det| (the map itself is unchanged).
  const noFactors: PerfectDiffusionModel = {
    ...mixtureModel,
    hessianLowRank: (u, t) => {
      const h = mixtureModel.hessianLowRank(u, t);
      const factors = tf.zerosLike(h.factors) as tf.Tensor3D;
      h.factors.dispose();
      return { diag: h.diag, factors };
    },
  };
  try {
    for (const [tTo, tFrom] of [[0.3, 0.34], [0.05, 0.15], [0, 0.05]]) {
      const step = levelStep(tTo, tFrom);
      const p = await transportProposal(mixtureModel, x, step);
      const bad = await transportProposal(noFactors, x, step);
      tf.dispose([p.next, bad.next]);
      const J = await autodiffJacobian(mixtureModel, x, step);
      let worst = 0, worstBad = 0, maxHessianEffect = 0;
      for (let i = 0; i < n; i++) {
        const [a, b, c, e] = J.subarray(i * 4, i * 4 + 4);
        const det = a * e - b * c;
        const logDet = Math.log(Math.abs(det));
        // Tolerance: float32 entries of J (and of the closed form's diag / factors) carry relative error <= ~64 U32
        // (the score and its Hessian are a few dozen float32 ops), and d log|det J| = tr(J^-1 dJ) <=
        // |J^-1|_F |dJ|_F <= 64 U32 kappa_F(J), kappa_F = |J|_F |J^-1|_F = |J|_F^2 / |det J| for 2x2; twice that
        // for the two sides.
        const frob2 = a * a + b * b + c * c + e * e;
        const tol = 2 * 64 * U32 * (frob2 / Math.abs(det));
        const err = Math.abs(p.logRatio[i] - logDet);
        worst = Math.max(worst, err / tol);
        worstBad = Math.max(worstBad, Math.abs(bad.logRatio[i] - logDet) / tol);
        maxHessianEffect = Math.max(maxHessianEffect, Math.abs(logDet + d * Math.log(step.alpha))); // vs log|det (1/alpha) I|
      }
      console.log(`level ${tFrom} -> ${tTo}: max |err| / tol = ${worst.toExponential(2)}; without rank-K part ${worstBad.toExponential(2)}; max |log det J + d log alpha| = ${maxHessianEffect.toFixed(3)}`);
      assert.ok(worst <= 1, `level ${tFrom} -> ${tTo}: closed-form log|det| off the autodiff one by ${worst} tolerances`);
      assert.ok(worstBad > 10, `level ${tFrom} -> ${tTo}: dropping the rank-K Hessian part went unnoticed (${worstBad} tolerances)`);
      assert.ok(maxHessianEffect > 0.05, 'the Hessian term should matter at this level');
    }
  } finally {
    x.dispose();
  }
});
