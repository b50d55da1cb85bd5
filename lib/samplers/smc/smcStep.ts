/**
 * One SMC step, shared by `smc`, `ais` (smc without resampling) and the annealed MC of `amc` (BlackJAX
 * `smc/base.py` is the model: a step is reweight -> resample -> move, with the weighting and the move supplied by
 * the sampler). The sampler computes the level's incremental log-weights (tempering: (β_k − β_{k−1}) ℓ(x); aMC:
 * the proposal's weight), then `smcStep`:
 *   1. adds them to the log-weights (float64; NaN and ±Infinity increments are zero weights, counted);
 *   2. updates log Ẑ_k = log Ẑ_base + logsumexp(log w) − log N and the ESS;
 *   3. resamples when ESS / N < resampleThreshold, ties included (1: every level, 0: never = AIS), tracking each particle's
 *      ancestor at the start (its "Eve", for the standard error of log Ẑ);
 *   4. moves the particles with `numSteps` steps of an MCMC kernel built for the level's density (a fresh state:
 *      log-density and gradient of that density), optionally adapting a shared step size between levels.
 * The keys come from the sampler, so that each sampler keeps its own random stream.
 *
 * Read-backs per level: the kernel's initial check (one), the acceptance sum (one, with the log-density when
 * asked). The weights live on the host; resampling uploads the ancestor indices.
 */
import * as tf from '@tensorflow/tfjs';
import { essFromLogWeights, logSumExp64, normaliseLogWeights, weightsFromLogWeights } from '../../core/logspace.js';
import { advance, disposeReplaced } from '../../core/memory.js';
import { foldIn, type Key } from '../../core/random.js';
import { readAll } from '../../core/readback.js';
import type { ChainState, Kernel } from '../mcmc/kernel.js';
import { gatherRows, resample, type ResamplingScheme } from './resampling.js';

/** Relative margin under which an ESS counts as at the resampling threshold (and resamples). */
const RESAMPLE_TIE = 1e-9;

/** What a run of SMC steps returns (smc, ais, amc): the weighted final population and its evidence. */
export interface SmcPopulation {
  /** Final particles [N, d]; the caller owns them. */
  particles: tf.Tensor2D;
  /** Normalised log-weights (float64, logsumexp = 0). */
  logWeights: Float64Array;
  /** Log-weights accumulated since the last resampling (for AIS: the full AIS log-weights). */
  unnormalisedLogWeights: Float64Array;
  /** Estimate of log ∫ γ, the target's unnormalised density. */
  logZ: number;
  /** Its standard error from this one run (Lee & Whiteley's estimator over the particles' genealogy, below). */
  logZStandardError: number;
  /** Final ESS (Kish) of the weights. */
  ess: number;
}

/** What SMC carries between levels: particles on the device, their log-weights on the host (float64). */
export interface SmcState {
  particles: tf.Tensor2D;
  /** Log-weights accumulated since the last resampling. */
  logWeights: Float64Array;
  /** log Ẑ at the last resampling (at the start: the reference's log normaliser). */
  logZBase: number;
  /** Each particle's ancestor among the initial particles. */
  eve: Int32Array;
  /** Resampling events so far. */
  numResamplings: number;
}

/** The state at the start: uniform weights, every particle its own ancestor. */
export function initialSmcState(particles: tf.Tensor2D, logZBase: number): SmcState {
  const n = particles.shape[0];
  return { particles, logWeights: new Float64Array(n), logZBase, eve: Int32Array.from({ length: n }, (_, i) => i), numResamplings: 0 };
}

export interface SmcMove<S extends ChainState, P> {
  key: Key;
  /** A kernel for the level's density. */
  kernel: Kernel<S, P>;
  params: P;
  numSteps: number;
  /** Also read the final log-density of the level's density (aMC caches it). */
  readLogDensity?: boolean;
}

export interface SmcStepOptions<S extends ChainState, P> {
  /** This level's incremental log-weights, one per particle. */
  increments: ArrayLike<number>;
  resampleKey: Key;
  resampleThreshold: number;
  resampling: ResamplingScheme;
  move?: SmcMove<S, P>;
  /** The error when every weight is zero (names the sampler and the level). */
  zeroWeightMessage: () => string;
  /** Prefix for errors raised by the kernel during the move (names the sampler and the level). */
  where: string;
}

export interface SmcStepInfo {
  /** Running estimate of log Z of this level's density. */
  logZ: number;
  /** ESS after reweighting, before resampling. */
  ess: number;
  resampled: boolean;
  /** The ancestors when resampled (to permute per-particle values the sampler keeps), else null. */
  ancestors: Int32Array | null;
  /** Increments that were not finite (zero weight); mean, variance and max |.| of the finite ones. */
  numInvalid: number;
  incrementMean: number;
  incrementVariance: number;
  maxAbsIncrement: number;
  /** Mean acceptance of the move over particles and steps (NaN without a move). */
  acceptanceRate: number;
  /** The level density at the moved particles (when `readLogDensity`), else null. */
  logDensity: Float64Array | null;
}

/** Steps 1-4 of the file comment. Consumes `state.particles`; the new state owns its particles. */
export async function smcStep<S extends ChainState, P>(
  state: SmcState,
  options: SmcStepOptions<S, P>,
): Promise<{ state: SmcState; info: SmcStepInfo }> {
  const { increments } = options;
  const n = state.logWeights.length;
  let logW = state.logWeights;
  // 1. Reweight.
  let numInvalid = 0;
  let sum = 0;
  let sumSq = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const w = increments[i];
    if (!Number.isFinite(w)) {
      logW[i] = -Infinity;
      numInvalid++;
      continue;
    }
    sum += w;
    sumSq += w * w;
    maxAbs = Math.max(maxAbs, Math.abs(w));
    logW[i] += w;
  }
  const finite = n - numInvalid;
  const incrementMean = finite > 0 ? sum / finite : NaN;
  const incrementVariance = finite > 1 ? (sumSq - finite * incrementMean * incrementMean) / (finite - 1) : NaN;
  // 2. Evidence and ESS.
  const logZ = state.logZBase + logSumExp64(logW) - Math.log(n);
  if (!Number.isFinite(logZ)) throw new Error(options.zeroWeightMessage());
  const ess = essFromLogWeights(logW);
  // 3. Resample.
  let particles = state.particles;
  let { logZBase, eve, numResamplings } = state;
  let ancestors: Int32Array | null = null;
  // Ties resample: adaptive tempering puts the ESS exactly at essFraction N, and with essFraction equal to the
  // threshold (both 0.5 by default) float rounding alone decided, differently on wasm and webgpu.
  if (options.resampleThreshold >= 1 || ess / n < options.resampleThreshold * (1 + RESAMPLE_TIE)) {
    ancestors = resample(options.resampleKey, weightsFromLogWeights(logW), options.resampling);
    const gathered = gatherRows(particles, ancestors);
    particles.dispose();
    particles = gathered;
    eve = Int32Array.from(ancestors, (a) => eve[a]);
    logZBase = logZ;
    logW = new Float64Array(n);
    numResamplings++;
  }
  // 4. Move.
  let acceptanceRate = NaN;
  let logDensity: Float64Array | null = null;
  if (options.move && options.move.numSteps > 0) {
    const moved = await moveParticles(options.where, options.move, particles);
    particles = moved.positions;
    acceptanceRate = moved.acceptanceRate;
    logDensity = moved.logDensity;
  }
  return {
    state: { particles, logWeights: logW, logZBase, eve, numResamplings },
    info: {
      logZ, ess, resampled: ancestors !== null, ancestors, numInvalid, incrementMean, incrementVariance,
      maxAbsIncrement: maxAbs, acceptanceRate, logDensity,
    },
  };
}

type Carry<S> = { state: S; acceptanceSum: tf.Scalar };

/**
 * `numSteps` kernel steps from positions x (consumed), the state initialised afresh for the kernel's density.
 * Returns the new positions, the mean acceptance and (when asked) the final log-density, in one read-back.
 */
export async function moveParticles<S extends ChainState, P>(
  where: string,
  move: SmcMove<S, P>,
  x: tf.Tensor2D,
): Promise<{ positions: tf.Tensor2D; acceptanceRate: number; logDensity: Float64Array | null }> {
  const { kernel, key, params, numSteps } = move;
  let initial: S;
  try {
    initial = await kernel.init(x);
  } catch (err) {
    // A particle with a NaN or +Infinity density has no business here: name the sampler and the level.
    x.dispose();
    throw new Error(`${where}: the move's kernel could not start: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  disposeReplaced(x, initial);
  let carry: Carry<S> = { state: initial, acceptanceSum: tf.scalar(0) };
  for (let j = 0; j < numSteps; j++) {
    try {
      carry = advance(carry as unknown as tf.TensorContainer, (c) => {
        const { state, acceptanceSum } = c as unknown as Carry<S>;
        const out = kernel.step(foldIn(key, j), state, params);
        return { state: out.state, acceptanceSum: tf.add(acceptanceSum, tf.mean(out.info.acceptanceRate)) } as unknown as tf.TensorContainer;
      }) as unknown as Carry<S>;
    } catch (err) {
      // An error inside the kernel (bad params, a target failing at the tempered density) names the sampler, the
      // level and the move step, not only the kernel.
      tf.dispose(carry as unknown as tf.TensorContainer);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${where}: the move's kernel ${kernel.name} failed at MCMC step ${j + 1} of ${numSteps}: ${message}`, { cause: err });
    }
  }
  const { position, logDensity } = carry.state;
  const [acceptanceSum, values] = await readAll(move.readLogDensity ? [carry.acceptanceSum, logDensity] : [carry.acceptanceSum]);
  disposeReplaced(carry, position);
  return {
    positions: position,
    acceptanceRate: acceptanceSum[0] / numSteps,
    logDensity: move.readLogDensity ? Float64Array.from(values) : null,
  };
}

/**
 * Standard error of log Ẑ from one run (Lee & Whiteley 2018, "Variance estimation in the particle filter",
 * Biometrika, the estimator V̂ of their Theorem 1 for the relative variance): with normalised final weights W_i,
 * Eve indices E_i and m resampling events,
 *   var(Ẑ) / Ẑ² ≈ 1 − (N / (N − 1))^{m+1} · Σ_{i,j: E_i ≠ E_j} W_i W_j = 1 − (N/(N−1))^{m+1} (1 − Σ_e (Σ_{E_i = e} W_i)²),
 * and se(log Ẑ) ≈ sqrt(var(Ẑ) / Ẑ²) (delta method). Without resampling (AIS, importance sampling) this is
 * (N / ESS − 1) / (N − 1). The estimator is unbiased for multinomial resampling at fixed times; with systematic
 * resampling and adaptive times it is the usual approximation, and it can come out negative (reported as NaN).
 * When every particle descends from one Eve it gives 1: the run cannot tell its own error (a degenerate run).
 */
export function logZStandardError(logWeights: Float64Array, eve: Int32Array, numResamplings: number): number {
  const n = logWeights.length;
  if (n < 2) return NaN;
  const w = normaliseLogWeights(logWeights).logWeights;
  const perEve = new Map<number, number>();
  for (let i = 0; i < n; i++) perEve.set(eve[i], (perEve.get(eve[i]) ?? 0) + Math.exp(w[i]));
  let sumSquares = 0;
  for (const s of perEve.values()) sumSquares += s * s;
  const relativeVariance = 1 - Math.pow(n / (n - 1), numResamplings + 1) * (1 - sumSquares);
  return relativeVariance > 0 ? Math.sqrt(relativeVariance) : NaN;
}
