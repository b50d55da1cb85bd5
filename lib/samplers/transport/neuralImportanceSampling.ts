/**
 * Self-normalised importance sampling with a flow proposal ("neural IS", "Adaptive IS" of flow_mcmc
 * mcmc/classic_is.py; nfmcmc spec sections 1.3 and 4.3), or with any proposal { sample, logDensity }:
 *   x_i ~ lambda (i = 1..N),  log w_i = log pi(x_i) - log lambda(x_i),  wbar_i = w_i / sum_j w_j,
 *   ESS = 1 / sum_i wbar_i^2 (in [1, N]),
 *   log Z^ = LSE_i(log w_i) - log N + log Z_lambda   (Z_lambda = the proposal's `logZ`, 0 when normalised),
 *   E_pi[f] ~ sum_i wbar_i f(x_i), with the delta-method standard error sqrt(sum_i wbar_i^2 (f(x_i) - E^)^2),
 *   se(log Z^) ~ sqrt((N / ESS - 1) / (N - 1)) (delta method, as lib/metrics/importanceSampling.ts).
 * The log-weights are formed and reduced in float64 on the JS side (DESIGN.md trap 6): log pi and log lambda are
 * read back separately, once. Draws use the proposal's `sampleWithLogDensity` when it has one (a flow: no inverse
 * pass). Resampled particles (multinomial by default) are an equally weighted approximate sample of pi.
 */
import * as tf from '@tensorflow/tfjs';
import { readAll, readValues } from '../../core/readback.js';
import { essFromLogWeights, logSumExp64, weightsFromLogWeights } from '../../core/logspace.js';
import { split, type Key } from '../../core/random.js';
import { checkChoice, checkInteger, checkOptions, invalidOption } from '../../core/validate.js';
import type { Target } from '../../targets/target.js';
import { gatherRows, resample, RESAMPLING_SCHEMES, type ResamplingScheme } from '../smc/resampling.js';
import { drawWithLogDensity, type ProposalWithLogDensity } from './flowProposals.js';
import { checkTarget } from './neutra.js';

export interface NeuralIsOptions {
  /** N, the number of proposals (an integer >= 1). */
  numSamples: number;
  /** M, the number of resampled particles (an integer >= 0; default N; 0: no resampling). */
  numResampled?: number;
  /** Default 'multinomial'. */
  resampling?: ResamplingScheme;
}

export interface Estimate {
  /** One value per output column of f. */
  value: Float64Array;
  /** Delta-method Monte Carlo standard errors. */
  standardError: Float64Array;
}

export interface NeuralIsResult {
  /** The N proposals [N, d] (owned by the result: `dispose()` frees them). */
  particles: tf.Tensor2D;
  /** log w_i = log pi(x_i) - log lambda(x_i), float64 (unnormalised; -Infinity for a zero weight). */
  logWeights: Float64Array;
  /** Normalised weights wbar_i (sum 1), float64. */
  weights: Float64Array;
  /** 1 / sum wbar_i^2, in [1, N]. */
  ess: number;
  /** log Z^ (see the header) and its delta-method standard error. */
  logZ: number;
  logZStandardError: number;
  /** Weighted mean and variance of each coordinate (float64). */
  mean: Float64Array;
  variance: Float64Array;
  /** sum_i wbar_i f(x_i) for f: [N, d] -> [N] or [N, k] (evaluated once, read back once). */
  expectation(f: (x: tf.Tensor2D) => tf.Tensor): Promise<Estimate>;
  /** M particles resampled by the weights [M, d] (owned by the result), and their indices into `particles`. */
  resampled: tf.Tensor2D | null;
  ancestors: Int32Array;
  dispose(): void;
}

/** Weighted mean and delta-method SE of the columns of a row-major [N, k] array. */
function weightedEstimate(values: ArrayLike<number>, weights: Float64Array, k: number): Estimate {
  const n = weights.length;
  const value = new Float64Array(k);
  const standardError = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) value[j] += weights[i] * values[i * k + j];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) standardError[j] += (weights[i] * (values[i * k + j] - value[j])) ** 2;
  }
  for (let j = 0; j < k; j++) standardError[j] = Math.sqrt(standardError[j]);
  return { value, standardError };
}

/** Neural importance sampling of `target` with `proposal` (see the file header). */
export async function neuralImportanceSampling(
  key: Key,
  target: Target,
  proposal: ProposalWithLogDensity,
  options: NeuralIsOptions,
): Promise<NeuralIsResult> {
  const where = 'neuralImportanceSampling';
  checkTarget(where, target);
  if (proposal == null || typeof proposal.sample !== 'function' || typeof proposal.logDensity !== 'function') {
    invalidOption(where, 'proposal', proposal, 'an object { sample(key, n), logDensity(x), sampleWithLogDensity?(key, n) }');
  }
  const opts = checkOptions<NeuralIsOptions>(where, options, ['numSamples', 'numResampled', 'resampling']);
  const n = checkInteger(where, 'numSamples', opts.numSamples, 1);
  const m = checkInteger(where, 'numResampled', opts.numResampled ?? n, 0);
  const scheme = checkChoice<ResamplingScheme>(where, 'resampling', opts.resampling ?? 'multinomial', RESAMPLING_SCHEMES);
  const logZProposal = proposal.logZ ?? 0;
  if (typeof logZProposal !== 'number' || !Number.isFinite(logZProposal)) {
    invalidOption(where, 'proposal.logZ', logZProposal, 'a finite number (0 for a normalised proposal) or absent');
  }
  const d = target.dim;
  const [kDraw, kResample] = split(key, 2);

  const { x: particles, logDensity: logProposal } = drawWithLogDensity(where, proposal, kDraw, n, d);
  const logTarget = tf.tidy(() => target.logDensity(particles));
  const [pi, lambda, xs] = await readAll([logTarget, logProposal, particles]); // one round trip
  tf.dispose([logTarget, logProposal]);

  const logWeights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const l = pi[i] - lambda[i];
    // NaN (e.g. -inf - -inf) or +Infinity weights would poison every estimate: they count as zero weights.
    logWeights[i] = Number.isNaN(l) || l === Infinity ? -Infinity : l;
  }
  if (logSumExp64(logWeights) === -Infinity) {
    particles.dispose();
    throw new Error(`${where}: every importance weight is zero or invalid (log pi - log lambda is -Infinity or NaN for all ${n} proposals), expected a proposal that overlaps the target`);
  }
  const weights = weightsFromLogWeights(logWeights);
  const ess = essFromLogWeights(logWeights);
  const moments = weightedEstimate(xs, weights, d);
  const variance = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) variance[j] += weights[i] * (xs[i * d + j] - moments.value[j]) ** 2;

  let ancestors = new Int32Array(0);
  let resampled: tf.Tensor2D | null = null;
  if (m > 0) {
    ancestors = resample(kResample, weights, scheme, m);
    resampled = gatherRows(particles, ancestors);
  }
  return {
    particles,
    logWeights,
    weights,
    ess,
    logZ: logSumExp64(logWeights) - Math.log(n) + logZProposal,
    logZStandardError: n > 1 ? Math.sqrt(Math.max(0, n / ess - 1) / (n - 1)) : NaN,
    mean: moments.value,
    variance,
    async expectation(f: (x: tf.Tensor2D) => tf.Tensor): Promise<Estimate> {
      if (typeof f !== 'function') invalidOption(`${where}.expectation`, 'f', f, 'a function x [N, d] -> [N] or [N, k]');
      const values = tf.tidy(() => f(particles));
      const ok = values instanceof tf.Tensor && (values.rank === 1 || values.rank === 2) && values.shape[0] === n;
      if (!ok) {
        if (values instanceof tf.Tensor) values.dispose();
        invalidOption(`${where}.expectation`, 'f(x)', values, `a tensor of shape [${n}] or [${n}, k]`);
      }
      const k = values.rank === 2 ? values.shape[1]! : 1;
      const data = await readValues(values);
      values.dispose();
      return weightedEstimate(data, weights, k);
    },
    resampled,
    ancestors,
    dispose(): void {
      tf.dispose([particles, ...(resampled ? [resampled] : [])]);
    },
  };
}
