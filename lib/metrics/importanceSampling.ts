/**
 * Importance-sampling diagnostics from log-weights l_i = log gamma(x_i) - log q(x_i), all in float64 with
 * log-sum-exp (DESIGN.md trap 6: never summed in float32). A log-weight may be -Infinity (a zero weight);
 * NaN or +Infinity is an error.
 *
 *   normalizedWeights   w_i = exp(l_i - LSE(l));
 *   importanceEss       (sum w)^2 / sum w^2 = 1 / sum_i w_i^2 (normalised w), in [1, N] (Kong 1992; LRDS section 2.8
 *                       reports it divided by N);
 *   logZEstimate        log Z^ = LSE(l) - log N (the log of the unbiased IS estimate of Z), with the delta-method
 *                       standard error  se(log Z^) ~ sd(w) / (sqrt(N) mean(w)) = sqrt((N / ESS - 1) / (N - 1))
 *                       (sample sd with ddof 1; from Var(Z^) / Z^2). log Z^ is biased low by about se^2 / 2
 *                       (Jensen).
 *   logZError           the signed error log Z^ - log Z (negative: an underestimate).
 * The functions that take log-weights are async: a tensor is read back once, asynchronously.
 */
import type { Tensor } from '@tensorflow/tfjs';
import { essFromLogWeights, logSumExp64 as logSumExpOf, weightsFromLogWeights } from '../core/logspace.js';
import { invalidOption, readVectorAsync, showValue } from '../core/validate.js';

/** Log-weights: a number[], a Float64Array / Float32Array, or a rank-1 tensor [N]. */
export type LogWeightsInput = ArrayLike<number> | Tensor;

/**
 * log(sum_i exp(values_i)) in float64; -Infinity for no values or all -Infinity. Checked: NaN entries throw
 * (lib/core/logspace.ts, which this calls, reads NaN as a zero weight).
 */
export function logSumExp64(values: ArrayLike<number>): number {
  if (values == null || typeof values !== 'object' || typeof values.length !== 'number') {
    invalidOption('logSumExp64', 'values', values, 'an array of numbers');
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || Number.isNaN(v)) {
      throw new Error(`logSumExp64: option "values" has entry [${i}] = ${showValue(v)}, expected numbers (not NaN)`);
    }
  }
  return logSumExpOf(values);
}

async function readLogWeights(fn: string, logWeights: unknown): Promise<Float64Array> {
  const l = await readVectorAsync(fn, 'logWeights', logWeights, { allowNegativeInfinity: true });
  if (logSumExpOf(l) === -Infinity) invalidOption(fn, 'logWeights', logWeights, 'at least one finite log-weight (every weight is 0)');
  return l;
}

/** Self-normalised weights exp(l_i - LSE(l)), summing to 1. */
export async function normalizedWeights(logWeights: LogWeightsInput): Promise<Float64Array> {
  return weightsFromLogWeights(await readLogWeights('normalizedWeights', logWeights));
}

/** Importance ESS (sum w)^2 / sum w^2, between 1 (one weight dominates) and N (equal weights). */
export async function importanceEss(logWeights: LogWeightsInput): Promise<number> {
  return essFromLogWeights(await readLogWeights('importanceEss', logWeights));
}

export interface LogZEstimate {
  /** log Z^ = LSE(l) - log N. */
  logZ: number;
  /** Delta-method standard error of log Z^: sqrt((N / ESS - 1) / (N - 1)); NaN for N = 1. */
  standardError: number;
  /** Importance ESS of the weights. */
  ess: number;
}

/** The IS estimate of log Z from log-weights, with its delta-method standard error. */
export async function logZEstimate(logWeights: LogWeightsInput): Promise<LogZEstimate> {
  const l = await readLogWeights('logZEstimate', logWeights);
  const n = l.length;
  const ess = essFromLogWeights(l);
  const standardError = n > 1 ? Math.sqrt(Math.max(0, n / ess - 1) / (n - 1)) : NaN;
  return { logZ: logSumExpOf(l) - Math.log(n), standardError, ess };
}

/** Signed error estimate - truth of a log Z estimate (both finite numbers). */
export function logZError(estimate: number, truth: number): number {
  const fn = 'logZError';
  if (typeof estimate !== 'number' || !Number.isFinite(estimate)) invalidOption(fn, 'estimate', estimate, 'a finite number');
  if (typeof truth !== 'number' || !Number.isFinite(truth)) invalidOption(fn, 'truth', truth, 'a finite number');
  return estimate - truth;
}
