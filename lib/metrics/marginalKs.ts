/**
 * Kolmogorov-Smirnov distances between multivariate sample sets, built on the two-sample KS statistic of
 * `ks.ts`.
 *
 * Marginal KS: the two-sample KS statistic of each coordinate's marginal; `maxMarginalKs` is the largest.
 *
 * Sliced KS (papers/slips-lrds-amcbg.md section 1.8, code slips/metrics/ks.py; nfmcmc spec section 1.7):
 * L random unit directions (default 128) from a Key; per direction the KS distance between the projected
 * samples; the mean over directions.
 *   - default (`bins` omitted): the exact two-sample KS statistic of the projections (no binning);
 *   - `bins: B` reproduces the papers' histogram version: B equal bins on [min, max] of the REFERENCE
 *     projections (SLIPS B = 256, flow_mcmc B = 1024), histogram CDFs normalised by the in-range counts,
 *     KS = max over bin edges |CDF_ref - CDF_samples|. As in torch.histogram, sample projections outside the
 *     reference range are dropped (and a direction where every sample falls outside counts as distance 1),
 *     so the binned value can differ from the exact one by more than the bin resolution when the samples
 *     spill outside the reference range.
 * The argument order matters in the binned version only: `reference` (the exact target samples) fixes the
 * range; SLIPS calls compute_sliced_ks(target_samples, sampler_samples).
 */
import type { Key } from '../core/random.js';
import { checkInteger, checkOptions, invalidOption } from '../core/validate.js';
import { ksTwoSample } from './ks.js';
import { column, pooledMean, readSamplePair, shifted, type SampleInput } from './samples.js';
import { sumOverRandomProjections } from './randomDirections.js';

/** Two-sample KS statistic of each coordinate: entry j compares x[:, j] with y[:, j]. */
export async function marginalKs(x: SampleInput, y: SampleInput): Promise<Float64Array> {
  return perCoordinateKs('marginalKs', x, y);
}

/** The largest per-coordinate two-sample KS statistic (max over coordinates of `marginalKs`). */
export async function maxMarginalKs(x: SampleInput, y: SampleInput): Promise<number> {
  return Math.max(...(await perCoordinateKs('maxMarginalKs', x, y)));
}

async function perCoordinateKs(fn: string, x: SampleInput, y: SampleInput): Promise<Float64Array> {
  const [xs, ys] = await readSamplePair(fn, ['x', 'y'], x, y);
  const dim = xs.dim;
  const out = new Float64Array(dim);
  for (let j = 0; j < dim; j++) out[j] = ksTwoSample(column(xs, j), column(ys, j)).statistic;
  return out;
}

export interface SlicedKsOptions {
  /** Key for the random directions (required). */
  key: Key;
  /** Number of random directions L (default 128, as SLIPS and flow_mcmc). */
  numDirections?: number;
  /** Histogram bins on the reference range (the papers' binned version); omit for the exact KS statistic. */
  bins?: number;
}

/** KS distance between two binned CDFs on the reference range [lo, hi] (see the file comment). */
function binnedKs(reference: Float64Array, samples: Float64Array, bins: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of reference) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const histogram = (values: Float64Array) => {
    const counts = new Float64Array(bins);
    let total = 0;
    const scale = hi > lo ? bins / (hi - lo) : 0;
    for (const v of values) {
      if (v < lo || v > hi) continue; // torch.histogram drops values outside the range
      counts[Math.min(bins - 1, Math.floor((v - lo) * scale))]++;
      total++;
    }
    return { counts, total };
  };
  const ref = histogram(reference);
  const smp = histogram(samples);
  if (smp.total === 0) return 1;
  let cumRef = 0;
  let cumSmp = 0;
  let d = 0;
  for (let b = 0; b < bins; b++) {
    cumRef += ref.counts[b];
    cumSmp += smp.counts[b];
    d = Math.max(d, Math.abs(cumRef / ref.total - cumSmp / smp.total));
  }
  return d;
}

/**
 * Sliced KS distance between `reference` `[n, d]` and `samples` `[m, d]`: the mean over random directions of
 * the KS distance of the projections (exact, or binned on the reference range with `bins`).
 */
export async function slicedKs(reference: SampleInput, samples: SampleInput, options: SlicedKsOptions): Promise<number> {
  const fn = 'slicedKs';
  const opts = checkOptions<SlicedKsOptions>(fn, options, ['key', 'numDirections', 'bins']);
  if (opts.key === undefined) invalidOption(fn, 'key', undefined, 'a Key (from key(seed) / split): the directions are random');
  const numDirections = checkInteger(fn, 'numDirections', opts.numDirections ?? 128);
  const bins = opts.bins === undefined ? undefined : checkInteger(fn, 'bins', opts.bins);
  let [rs, ss] = await readSamplePair(fn, ['reference', 'samples'], reference, samples);
  const mean = pooledMean(rs, ss); // a common shift changes no KS distance; it keeps float32 projections small
  rs = shifted(rs, mean);
  ss = shifted(ss, mean);
  const total = await sumOverRandomProjections(opts.key, rs, ss, numDirections, (r, s) =>
    bins === undefined ? ksTwoSample(r, s).statistic : binnedKs(r, s, bins),
  );
  return total / numDirections;
}
