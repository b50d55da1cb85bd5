/**
 * Proposal kernels K_k(x_k | x_{k+1}) for annealed Monte Carlo along a diffusion path (spec slips-lrds-amcbg.md
 * section 3.4 [recon]; used by amc.ts). Notation for one level (from t = t_{k+1} down to t = t_k):
 *   the forward (noising) transition F_k(x_{k+1} | x_k) = N(x_{k+1}; alpha x_k, v I), with alpha = a_{k+1}/a_k and
 *   v = s_{k+1}^2 - alpha^2 s_k^2 (`schedule.transition(t_k, t_{k+1})`); F_k is the backward kernel L_k of the SMC.
 *   Tweedie's formulas for that one-step transition (x_{k+1} = alpha x_k + sqrt(v) z):
 *     E[x_k | x_{k+1} = x]   = (x + v grad log p_{k+1}(x)) / alpha,
 *     Cov[x_k | x_{k+1} = x] = (v / alpha^2) (I + v Hess log p_{k+1}(x)).
 *   These equal the spec's forms mu~(x0^) and v~ I + c^2 C_0 with x0^ and C_0 = Cov[x_0 | x_t] from second-order
 *   Tweedie (expand a_k/a_{k+1} = 1/alpha and alpha^2 s_k^2 + v = s_{k+1}^2).
 *
 * Kinds:
 *   - 'firstOrder': N(E[x_k | x], (v/alpha^2) I): the exact Tweedie mean and the isotropic exponential-integrator
 *     variance of the reverse SDE (v/alpha^2 = a_k^2 (s_{k+1}^2/a_{k+1}^2 - s_k^2/a_k^2), the LRDS/PDDS
 *     `ei_integration_step` variance e^{A_{k+1}-A_k} - 1 for VP with sigma = 1). It is the second-order kernel with
 *     the Hessian dropped, so the two differ only by the covariance information. (The spec's DDPM variance
 *     v s_k^2 / s_{k+1}^2 vanishes at t_0 = 0, which would make the last proposal a point mass.)
 *   - 'secondOrder': N(E[x_k | x], Cov[x_k | x]) with the Hessian in diag + rank-K form (model.hessianLowRank):
 *     Cov = diag(delta) + G^T G, delta = (v/alpha^2)(1 + v D), G = (v/alpha) F. Sampled as mu + sqrt(delta) z1 +
 *     G^T z2; its log-density by Woodbury and the matrix determinant lemma (float64, JS side; K x K per particle).
 *   - 'transport': the DDIM / probability-flow map T(x) = x/alpha + (s_k - s_{k+1}/alpha) eps^, eps^ = -s_{k+1} score,
 *     Jacobian dT/dx = (1/alpha) I + e H with e = -(s_k - s_{k+1}/alpha) s_{k+1} > 0; log|det| by the determinant
 *     lemma on diag + rank K (LU on the K x K capacitance, float64).
 *   - 'oracle': the exact reverse transition p(x_k | x_{k+1}) of a perfect model of a diagonal Gaussian mixture:
 *     a mixture over components j with responsibilities r_j(x) under p_{k+1}, means m_j + g_j (x - alpha m_j) and
 *     variances c_j v / (alpha^2 c_j + v), where (m_j, c_j) is component j of p_{t_k} and g_j = alpha c_j /
 *     (alpha^2 c_j + v) (Gaussian conditioning). With it every incremental weight is 1 (Bayes' rule).
 * Each kernel returns the new positions and, per particle in float64, `logRatio` = log L_k(x_{k+1} | x_k) -
 * log K_k(x_k | x_{k+1}) (stochastic kinds) or log|det dT/dx| (transport).
 */
import * as tf from '@tensorflow/tfjs';
import { logSumExp, sumSquares } from '../../core/ops.js';
import { categorical, normal, split, type Key } from '../../core/random.js';
import { readFloat64 } from '../../core/readback.js';
import type { DiffusionModel } from '../../diffusion/diffusionModel.js';
import type { DiagPlusLowRank } from '../../targets/noisedMixture.js';
import type { GaussianMixtureTarget } from '../../targets/mixture.js';

export const AMC_KERNELS = ['firstOrder', 'secondOrder', 'transport', 'oracle', 'mcmc'] as const;
export type AmcKernelKind = (typeof AMC_KERNELS)[number];

const LOG_2PI = Math.log(2 * Math.PI);

/** One level's schedule constants, all float64. */
export interface LevelStep {
  /** t_{k+1} (from) and t_k (to). */
  tFrom: number;
  tTo: number;
  /** alpha = a_{k+1}/a_k and v = s_{k+1}^2 - alpha^2 s_k^2 (forward transition t_k -> t_{k+1}). */
  alpha: number;
  variance: number;
  /** s_k and s_{k+1}. */
  noiseTo: number;
  noiseFrom: number;
}

export interface ProposalResult {
  /** x_k, [n, d] (the caller owns it). */
  next: tf.Tensor2D;
  /** log L(x_{k+1} | x_k) - log K(x_k | x_{k+1}), or log|det dT/dx| for the transport map; float64 [n]. */
  logRatio: Float64Array;
  /** Evaluations used, in particles. */
  scoreEvaluations: number;
  hessianEvaluations: number;
}

/** A model with the diag + rank-K Hessian of log p_t (perfectModel of a diagonal mixture). */
export interface LowRankHessianModel extends DiffusionModel {
  hessianLowRank(x: tf.Tensor2D, t: number): DiagPlusLowRank;
}

/** A perfect model: its mixture is the clean law. */
export interface MixtureModel extends DiffusionModel {
  readonly mixture: GaussianMixtureTarget;
}


// ---------------------------------------------------------------------------------------------------------------
// Float64 algebra for diag + rank K (JS side)

/** log|det A| of a dense m x m matrix (row-major, overwritten) by LU with partial pivoting; -Infinity if singular. */
export function logAbsDetInPlace(a: Float64Array, m: number): number {
  let logDet = 0;
  for (let c = 0; c < m; c++) {
    let pivot = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(a[r * m + c]) > Math.abs(a[pivot * m + c])) pivot = r;
    const p = a[pivot * m + c];
    if (p === 0 || !Number.isFinite(p)) return p === 0 ? -Infinity : NaN;
    if (pivot !== c) {
      for (let j = 0; j < m; j++) {
        const tmp = a[c * m + j];
        a[c * m + j] = a[pivot * m + j];
        a[pivot * m + j] = tmp;
      }
    }
    logDet += Math.log(Math.abs(p));
    for (let r = c + 1; r < m; r++) {
      const f = a[r * m + c] / p;
      if (f !== 0) for (let j = c; j < m; j++) a[r * m + j] -= f * a[c * m + j];
    }
  }
  return logDet;
}

/**
 * log N(r; 0, diag(delta) + G^T G) per particle, float64: residuals r [n, d], delta [n, d] (> 0), G [n, K, d].
 * Woodbury: r^T S^{-1} r = r^T D^{-1} r - b^T M^{-1} b, b = G D^{-1} r, M = I_K + G D^{-1} G^T; determinant lemma:
 * log det S = sum log delta + log det M. M is SPD: Cholesky, NaN where delta <= 0.
 */
export function lowRankGaussianLogDensity(r: Float64Array, delta: Float64Array, g: Float64Array, n: number, d: number, K: number): Float64Array {
  const out = new Float64Array(n);
  const M = new Float64Array(K * K);
  const b = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let quad = 0;
    let logDet = 0;
    let bad = false;
    for (let j = 0; j < d; j++) {
      const dj = delta[i * d + j];
      if (!(dj > 0)) bad = true;
      quad += (r[i * d + j] * r[i * d + j]) / dj;
      logDet += Math.log(dj);
    }
    if (bad) {
      out[i] = NaN;
      continue;
    }
    for (let p = 0; p < K; p++) {
      const gp = i * K * d + p * d;
      let bp = 0;
      for (let j = 0; j < d; j++) bp += (g[gp + j] * r[i * d + j]) / delta[i * d + j];
      b[p] = bp;
      for (let q = 0; q <= p; q++) {
        const gq = i * K * d + q * d;
        let s = p === q ? 1 : 0;
        for (let j = 0; j < d; j++) s += (g[gp + j] * g[gq + j]) / delta[i * d + j];
        M[p * K + q] = s;
      }
    }
    // In-place Cholesky of M (lower), then b^T M^{-1} b = |L^{-1} b|^2.
    for (let p = 0; p < K; p++) {
      for (let q = 0; q <= p; q++) {
        let s = M[p * K + q];
        for (let l = 0; l < q; l++) s -= M[p * K + l] * M[q * K + l];
        if (p === q) {
          if (!(s > 0)) bad = true;
          M[p * K + p] = Math.sqrt(s);
          logDet += Math.log(s);
        } else {
          M[p * K + q] = s / M[q * K + q];
        }
      }
    }
    let solvedSq = 0;
    for (let p = 0; p < K; p++) {
      let s = b[p];
      for (let l = 0; l < p; l++) s -= M[p * K + l] * b[l];
      b[p] = s / M[p * K + p];
      solvedSq += b[p] * b[p];
    }
    out[i] = bad ? NaN : -0.5 * (d * LOG_2PI + logDet + quad - solvedSq);
  }
  return out;
}

/** log|det(diag(j) + e F^T F)| per particle (float64) by the matrix determinant lemma. */
export function lowRankLogAbsDet(j: Float64Array, f: Float64Array, e: number, n: number, d: number, K: number): Float64Array {
  const out = new Float64Array(n);
  const C = new Float64Array(K * K);
  for (let i = 0; i < n; i++) {
    let logDet = 0;
    for (let c = 0; c < d; c++) logDet += Math.log(Math.abs(j[i * d + c]));
    for (let p = 0; p < K; p++) {
      for (let q = 0; q < K; q++) {
        let s = p === q ? 1 : 0;
        for (let c = 0; c < d; c++) s += (e * f[i * K * d + p * d + c] * f[i * K * d + q * d + c]) / j[i * d + c];
        C[p * K + q] = s;
      }
    }
    out[i] = logDet + logAbsDetInPlace(C, K);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The kernels

/** -1/2 |x - alpha x_k|^2 / v - d/2 log(2 pi v): log F_k(x_{k+1} | x_k) from the residual's squared norm / v. */
function forwardLogDensity(scaledSquares: Float64Array, d: number, v: number): Float64Array {
  const c = -0.5 * d * (LOG_2PI + Math.log(v));
  return scaledSquares.map((q) => c - 0.5 * q);
}

/** 'firstOrder' and 'secondOrder' (see the file header). */
export async function gaussianProposal(
  model: DiffusionModel,
  key: Key,
  x: tf.Tensor2D,
  level: LevelStep,
  secondOrder: boolean,
): Promise<ProposalResult> {
  const [n, d] = x.shape;
  const { alpha, variance: v, tFrom } = level;
  const [k1, k2] = split(key, 2);
  if (!secondOrder) {
    const std = Math.sqrt(v) / alpha;
    const { next, forwardSq, noiseSq } = tf.tidy(() => {
      const score = model.score(x, tFrom);
      const z = normal(k1, [n, d]);
      const next = tf.add(tf.mul(tf.add(x, tf.mul(score, v)), 1 / alpha), tf.mul(z, std)) as tf.Tensor2D;
      // alpha x_k - x_{k+1} = v score + sqrt(v) z, so |x_{k+1} - alpha x_k|^2 / v = |sqrt(v) score + z|^2.
      const forwardSq = sumSquares(tf.add(tf.mul(score, Math.sqrt(v)), z), 1);
      return { next, forwardSq, noiseSq: sumSquares(z, 1) };
    });
    const [fq, nq] = await Promise.all([readFloat64(forwardSq), readFloat64(noiseSq)]);
    forwardSq.dispose();
    noiseSq.dispose();
    const logL = forwardLogDensity(fq, d, v);
    const logKConst = -0.5 * d * LOG_2PI - d * Math.log(std);
    const logRatio = logL.map((l, i) => l - (logKConst - 0.5 * nq[i]));
    return { next, logRatio, scoreEvaluations: n, hessianEvaluations: 0 };
  }
  const lowRank = model as LowRankHessianModel;
  const out = tf.tidy(() => {
    const score = model.score(x, tFrom);
    const { diag, factors } = lowRank.hessianLowRank(x, tFrom);
    const K = factors.shape[1];
    const delta = tf.mul(tf.add(tf.mul(diag, v), 1), v / (alpha * alpha)) as tf.Tensor2D; // (v/alpha^2)(1 + v D)
    const G = tf.mul(factors, v / alpha) as tf.Tensor3D;
    const z1 = normal(k1, [n, d]);
    const z2 = normal(k2, [n, K]);
    const residual = tf.add(tf.mul(tf.sqrt(tf.relu(delta)), z1), tf.sum(tf.mul(G, tf.expandDims(z2, 2)), 1)) as tf.Tensor2D;
    const mean = tf.mul(tf.add(x, tf.mul(score, v)), 1 / alpha);
    const next = tf.add(mean, residual) as tf.Tensor2D;
    // alpha x_k - x_{k+1} = v score + alpha residual.
    const forwardSq = tf.div(sumSquares(tf.add(tf.mul(score, v), tf.mul(residual, alpha)), 1), v);
    return { next, forwardSq, residual, delta, G, K };
  });
  const K = out.K;
  const [fq, r, delta, g] = await Promise.all([readFloat64(out.forwardSq), readFloat64(out.residual), readFloat64(out.delta), readFloat64(out.G)]);
  for (const t of [out.forwardSq, out.residual, out.delta, out.G]) t.dispose();
  const logK = lowRankGaussianLogDensity(r, delta, g, n, d, K);
  const logL = forwardLogDensity(fq, d, v);
  return { next: out.next, logRatio: logL.map((l, i) => l - logK[i]), scoreEvaluations: n, hessianEvaluations: n };
}

/** 'transport': one DDIM (probability-flow) step and its log|det Jacobian| (see the file header). */
export async function transportProposal(model: DiffusionModel, x: tf.Tensor2D, level: LevelStep): Promise<ProposalResult> {
  const [n, d] = x.shape;
  const { alpha, tFrom, noiseTo, noiseFrom } = level;
  const c = noiseTo - noiseFrom / alpha;
  const e = -c * noiseFrom; // > 0
  const lowRank = model as LowRankHessianModel;
  const out = tf.tidy(() => {
    const score = model.score(x, tFrom);
    // T(x) = x/alpha + c eps^, eps^ = -s_{k+1} score.
    const next = tf.add(tf.mul(x, 1 / alpha), tf.mul(score, -c * noiseFrom)) as tf.Tensor2D;
    const { diag, factors } = lowRank.hessianLowRank(x, tFrom);
    const jDiag = tf.add(tf.mul(diag, e), 1 / alpha);
    return { next, jDiag, factors };
  });
  const K = out.factors.shape[1];
  const [j, f] = await Promise.all([readFloat64(out.jDiag), readFloat64(out.factors)]);
  out.jDiag.dispose();
  out.factors.dispose();
  return { next: out.next, logRatio: lowRankLogAbsDet(j, f, e, n, d, K), scoreEvaluations: n, hessianEvaluations: n };
}

/** 'oracle': the exact reverse transition of a perfect model of a diagonal mixture (see the file header). */
export async function oracleProposal(model: MixtureModel, key: Key, x: tf.Tensor2D, level: LevelStep): Promise<ProposalResult> {
  const [n, d] = x.shape;
  const { alpha, variance: v, tTo } = level;
  const { weights, means, variances } = model.mixture.components;
  const K = means.length;
  const aTo = model.schedule.signalScale(tTo);
  const sTo2 = model.schedule.noiseScale(tTo) ** 2;
  // Float64 constants per component j and coordinate: level-k law (m, c), p_{k+1} law (alpha m, c1), posterior.
  const shifted = new Float64Array(K * d); // alpha m_j
  const c1 = new Float64Array(K * d);
  const gain = new Float64Array(K * d);
  const postVar = new Float64Array(K * d);
  const postOffset = new Float64Array(K * d); // m_j - gain_j alpha m_j
  const logW = new Float64Array(K);
  const totalW = weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < K; j++) {
    logW[j] = Math.log(weights[j] / totalW);
    for (let c = 0; c < d; c++) {
      const i = j * d + c;
      const m = aTo * means[j][c];
      const ck = aTo * aTo * (variances as number[][])[j][c] + sTo2;
      c1[i] = alpha * alpha * ck + v;
      shifted[i] = alpha * m;
      gain[i] = (alpha * ck) / c1[i];
      postVar[i] = (ck * v) / c1[i];
      postOffset[i] = m - gain[i] * alpha * m;
    }
  }
  const [kComponent, kNoise] = split(key, 2);
  const out = tf.tidy(() => {
    const t = (a: Float64Array) => tf.tensor2d(Float32Array.from(a), [K, d]);
    const shiftedT = t(shifted);
    const c1T = t(c1);
    const postVarT = t(postVar);
    const logNorm1 = tf.sum(tf.log(tf.mul(c1T, 2 * Math.PI)), 1); // [K]
    const logNormP = tf.sum(tf.log(tf.mul(postVarT, 2 * Math.PI)), 1);
    const y = tf.expandDims(x, 1); // [n, 1, d]
    // log r_j(y) under p_{k+1}.
    const logits = tf.add(
      tf.tensor1d(Float32Array.from(logW)),
      tf.mul(-0.5, tf.add(tf.sum(tf.div(tf.square(tf.sub(y, shiftedT)), c1T), 2), logNorm1)),
    );
    const logR = tf.sub(logits, logSumExp(logits, 1, true)) as tf.Tensor2D;
    const componentMeans = tf.add(tf.mul(y, t(gain)), t(postOffset)); // [n, K, d]
    const onehot = tf.expandDims(tf.cast(tf.oneHot(categorical(kComponent, logR) as tf.Tensor1D, K), "float32"), 2); // [n, K, 1]
    const mean = tf.sum(tf.mul(componentMeans, onehot), 1);
    const std = tf.sqrt(tf.sum(tf.mul(postVarT, onehot), 1));
    const next = tf.add(mean, tf.mul(std, normal(kNoise, [n, d]))) as tf.Tensor2D;
    const componentLog = tf.mul(
      -0.5,
      tf.add(tf.sum(tf.div(tf.square(tf.sub(tf.expandDims(next, 1), componentMeans)), postVarT), 2), logNormP),
    );
    const logK = logSumExp(tf.add(logR, componentLog), 1);
    const forwardSq = tf.div(sumSquares(tf.sub(x, tf.mul(next, alpha)), 1), v);
    return { next, logK, forwardSq };
  });
  const [logK, fq] = await Promise.all([readFloat64(out.logK), readFloat64(out.forwardSq)]);
  out.logK.dispose();
  out.forwardSq.dispose();
  const logL = forwardLogDensity(fq, d, v);
  return { next: out.next, logRatio: logL.map((l, i) => l - logK[i]), scoreEvaluations: 0, hessianEvaluations: 0 };
}
