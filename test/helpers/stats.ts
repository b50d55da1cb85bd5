/**
 * Sample statistics and Monte Carlo standard-error checks shared by the statistical tests (DESIGN.md section 5:
 * tolerances are z standard errors, z about 4).
 */
import assert from 'node:assert/strict';

/** The arithmetic mean (summed left to right). */
export function sampleMean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** The mean and the sum of squared deviations from it. */
function meanAndSumOfSquares(values: ArrayLike<number>): { n: number; mean: number; sumOfSquares: number } {
  const n = values.length;
  const mean = sampleMean(values);
  let sumOfSquares = 0;
  for (let i = 0; i < n; i++) sumOfSquares += (values[i] - mean) ** 2;
  return { n, mean, sumOfSquares };
}

/** Mean and sample standard deviation (ddof 1) of independent values, e.g. replicate estimates. */
export function meanAndSd(values: ArrayLike<number>): { mean: number; sd: number } {
  const { n, mean, sumOfSquares } = meanAndSumOfSquares(values);
  return { mean, sd: Math.sqrt(sumOfSquares / (n - 1)) };
}

/** Mean of independent values and its standard error sd / sqrt(n) (sd with ddof 1). */
export function meanAndSe(values: ArrayLike<number>): [number, number] {
  const { n, mean, sumOfSquares } = meanAndSumOfSquares(values);
  return [mean, Math.sqrt(sumOfSquares / (n - 1) / n)];
}

/**
 * Fractions of each label against expected probabilities p_k, within binomial standard errors:
 * |count_k / n - p_k| < z sqrt(p_k (1 - p_k) / n) (+ 1e-12, so that p_k = 0 or 1 pass when exact).
 */
export function checkFrequencies(labels: ArrayLike<number>, expected: number[], what: string, z: number): void {
  const n = labels.length;
  const counts = new Array<number>(expected.length).fill(0);
  for (let i = 0; i < n; i++) counts[labels[i]]++;
  expected.forEach((p, k) => {
    const sd = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(counts[k] / n - p) < z * sd + 1e-12, `${what}: mode ${k} fraction ${counts[k] / n} vs ${p} (sd ${sd})`);
  });
}
