/**
 * Sliced 2-Wasserstein distance (Bonneel et al. 2015) and the Gaussian-approximation "fast" variant of SLIPS
 * (papers/slips-lrds-amcbg.md sections 1.8, 4.7; code: slips/metrics/wasserstein.py).
 *
 * Monte Carlo SW2 (`slicedWasserstein`): L unit directions u_k uniform on the sphere (from a Key),
 *   SW2 = sqrt( (1/L) sum_k W2^2(u_k # P_x, u_k # P_y) ),
 * where each 1-D W2^2 between the projected empirical measures is computed exactly from the sorted projections.
 * For n = m it is the mean squared difference of the sorted projections, so SW2 is SLIPS's
 * `compute_sliced_wasserstein_mc` ("sort each projection, RMSE"). For n != m the two empirical quantile functions
 * are step functions with breakpoints i/n and j/m; W2^2 = int_0^1 (F_x^{-1}(t) - F_y^{-1}(t))^2 dt is integrated
 * exactly over the merged breakpoints (O(n + m) per direction, no interpolation error; the same as
 * POT's `wasserstein_1d`).
 * `center: true` subtracts each sample's own mean first (SLIPS's default `centering=True`: then SW2 compares
 * shapes only, a shift between the samples is invisible); the default here is false (the plain SW2).
 *
 * Gaussian approximation (`slicedWassersteinGaussianApprox`, Nadjahi et al. 2021, SLIPS
 * `compute_sliced_wasserstein_fast`): centre both samples (each by its own mean), m2 = E|x|^2 / d, and
 *   SW ~ | sqrt(m2(x)) - sqrt(m2(y)) |.
 * This is a proxy (exact only for isotropic Gaussians after centring), not a true SW.
 *
 * Cost (MC): O(L (n + m) d) flops for the projections (device matmul, groups of directions), then
 * O(L (n log n + m log m)) for the sorts in float64 on the JS side; memory O(n + m) per direction, at most 2^22
 * projections per set at a time (about 1.5 s for L = 1024, n = m = 4096, d = 8 on 2 busy cores, wasm).
 */
import type { Key } from '../core/random.js';
import { checkBoolean, checkInteger, checkOptions, invalidOption } from '../core/validate.js';
import { pooledMean, readSamplePair, shifted, type SampleInput, type SampleMatrix } from './samples.js';
import { sumOverRandomProjections } from './randomDirections.js';

export interface SlicedWassersteinOptions {
  /** Key for the random directions (required): the same key gives the same directions. */
  key: Key;
  /** Number of random directions L (default 1024; SLIPS uses 4096). */
  numDirections?: number;
  /** Centre each sample on its own mean first (SLIPS variant; default false). */
  center?: boolean;
}

/**
 * Exact W2^2 between the 1-D empirical measures of two ascending-sorted arrays (uniform weights 1/n, 1/m):
 * the integral of the squared difference of their quantile functions over the merged breakpoints i/n, j/m.
 */
export function wasserstein1dSquaredSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) {
    throw new Error(`wasserstein1dSquaredSorted: got ${n} and ${m} values, expected at least 1 in each`);
  }
  // Breakpoints in units of 1 / (n m): the quantile of a changes at (i + 1) m, that of b at (j + 1) n.
  let i = 0;
  let j = 0;
  let previous = 0;
  let total = 0;
  while (i < n && j < m) {
    const endA = (i + 1) * m;
    const endB = (j + 1) * n;
    const end = Math.min(endA, endB);
    const diff = a[i] - b[j];
    total += (end - previous) * diff * diff;
    previous = end;
    if (endA === end) i++;
    if (endB === end) j++;
  }
  return total / (n * m);
}

function centredOnOwnMean(s: SampleMatrix): SampleMatrix {
  return shifted(s, pooledMean(s));
}

/** Monte Carlo sliced W2 between samples x `[n, d]` and y `[m, d]` (tensors or arrays, see `samples.ts`). */
export async function slicedWasserstein(x: SampleInput, y: SampleInput, options: SlicedWassersteinOptions): Promise<number> {
  const fn = 'slicedWasserstein';
  const opts = checkOptions<SlicedWassersteinOptions>(fn, options, ['key', 'numDirections', 'center']);
  if (opts.key === undefined) invalidOption(fn, 'key', undefined, 'a Key (from key(seed) / split): the directions are random');
  const numDirections = checkInteger(fn, 'numDirections', opts.numDirections ?? 1024);
  const center = checkBoolean(fn, 'center', opts.center ?? false);
  let [xs, ys] = await readSamplePair(fn, ['x', 'y'], x, y);
  if (center) {
    xs = centredOnOwnMean(xs);
    ys = centredOnOwnMean(ys);
  } else {
    // A common shift changes nothing and keeps float32 projections small.
    const mean = pooledMean(xs, ys);
    xs = shifted(xs, mean);
    ys = shifted(ys, mean);
  }
  const total = await sumOverRandomProjections(opts.key, xs, ys, numDirections, (px, py) =>
    wasserstein1dSquaredSorted(px.sort(), py.sort()),
  );
  return Math.sqrt(total / numDirections);
}

/**
 * SLIPS's "fast" sliced W2 (Gaussian approximation, Nadjahi et al. 2021): after centring each sample on its own
 * mean, | sqrt(E|x|^2 / d) - sqrt(E|y|^2 / d) |. No randomness. float64.
 */
export async function slicedWassersteinGaussianApprox(x: SampleInput, y: SampleInput): Promise<number> {
  const [xs, ys] = (await readSamplePair('slicedWassersteinGaussianApprox', ['x', 'y'], x, y)).map(centredOnOwnMean);
  const dim = xs.dim;
  const secondMomentPerDim = (s: SampleMatrix) => {
    let sum = 0;
    for (let k = 0; k < s.data.length; k++) sum += s.data[k] * s.data[k];
    return sum / (s.n * dim);
  };
  return Math.abs(Math.sqrt(secondMomentPerDim(xs)) - Math.sqrt(secondMomentPerDim(ys)));
}
