/**
 * The geometric path at one temperature per row (replica exchange runs every level in one batch):
 *   log π_β(x) = (1 − β) log π₀(x) + β log γ(x),   ∇ log π_β = (1 − β) ∇ log π₀ + β ∇ log γ,
 * with β a column of per-row temperatures ([K·n], level-major: rows k·n .. k·n + n − 1 are level k). The
 * reference and target parts are kept apart (`PathParts`) so that a swap can move a position to another level and
 * re-blend its parts there, without evaluating the target again. smc/tempering.ts's `temperedTarget` is the same
 * path at one scalar β.
 * Both densities are evaluated on every row (also at β = 0 and β = 1): a value of −Infinity in the part with weight
 * 0 gives NaN, which the Metropolis step rejects as invalid (kernel.ts), so keep chains where both are finite.
 */
import * as tf from '@tensorflow/tfjs';
import { logDensityAndGrad, type Target } from '../../targets/target.js';

/** log π₀, ∇ log π₀, log γ, ∇ log γ at the rows of x. */
export interface PathParts {
  referenceLogDensity: tf.Tensor1D;
  referenceGrad: tf.Tensor2D;
  targetLogDensity: tf.Tensor1D;
  targetGrad: tf.Tensor2D;
}

/** Both ends of the path with their gradients at x [m, d] (one gradient evaluation of each). */
export function pathParts(reference: Target, target: Target, x: tf.Tensor2D): PathParts {
  const r = logDensityAndGrad(reference, x);
  const t = logDensityAndGrad(target, x);
  return { referenceLogDensity: r.logDensity, referenceGrad: r.grad, targetLogDensity: t.logDensity, targetGrad: t.grad };
}

/** The tempered log-density and gradient of each row at its own β (`betas` [m]). Call inside a tidy scope. */
export function blendParts(parts: PathParts, betas: tf.Tensor1D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D } {
  const complement = tf.sub(1, betas);
  const logDensity = tf.add(tf.mul(complement, parts.referenceLogDensity), tf.mul(betas, parts.targetLogDensity)) as tf.Tensor1D;
  const b = tf.expandDims(betas, 1);
  const grad = tf.add(tf.mul(tf.sub(1, b), parts.referenceGrad), tf.mul(b, parts.targetGrad)) as tf.Tensor2D;
  return { logDensity, grad };
}

/** ℓ(x) = log γ(x) − log π₀(x) per row: the only thing a swap between two levels of the path needs. */
export function logRatioOf(parts: PathParts): tf.Tensor1D {
  return tf.sub(parts.targetLogDensity, parts.referenceLogDensity) as tf.Tensor1D;
}

/**
 * The path as a `Target` whose row i is tempered at betas[i]: x must have as many rows as `betas` (the MALA kernel
 * of every level in one batched call). The caller keeps `betas` alive while the target is used.
 */
export function temperedRowsTarget(reference: Target, target: Target, betas: tf.Tensor1D): Target {
  const rows = betas.shape[0];
  const checkRows = (x: tf.Tensor2D) => {
    if (x.shape[0] !== rows) {
      throw new Error(`temperedRowsTarget: x has ${x.shape[0]} rows, expected ${rows} (one per temperature, levels × chains)`);
    }
  };
  const both = (x: tf.Tensor2D) => {
    checkRows(x);
    return tf.tidy(() => blendParts(pathParts(reference, target, x), betas));
  };
  return {
    name: `tempered-rows(${reference.name} -> ${target.name})`,
    dim: target.dim,
    logDensity: (x) => {
      const { logDensity, grad } = both(x);
      grad.dispose();
      return logDensity;
    },
    logDensityAndGrad: both,
  };
}
