/**
 * Gaussian-mixture benchmark presets with many modes.
 *
 * - `eightGaussians({ radius = 10, variance = 0.7 })`: SLIPS `8gaussians` / CircularMixture (spec
 *   slips-lrds-amcbg.md section 1.6, catalogue name `circle8`): 8 equal-weight components with means
 *   radius (sin(i pi/4), cos(i pi/4)), i = 0..7, and covariance variance * I (the reference's `scale` argument
 *   multiplies the identity covariance, so 0.7 is a variance, not a std).
 * - `manyModes(numModes, dim, { factor = 3, variance = 0.5, key })`: LRDS ManyModes (section 2.7): weights
 *   proportional to factor^(k / (numModes - 1)), k = 0..numModes-1 (logspace from 1 to factor), means uniform on
 *   [-numModes, numModes]^dim, isotropic variance. The reference draws the means from torch's generator seeded
 *   42; here they come from `key` (default key(42)), so the means differ from the reference's (same law).
 *
 * Both are `gaussianMixture` instances with normalised weights (logZ = 0). Modes: `manyModes` assigns by the
 * unweighted component likelihood (LRDS `compute_mode_count`); for `eightGaussians` (equal weights) the two rules
 * coincide.
 */
import { key as makeKey, uniformArray, type Key } from '../core/random.js';
import { checkInteger, checkNumber, invalidOption } from '../core/validate.js';
import { gaussianMixture, type GaussianMixtureTarget } from './mixture.js';

export interface EightGaussiansOptions {
  /** Radius of the circle of means (default 10). */
  radius?: number;
  /** Per-component variance (default 0.7). */
  variance?: number;
}

/** SLIPS 8 Gaussians on a circle (see the file header). */
export function eightGaussians(options: EightGaussiansOptions = {}): GaussianMixtureTarget {
  const fn = 'eightGaussians';
  const radius = checkNumber(fn, 'radius', options.radius ?? 10, 'positive');
  const variance = checkNumber(fn, 'variance', options.variance ?? 0.7, 'positive');
  const means = Array.from({ length: 8 }, (_, i) => [radius * Math.sin((i * Math.PI) / 4), radius * Math.cos((i * Math.PI) / 4)]);
  return gaussianMixture({
    weights: new Array<number>(8).fill(1 / 8),
    means,
    covariances: new Array<number>(8).fill(variance),
    name: `eight-gaussians-r${radius}-v${variance}`,
  });
}

export interface ManyModesOptions {
  /** Ratio of the largest to the smallest weight (default 3). */
  factor?: number;
  /** Isotropic per-component variance (default 0.5). */
  variance?: number;
  /** Key for the means (default key(42)). */
  key?: Key;
}

/** LRDS ManyModes (see the file header). */
export function manyModes(numModes: number, dim: number, options: ManyModesOptions = {}): GaussianMixtureTarget {
  const fn = 'manyModes';
  checkInteger(fn, 'numModes', numModes, 1);
  checkInteger(fn, 'dim', dim, 1);
  const factor = checkNumber(fn, 'factor', options.factor ?? 3, 'positive');
  const variance = checkNumber(fn, 'variance', options.variance ?? 0.5, 'positive');
  const k = options.key ?? makeKey(42);
  if (!Array.isArray(k) || k.length !== 2) invalidOption(fn, 'key', k, 'a Key from key(seed), split or foldIn');
  const u = uniformArray(k, numModes * dim);
  const means = Array.from({ length: numModes }, (_, i) =>
    Array.from({ length: dim }, (_, j) => numModes * (2 * u[i * dim + j] - 1)),
  );
  const raw = Array.from({ length: numModes }, (_, i) => (numModes === 1 ? 1 : factor ** (i / (numModes - 1))));
  const total = raw.reduce((s, w) => s + w, 0);
  const weights = raw.map((w) => w / total); // normalised, so logZ = 0
  return gaussianMixture({
    weights,
    means,
    covariances: new Array<number>(numModes).fill(variance),
    assignBy: 'likelihood',
    name: `many-modes-${numModes}x${dim}d`,
  });
}
