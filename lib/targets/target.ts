/**
 * The `Target` contract (DESIGN.md section 3): an unnormalised log-density on R^d, batch-first, with whatever
 * ground truth is known living next to it (log Z, exact sampler, modes and their weights, moments).
 */
import * as tf from '@tensorflow/tfjs';
import type { Key } from '../core/random.js';
import { readValues } from '../core/readback.js';
import { invalidOption, verbatim } from '../core/validate.js';

export interface Modes {
  /** True mode weights (sum to 1). */
  weights: number[];
  /** Index of the mode each row of x belongs to (int32, length n), read back once, asynchronously. */
  assign(x: tf.Tensor2D): Promise<Int32Array>;
}

export interface Target {
  name: string;
  dim: number;
  /** Unnormalised log-density, x [n, d] -> [n]. */
  logDensity(x: tf.Tensor2D): tf.Tensor1D;
  /** Analytic gradient of logDensity, [n, d] -> [n, d]; autodiff is used when absent. */
  gradLogDensity?(x: tf.Tensor2D): tf.Tensor2D;
  /** Both at once when that is cheaper than two calls (mixtures share the responsibilities). */
  logDensityAndGrad?(x: tf.Tensor2D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D };
  /** log of the normalising constant of exp(logDensity), when known. */
  logZ?: number;
  /** Exact samples, [n, d]. */
  sample?(key: Key, n: number): tf.Tensor2D;
  modes?: Modes;
  /** Exact mean and per-coordinate variance, when known (used by tests and metrics). */
  mean?: number[];
  variance?: number[];
}

/**
 * log-density and its gradient for any target: the analytic forms when the target has them, otherwise
 * autodiff of the summed log-density (per-chain gradients, since chains do not interact).
 */
export function logDensityAndGrad(target: Target, x: tf.Tensor2D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D } {
  if (target.logDensityAndGrad) return target.logDensityAndGrad(x);
  if (target.gradLogDensity) return { logDensity: target.logDensity(x), grad: target.gradLogDensity(x) };
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad((xi: tf.Tensor) => tf.sum(target.logDensity(xi as tf.Tensor2D)))(x);
    value.dispose();
    // valueAndGrad only returns the sum; recompute the per-chain values (cheap next to the gradient).
    return { logDensity: target.logDensity(x), grad: grad as tf.Tensor2D };
  });
}

/** Throw a clear error unless x is a rank-2 float tensor with `dim` columns. */
export function checkPositions(where: string, x: unknown, dim: number, option = 'position'): asserts x is tf.Tensor2D {
  if (!(x instanceof tf.Tensor)) {
    invalidOption(where, option, x, `a tf.Tensor of shape [n, ${dim}]`, verbatim);
  }
  if (x.rank !== 2 || x.shape[1] !== dim) {
    throw new Error(`${where}: option "${option}" has shape [${x.shape.join(', ')}], expected [n, ${dim}]`);
  }
}

/** Throw a clear error if x holds NaN or infinite entries (one async read-back: use at boundaries, not in loops). */
export async function checkFinite(where: string, x: tf.Tensor, option = 'position'): Promise<void> {
  const values = await readValues(x);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`${where}: option "${option}" has a non-finite entry ${values[i]} at flat index ${i}, expected finite values`);
    }
  }
}
