/** Summaries over seeds for the aMC-BG tables. */
/** Mean and standard error of the finite values (NaN when none). */
export function meanAndStandardError(values: readonly number[]): { mean: number; standardError: number; count: number } {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return { mean: NaN, standardError: NaN, count: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, standardError: Math.sqrt(variance / n), count: n };
}

/**
 * The mean ± 2 standard errors band of a quantity that lives in [min, max] (a probability, ESS / N, a total
 * variation: [0, 1]; an absolute error: [0, Infinity)), cut to that range: the normal band would draw impossible
 * values (below 0, above 1).
 */
export function boundedBand(mean: number, se: number, min = 0, max = 1): { lo: number; hi: number } {
  return { lo: Math.max(min, mean - 2 * se), hi: Math.min(max, mean + 2 * se) };
}
