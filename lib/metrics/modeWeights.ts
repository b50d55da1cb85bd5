/**
 * Mode-weight metrics for multimodal targets (papers/slips-lrds-amcbg.md sections 1.8, 2.8, 4.7;
 * nfmcmc-nfebm-multimodal-eval.md section 4.4). Samples are first assigned to modes by the target
 * (`Target.modes.assign`: nearest mean in SLIPS / flow_mcmc, argmax component log-likelihood in LRDS); here:
 *
 *   modeWeights       h_k = (number of samples in mode k) / n, or the weighted fraction (AIS / IS weights);
 *   modeWeightError   against the true weights w:
 *                       firstModeAbsError = |h_0 - w_0|   (SLIPS |w^_1 - 2/3|; LRDS reports 100x this),
 *                       l1 = sum_k |h_k - w_k|            (LRDS's "TV_weights", no 1/2, in [0, 2]),
 *                       totalVariation = l1 / 2           (the usual TV distance, in [0, 1]),
 *                       klTruthToEstimate = sum_k w_k log(w_k / h_k)  (LRDS's KL(w || h); Infinity when a mode
 *                       with w_k > 0 received no sample);
 *   forgottenModes    the fraction of modes with h_k < threshold * min_k w_k (LRDS, threshold 0.05);
 *   modeEntropy       -sum_k h_k log h_k / log K (LRDS's EMC; 1 for uniform weights, 0 for one mode).
 * All in float64.
 */
import { checkInteger, checkNumber, checkOptions, invalidOption, readVector } from '../core/validate.js';

/** Tolerance on sum(weights) = 1 for a probability vector. */
const SUM_TOLERANCE = 1e-6;

/**
 * Fractions of samples per mode: `assignments[i]` in [0, numModes) is sample i's mode (an Int32Array as
 * resolved by `await Target.modes.assign(x)`, or an integer array; host data, so this is synchronous). With
 * `weights` (one non-negative weight per sample, not all 0), the weighted fractions sum_{i in k} w_i / sum_i w_i.
 */
export function modeWeights(assignments: ArrayLike<number>, numModes: number, weights?: ArrayLike<number>): number[] {
  const fn = 'modeWeights';
  checkInteger(fn, 'numModes', numModes);
  const modes = readVector(fn, 'assignments', assignments);
  const w = weights === undefined ? null : readVector(fn, 'weights', weights);
  if (w !== null && w.length !== modes.length) {
    invalidOption(fn, 'weights', weights, `one weight per assignment (${modes.length}), got ${w.length}`);
  }
  const totals = new Float64Array(numModes);
  let total = 0;
  for (let i = 0; i < modes.length; i++) {
    const k = modes[i];
    if (!Number.isInteger(k) || k < 0 || k >= numModes) {
      throw new Error(`${fn}: option "assignments" has entry [${i}] = ${k}, expected an integer mode index in [0, ${numModes})`);
    }
    const wi = w === null ? 1 : w[i];
    if (wi < 0) throw new Error(`${fn}: option "weights" has entry [${i}] = ${wi}, expected weights >= 0`);
    totals[k] += wi;
    total += wi;
  }
  if (!(total > 0)) invalidOption(fn, 'weights', weights, 'weights with a positive sum');
  return Array.from(totals, (t) => t / total);
}

/** A probability vector: finite, >= 0, summing to 1 within 1e-6. */
function readProbabilities(fn: string, option: string, value: unknown): Float64Array {
  const p = readVector(fn, option, value);
  let sum = 0;
  for (let k = 0; k < p.length; k++) {
    if (p[k] < 0) throw new Error(`${fn}: option "${option}" has entry [${k}] = ${p[k]}, expected probabilities >= 0`);
    sum += p[k];
  }
  if (Math.abs(sum - 1) > SUM_TOLERANCE) invalidOption(fn, option, value, `probabilities summing to 1 (the sum is ${sum})`);
  return p;
}

function readPair(fn: string, estimated: unknown, truth: unknown): [Float64Array, Float64Array] {
  const h = readProbabilities(fn, 'estimated', estimated);
  const w = readProbabilities(fn, 'truth', truth);
  if (h.length !== w.length) {
    invalidOption(fn, 'estimated', estimated, `as many modes as "truth" (${w.length}), got ${h.length}`);
  }
  return [h, w];
}

export interface ModeWeightError {
  /** |h_0 - w_0|: the error on the first mode's weight (SLIPS; LRDS reports 100x this). */
  firstModeAbsError: number;
  /** sum_k |h_k - w_k| (LRDS "TV_weights", no 1/2). */
  l1: number;
  /** sum_k |h_k - w_k| / 2, the total-variation distance between the weight vectors. */
  totalVariation: number;
  /** KL(w || h) = sum_k w_k log(w_k / h_k); Infinity if some h_k = 0 < w_k. */
  klTruthToEstimate: number;
}

/** Errors of estimated mode weights against the true weights (see the file comment). */
export function modeWeightError(estimated: ArrayLike<number>, truth: ArrayLike<number>): ModeWeightError {
  const [h, w] = readPair('modeWeightError', estimated, truth);
  let l1 = 0;
  let kl = 0;
  for (let k = 0; k < h.length; k++) {
    l1 += Math.abs(h[k] - w[k]);
    if (w[k] > 0) kl += h[k] > 0 ? w[k] * Math.log(w[k] / h[k]) : Infinity;
  }
  return { firstModeAbsError: Math.abs(h[0] - w[0]), l1, totalVariation: l1 / 2, klTruthToEstimate: kl };
}

/** Fraction of modes whose estimated weight is below `threshold` (default 0.05) times the smallest true weight. */
export function forgottenModes(estimated: ArrayLike<number>, truth: ArrayLike<number>, options: { threshold?: number } = {}): number {
  const fn = 'forgottenModes';
  const opts = checkOptions<{ threshold: number }>(fn, options, ['threshold']);
  const threshold = checkNumber(fn, 'threshold', opts.threshold ?? 0.05, 'positive');
  const [h, w] = readPair(fn, estimated, truth);
  const cutoff = threshold * Math.min(...w);
  let forgotten = 0;
  for (const hk of h) if (hk < cutoff) forgotten++;
  return forgotten / h.length;
}

/** Normalised entropy -sum_k h_k log h_k / log K of the estimated weights (K >= 2 modes), in [0, 1]. */
export function modeEntropy(estimated: ArrayLike<number>): number {
  const fn = 'modeEntropy';
  const h = readProbabilities(fn, 'estimated', estimated);
  if (h.length < 2) invalidOption(fn, 'estimated', estimated, 'at least 2 modes');
  let entropy = 0;
  for (const hk of h) if (hk > 0) entropy -= hk * Math.log(hk);
  return entropy / Math.log(h.length);
}
