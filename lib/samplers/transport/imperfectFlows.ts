/**
 * Analytic flows with a controlled quality (nfmcmc spec sections 1.6, 1.8 E1 / E2 and 1.10 F1.1): maps z -> x with
 * an exact inverse and exact log-determinants, implementing the `Flow` contract (lib/models/flow.ts), so that the
 * transport samplers can be studied against flows whose error is known in closed form, without any training.
 *
 * - `affineFlow(shift, A)`: x = shift + A z (rows: x = shift + z A^T), A lower triangular with a non-zero diagonal;
 *   log|det dT/dz| = sum_i log|A_ii|, inverse z = (x - shift) A^{-T}.
 * - `gaussianFlow(mean, covariance, { scale, shift })`: the affine map x = mean + shift + scale L z with
 *   L = chol(covariance). With scale = 1 and shift = 0 its push-forward of N(0, I) IS N(mean, covariance); scale = 1 + gamma
 *   is the proposal N(0, (1 + gamma)^2 I) against N(0, I) of the spec's IMH bound (section 1.4).
 * - `linearInterpolationFlow(covariance, t)`: the "three flows" family of E1 (gaussians_three_flows.py):
 *   x = L_t z with L_t = (1 - 2t) chol(low I) + 2t chol(Sigma) for t <= 1/2 and (2t - 1) chol(high I) + 2(1 - t) chol(Sigma)
 *   for t > 1/2 (low = 0.1, high = 10); t = 1/2 is perfect, t = 0 is too narrow, t = 1 too wide.
 * - `funnelFlow({ dim, scale, beta })`: the funnel flow family of E2 (funnel.py `FunnelFlow(alpha = beta, a = 3 beta)`):
 *   x_0 = scale z_0 (exact), x_i = beta^{-1/2} exp(x_0 / 2) z_i, so the conditional scale is wrong by beta^{-1/2};
 *   log|det| = log scale - ((dim - 1) / 2) log beta + ((dim - 1) / 2) x_0. beta = 1 is perfect for `funnel({ dim, scale })`.
 *
 * The reference defines no analytic map for the mixtures (E3 uses an early RealNVP checkpoint); a wide affine
 * map (`gaussianFlow` with scale > 1) serves as an imperfect flow that covers every mode.
 */
import * as tf from '@tensorflow/tfjs';
import { cholesky, identity, matrix, solveTriangular, transpose, type Matrix } from '../../core/linalg.js';
import { exp, matMul } from '../../core/ops.js';
import { checkInteger, checkInterval, checkNumber, checkNumberArray, invalidOption, showValue } from '../../core/validate.js';
import type { Flow, FlowOutput } from '../../models/flow.js';
import { checkPositions } from '../../targets/target.js';
import { parseCovariance, type CovarianceSpec } from '../../targets/gaussian.js';

/** An analytic flow: the `Flow` contract (no trainable weights) plus a description of its quality. */
export interface AnalyticFlow extends Flow {
  readonly name: string;
}

/** A square matrix from nested rows or a linalg `Matrix` (checked: d x d, finite). */
function readSquare(fn: string, option: string, value: unknown, dim: number): Matrix {
  const expected = `a ${dim} x ${dim} lower-triangular matrix with a non-zero diagonal (nested rows or a linalg Matrix)`;
  let m: Matrix;
  if (value != null && typeof value === 'object' && (value as Matrix).data instanceof Float64Array) {
    const v = value as Matrix;
    if (v.rows !== dim || v.cols !== dim) invalidOption(fn, option, `Matrix [${v.rows}, ${v.cols}]`, expected, String);
    m = { rows: dim, cols: dim, data: Float64Array.from(v.data) };
  } else if (Array.isArray(value) && value.length === dim && value.every((r) => Array.isArray(r) && r.length === dim)) {
    m = matrix(dim, dim, value as number[][]);
  } else {
    return invalidOption(fn, option, value, expected);
  }
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      const a = m.data[i * dim + j];
      if (!Number.isFinite(a)) invalidOption(fn, `${option}[${i}][${j}]`, a, `a finite number (in ${expected})`);
      if (j > i && a !== 0) invalidOption(fn, `${option}[${i}][${j}]`, a, `0 above the diagonal (in ${expected})`);
    }
    if (m.data[i * dim + i] === 0) invalidOption(fn, `${option}[${i}][${i}]`, 0, `a non-zero diagonal entry (in ${expected})`);
  }
  return m;
}

/** log|det A| = sum_i log|A_ii| of a triangular matrix. */
function triangularLogAbsDet(a: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.rows; i++) s += Math.log(Math.abs(a.data[i * a.cols + i]));
  return s;
}

function constantLogDet(n: number, value: number): tf.Tensor1D {
  return tf.fill([n], value) as tf.Tensor1D;
}

/** The affine flow x = shift + A z with A lower triangular (see the file header). */
export function affineFlow(shift: readonly number[], scaleMatrix: readonly (readonly number[])[] | Matrix, name = 'affine'): AnalyticFlow {
  const fn = 'affineFlow';
  const b = checkNumberArray(fn, 'shift', shift);
  const d = b.length;
  const a = readSquare(fn, 'scaleMatrix', scaleMatrix, d);
  const logDet = triangularLogAbsDet(a);
  // Row convention: x = shift + z A^T, z = (x - shift) A^{-T}; both as plain matmuls (no transpose flags).
  const aInverse = solveTriangular(a, identity(d), { lower: true });
  const forwardMatrix = tf.tensor2d(Float32Array.from(transpose(a).data), [d, d]);
  const inverseMatrix = tf.tensor2d(Float32Array.from(transpose(aInverse).data), [d, d]);
  const shiftT = tf.tensor1d(Float32Array.from(b));
  let disposed = false;
  const check = (where: string, x: unknown, option: string) => {
    if (disposed) throw new Error(`${name}.${where}: the flow was disposed`);
    checkPositions(`${name}.${where}`, x, d, option);
  };
  return {
    name,
    dim: d,
    variables: [],
    forward(z: tf.Tensor2D): FlowOutput {
      check('forward', z, 'z');
      return tf.tidy(() => ({
        value: tf.add(matMul(z, forwardMatrix), shiftT) as tf.Tensor2D,
        logDet: constantLogDet(z.shape[0], logDet),
      }));
    },
    inverse(x: tf.Tensor2D): FlowOutput {
      check('inverse', x, 'x');
      return tf.tidy(() => ({
        value: matMul(tf.sub(x, shiftT), inverseMatrix) as tf.Tensor2D,
        logDet: constantLogDet(x.shape[0], -logDet),
      }));
    },
    dispose(): void {
      if (!disposed) tf.dispose([forwardMatrix, inverseMatrix, shiftT]);
      disposed = true;
    },
  };
}

export interface GaussianFlowOptions {
  /** Multiplicative error on the Cholesky factor (> 0; default 1: exact). */
  scale?: number;
  /** Additive error on the mean: a number for every coordinate or d numbers (default 0: exact). */
  shift?: number | readonly number[];
}

/** x = mean + shift + scale chol(covariance) z: exact push-forward N(mean, covariance) at scale 1, shift 0. */
export function gaussianFlow(mean: readonly number[], covariance: CovarianceSpec, options: GaussianFlowOptions = {}): AnalyticFlow {
  const fn = 'gaussianFlow';
  const mu = checkNumberArray(fn, 'mean', mean);
  const d = mu.length;
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an options object { scale?, shift? }');
  const scale = checkNumber(fn, 'scale', options.scale ?? 1, 'positive');
  const shiftSpec = options.shift ?? 0;
  const shift =
    typeof shiftSpec === 'number'
      ? new Array<number>(d).fill(checkNumber(fn, 'shift', shiftSpec))
      : checkNumberArray(fn, 'shift', shiftSpec, { length: d });
  const parsed = parseCovariance(fn, 'covariance', covariance, d);
  const l = parsed.kind === 'full' ? parsed.factor.cholesky : cholesky(parsed.matrix);
  const scaled = matrix(d, d, l.data.map((v) => scale * v));
  return affineFlow(mu.map((m, i) => m + shift[i]), scaled, `gaussianFlow(scale=${scale}, shift=${showValue(shiftSpec)})`);
}

export interface LinearInterpolationFlowOptions {
  /** Mean of the target (default 0). */
  mean?: readonly number[];
  /** Variance of the too-narrow end t = 0 (default 0.1, the reference's cov1 = 0.1 I). */
  lowVariance?: number;
  /** Variance of the too-wide end t = 1 (default 10, the reference's cov2 = 10 I). */
  highVariance?: number;
}

/**
 * The E1 "three flows" map x = mean + L_t z (nfmcmc spec section 1.6): L_t interpolates linearly between
 * chol(low I) (t = 0), chol(Sigma) (t = 1/2, perfect) and chol(high I) (t = 1).
 */
export function linearInterpolationFlow(covariance: CovarianceSpec, t: number, options: LinearInterpolationFlowOptions = {}): AnalyticFlow {
  const fn = 'linearInterpolationFlow';
  if (options == null || typeof options !== 'object') {
    invalidOption(fn, 'options', options, 'an options object { mean?, lowVariance?, highVariance? }');
  }
  checkInterval(fn, 't', t, '[0, 1]');
  const low = checkNumber(fn, 'lowVariance', options.lowVariance ?? 0.1, 'positive');
  const high = checkNumber(fn, 'highVariance', options.highVariance ?? 10, 'positive');
  const d = Array.isArray(options.mean)
    ? options.mean.length
    : typeof covariance === 'number'
      ? invalidOption(fn, 'mean', options.mean, 'the target mean (needed to know the dimension when the covariance is a scalar)')
      : Array.isArray(covariance)
        ? covariance.length
        : (covariance as Matrix).rows;
  const mu = options.mean === undefined ? new Array<number>(d).fill(0) : checkNumberArray(fn, 'mean', options.mean, { length: d });
  const parsed = parseCovariance(fn, 'covariance', covariance, d);
  const target = parsed.kind === 'full' ? parsed.factor.cholesky : cholesky(parsed.matrix);
  // The end point's Cholesky factor is sqrt(v) I; weights (end, target) as in gaussians_three_flows.py.
  const [endStd, endWeight, targetWeight] = t <= 0.5 ? [Math.sqrt(low), 1 - 2 * t, 2 * t] : [Math.sqrt(high), 2 * t - 1, 2 * (1 - t)];
  const lt = matrix(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) lt.data[i * d + j] = targetWeight * target.data[i * d + j] + (i === j ? endWeight * endStd : 0);
  }
  return affineFlow(mu, lt, `linearInterpolationFlow(t=${t})`);
}

export interface FunnelFlowOptions {
  /** Total dimension >= 2 (default 10). */
  dim?: number;
  /** Standard deviation of x_0 in the target funnel (default sqrt(3): flow_mcmc's a = 3 as a variance). */
  scale?: number;
  /** Quality parameter beta > 0 (default 1: exact); the conditional scale is off by beta^{-1/2}. */
  beta?: number;
}

/** The E2 funnel flow (see the file header); exact for `funnel({ dim, scale })` at beta = 1. */
export function funnelFlow(options: FunnelFlowOptions = {}): AnalyticFlow {
  const fn = 'funnelFlow';
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an options object { dim?, scale?, beta? }');
  const d = checkInteger(fn, 'dim', options.dim ?? 10, 2);
  const scale = checkNumber(fn, 'scale', options.scale ?? Math.sqrt(3), 'positive');
  const beta = checkNumber(fn, 'beta', options.beta ?? 1, 'positive');
  const m = d - 1;
  const conditionalFactor = 1 / Math.sqrt(beta);
  // log|det dT/dz| = log scale + m log(beta^{-1/2}) + (m / 2) x_0.
  const logDetOffset = Math.log(scale) + m * Math.log(conditionalFactor);
  const name = `funnelFlow(dim=${d}, beta=${beta})`;
  const split = (v: tf.Tensor2D) => ({ head: tf.slice(v, [0, 0], [-1, 1]), rest: tf.slice(v, [0, 1], [-1, m]) });
  const check = (where: string, v: unknown, option: string) => checkPositions(`${name}.${where}`, v, d, option);
  return {
    name,
    dim: d,
    variables: [],
    forward(z: tf.Tensor2D): FlowOutput {
      check('forward', z, 'z');
      return tf.tidy(() => {
        const { head, rest } = split(z);
        const x0 = tf.mul(head, scale);
        const xRest = tf.mul(rest, tf.mul(conditionalFactor, exp(tf.mul(x0, 0.5))));
        return {
          value: tf.concat([x0, xRest], 1) as tf.Tensor2D,
          logDet: tf.add(logDetOffset, tf.mul(0.5 * m, tf.reshape(x0, [-1]))) as tf.Tensor1D,
        };
      });
    },
    inverse(x: tf.Tensor2D): FlowOutput {
      check('inverse', x, 'x');
      return tf.tidy(() => {
        const { head, rest } = split(x);
        const zRest = tf.mul(rest, tf.div(exp(tf.mul(head, -0.5)), conditionalFactor));
        return {
          value: tf.concat([tf.div(head, scale), zRest], 1) as tf.Tensor2D,
          logDet: tf.sub(-logDetOffset, tf.mul(0.5 * m, tf.reshape(head, [-1]))) as tf.Tensor1D,
        };
      });
    },
    dispose(): void {},
  };
}
