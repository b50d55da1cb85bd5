/**
 * Autocovariance and autocorrelation of a scalar series, by FFT in float64: O(n log n) time, O(n) memory
 * (the direct sum is O(n * maxLag)).
 *
 * The estimator is the "biased" one Geyer (1992) recommends and Stan / ArviZ / posterior use:
 *   gamma_t = (1/n) sum_{i=0}^{n-1-t} (x_i - mean)(x_{i+t} - mean),   t = 0..n-1,
 * computed as the inverse FFT of |FFT(x - mean)|^2 with zero padding to a power of two >= 2n (no circular
 * wrap-around).
 */
import { invalidOption, readVector } from '../core/validate.js';

/** In-place iterative radix-2 FFT of (re, im), length a power of two; `inverse` without the 1/N factor. */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const angle = (sign * 2 * Math.PI) / size;
    const half = size >> 1;
    for (let k = 0; k < half; k++) {
      const wr = Math.cos(angle * k);
      const wi = Math.sin(angle * k);
      for (let start = 0; start < n; start += size) {
        const a = start + k;
        const b = a + half;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Biased autocovariances gamma_0..gamma_{n-1} of `series` (see the file comment). float64. */
export function autocovariance(series: ArrayLike<number>): Float64Array {
  const x = readVector('autocovariance', 'series', series);
  return autocovarianceOf(x);
}

/** Autocorrelations rho_t = gamma_t / gamma_0 for t = 0..maxLag (default n - 1). A constant series throws. */
export function autocorrelation(series: ArrayLike<number>, maxLag?: number): Float64Array {
  const fn = 'autocorrelation';
  const x = readVector(fn, 'series', series, { minLength: 2 });
  const lastLag = maxLag ?? x.length - 1;
  if (!Number.isSafeInteger(lastLag) || lastLag < 0 || lastLag >= x.length) {
    invalidOption(fn, 'maxLag', maxLag, `an integer in [0, ${x.length - 1}] (the series has ${x.length} values)`);
  }
  const gamma = autocovarianceOf(x);
  if (!(gamma[0] > 0)) invalidOption(fn, 'series', series, 'a non-constant series (the variance is 0)');
  const rho = new Float64Array(lastLag + 1);
  for (let t = 0; t <= lastLag; t++) rho[t] = gamma[t] / gamma[0];
  return rho;
}

/** Unchecked core of `autocovariance`, for callers that validated `x` already. */
export function autocovarianceOf(x: Float64Array): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let size = 1;
  while (size < 2 * n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < n; i++) re[i] = x[i] - mean;
  fft(re, im, false);
  for (let k = 0; k < size; k++) {
    re[k] = re[k] * re[k] + im[k] * im[k];
    im[k] = 0;
  }
  fft(re, im, true);
  const gamma = new Float64Array(n);
  for (let t = 0; t < n; t++) gamma[t] = re[t] / (size * n);
  return gamma;
}
