/**
 * A target's log-density on a 2-D grid (for the density layer under a scatter plot): one batched evaluation and
 * one async read-back, so it works on every backend. For a d-dimensional target pass a function that embeds the
 * 2-D points in R^d (a 2-D slice).
 */
import * as tf from '@tensorflow/tfjs';
import { readFloat64 } from '../core/readback.js';

export interface LogDensityGrid {
  x: Float64Array;
  y: Float64Array;
  /** log density at (x[i], y[j]) in [j * nx + i]. */
  logDensity: Float64Array;
}

/** Evenly spaced points from lo to hi (n >= 2). */
export function gridAxis(lo: number, hi: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** `logDensity` at every (x[i], y[j]), evaluated as one [nx * ny, 2] batch. */
export async function logDensityOnGrid(
  logDensity: (points: tf.Tensor2D) => tf.Tensor1D,
  x: Float64Array,
  y: Float64Array = x,
): Promise<LogDensityGrid> {
  const points = new Float32Array(x.length * y.length * 2);
  for (let j = 0; j < y.length; j++) {
    for (let i = 0; i < x.length; i++) {
      points[2 * (j * x.length + i)] = x[i];
      points[2 * (j * x.length + i) + 1] = y[j];
    }
  }
  const values = tf.tidy(() => logDensity(tf.tensor2d(points, [x.length * y.length, 2])));
  try {
    return { x, y, logDensity: await readFloat64(values) };
  } finally {
    values.dispose();
  }
}
