/**
 * Denoising score matching (Vincent 2011; spec slips-lrds-amcbg.md sections 3.4 and 4.6) for the networks of
 * scoreModels.ts, as a loss for the `fit` loop of lib/trainers/fit.ts:
 *
 *   L(theta) = E_{t ~ U[tMin, tMax], x_0 ~ data, eps ~ N(0, I)} lambda(t) | s_theta(a(t) x_0 + s(t) eps, t) + eps / s(t) |^2
 *
 * with the usual weighting lambda(t) = s(t)^2, which turns it into the noise regression
 * | eps_hat_theta(x_t, t) - eps |^2 (eps_hat = -s(t) s_theta, the networks' `noisePrediction`). The squared norm
 * is summed over the d coordinates and averaged over the batch; its minimum is the (positive) conditional
 * variance, not 0. One time per row, drawn in float64 from the step key; the data are a fixed tensor (rows drawn
 * uniformly with replacement) or a sampler `(key, n) -> [n, d]`. For the energy network the loss contains the
 * input-gradient grad_x E, so its parameter gradient is a gradient of a gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { split, uniformArray, type Key } from '../core/random.js';
import { checkInteger, checkOptions, invalidOption } from '../core/validate.js';
import { checkBatch, forwardNoise } from './forwardNoising.js';
import { checkTime } from './schedule.js';
import type { LearnedDiffusionModel } from './scoreModels.js';

/** Training data: a fixed [N, d] tensor, or a sampler of n fresh rows. */
export type DsmData = tf.Tensor2D | ((key: Key, n: number) => tf.Tensor2D);

export interface DsmTimeOptions {
  /** Smallest training time; default 1e-3 T. */
  tMin?: number;
  /** Largest training time; default T. */
  tMax?: number;
}

export interface DsmOptions extends DsmTimeOptions {
  /** Rows per step. */
  batchSize: number;
}

function checkModel(fn: string, model: unknown): LearnedDiffusionModel {
  const m = model as LearnedDiffusionModel;
  if (m == null || typeof m !== 'object' || typeof m.noisePrediction !== 'function' || m.schedule == null) {
    invalidOption(fn, 'model', model, 'a learned diffusion model (scoreNetwork or energyNetwork)');
  }
  return m;
}

function timeRange(fn: string, model: LearnedDiffusionModel, options: DsmTimeOptions): { tMin: number; tMax: number } {
  const T = model.schedule.horizon;
  const tMin = checkTime(fn, 'tMin', options.tMin ?? 1e-3 * T, T);
  const tMax = checkTime(fn, 'tMax', options.tMax ?? T, T);
  if (!(tMax > tMin)) invalidOption(fn, 'tMax', tMax, `a time > tMin = ${tMin}`);
  if (!(model.schedule.noiseScale(tMin) > 0)) invalidOption(fn, 'tMin', tMin, 'a time with noise scale s(tMin) > 0');
  return { tMin, tMax };
}

/** The DSM loss (file header) on the batch x0, with times and noise from `key`; a scalar tensor. */
export function dsmLossValue(model: LearnedDiffusionModel, key: Key, x0: tf.Tensor2D, options: DsmTimeOptions = {}): tf.Scalar {
  const fn = 'dsmLossValue';
  checkModel(fn, model);
  const batch = checkBatch(fn, 'x0', x0, model.dim);
  const opts = checkOptions<DsmTimeOptions>(fn, options, ['tMin', 'tMax']);
  const { tMin, tMax } = timeRange(fn, model, opts);
  return lossOnBatch(model, key, batch, tMin, tMax);
}

function lossOnBatch(model: LearnedDiffusionModel, key: Key, x0: tf.Tensor2D, tMin: number, tMax: number): tf.Scalar {
  const n = x0.shape[0];
  const [timeKey, noiseKey] = split(key);
  const times = uniformArray(timeKey, n).map((u) => tMin + (tMax - tMin) * u);
  return tf.tidy(() => {
    const { noised, noise } = forwardNoise(model.schedule, noiseKey, x0, times);
    const residual = tf.sub(model.noisePrediction(noised, times), noise);
    return tf.div(tf.sum(tf.square(residual)), n) as tf.Scalar;
  });
}

/**
 * `(key, step) -> scalar`: the DSM loss on a fresh batch of `batchSize` rows per step (usable as `fit`'s loss,
 * with `variables: model.variables`).
 */
export function dsmLoss(model: LearnedDiffusionModel, data: DsmData, options: DsmOptions): (key: Key, step: number) => tf.Scalar {
  const fn = 'dsmLoss';
  checkModel(fn, model);
  const opts = checkOptions<DsmOptions>(fn, options, ['batchSize', 'tMin', 'tMax']);
  const batchSize = checkInteger(fn, 'batchSize', opts.batchSize, 1);
  const { tMin, tMax } = timeRange(fn, model, opts);
  let draw: (key: Key) => tf.Tensor2D;
  if (typeof data === 'function') {
    draw = (k) => {
      const x = data(k, batchSize);
      if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[0] !== batchSize || x.shape[1] !== model.dim) {
        invalidOption(fn, 'data', x, `a sampler returning tensors of shape [${batchSize}, ${model.dim}] (batchSize, dim)`);
      }
      return x;
    };
  } else {
    const table = checkBatch(fn, 'data', data, model.dim);
    const rows = table.shape[0];
    if (rows < 1) invalidOption(fn, 'data', data, `a tensor [N, ${model.dim}] with N >= 1 rows`);
    draw = (k) => {
      const u = uniformArray(k, batchSize);
      const index = Int32Array.from(u, (v) => Math.min(rows - 1, Math.floor(v * rows)));
      return tf.tidy(() => tf.gather(table, tf.tensor1d(index, 'int32')) as tf.Tensor2D);
    };
  }
  return (key: Key) =>
    tf.tidy(() => {
      const [dataKey, lossKey] = split(key);
      return lossOnBatch(model, lossKey, draw(dataKey), tMin, tMax);
    });
}
