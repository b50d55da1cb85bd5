/**
 * Small asymmetric targets (built here from tf ops, with exact samplers and moments) and independent proposals
 * for the MCMC kernel tests, plus the per-chain statistics the statistical tests use.
 */
import * as tf from '@tensorflow/tfjs';
import { GaussianFactor, matrix } from '../../lib/core/linalg.js';
import { logSumExp, matMul, sumSquares } from '../../lib/core/ops.js';
import { normal, split, uniform, type Key } from '../../lib/core/random.js';
import type { Target } from '../../lib/targets/target.js';
import type { IndependentProposal } from '../../lib/samplers/mcmc/imh.js';
import { meanAndSe } from '../helpers/stats.js';

export interface TestTarget extends Target {
  sample(key: Key, n: number): tf.Tensor2D;
  mean: number[];
  variance: number[];
  /** The full covariance, where the fixture has one. */
  covariance?: number[][];
  dispose(): void;
}

/**
 * N(mu, Sigma) in 3-d: non-zero mean, unequal variances, correlations of both signs.
 * log p(x) = logNormalizer - |(x - mu) L^{-T}|^2 / 2.
 */
export function correlatedGaussian(): TestTarget {
  const mean = [1, -2, 0.5];
  const cov = [
    [2.0, 0.6, 0.2],
    [0.6, 1.0, -0.3],
    [0.2, -0.3, 0.5],
  ];
  const factor = new GaussianFactor(mean, matrix(3, 3, cov));
  const t = factor.tensors();
  tf.dispose(t.cholesky);
  return {
    name: 'correlated-gaussian-3d',
    dim: 3,
    mean,
    variance: cov.map((row, i) => row[i]),
    covariance: cov,
    logDensity: (x) =>
      tf.tidy(() => tf.sub(factor.logNormalizer, tf.mul(0.5, sumSquares(matMul(tf.sub(x, t.mean), t.choleskyInverseT), 1)))) as tf.Tensor1D,
    sample: (key, n) => tf.tidy(() => factor.transform(normal(key, [n, 3]) as tf.Tensor2D)),
    dispose: () => tf.dispose([t.mean, t.choleskyInverseT]),
  };
}

/** 0.7 N(-1, 0.5^2) + 0.3 N(2, 1): skewed, bimodal, 1-d. */
export function skewedMixture(): TestTarget {
  const weights = [0.7, 0.3];
  const means = [-1, 2];
  const stds = [0.5, 1];
  const mean = weights[0] * means[0] + weights[1] * means[1];
  const second = weights.reduce((s, w, k) => s + w * (stds[k] ** 2 + means[k] ** 2), 0);
  const meansT = tf.tensor2d([means], [1, 2]);
  const invStdT = tf.tensor2d([stds.map((s) => 1 / s)], [1, 2]);
  const offsetsT = tf.tensor2d([weights.map((w, k) => Math.log(w) - Math.log(stds[k]) - 0.5 * Math.log(2 * Math.PI))], [1, 2]);
  return {
    name: 'skewed-mixture-1d',
    dim: 1,
    mean: [mean],
    variance: [second - mean * mean],
    logDensity: (x) =>
      tf.tidy(() => {
        const z = tf.mul(tf.sub(x, meansT), invStdT); // [n, 2] by broadcasting x [n, 1]
        return logSumExp(tf.sub(offsetsT, tf.mul(0.5, tf.square(z))), 1);
      }) as tf.Tensor1D,
    sample: (key, n) =>
      tf.tidy(() => {
        const [kc, kz] = split(key, 2);
        const first = tf.cast(tf.less(uniform(kc, [n, 1]), weights[0]), 'float32');
        const m = tf.add(means[1], tf.mul(first, means[0] - means[1]));
        const s = tf.add(stds[1], tf.mul(first, stds[0] - stds[1]));
        return tf.add(m, tf.mul(s, normal(kz, [n, 1]))) as tf.Tensor2D;
      }),
    dispose: () => tf.dispose([meansT, invStdT, offsetsT]),
  };
}

/** A diagonal Gaussian proposal N(mean, diag(std^2)) for IMH / i-SIR. */
export function diagonalGaussianProposal(mean: number[], std: number[]): IndependentProposal & { dispose(): void } {
  const d = mean.length;
  const meanT = tf.tensor1d(mean);
  const stdT = tf.tensor1d(std);
  const constant = -std.reduce((s, v) => s + Math.log(v), 0) - 0.5 * d * Math.log(2 * Math.PI);
  return {
    sample: (key, n) => tf.tidy(() => tf.add(meanT, tf.mul(stdT, normal(key, [n, d]))) as tf.Tensor2D),
    logDensity: (x) => tf.tidy(() => tf.sub(constant, tf.mul(0.5, sumSquares(tf.div(tf.sub(x, meanT), stdT), 1)))) as tf.Tensor1D,
    dispose: () => tf.dispose([meanT, stdT]),
  };
}

/** Proposals that cover each target with heavier tails than it (bounded importance weights). */
export function proposalFor(target: TestTarget): IndependentProposal & { dispose(): void } {
  return target.dim === 3 ? diagonalGaussianProposal([1.2, -1.8, 0.3], [2.5, 1.8, 1.3]) : diagonalGaussianProposal([0.3], [2.2]);
}

/**
 * Per-chain running sums over recorded draws, in float64: for chain c and coordinate j,
 * sum_t x_ctj and sum_t (x_ctj - mu_j)^2 with mu the exact mean.
 */
export class ChainMoments {
  readonly sum: Float64Array;
  readonly sumSqDev: Float64Array;
  draws = 0;
  constructor(readonly numChains: number, readonly exactMean: number[]) {
    this.sum = new Float64Array(numChains * exactMean.length);
    this.sumSqDev = new Float64Array(numChains * exactMean.length);
  }
  record(position: tf.Tensor2D): void {
    const x = position.dataSync();
    const d = this.exactMean.length;
    for (let i = 0; i < x.length; i++) {
      this.sum[i] += x[i];
      const dev = x[i] - this.exactMean[i % d];
      this.sumSqDev[i] += dev * dev;
    }
    this.draws++;
  }
  /**
   * Estimate of E[x_j] and Var[x_j] with Monte Carlo standard errors from the spread of the per-chain estimates
   * (chains are independent, so SE = sd over chains / sqrt(C) whatever the autocorrelation within a chain).
   */
  summary(j: number): { mean: number; meanSe: number; variance: number; varianceSe: number } {
    const d = this.exactMean.length;
    const C = this.numChains;
    const chainMeans = new Float64Array(C);
    const chainVars = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      chainMeans[c] = this.sum[c * d + j] / this.draws;
      chainVars[c] = this.sumSqDev[c * d + j] / this.draws;
    }
    const [mean, meanSe] = meanAndSe(chainMeans);
    const [variance, varianceSe] = meanAndSe(chainVars);
    return { mean, meanSe, variance, varianceSe };
  }
}

/** Column j of a row-major [n, d] array. */
export function column(values: ArrayLike<number>, d: number, j: number): Float64Array {
  const out = new Float64Array(values.length / d);
  for (let i = 0; i < out.length; i++) out[i] = values[i * d + j];
  return out;
}
