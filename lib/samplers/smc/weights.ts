/**
 * SMC importance weights in float64 on the JS side (DESIGN.md trap 6: tfjs is float32 only, and log-weights and
 * log Z accumulate over hundreds of levels). NaN log-weights count as -Infinity (weight zero). The generic
 * reductions (log-sum-exp, normalised weights, Kish ESS) live in lib/core/logspace.ts.
 */
import { logSumExp64 } from '../../core/logspace.js';

export type Weights = Float64Array | readonly number[];

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
