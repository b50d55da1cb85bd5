/**
 * A target's log-density on a 2-D grid (the density layer under a scatter plot, `scatterOverDensity({ density })`):
 * one batched evaluation and one async read-back, so it works on every backend. A d-dimensional target is cut along
 * two coordinates (`axes`) through a point (`at`, default its mean): a 2-D slice, not a marginal.
 *
 *   await logDensityOnGrid(target, gridAxis(-4, 4, 60))                                   // a 2-D target
 *   await logDensityOnGrid(funnel(10), gridAxis(-3, 3, 60), gridAxis(-5, 5, 60), { axes: [0, 1], at: zeros })
 */
import * as tf from '@tensorflow/tfjs';
import { readFloat64 } from '../core/readback.js';
import { checkOptions, invalidOption, readVector } from '../core/validate.js';
import { checkTarget, logDensityOf, type Target } from './target.js';

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

export interface GridSliceOptions {
  /** The two coordinates the grid spans: x along `axes[0]`, y along `axes[1]` (default [0, 1]). */
  axes?: readonly [number, number];
  /**
   * Where the slice sits: a point of R^d whose coordinates other than `axes` are held fixed (its entries at `axes`
   * are ignored). Default: the target's `mean` when known, else zeros. Required to slice a plain function in
   * d > 2 (its length gives d).
   */
  at?: ArrayLike<number>;
}

const FN = 'logDensityOnGrid';

/**
 * The log-density at every (x[i], y[j]) of the grid, evaluated as one [nx * ny, d] batch and read back once: of a
 * 2-D target or function, or on a 2-D slice of a d-dimensional target (`options.axes`, `options.at`). A Target is
 * evaluated through its checked contract (errors name the target); a function gets the points [m, d].
 */
export async function logDensityOnGrid(
  density: Target | ((points: tf.Tensor2D) => tf.Tensor1D),
  x: Float64Array,
  y: Float64Array = x,
  options: GridSliceOptions = {},
): Promise<LogDensityGrid> {
  const opts = checkOptions<GridSliceOptions>(FN, options, ['axes', 'at']);
  const isFunction = typeof density === 'function';
  if (!isFunction) checkTarget(FN, density, 'density');
  const at = opts.at === undefined ? undefined : readVector(FN, 'at', opts.at);
  const dim = isFunction ? (at?.length ?? 2) : density.dim;
  const axes = opts.axes ?? [0, 1];
  if (!Array.isArray(axes) || axes.length !== 2 || !axes.every((a) => Number.isSafeInteger(a) && a >= 0 && a < dim) || axes[0] === axes[1]) {
    invalidOption(FN, 'axes', axes, `two different coordinate indices in [0, ${dim - 1}]`);
  }
  if (at !== undefined && at.length !== dim) invalidOption(FN, 'at', opts.at, `${dim} numbers (a point of R^${dim})`);
  const base = at ?? (!isFunction && density.mean ? Float64Array.from(density.mean) : new Float64Array(dim));
  for (const [name, axis] of [['x', x], ['y', y]] as const) {
    if (!(axis instanceof Float64Array) || axis.length < 1) invalidOption(FN, name, axis, 'grid coordinates, a non-empty Float64Array (gridAxis(lo, hi, n))');
  }
  const points = new Float32Array(x.length * y.length * dim);
  for (let j = 0; j < y.length; j++) {
    for (let i = 0; i < x.length; i++) {
      const row = (j * x.length + i) * dim;
      points.set(base, row);
      points[row + axes[0]] = x[i];
      points[row + axes[1]] = y[j];
    }
  }
  const values = tf.tidy(() => {
    const batch = tf.tensor2d(points, [x.length * y.length, dim]);
    return isFunction ? density(batch) : logDensityOf(density, batch);
  });
  try {
    return { x, y, logDensity: await readFloat64(values) };
  } finally {
    values.dispose();
  }
}
