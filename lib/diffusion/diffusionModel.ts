/**
 * The contract shared by the perfect diffusion model (forwardNoising.ts: exact noised marginals of a Gaussian
 * mixture) and the learned ones (scoreModels.ts), and consumed by the probability-flow ODE and the samplers along
 * the diffusion path: a score grad_x log p_t(x) for a batch at one time t of a noise schedule.
 */
import type * as tf from '@tensorflow/tfjs';
import { invalidOption } from '../core/validate.js';
import type { NoiseSchedule } from './schedule.js';

export interface DiffusionModel {
  /** d: positions are [n, d]. */
  readonly dim: number;
  /** The forward process whose marginals p_t the model describes. */
  readonly schedule: NoiseSchedule;
  /** grad_x log p_t(x), [n, d] -> [n, d]; differentiable in x (tf.grad works through it). */
  score(x: tf.Tensor2D, t: number): tf.Tensor2D;
  /** div_x score = trace of the Hessian of log p_t, [n], when the model has it in closed form. */
  scoreDivergence?(x: tf.Tensor2D, t: number): tf.Tensor1D;
  /** log p_t(x), [n], up to a constant that may depend on t, when the model has one. */
  logDensity?(x: tf.Tensor2D, t: number): tf.Tensor1D;
}

/** Throw unless `model` looks like a DiffusionModel. */
export function checkDiffusionModel(fn: string, model: unknown, option = 'model'): DiffusionModel {
  const m = model as DiffusionModel;
  if (m == null || typeof m !== 'object' || typeof m.score !== 'function' || !Number.isInteger(m.dim) || m.schedule == null) {
    invalidOption(fn, option, model, 'a diffusion model { dim, schedule, score(x, t) } (perfectModel, scoreNetwork or energyNetwork)');
  }
  return m;
}
