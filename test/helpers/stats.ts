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

/**
 * log Z checked on the log scale over R independent runs (DESIGN.md section 5). An unbiased Ẑ has
 * E[log Ẑ] ≈ log Z − Var(log Ẑ)/2 (the log-normal limit of SMC/AIS evidence estimates, Bérard, Del Moral & Doucet
 * 2014), so with m, s the mean and sd of the R values of log Ẑ:
 *   |m + s²/2 − log Z| < z · sqrt(s²/R + s⁴/(2(R − 1)))
 * (the second term is the standard error of s²/2 for Gaussian values). And s < maxSd: a degenerate run (one
 * particle carrying all the weight) has a large, erratic log Ẑ, which a mean-only bound with its own sd would pass.
 * Ratio-scale checks cannot do this: when one run dominates, sd(Ẑ/Z) ≈ max/sqrt(R) and 4 sd/sqrt(R) exceeds any mean.
 * maxSd also keeps the log-normal correction honest (its next term is O(s³)).
 */
export function checkLogZOnLogScale(label: string, estimates: number[], logZ: number, options: { z: number; maxSd: number }): void {
  const { z, maxSd } = options;
  const r = estimates.length;
  assert.ok(estimates.every(Number.isFinite), `${label}: non-finite log Z in ${estimates}`);
  const { mean, sd } = meanAndSd(estimates);
  const corrected = mean + (sd * sd) / 2;
  const bound = z * Math.sqrt((sd * sd) / r + sd ** 4 / (2 * (r - 1)));
  const detail =
    `${label}: mean log Z^ ${mean.toFixed(4)} + s²/2 = ${corrected.toFixed(4)} vs exact ${logZ.toFixed(4)} +- ${bound.toFixed(4)}; ` +
    `sd ${sd.toFixed(4)} (max ${maxSd}); R = ${r}`;
  console.log(`# ${detail}`);
  assert.ok(sd > 0, `${detail}: runs are not independent`);
  assert.ok(sd < maxSd, `${detail}: sd of log Z^ above its bound`);
  assert.ok(Math.abs(corrected - logZ) < bound, detail);
}

/**
 * SAMPLING_LAB_SEED_OFFSET as an integer (default 0): shifts the seeds of the paired method comparisons, only to show
 * that they pass on other seed sets (test/README.md); the suite never sets it.
 */
export function seedOffset(): number {
  const raw = process.env.SAMPLING_LAB_SEED_OFFSET ?? '0';
  const offset = Number(raw);
  if (!Number.isInteger(offset)) throw new Error(`SAMPLING_LAB_SEED_OFFSET: got ${JSON.stringify(raw)}, expected an integer`);
  return offset;
}

/** Exact projected moments of a Gaussian mixture: gᵀμ and gᵀΣh with μ, Σ the mixture's mean and covariance. */
export function mixtureProjectedMoments(
  mixture: { componentWeights: number[]; components: { means: number[][]; covariances: { cols: number; data: Float64Array }[] } },
  g: readonly number[],
  h: readonly number[],
): { meanG: number; meanH: number; covGH: number } {
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
  const { means, covariances } = mixture.components;
  let meanG = 0;
  let meanH = 0;
  let secondGH = 0;
  mixture.componentWeights.forEach((w, k) => {
    const c = covariances[k];
    const ch = Array.from({ length: c.cols }, (_, i) => dot(c.data.subarray(i * c.cols, (i + 1) * c.cols), h));
    const mg = dot(means[k], g);
    const mh = dot(means[k], h);
    meanG += w * mg;
    meanH += w * mh;
    secondGH += w * (dot(g, ch) + mg * mh);
  });
  return { meanG, meanH, covGH: secondGH - meanG * meanH };
}

/** Weighted mean of gᵀx and weighted covariance of gᵀx, hᵀx over rows x (weights normalised to sum 1). */
export function weightedProjectedMoments(
  rows: readonly (readonly number[])[],
  weights: ArrayLike<number>,
  g: readonly number[],
  h: readonly number[],
): { meanG: number; meanH: number; covGH: number } {
  let total = 0;
  let meanG = 0;
  let meanH = 0;
  let secondGH = 0;
  rows.forEach((x, i) => {
    const a = x.reduce((s, v, j) => s + v * g[j], 0);
    const b = x.reduce((s, v, j) => s + v * h[j], 0);
    total += weights[i];
    meanG += weights[i] * a;
    meanH += weights[i] * b;
    secondGH += weights[i] * a * b;
  });
  meanG /= total;
  meanH /= total;
  return { meanG, meanH, covGH: secondGH / total - meanG * meanH };
}
