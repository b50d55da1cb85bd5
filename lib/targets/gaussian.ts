/**
 * Multivariate Gaussian target N(mean, covariance), full covariance, with exact ground truth.
 *
 * The log-density is the *normalised* one, log N(x; mean, covariance), so `logZ = 0`. The covariance is factored
 * once in float64 (`GaussianFactor`, lib/core/linalg.ts); the device side is two matmuls with constant
 * triangular factors (no transpose flags, DESIGN.md trap 1):
 *   z = (x - mean) L^{-T},  log p(x) = logNormalizer - |z|^2 / 2,  grad log p(x) = -(x - mean) Sigma^{-1} = -z L^{-1}.
 * Exact samples are mean + eps L^T with eps ~ N(0, I).
 *
 * This file also holds the covariance parser shared by the other Gaussian-based targets (mixture.ts,
 * noisedMixture.ts, twoModes.ts, ...); option checks come from lib/core/validate.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { GaussianFactor, matrix, type Matrix } from '../core/linalg.js';
import { matMul, sumSquares } from '../core/ops.js';
import { normal, type Key } from '../core/random.js';
import { checkNumberArray, checkSampleCount, invalidOption } from '../core/validate.js';
import { checkPositions, type Modes, type Target } from './target.js';

// ---------------------------------------------------------------------------------------------------------------
// Covariances

/**
 * A covariance given as a positive scalar (isotropic, `c I`), an array of d positive variances (diagonal), or a
 * full symmetric positive-definite d x d matrix (nested rows or a linalg `Matrix`).
 */
export type CovarianceSpec = number | readonly number[] | readonly (readonly number[])[] | Matrix;

export type ParsedCovariance =
  | { kind: 'isotropic'; variances: number[]; matrix: Matrix }
  | { kind: 'diagonal'; variances: number[]; matrix: Matrix }
  | { kind: 'full'; matrix: Matrix; factor: GaussianFactor };

function isMatrix(value: unknown): value is Matrix {
  return value != null && typeof value === 'object' && (value as Matrix).data instanceof Float64Array;
}

function diagonalMatrix(variances: number[]): Matrix {
  const d = variances.length;
  const m = matrix(d, d);
  for (let i = 0; i < d; i++) m.data[i * d + i] = variances[i];
  return m;
}

/**
 * Validate a `CovarianceSpec` for dimension `dim`: positive variances, the right shape, and (full matrices)
 * symmetry and positive definiteness (through a Cholesky factorisation, whose error is passed on).
 */
export function parseCovariance(fn: string, option: string, spec: unknown, dim: number): ParsedCovariance {
  const expected =
    `a variance > 0 (isotropic), an array of ${dim} variances > 0 (diagonal), or a symmetric positive-definite ` +
    `${dim} x ${dim} matrix (nested rows or a linalg Matrix)`;
  if (typeof spec === 'number') {
    if (!Number.isFinite(spec) || !(spec > 0)) invalidOption(fn, option, spec, expected);
    const variances = new Array<number>(dim).fill(spec);
    return { kind: 'isotropic', variances, matrix: diagonalMatrix(variances) };
  }
  let m: Matrix;
  if (isMatrix(spec)) {
    if (spec.rows !== dim || spec.cols !== dim) {
      invalidOption(fn, option, `Matrix [${spec.rows}, ${spec.cols}]`, expected);
    }
    m = { rows: dim, cols: dim, data: Float64Array.from(spec.data) };
  } else if (Array.isArray(spec) && spec.length > 0 && Array.isArray(spec[0])) {
    const rows = spec as unknown[];
    if (rows.length !== dim || rows.some((r) => !Array.isArray(r) || r.length !== dim)) {
      invalidOption(fn, option, spec, expected);
    }
    try {
      m = matrix(dim, dim, rows as number[][]);
    } catch (err) {
      throw new Error(`${fn}: option "${option}" is not a valid covariance (${(err as Error).message}); expected ${expected}`);
    }
  } else if (Array.isArray(spec)) {
    const variances = checkNumberArray(fn, option, spec, { length: dim, positive: true });
    return { kind: 'diagonal', variances, matrix: diagonalMatrix(variances) };
  } else {
    invalidOption(fn, option, spec, expected);
  }
  let factor: GaussianFactor;
  try {
    factor = new GaussianFactor(new Float64Array(dim), m);
  } catch (err) {
    throw new Error(`${fn}: option "${option}" is not a valid covariance (${(err as Error).message}); expected ${expected}`);
  }
  return { kind: 'full', matrix: m, factor };
}

// ---------------------------------------------------------------------------------------------------------------
// The Gaussian target

export interface GaussianTarget extends Target {
  /** 0: `logDensity` is the normalised log N(x; mean, covariance). */
  logZ: number;
  mean: number[];
  /** Diagonal of the covariance. */
  variance: number[];
  /** The covariance (float64 copy). */
  covariance: Matrix;
  /** The float64 Cholesky factorisation behind the device constants. */
  factor: GaussianFactor;
  modes: Modes;
  gradLogDensity(x: tf.Tensor2D): tf.Tensor2D;
  logDensityAndGrad(x: tf.Tensor2D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D };
  sample(key: Key, n: number): tf.Tensor2D;
  /** Free the device constants (the target is unusable afterwards). */
  dispose(): void;
}

export interface GaussianOptions {
  /** Default `gaussian-<d>d`. */
  name?: string;
}

/**
 * N(mean, covariance) on R^d. `covariance`: a full SPD matrix (nested rows or a linalg `Matrix`), or for
 * convenience a positive scalar (isotropic) or an array of d variances (diagonal).
 */
export function gaussian(
  mean: readonly number[],
  covariance: readonly (readonly number[])[] | Matrix | number | readonly number[],
  options: GaussianOptions = {},
): GaussianTarget {
  const fn = 'gaussian';
  const mu = checkNumberArray(fn, 'mean', mean);
  const d = mu.length;
  const parsed = parseCovariance(fn, 'covariance', covariance, d);
  const cov = parsed.matrix;
  const factor = new GaussianFactor(mu, cov);
  const name = options.name ?? `gaussian-${d}d`;

  const { mean: meanT, choleskyInverseT, cholesky: choleskyT } = factor.tensors();
  choleskyT.dispose(); // sampling goes through factor.transform
  const choleskyInverse = tf.tensor2d(Float32Array.from(factor.choleskyInverse.data), [d, d], 'float32');
  const logNormalizer = factor.logNormalizer;

  // z = (x - mean) L^{-T}: whitened positions, [n, d].
  const whiten = (x: tf.Tensor2D): tf.Tensor2D => matMul(tf.sub(x, meanT), choleskyInverseT) as tf.Tensor2D;
  const logDensityOfWhitened = (z: tf.Tensor2D): tf.Tensor1D =>
    tf.sub(logNormalizer, tf.mul(0.5, sumSquares(z, 1))) as tf.Tensor1D;

  const target: GaussianTarget = {
    name,
    dim: d,
    logZ: 0,
    mean: mu,
    variance: Array.from({ length: d }, (_, i) => cov.data[i * d + i]),
    covariance: cov,
    factor,
    modes: { weights: [1], assign: async (x: tf.Tensor2D) => new Int32Array(x.shape[0]) },
    logDensity(x: tf.Tensor2D): tf.Tensor1D {
      checkPositions(`${name}.logDensity`, x, d, 'x');
      return tf.tidy(() => logDensityOfWhitened(whiten(x)));
    },
    gradLogDensity(x: tf.Tensor2D): tf.Tensor2D {
      checkPositions(`${name}.gradLogDensity`, x, d, 'x');
      return tf.tidy(() => tf.neg(matMul(whiten(x), choleskyInverse)) as tf.Tensor2D);
    },
    logDensityAndGrad(x: tf.Tensor2D) {
      checkPositions(`${name}.logDensityAndGrad`, x, d, 'x');
      return tf.tidy(() => {
        const z = whiten(x);
        return { logDensity: logDensityOfWhitened(z), grad: tf.neg(matMul(z, choleskyInverse)) as tf.Tensor2D };
      });
    },
    sample(key: Key, n: number): tf.Tensor2D {
      checkSampleCount(`${name}.sample`, n);
      return tf.tidy(() => factor.transform(normal(key, [n, d]) as tf.Tensor2D));
    },
    dispose(): void {
      meanT.dispose();
      choleskyInverseT.dispose();
      choleskyInverse.dispose();
    },
  };
  return target;
}
