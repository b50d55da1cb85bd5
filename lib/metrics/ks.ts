/**
 * Kolmogorov-Smirnov tests (float64, JavaScript side).
 *
 * p-values use the asymptotic Kolmogorov distribution with Stephens' (1970) small-sample correction
 * lambda = (sqrt(n) + 0.12 + 0.11 / sqrt(n)) * D, n the (effective) sample size, as in Numerical Recipes'
 * `ksone` / `kstwo`. Good to about 1e-2 absolute for n >= 5 and much better for n >= 100; the statistic
 * itself is exact.
 */
import { invalidOption, verbatim } from '../core/validate.js';

export interface KsResult {
  /** D: the largest absolute difference between the two CDFs. */
  statistic: number;
  /** P(D >= observed) under the null hypothesis (asymptotic, Stephens-corrected). */
  pValue: number;
}

function sortedFinite(fn: string, option: string, xs: ArrayLike<number>): Float64Array {
  if (xs == null || typeof xs !== 'object' || typeof xs.length !== 'number') {
    invalidOption(fn, option, xs, 'an array (or typed array) of finite numbers', verbatim);
  }
  if (xs.length === 0) invalidOption(fn, option, '[] (empty)', 'at least one sample', verbatim);
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      invalidOption(fn, option, `an array with ${String(v)} at index ${i}`, 'finite numbers only', verbatim);
    }
    out[i] = v;
  }
  return out.sort();
}

/**
 * Survival function of the Kolmogorov distribution, Q(lambda) = P(K > lambda)
 * = 2 sum_{j>=1} (-1)^{j-1} exp(-2 j^2 lambda^2); for lambda < 1.18 the equivalent theta-function form
 * 1 - sqrt(2 pi) / lambda sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 lambda^2)) (both to double precision).
 */
export function kolmogorovSurvival(lambda: number): number {
  if (Number.isNaN(lambda)) return NaN;
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    const y = Math.exp(-(Math.PI * Math.PI) / (8 * lambda * lambda));
    const y8 = y ** 8;
    // y + y^9 + y^25 + y^49 (y^81 < 1e-30 here)
    const s = y * (1 + y8 * (1 + y8 * y8 * (1 + y8 * y8 * y8)));
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * s));
  }
  const x = Math.exp(-2 * lambda * lambda);
  // 2 (x - x^4 + x^9 - x^16) (x^25 < 1e-30 here)
  const q = 2 * (x - x ** 4 + x ** 9 - x ** 16);
  return Math.min(1, Math.max(0, q));
}

function stephensP(d: number, n: number): number {
  const sn = Math.sqrt(n);
  return kolmogorovSurvival((sn + 0.12 + 0.11 / sn) * d);
}

/**
 * One-sample KS test of `samples` against a continuous CDF. `cdf` must return values in [0, 1].
 */
export function ksOneSample(samples: ArrayLike<number>, cdf: (x: number) => number): KsResult {
  const xs = sortedFinite('ksOneSample', 'samples', samples);
  if (typeof cdf !== 'function') invalidOption('ksOneSample', 'cdf', cdf, 'a function x => P(X <= x)', verbatim);
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]);
    if (!(f >= 0 && f <= 1)) {
      invalidOption('ksOneSample', 'cdf', `a function returning ${String(f)} at x = ${xs[i]}`, 'values in [0, 1]', verbatim);
    }
    const dPlus = (i + 1) / n - f;
    const dMinus = f - i / n;
    if (dPlus > d) d = dPlus;
    if (dMinus > d) d = dMinus;
  }
  return { statistic: d, pValue: stephensP(d, n) };
}

/**
 * Two-sample KS test: are `a` and `b` draws from the same continuous distribution? Ties (within or across
 * the samples) are handled exactly: both empirical CDFs step past a repeated value together.
 * Effective size n = |a| |b| / (|a| + |b|).
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const xa = sortedFinite('ksTwoSample', 'a', a);
  const xb = sortedFinite('ksTwoSample', 'b', b);
  const n = xa.length;
  const m = xb.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = xa[i] <= xb[j] ? xa[i] : xb[j];
    while (i < n && xa[i] === x) i++;
    while (j < m && xb[j] === x) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return { statistic: d, pValue: stephensP(d, (n * m) / (n + m)) };
}
