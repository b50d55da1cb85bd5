/**
 * Importance weights in float64 on the JS side (DESIGN.md trap 6: tfjs is float32 only, and log-weights and
 * log Z accumulate over hundreds of levels). NaN log-weights count as -Infinity (weight zero).
 */

export type Weights = Float64Array | readonly number[];

/** log(sum_i exp(a_i)) in float64; -Infinity for an empty array or when every entry is -Infinity or NaN. */
export function logSumExp64(a: Weights): number {
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let sum = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > -Infinity) sum += Math.exp(a[i] - max);
  return max + Math.log(sum);
}

/** Normalised log-weights (logsumexp = 0) and the log of the sum they were divided by. */
export function normaliseLogWeights(logWeights: Weights): { logWeights: Float64Array; logSum: number } {
  const logSum = logSumExp64(logWeights);
  if (!Number.isFinite(logSum)) {
    throw new Error(`normaliseLogWeights: the log-weights sum to exp(${logSum}), expected at least one finite log-weight (all particles have zero or infinite weight)`);
  }
  const out = new Float64Array(logWeights.length);
  for (let i = 0; i < out.length; i++) out[i] = Number.isNaN(logWeights[i]) ? -Infinity : logWeights[i] - logSum;
  return { logWeights: out, logSum };
}

/** Normalised weights (sum 1) from log-weights. */
export function weightsFromLogWeights(logWeights: Weights): Float64Array {
  const { logWeights: normalised } = normaliseLogWeights(logWeights);
  return normalised.map(Math.exp);
}

/** Kish effective sample size 1 / sum_i W_i^2 of unnormalised log-weights, in [1, N]. */
export function effectiveSampleSize(logWeights: Weights): number {
  const w = weightsFromLogWeights(logWeights);
  let sumSquares = 0;
  for (let i = 0; i < w.length; i++) sumSquares += w[i] * w[i];
  return 1 / sumSquares;
}

/**
 * Conditional ESS of incremental log-weights `increments` given the current log-weights (normalised or not;
 * Zhou, Johansen & Aston 2016, eq. 3.16): N (sum_i W_i w_i)^2 / sum_i W_i w_i^2 with W normalised, in [1, N]
 * (0 when every weight vanishes). With uniform current weights (just after resampling) it is the ESS of the
 * incremental weights. Computed with log-sum-exps, so any range of log-weights is safe.
 */
export function conditionalEss(currentLogWeights: Weights, increments: Weights): number {
  const n = increments.length;
  const once = new Float64Array(n);
  const twice = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    once[i] = currentLogWeights[i] + increments[i];
    twice[i] = once[i] + increments[i];
  }
  const logFirst = logSumExp64(once);
  if (!(logFirst > -Infinity)) return 0;
  const logSecond = logSumExp64(twice);
  const logTotal = logSumExp64(currentLogWeights);
  return n * Math.exp(2 * logFirst - logSecond - logTotal);
}
