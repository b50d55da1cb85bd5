/**
 * Float64 log-space reductions on the JS side (DESIGN.md trap 6: tfjs is float32 only, so log-weights, log Z
 * and ESS are reduced here, never summed in float32). NaN entries count as -Infinity (weight zero); callers that
 * must reject NaN check first (lib/metrics/importanceSampling.ts).
 */

/** log(sum_i exp(a_i)) in float64; -Infinity for an empty array or when every entry is -Infinity or NaN. */
export function logSumExp64(a: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let sum = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > -Infinity) sum += Math.exp(a[i] - max);
  return max + Math.log(sum);
}

/** Normalised log-weights (logsumexp = 0) and the log of the sum they were divided by. */
export function normaliseLogWeights(logWeights: ArrayLike<number>): { logWeights: Float64Array; logSum: number } {
  const logSum = logSumExp64(logWeights);
  if (!Number.isFinite(logSum)) {
    throw new Error(`normaliseLogWeights: the log-weights sum to exp(${logSum}), expected at least one finite log-weight (all particles have zero or infinite weight)`);
  }
  const out = new Float64Array(logWeights.length);
  for (let i = 0; i < out.length; i++) out[i] = Number.isNaN(logWeights[i]) ? -Infinity : logWeights[i] - logSum;
  return { logWeights: out, logSum };
}

/** Normalised weights W_i = exp(l_i - LSE(l)) (sum 1) from log-weights. */
export function weightsFromLogWeights(logWeights: ArrayLike<number>): Float64Array {
  const { logWeights: normalised } = normaliseLogWeights(logWeights);
  return normalised.map(Math.exp);
}

/** Kish effective sample size 1 / sum_i W_i^2 = (sum w)^2 / sum w^2 of unnormalised log-weights, in [1, N]. */
export function essFromLogWeights(logWeights: ArrayLike<number>): number {
  const w = weightsFromLogWeights(logWeights);
  let sumSquares = 0;
  for (let i = 0; i < w.length; i++) sumSquares += w[i] * w[i];
  return 1 / sumSquares;
}

/**
 * The final summary of N weighted particles (SMC, AIS, annealed MC): normalised log-weights, the log-weights as
 * given, the estimate log Z = logZBase + logsumexp(logW) - log N, and the Kish ESS.
 */
export function summariseLogWeights(
  logW: Float64Array,
  logZBase: number,
): { logWeights: Float64Array; unnormalisedLogWeights: Float64Array; logZ: number; ess: number } {
  return {
    logWeights: normaliseLogWeights(logW).logWeights,
    unnormalisedLogWeights: logW,
    logZ: logZBase + logSumExp64(logW) - Math.log(logW.length),
    ess: essFromLogWeights(logW),
  };
}
