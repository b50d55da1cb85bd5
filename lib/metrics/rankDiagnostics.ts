/**
 * Rank-normalised MCMC diagnostics (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, "Rank-normalization,
 * folding, and localization: an improved R-hat"), per coordinate, in float64, as ArviZ (`rhat(method="rank")`,
 * `ess(method="bulk" | "tail")`) and Stan's `posterior` (`rhat`, `ess_bulk`, `ess_tail`) report them, next to
 * the classic `splitRHat` / `effectiveSampleSize` of mcmcDiagnostics.ts (same inputs, same split chains, same
 * Geyer ESS; only what is fed to them differs):
 *
 *   rank normalisation z(x): pool every draw of the (split) chains, take fractional ranks r (ties get their
 *   average rank), z = Phi^-1((r - 3/8) / (S + 1/4)), S the number of pooled draws (Blom's offsets);
 *   rankNormalizedRHat = max(R-hat of z(split x), R-hat of z(split |x - median(x)|)): the bulk and the folded
 *   (scale, tail) versions; robust to heavy tails and sensitive to chains with different spreads;
 *   bulkEss = ESS of z(split x), the efficiency of location summaries;
 *   tailEss = min(ESS of split I(x <= q05), ESS of split I(x <= q95)), q the pooled quantiles (linear
 *   interpolation, numpy's / R's type 7): the efficiency of the 5% and 95% quantiles.
 *
 * Vehtari et al. recommend using draws only when R-hat < 1.01 and bulk and tail ESS > 400 (100 per chain, 4 chains).
 */
import { normalQuantile } from '../core/special.js';
import { essOfChains, readTrace, rHatOfChains, splitChains, type ChainTrace, type TraceInput } from './mcmcDiagnostics.js';

/** Fractional ranks 1..S of all values pooled over chains (ties share their average rank), as z-scores. */
export function rankNormalize(chains: Float64Array[]): Float64Array[] {
  const pooled = chains.flatMap((c) => Array.from(c));
  const size = pooled.length;
  const order = pooled.map((_, i) => i).sort((a, b) => pooled[a] - pooled[b]);
  const z = new Float64Array(size);
  for (let start = 0; start < size; ) {
    let end = start + 1;
    while (end < size && pooled[order[end]] === pooled[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of the 1-based ranks start + 1 .. end
    const score = normalQuantile((rank - 3 / 8) / (size + 1 / 4));
    for (let k = start; k < end; k++) z[order[k]] = score;
    start = end;
  }
  let offset = 0;
  return chains.map((c) => {
    const out = z.slice(offset, offset + c.length);
    offset += c.length;
    return out;
  });
}

/** Quantile of sorted values by linear interpolation between order statistics (numpy's default, R's type 7). */
function quantileOfSorted(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Coordinate j alone (dim 1), each value mapped by f. */
function coordinate(trace: ChainTrace, j: number, f: (x: number) => number = (x) => x): ChainTrace {
  const { values, numDraws, numChains, dim } = trace;
  return { values: Float64Array.from({ length: numDraws * numChains }, (_, k) => f(values[k * dim + j])), numDraws, numChains, dim: 1 };
}

/** Read and check the trace, then apply `statistic` to each coordinate alone. */
async function perCoordinate(fn: string, input: TraceInput, minDraws: number, statistic: (x: ChainTrace) => number): Promise<Float64Array> {
  const trace = await readTrace(fn, input, minDraws);
  return Float64Array.from({ length: trace.dim }, (_, j) => statistic(coordinate(trace, j)));
}

/**
 * Rank-normalised split R-hat of each coordinate: max of the bulk and the folded R-hat (see the file comment).
 * Needs numDraws >= 4 (two split halves of >= 2 draws).
 */
export async function rankNormalizedRHat(trace: TraceInput): Promise<Float64Array> {
  return perCoordinate('rankNormalizedRHat', trace, 4, (x) => {
    const median = quantileOfSorted(x.values.slice().sort(), 0.5);
    const bulk = rHatOfChains(rankNormalize(splitChains(x, 0)));
    const folded = rHatOfChains(rankNormalize(splitChains(coordinate(x, 0, (v) => Math.abs(v - median)), 0)));
    return Math.max(bulk, folded);
  });
}

/** Bulk effective sample size of each coordinate: ESS of the rank-normalised split chains. Needs numDraws >= 6. */
export async function bulkEss(trace: TraceInput): Promise<Float64Array> {
  return perCoordinate('bulkEss', trace, 6, (x) => essOfChains(rankNormalize(splitChains(x, 0))));
}

/**
 * Tail effective sample size of each coordinate: the smaller ESS of the split indicator chains I(x <= q05) and
 * I(x <= q95). Needs numDraws >= 6.
 */
export async function tailEss(trace: TraceInput): Promise<Float64Array> {
  return perCoordinate('tailEss', trace, 6, (x) => {
    const sorted = x.values.slice().sort();
    const essBelow = (p: number) => {
      const q = quantileOfSorted(sorted, p);
      return essOfChains(splitChains(coordinate(x, 0, (v) => (v <= q ? 1 : 0)), 0));
    };
    return Math.min(essBelow(0.05), essBelow(0.95));
  });
}
