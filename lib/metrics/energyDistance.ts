/**
 * Energy distance (Székely & Rizzo 2013): D^2(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'| >= 0, zero iff
 * P = Q (Euclidean norm, X, X' ~ P and Y, Y' ~ Q independent). This returns D^2 (the squared energy
 * distance, as `dcor.energy_distance`), not its square root.
 *
 * Estimators of the within-sample terms:
 *   'biased' (V-statistic, default as in dcor): sum_{i, j} |x_i - x_j| / n^2 — the result is >= 0 and 0 (up to
 *            float32 rounding of the distances) for two identical sample sets;
 *   'unbiased' (U-statistic): sum_{i != j} |x_i - x_j| / (n (n - 1)) — unbiased for D^2, can be slightly < 0.
 * The cross term is sum_{i, j} |x_i - y_j| / (n m) in both.
 *
 * Cost: O((n + m)^2 d) flops in [blockSize, blockSize] matmul blocks on the device (see pairwiseDistances.ts),
 * sums accumulated in float64.
 */
import * as tf from '@tensorflow/tfjs';
import { checkChoice, checkInteger, checkOptions } from '../core/validate.js';
import { pooledMean, readSamplePair, shifted, toTensor, type SampleInput } from './samples.js';
import { DEFAULT_BLOCK_SIZE, pairwiseKernelSum } from './pairwiseDistances.js';

export interface EnergyDistanceOptions {
  /** 'biased' (V-statistic, default) or 'unbiased' (U-statistic). */
  estimator?: 'biased' | 'unbiased';
  /** Edge of the distance blocks computed at once (default 1024). */
  blockSize?: number;
}

/** Squared energy distance between samples x `[n, d]` and y `[m, d]` (tensors or arrays, see `samples.ts`). */
export async function energyDistance(x: SampleInput, y: SampleInput, options: EnergyDistanceOptions = {}): Promise<number> {
  const fn = 'energyDistance';
  const opts = checkOptions<EnergyDistanceOptions>(fn, options, ['estimator', 'blockSize']);
  const estimator = checkChoice(fn, 'estimator', opts.estimator ?? 'biased', ['biased', 'unbiased'] as const);
  const blockSize = checkInteger(fn, 'blockSize', opts.blockSize ?? DEFAULT_BLOCK_SIZE);
  const [xs, ys] = await readSamplePair(fn, ['x', 'y'], x, y, estimator === 'unbiased' ? 2 : 1);
  const mean = pooledMean(xs, ys); // centring reduces float32 cancellation in |a|^2 + |b|^2 - 2 a.b
  const xt = toTensor(shifted(xs, mean));
  const yt = toTensor(shifted(ys, mean));
  try {
    const distance = (d2: tf.Tensor2D) => tf.sqrt(d2);
    const sumXX = await pairwiseKernelSum(xt, null, blockSize, distance);
    const sumYY = await pairwiseKernelSum(yt, null, blockSize, distance);
    const sumXY = await pairwiseKernelSum(xt, yt, blockSize, distance);
    const { n } = xs;
    const { n: m } = ys;
    const withinX = estimator === 'unbiased' ? sumXX / (n * (n - 1)) : sumXX / (n * n);
    const withinY = estimator === 'unbiased' ? sumYY / (m * (m - 1)) : sumYY / (m * m);
    return (2 * sumXY) / (n * m) - withinX - withinY;
  } finally {
    tf.dispose([xt, yt]);
  }
}
