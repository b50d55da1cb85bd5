/**
 * A target that counts its own evaluations into a `SamplerCost`, so that every sampler's cost is counted the same
 * way (particleSampler.ts): rows of x passed to `logDensity` are density evaluations; rows passed to the gradient
 * (`logDensityAndGrad` or `gradLogDensity`) are gradient evaluations. The values are the wrapped target's own, by
 * the same code path (`logDensityAndGrad` of the wrapped target), so a counted run gives the same numbers.
 */
import type * as tf from '@tensorflow/tfjs';
import { logDensityAndGrad, type Target } from '../targets/target.js';
import type { SamplerCost } from './particleSampler.js';

export function countingTarget<T extends Target>(target: T, cost: SamplerCost): T {
  const rows = (x: tf.Tensor) => x.shape[0] ?? 0;
  const counted: Target = {
    ...target,
    logDensity(x: tf.Tensor2D) {
      cost.densityEvaluations += rows(x);
      return target.logDensity(x);
    },
    logDensityAndGrad(x: tf.Tensor2D) {
      cost.gradientEvaluations += rows(x);
      return logDensityAndGrad(target, x);
    },
  };
  if (target.gradLogDensity) {
    const grad = target.gradLogDensity.bind(target);
    counted.gradLogDensity = (x: tf.Tensor2D) => {
      cost.gradientEvaluations += rows(x);
      return grad(x);
    };
  }
  return counted as T;
}
