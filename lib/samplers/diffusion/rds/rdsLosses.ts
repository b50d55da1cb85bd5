/**
 * The RDS training losses on a batch of per-trajectory rnd (controlledSde.ts; spec slips-lrds-amcbg.md section 2.2,
 * BaseOCLoss.compute_loss): KL = mean(rnd) (drift 'attached'), LV = Var_batch(rnd) (drift 'detached'; the unbiased
 * batch variance, like torch's var), over the trajectories with a finite rnd < maxRnd (default 1e8: exploded
 * trajectories are filtered out). LV is invariant to adding a constant to rnd, so an unnormalised target or an EBM
 * reference with unknown Z^ref trains the same. Differentiable (tf.where keeps the filtered rows off the gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { select, stopGradient } from '../../../core/ops.js';
import { checkNumber, checkOptions, invalidOption } from '../../../core/validate.js';

export const DEFAULT_MAX_RND = 1e8;

export interface RdsLossOptions {
  /** Trajectories with rnd >= maxRnd (or not finite) are left out; default 1e8. */
  maxRnd?: number;
}

function kept(fn: string, rnd: tf.Tensor1D, options: RdsLossOptions): { values: tf.Tensor1D; mask: tf.Tensor1D; count: tf.Scalar } {
  if (!(rnd instanceof tf.Tensor) || rnd.rank !== 1) invalidOption(fn, 'rnd', rnd, 'a rank-1 tensor of per-trajectory log RNDs [n]');
  const opts = checkOptions<RdsLossOptions>(fn, options, ['maxRnd']);
  const maxRnd = checkNumber(fn, 'maxRnd', opts.maxRnd ?? DEFAULT_MAX_RND);
  const constant = stopGradient(rnd); // the mask is off the tape (logicalAnd has no gradient)
  const keep = tf.logicalAnd(tf.isFinite(constant), tf.less(constant, maxRnd));
  const mask = tf.cast(keep, 'float32') as tf.Tensor1D;
  const values = select(mask, rnd, tf.zerosLike(rnd)) as tf.Tensor1D;
  return { values, mask, count: tf.sum(mask) as tf.Scalar };
}

/** KL loss: the mean rnd over the kept trajectories (a scalar). */
export function klLoss(rnd: tf.Tensor1D, options: RdsLossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const { values, count } = kept('klLoss', rnd, options);
    return tf.div(tf.sum(values), count) as tf.Scalar;
  });
}

/** Log-variance loss: the unbiased variance of rnd over the kept trajectories (a scalar). */
export function logVarianceLoss(rnd: tf.Tensor1D, options: RdsLossOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const { values, mask, count } = kept('logVarianceLoss', rnd, options);
    const mean = tf.div(tf.sum(values), count);
    const squares = tf.sum(tf.mul(mask, tf.square(tf.sub(values, mean))));
    return tf.div(squares, tf.sub(count, 1)) as tf.Scalar;
  });
}
