/**
 * Diagonal mass-matrix adaptation: a running per-coordinate variance of the draws (Welford 1962, merged batch by
 * batch with Chan, Golub & LeVeque's pairwise update), in float64 on the JavaScript side, over chains and draws
 * alike. The inverse mass matrix is the variance regularised towards 1e-3 as Stan does
 * (stan/mcmc/windowed_adaptation, `var = n / (n + 5) * var + 1e-3 * 5 / (n + 5)`), with n the number of draws.
 *
 * The state is a plain JSON-serialisable object. `update` reads its samples back once: feed it a batch of draws
 * per chunk (e.g. the positions of all chains at one step, or a stack [T, n, d] of several steps), not inside
 * a kernel's step.
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../../core/readback.js';
import { checkInteger } from '../../core/validate.js';
import { invalid } from './metropolis.js';

export interface WelfordState {
  /** Number of draws seen. */
  count: number;
  /** Per-coordinate mean, length d. */
  mean: number[];
  /** Per-coordinate sum of squared deviations from the mean, length d. */
  m2: number[];
}

export interface RegularisationOptions {
  /** Stan's regularisation towards `shrinkageTarget` with weight 5 / (n + 5) (default true). */
  regularise?: boolean;
  /** The value the variance is shrunk towards (default 1e-3, Stan's). */
  shrinkageTarget?: number;
}

/** Draws as a tensor [..., d] (leading axes are flattened), rows of numbers, or a flat row-major array with d columns. */
export type Draws = tf.Tensor | ArrayLike<number>[] | Float32Array | Float64Array;

async function readDraws(where: string, draws: Draws, dim: number): Promise<{ rows: number; data: ArrayLike<number> }> {
  if (draws instanceof tf.Tensor) {
    if (draws.rank < 1 || draws.shape[draws.rank - 1] !== dim) {
      invalid(where, 'draws', draws, `a tensor of shape [..., ${dim}]`);
    }
    const data = await readValues(draws);
    return { rows: data.length / dim, data };
  }
  if (draws instanceof Float32Array || draws instanceof Float64Array) {
    if (draws.length % dim !== 0) {
      invalid(where, 'draws', draws, `a length that is a multiple of d = ${dim} (row-major rows)`);
    }
    return { rows: draws.length / dim, data: draws };
  }
  if (Array.isArray(draws)) {
    const data = new Float64Array(draws.length * dim);
    draws.forEach((row, i) => {
      if (row == null || row.length !== dim) invalid(where, `draws[${i}]`, row, `a row of d = ${dim} numbers`);
      for (let j = 0; j < dim; j++) data[i * dim + j] = row[j];
    });
    return { rows: draws.length, data };
  }
  return invalid(where, 'draws', draws, `a tensor [..., ${dim}], an array of rows or a flat typed array`);
}

function checkWelford(where: string, state: unknown): WelfordState {
  const s = state as WelfordState;
  if (s == null || typeof s !== 'object' || !Number.isInteger(s.count) || !Array.isArray(s.mean) || !Array.isArray(s.m2)) {
    invalid(where, 'state', state, 'a state from massMatrixAdaptation.init or .update');
  }
  return s;
}

export const massMatrixAdaptation = {
  /** An empty accumulator for d coordinates. */
  init(dim: number): WelfordState {
    checkInteger('massMatrixAdaptation.init', 'dim', dim);
    return { count: 0, mean: new Array<number>(dim).fill(0), m2: new Array<number>(dim).fill(0) };
  },

  /** Merge a batch of draws into the running moments (float64; a non-finite draw throws; a tensor is read once). */
  async update(state: WelfordState, draws: Draws): Promise<WelfordState> {
    const where = 'massMatrixAdaptation.update';
    checkWelford(where, state);
    const d = state.mean.length;
    const { rows, data } = await readDraws(where, draws, d);
    if (rows === 0) return state;
    // Batch moments by two passes in float64, then the pairwise merge (Chan et al. 1979).
    const batchMean = new Float64Array(d);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) {
        const v = data[i * d + j];
        if (!Number.isFinite(v)) invalid(where, `draws[${i}][${j}]`, v, 'a finite number');
        batchMean[j] += v;
      }
    }
    for (let j = 0; j < d; j++) batchMean[j] /= rows;
    const batchM2 = new Float64Array(d);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) {
        const dev = data[i * d + j] - batchMean[j];
        batchM2[j] += dev * dev;
      }
    }
    const count = state.count + rows;
    const mean = new Array<number>(d);
    const m2 = new Array<number>(d);
    for (let j = 0; j < d; j++) {
      const delta = batchMean[j] - state.mean[j];
      mean[j] = state.mean[j] + (delta * rows) / count;
      m2[j] = state.m2[j] + batchM2[j] + (delta * delta * state.count * rows) / count;
    }
    return { count, mean, m2 };
  },

  /** The unbiased sample variance per coordinate, m2 / (n - 1) (needs n >= 2). */
  variance(state: WelfordState): number[] {
    const where = 'massMatrixAdaptation.variance';
    checkWelford(where, state);
    if (state.count < 2) invalid(where, 'state.count', state.count, 'at least 2 draws');
    return state.m2.map((v) => v / (state.count - 1));
  },

  /**
   * The diagonal inverse mass matrix: the sample variance, regularised as Stan does unless `regularise` is false.
   * Use as `tf.tensor1d(...)` for HMC's `inverseMassMatrix`.
   */
  final(state: WelfordState, options: RegularisationOptions = {}): number[] {
    const where = 'massMatrixAdaptation.final';
    const variance = massMatrixAdaptation.variance(state);
    const regularise = options.regularise ?? true;
    if (typeof regularise !== 'boolean') invalid(where, 'regularise', regularise, 'a boolean');
    if (!regularise) return variance;
    const target = options.shrinkageTarget ?? 1e-3;
    if (typeof target !== 'number' || !Number.isFinite(target) || !(target > 0)) {
      invalid(where, 'shrinkageTarget', target, 'a finite number > 0');
    }
    const n = state.count;
    return variance.map((v) => (n / (n + 5)) * v + target * (5 / (n + 5)));
  },
};
