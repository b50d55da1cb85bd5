/**
 * Equal-width histograms normalised to a density, so that a sampler's histogram, a histogram of exact samples and
 * a pdf curve share one y scale.
 */

export interface DensityHistogram {
  /** Left edge of each bin, its right edge, and count / (total * width). */
  binStart: Float64Array;
  binEnd: Float64Array;
  density: Float64Array;
}

/**
 * Histogram of `values` on `bins` equal bins over [lo, hi] (the last bin includes hi). Values outside the range
 * are not binned but still count in the total, so the bars integrate to the fraction inside the range.
 */
export function densityHistogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): DensityHistogram {
  const width = (hi - lo) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))] += 1;
  }
  const binStart = new Float64Array(bins);
  const binEnd = new Float64Array(bins);
  const density = new Float64Array(bins);
  for (let b = 0; b < bins; b++) {
    binStart[b] = lo + b * width;
    binEnd[b] = b === bins - 1 ? hi : lo + (b + 1) * width;
    density[b] = values.length > 0 ? counts[b] / (values.length * width) : 0;
  }
  return { binStart, binEnd, density };
}
