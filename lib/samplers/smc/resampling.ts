/**
 * Resampling: ancestor indices from normalised float64 weights and JS uniforms (Douc, Cappé & Moulines 2005).
 * All three schemes are unbiased, E[#offspring of i] = M w_i; systematic and stratified have lower variance
 * than multinomial. The particles are then gathered with `tf.gather` (forward pass only: gather's gradient
 * fails on wasm, DESIGN.md trap 4).
 */
import * as tf from '@tensorflow/tfjs';
import { uniformArray, type Key } from '../../core/random.js';
import { checkInteger, invalidOption } from '../../core/validate.js';
import type { Weights } from './weights.js';

export const RESAMPLING_SCHEMES = ['multinomial', 'systematic', 'stratified'] as const;
export type ResamplingScheme = (typeof RESAMPLING_SCHEMES)[number];

/** Cumulative sums of the weights, checked: non-negative, finite, summing to 1 within 1e-6. */
function cumulativeWeights(where: string, weights: Weights): Float64Array {
  const n = weights.length;
  if (n < 1) throw new Error(`${where}: option "weights" has length 0, expected at least one weight`);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new Error(`${where}: option "weights" has entry ${w} at index ${i}, expected finite non-negative weights`);
    }
    total += w;
    cumulative[i] = total;
  }
  if (Math.abs(total - 1) > 1e-6) {
    throw new Error(`${where}: option "weights" sums to ${total}, expected normalised weights (sum 1; use weightsFromLogWeights)`);
  }
  return cumulative;
}

/**
 * Inverse-CDF lookup of sorted points p_0 <= p_1 <= ... in [0, 1) (one merge pass). The last cumulative
 * weight is treated as exactly 1, so float rounding never sends a point past the end.
 */
function invertSorted(cumulative: Float64Array, points: Float64Array): Int32Array {
  const n = cumulative.length;
  const total = cumulative[n - 1];
  const out = new Int32Array(points.length);
  let i = 0;
  for (let j = 0; j < points.length; j++) {
    const p = points[j] * total;
    while (i < n - 1 && cumulative[i] <= p) i++;
    out[j] = i;
  }
  return out;
}

function checkUniforms(where: string, option: string, uniforms: Weights, length: number): void {
  if (uniforms.length !== length) {
    throw new Error(`${where}: option "${option}" has length ${uniforms.length}, expected ${length}`);
  }
  for (let j = 0; j < length; j++) {
    if (!(uniforms[j] >= 0 && uniforms[j] < 1)) {
      throw new Error(`${where}: option "${option}" has entry ${uniforms[j]} at index ${j}, expected uniforms in [0, 1)`);
    }
  }
}

/**
 * Multinomial: M i.i.d. draws from the weights. The M uniforms are turned into sorted uniforms through
 * normalised exponential spacings (u_(j) = E_1 + ... + E_j over E_1 + ... + E_{M+1}), so one merge pass suffices.
 */
export function multinomialResample(weights: Weights, uniforms: Weights): Int32Array {
  const where = 'multinomialResample';
  const cumulative = cumulativeWeights(where, weights);
  const m = uniforms.length - 1;
  checkInteger(where, 'numSamples', m);
  checkUniforms(where, 'uniforms', uniforms, m + 1);
  // M + 1 exponentials: the first M partial sums over the total are the order statistics of M uniforms.
  const points = new Float64Array(m);
  let sum = 0;
  for (let j = 0; j <= m; j++) {
    sum += -Math.log1p(-uniforms[j]);
    if (j < m) points[j] = sum;
  }
  for (let j = 0; j < m; j++) points[j] /= sum;
  return invertSorted(cumulative, points);
}

/** Systematic: one uniform u, points (j + u) / M. */
export function systematicResample(weights: Weights, uniform: number, numSamples = weights.length): Int32Array {
  const where = 'systematicResample';
  const cumulative = cumulativeWeights(where, weights);
  checkInteger(where, 'numSamples', numSamples);
  checkUniforms(where, 'uniform', [uniform], 1);
  const points = new Float64Array(numSamples);
  for (let j = 0; j < numSamples; j++) points[j] = (j + uniform) / numSamples;
  return invertSorted(cumulative, points);
}

/** Stratified: one uniform per stratum, points (j + u_j) / M. */
export function stratifiedResample(weights: Weights, uniforms: Weights): Int32Array {
  const where = 'stratifiedResample';
  const cumulative = cumulativeWeights(where, weights);
  const m = checkInteger(where, 'numSamples', uniforms.length);
  checkUniforms(where, 'uniforms', uniforms, m);
  const points = new Float64Array(m);
  for (let j = 0; j < m; j++) points[j] = (j + uniforms[j]) / m;
  return invertSorted(cumulative, points);
}

/** Ancestor indices (Int32Array of length numSamples, default N) for normalised weights, drawing uniforms from `key`. */
export function resample(key: Key, weights: Weights, scheme: ResamplingScheme = 'systematic', numSamples = weights.length): Int32Array {
  switch (scheme) {
    case 'multinomial':
      return multinomialResample(weights, uniformArray(key, checkInteger('resample', 'numSamples', numSamples) + 1));
    case 'systematic':
      return systematicResample(weights, uniformArray(key, 1)[0], numSamples);
    case 'stratified':
      return stratifiedResample(weights, uniformArray(key, checkInteger('resample', 'numSamples', numSamples)));
    default:
      return invalidOption('resample', 'scheme', scheme, `one of ${RESAMPLING_SCHEMES.join(', ')}`);
  }
}

/** Rows `indices` of x (forward only: do not differentiate through it on wasm). */
export function gatherRows<T extends tf.Tensor>(x: T, indices: Int32Array): T {
  return tf.tidy(() => tf.gather(x, tf.tensor1d(indices, 'int32')) as T);
}

/** Offspring counts: how many times each of n particles appears among the ancestors. */
export function offspringCounts(ancestors: Int32Array, n: number): Int32Array {
  const counts = new Int32Array(n);
  for (const a of ancestors) counts[a]++;
  return counts;
}
