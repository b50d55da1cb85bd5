/**
 * Two-mode Gaussian mixtures of the SLIPS, LRDS and multimodal-evaluation / DM-annealed-MC papers, all
 * `gaussianMixture` instances with weights (2/3, 1/3) unless said otherwise.
 *
 * Modes are assigned by the unweighted component likelihood (LRDS `compute_mode_count`, partition S_k of
 * nfmcmc-nfebm-multimodal-eval.md section 3.2; for equal isotropic covariances this is also SLIPS's "closest
 * mean"). When both modes share a covariance, `modes.weights` are the exact masses of that partition
 * (Phi(Delta/2)-type corrections, see mixture.ts), which tend to (2/3, 1/3) as the modes separate.
 *
 * - `twoModesSlips(dim)`: spec slips-lrds-amcbg.md section 1.6: means -a 1 and +a 1 shifted by +a/3 so that the
 *   mixture is centred (a = 1: -(2/3) 1 and +(4/3) 1), covariance 0.05 I. The ablation variant uses a = 3,
 *   centred = false (means -/+ 3 1).
 * - `twoModesLrds(dim, conditioning)`: section 2.7: means -a 1, +a 1 (not centred), the same diagonal covariance
 *   for both modes: 0.05 I ('none'), 0.05 logspace(-1, 0, d) ('medium'), 0.05 logspace(-2, 0, d) ('hard').
 * - `twoModesFull(dim, conditioning)`: LRDS TwoModesFull: the same means and weights, the shared full covariance
 *   Q diag(0.05 logspace(-1 | -2, 0, d)) Q^T with Q the orthogonal factor of a QR of 5 U[0, 1]^{d x d}. The reference
 *   draws U from torch's generator seeded 42, which cannot be replicated here: U comes from `uniformArray(key)` with
 *   default key(42), so the eigenvalues match the reference and the eigenvectors are a different random basis.
 * - `bracketTwoModes(dim, a)`: LRDS BracketTwoModes, the multimodal-evaluation target (section 3.2 of the other
 *   spec): means -/+ a 1, variances linspace(0.01, 0.2, d) for mode 1 and the reversed list for mode 2. The
 *   covariances differ, so `modes.weights` are the component weights (2/3, 1/3) (exact only asymptotically).
 * - `twoModes({ dim, separation, ... })`: a separation-controlled family for sweeps (DM-annealed-MC section 3.4,
 *   evaluation grids): isotropic std `std`, means -/+ (separation * std / 2) * 1/sqrt(d), so the distance between
 *   the means is `separation` within-mode standard deviations (the Mahalanobis distance Delta). Conversions: the
 *   LRDS / evaluation-paper parameter a (means -/+ a 1) is separation = 2 a sqrt(d) / std; the DM-aMC "r" (means
 *   -/+ r u with |u| = 1) is separation = 2 r / std.
 */
import { matmul, matrix, qrOrthogonal, transpose } from '../core/linalg.js';
import { key as makeKey, uniformArray, type Key } from '../core/random.js';
import { checkInteger, checkNumber, checkNumberArray, invalidOption } from '../core/validate.js';
import { gaussianMixture, type GaussianMixtureTarget } from './mixture.js';

const TWO_MODE_WEIGHTS = [2 / 3, 1 / 3];
const MODE_VARIANCE = 0.05;

function constant(dim: number, value: number): number[] {
  return new Array<number>(dim).fill(value);
}

/** n points from start to stop inclusive (numpy / torch linspace; n = 1 gives [start]). */
function linspace(start: number, stop: number, n: number): number[] {
  if (n === 1) return [start];
  return Array.from({ length: n }, (_, i) => start + ((stop - start) * i) / (n - 1));
}

export interface TwoModesSlipsOptions {
  /** Half-distance per coordinate before centring (default 1). */
  a?: number;
  /** Shift by +a/3 so that the mixture mean is 0 (default true). */
  centered?: boolean;
}

/** SLIPS `two_modes_dim_d`: weights (2/3, 1/3), means -(2/3) 1 and +(4/3) 1, covariance 0.05 I. */
export function twoModesSlips(dim: number, options: TwoModesSlipsOptions = {}): GaussianMixtureTarget {
  const fn = 'twoModesSlips';
  checkInteger(fn, 'dim', dim, 1);
  const a = checkNumber(fn, 'a', options.a ?? 1, 'positive');
  const centered = options.centered ?? true;
  if (typeof centered !== 'boolean') invalidOption(fn, 'centered', centered, 'a boolean');
  const shift = centered ? a / 3 : 0;
  return gaussianMixture({
    weights: TWO_MODE_WEIGHTS,
    means: [constant(dim, -a + shift), constant(dim, a + shift)],
    covariances: [MODE_VARIANCE, MODE_VARIANCE],
    assignBy: 'likelihood',
    name: `two-modes-slips-${dim}d${a === 1 ? '' : `-a${a}`}${centered ? '' : '-uncentred'}`,
  });
}

export type TwoModesConditioning = 'none' | 'medium' | 'hard';

/** LRDS conditionings ('not' in the reference is 'none' here): variances 0.05 * logspace(exponent, 0, d). */
const CONDITIONING_EXPONENTS: Record<TwoModesConditioning, number> = { none: 0, medium: -1, hard: -2 };

/** LRDS TwoModes(d, a, ill_conditioned): means -/+ a 1, shared covariance 0.05 diag(1 | logspace(-1|-2, 0, d)). */
export function twoModesLrds(
  dim: number,
  conditioningName: TwoModesConditioning | 'not' = 'none',
  options: { a?: number } = {},
): GaussianMixtureTarget {
  const fn = 'twoModesLrds';
  checkInteger(fn, 'dim', dim, 1);
  const a = checkNumber(fn, 'a', options.a ?? 1, 'positive');
  // 'not' is the reference's spelling of 'none'.
  const conditioning = conditioningName === 'not' ? 'none' : conditioningName;
  if (!Object.hasOwn(CONDITIONING_EXPONENTS, conditioning)) {
    invalidOption(fn, 'conditioning', conditioning, `'none', 'medium' or 'hard' ('not' is read as 'none')`);
  }
  const lowestExponent = CONDITIONING_EXPONENTS[conditioning];
  const variances = linspace(lowestExponent, 0, dim).map((e) => MODE_VARIANCE * 10 ** e);
  return gaussianMixture({
    weights: TWO_MODE_WEIGHTS,
    means: [constant(dim, -a), constant(dim, a)],
    covariances: [variances, variances.slice()],
    assignBy: 'likelihood',
    name: `two-modes-lrds-${dim}d-${conditioning}${a === 1 ? '' : `-a${a}`}`,
  });
}

export interface TwoModesFullOptions {
  /** Half-distance per coordinate (default 1). */
  a?: number;
  /** Key of the random matrix whose QR gives the eigenvectors (default key(42), see the file header). */
  key?: Key;
  /** Spread of the uniform random matrix (default 5, the reference's rand_factor). */
  randFactor?: number;
}

/** LRDS TwoModesFull(d, ill_conditioned): means -/+ a 1, shared covariance Q diag(...) Q^T (file header). */
export function twoModesFull(
  dim: number,
  conditioning: 'medium' | 'hard' = 'medium',
  options: TwoModesFullOptions = {},
): GaussianMixtureTarget {
  const fn = 'twoModesFull';
  checkInteger(fn, 'dim', dim, 1);
  const a = checkNumber(fn, 'a', options.a ?? 1, 'positive');
  const randFactor = checkNumber(fn, 'randFactor', options.randFactor ?? 5, 'positive');
  if (conditioning !== 'medium' && conditioning !== 'hard') {
    invalidOption(fn, 'conditioning', conditioning, `'medium' or 'hard' (the reference has no well-conditioned full variant)`);
  }
  const u = uniformArray(options.key ?? makeKey(42), dim * dim).map((v) => randFactor * v);
  const q = qrOrthogonal(matrix(dim, dim, u));
  const eigenvalues = linspace(CONDITIONING_EXPONENTS[conditioning], 0, dim).map((e) => MODE_VARIANCE * 10 ** e);
  const scaled = matrix(dim, dim, q.data.map((v, idx) => v * eigenvalues[idx % dim]));
  const product = matmul(scaled, transpose(q)).data;
  // Symmetrise exactly (the product is symmetric only up to rounding).
  const covariance = Array.from({ length: dim }, (_, i) =>
    Array.from({ length: dim }, (_, j) => (product[i * dim + j] + product[j * dim + i]) / 2),
  );
  return gaussianMixture({
    weights: TWO_MODE_WEIGHTS,
    means: [constant(dim, -a), constant(dim, a)],
    covariances: [covariance, covariance.map((row) => row.slice())],
    assignBy: 'likelihood',
    name: `two-modes-full-${dim}d-${conditioning}${a === 1 ? '' : `-a${a}`}`,
  });
}

/** LRDS BracketTwoModes(d, a): means -/+ a 1, variances linspace(0.01, 0.2, d) and its reverse, weights (2/3, 1/3). */
export function bracketTwoModes(dim: number, a = 0.75): GaussianMixtureTarget {
  const fn = 'bracketTwoModes';
  checkInteger(fn, 'dim', dim, 1);
  checkNumber(fn, 'a', a, 'positive');
  const variances = linspace(0.01, 0.2, dim);
  return gaussianMixture({
    weights: TWO_MODE_WEIGHTS,
    means: [constant(dim, -a), constant(dim, a)],
    covariances: [variances, variances.slice().reverse()],
    assignBy: 'likelihood',
    name: `bracket-two-modes-${dim}d-a${a}`,
  });
}

export interface TwoModesOptions {
  dim: number;
  /** Distance between the two means in units of the within-mode std (the Mahalanobis distance), > 0. */
  separation: number;
  /** Two positive weights, default [2/3, 1/3]. */
  weights?: readonly number[];
  /** Within-mode standard deviation (isotropic), default 1. */
  std?: number;
}

/** Two isotropic modes at -/+ (separation * std / 2) 1/sqrt(d), see the file header. */
export function twoModes(options: TwoModesOptions): GaussianMixtureTarget {
  const fn = 'twoModes';
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an object { dim, separation }');
  const dim = checkInteger(fn, 'dim', options.dim, 1);
  const separation = checkNumber(fn, 'separation', options.separation, 'positive');
  const std = checkNumber(fn, 'std', options.std ?? 1, 'positive');
  const weights = checkNumberArray(fn, 'weights', options.weights ?? TWO_MODE_WEIGHTS, { length: 2, positive: true });
  const offset = (separation * std) / 2 / Math.sqrt(dim);
  return gaussianMixture({
    weights,
    means: [constant(dim, -offset), constant(dim, offset)],
    covariances: [std * std, std * std],
    assignBy: 'likelihood',
    name: `two-modes-${dim}d-sep${separation}`,
  });
}
