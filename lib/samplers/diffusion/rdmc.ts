/**
 * Reverse diffusion Monte Carlo (RDMC; Huang, Dong, Hao, Ma & Zhang, "Reverse Diffusion Monte Carlo", ICLR 2024,
 * arXiv 2307.02037), re-implemented from the paper (the SLIPS reference file `rdmc.py` evaluates the target at the
 * conditioning point and mixes t with T - t: slips-lrds-amcbg.md section 1.7). A SLIPS baseline.
 *
 * Forward process: the Ornstein-Uhlenbeck SDE dX = -X dt + sqrt(2) dB, X_0 ~ pi, so that
 *   X_t = a_t X_0 + sqrt(v_t) Z,   a_t = e^{-t},   v_t = 1 - e^{-2t},
 * and p_t = law(X_t). Time reversal (Y_s = X_{T-s}):  dY = (Y + 2 grad log p_{T-s}(Y)) ds + sqrt(2) dB.
 *
 * Score as a posterior mean (the paper's key identity, Tweedie):
 *   grad log p_t(y) = (a_t E[X_0 | X_t = y] - y) / v_t,
 *   q_t(x | y) ∝ pi(x) N(y; a_t x, v_t I) = pi(x) N(x; y / a_t, (e^{2t} - 1) I)      (up to a constant in x),
 *   grad_x log q_t(x | y) = grad log pi(x) + a_t (y - a_t x) / v_t.
 * The target is evaluated at the posterior variable x, never at the conditioning point y. This is SLIPS's
 * localization posterior with a = a_t, v = v_t: both use ./observationPosterior.ts (the posterior, Tweedie, and the
 * MCMC posterior mean below).
 *
 * The posterior mean is estimated per particle by
 *   - 'importance': self-normalised importance sampling with proposals x_i ~ N(y / a_t, (e^{2t} - 1) I) and
 *     weights ∝ pi(x_i) (target densities only, no gradients);
 *   - 'mcmc' (default): `numChains` MALA chains per particle on q_t(. | y), started from a draw of that importance
 *     approximation (`numProposals` proposals; the SLIPS benchmark's "IS warm start", 128) or from the previous
 *     call's last iterates (`chainStart: 'previous'`), `numMcmcSteps` steps with SLIPS's per-chain step-size rule
 *     (lib/samplers/mcmc/stepSizeAdaptation.ts), the mean over the last round(keepFraction · numMcmcSteps) iterates
 *     of all the particle's chains: SLIPS's estimator (`posteriorMeanEstimator`) with RDMC's settings. The chain
 *     state is re-evaluated for each new posterior (new y, new t), never reused.
 *
 * Discretisation (exponential integrator of the paper: the score frozen over each step, the linear part exact):
 * forward times t_0 = T > t_1 > ... > t_K = endTime on a uniform grid, eta_k = t_k - t_{k+1},
 *   Y_{k+1} = e^{eta_k} Y_k + 2 (e^{eta_k} - 1) s_k(Y_k) + sqrt(e^{2 eta_k} - 1) xi_k,   s_k ≈ grad log p_{t_k}.
 * The score is only ever estimated at t_k >= t_{K-1} > 0, where the posterior is not degenerate.
 *
 * Initialisation at the terminal time T (the paper initialises from an approximation of p_T, which for moderate
 * T is close to log-concave): Y ~ N(a_T m0, (a_T^2 s0^2 + v_T) I), i.e. p_T if pi were N(m0, s0^2 I)
 * (`initialMean`, `initialScale`), then `numInitSteps` unadjusted Langevin steps on p_T with the estimated score
 * (`unadjustedLangevin`, ../mcmc/langevin.ts, shared with SLIPS's initialisation), step h = v_T / 2 by default
 * (the analogue of SLIPS's sigma^2 t0 / 2: half the noise variance of p_T). Or pass exact samples of p_T as
 * `initialParticles` (then no Langevin steps by default).
 *
 * Budget (per particle): every score estimate costs, with 'mcmc', numChains (numMcmcSteps + 1) target gradient
 * evaluations (+ numChains numWarmupSteps on the first estimate; the + 1 is the gradient at the chain start, which
 * belongs to the new posterior) and numProposals density evaluations when the chains start from importance draws;
 * with 'importance', numProposals density evaluations. There are numInitSteps + numSteps estimates; with a given
 * `score`, each is one model score evaluation per particle and no target evaluation. `rdmcBudget` returns these
 * counts as a `SamplerCost` (../particleSampler.ts: totals over the N particles; `costPerParticle` divides) without
 * running anything; the run reports the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { throwIfAborted } from '../../core/abort.js';
import { finiteOr, logSumExp } from '../../core/ops.js';
import { yieldToEventLoop } from '../../core/progress.js';
import { categorical, foldIn, normal, split, type Key } from '../../core/random.js';
import { checkChoice, checkInteger, checkNumber, checkNumberArray, checkOptions, invalidOption, verbatim } from '../../core/validate.js';
import { checkFinite, checkPositions, type Target } from '../../targets/target.js';
import { unadjustedLangevin } from '../mcmc/langevin.js';
import { zeroCost, type SamplerCost } from '../particleSampler.js';
import {
  checkPosteriorMeanOptions,
  checkTarget,
  posteriorMeanEstimator,
  tweedieScore,
  type CheckedPosteriorMeanOptions,
} from './observationPosterior.js';

// ---------------------------------------------------------------------------------------------------------------
// Types

/** An exact (or learned) score: grad log p_t(y) at OU time t, y [n, d] -> [n, d]. */
export type ScoreFunction = (y: tf.Tensor2D, t: number) => tf.Tensor2D;

export type RdmcScoreMethod = 'mcmc' | 'importance';

export interface RdmcEstimatorOptions {
  /** 'mcmc' (MALA on the posterior, default) or 'importance' (self-normalised IS only). */
  method?: RdmcScoreMethod;
  /** Importance proposals per particle: the estimate ('importance') or the chain starts ('mcmc'). Default 128. */
  numProposals?: number;
  /** 'mcmc': chains per particle. Default 4. */
  numChains?: number;
  /** 'mcmc': MALA steps per score estimate. Default 32. */
  numMcmcSteps?: number;
  /** 'mcmc': fraction of the last iterates averaged (at least one iterate). Default 0.5. */
  keepFraction?: number;
  /** 'mcmc': extra MALA steps (not averaged) on the first estimate only, to adapt the step sizes. Default 64. */
  numWarmupSteps?: number;
  /** 'mcmc': where the chains start at each estimate: 'importance' (a draw from the IS approximation, default) or
   *  'previous' (the previous estimate's last iterates; importance draws on the first estimate only). */
  chainStart?: 'importance' | 'previous';
  /** 'mcmc': initial MALA step size of every chain (adapted per chain, SLIPS rule, then kept). Default 0.01. */
  initialStepSize?: number;
}

export interface RdmcOptions {
  /** Number of particles N. */
  numParticles: number;
  /** Terminal OU time T > 0. Default -log(0.8) (the SLIPS benchmark grid: -log{0.95, 0.9, 0.8, 0.7}). */
  terminalTime?: number;
  /** Reverse steps K. Default 128. */
  numSteps?: number;
  /** Final OU time (early stopping), in [0, T). Default 0: the output approximates pi itself. */
  endTime?: number;
  /** Use this score instead of estimating it (perfect-score ablations and tests; no target evaluations). */
  score?: ScoreFunction;
  /** The score estimator (ignored when `score` is given). */
  estimator?: RdmcEstimatorOptions;
  /** Samples of p_T [N, d] to start from (instead of the Gaussian draw + Langevin steps). */
  initialParticles?: tf.Tensor2D;
  /** Mean m0 of the Gaussian guess N(m0, s0^2 I) for pi behind the initial draw (d numbers). Default 0. */
  initialMean?: number[];
  /** Scale s0 of that guess. Default 1. */
  initialScale?: number;
  /** Unadjusted Langevin steps on p_T after the initial draw. Default 16 (0 when initialParticles is given). */
  numInitSteps?: number;
  /** Their step size. Default v_T / 2 = (1 - e^{-2T}) / 2. */
  initStepSize?: number;
  /** Called after every Langevin initialisation step and every reverse step. */
  onProgress?: (progress: RdmcProgress) => void;
  /** Checked after every step; aborting throws an AbortError. */
  signal?: AbortSignal;
}

export interface RdmcProgress {
  phase: 'init' | 'reverse';
  /** Steps done in this phase. */
  step: number;
  numSteps: number;
  /** OU time of the score estimate just used. */
  time: number;
  /** Mean MALA acceptance of that estimate (NaN without MCMC). */
  acceptanceRate: number;
  elapsedMs: number;
}

export interface RdmcBudget {
  /** Number of score estimates: numInitSteps + numSteps. */
  scoreEstimates: number;
  /**
   * What the run evaluates, totals over the N particles: target gradient evaluations (MALA chains), target
   * density-only evaluations (importance proposals); with a given `score`, model score evaluations only.
   */
  cost: SamplerCost;
}

export interface RdmcResult {
  /** Y_K [N, d]: approximate samples of p_{endTime} (of pi when endTime = 0); the caller owns them. */
  samples: tf.Tensor2D;
  /** The reverse grid t_0 = T > ... > t_K = endTime (OU times). */
  times: Float64Array;
  /** Mean MALA acceptance per score estimate, Langevin initialisation first (NaN without MCMC). */
  acceptanceRate: Float64Array;
  budget: RdmcBudget;
}

// ---------------------------------------------------------------------------------------------------------------
// The OU posterior

/** a_t = e^{-t} and v_t = 1 - e^{-2t} (expm1: accurate at small t). */
function ouCoefficients(t: number): { a: number; v: number } {
  return { a: Math.exp(-t), v: -Math.expm1(-2 * t) };
}

// ---------------------------------------------------------------------------------------------------------------
// Options

const ESTIMATOR_OPTIONS = [
  'method', 'numProposals', 'numChains', 'numMcmcSteps', 'keepFraction', 'numWarmupSteps', 'chainStart', 'initialStepSize',
] as const;

const RDMC_OPTIONS = [
  'numParticles', 'terminalTime', 'numSteps', 'endTime', 'score', 'estimator', 'initialParticles', 'initialMean',
  'initialScale', 'numInitSteps', 'initStepSize', 'onProgress', 'signal',
] as const;

interface CheckedEstimator {
  method: RdmcScoreMethod;
  numProposals: number;
  chainStart: 'importance' | 'previous';
  /** The MCMC posterior mean's settings (./observationPosterior.ts). */
  chains: CheckedPosteriorMeanOptions;
}

function checkEstimatorOptions(where: string, options: unknown): CheckedEstimator {
  const o = checkOptions<RdmcEstimatorOptions>(where, options, ESTIMATOR_OPTIONS);
  const method = checkChoice(where, 'estimator.method', o.method ?? 'mcmc', ['mcmc', 'importance'] as const);
  const numProposals = checkInteger(where, 'estimator.numProposals', o.numProposals ?? 128, method === 'importance' ? 1 : 0);
  const chainStart = checkChoice(where, 'estimator.chainStart', o.chainStart ?? 'importance', ['importance', 'previous'] as const);
  const chains = checkPosteriorMeanOptions(where, {
    numChains: o.numChains,
    numMcmcSteps: o.numMcmcSteps,
    keepFraction: o.keepFraction,
    keptRounding: 'nearest',
    numWarmupSteps: o.numWarmupSteps ?? 64,
    initialStepSize: o.initialStepSize ?? 0.01,
    warmStart: chainStart === 'previous',
  }, 'estimator.');
  return { method, numProposals, chainStart, chains };
}

interface CheckedRdmc {
  numParticles: number;
  terminalTime: number;
  numSteps: number;
  endTime: number;
  score?: ScoreFunction;
  estimator: CheckedEstimator;
  initialParticles?: tf.Tensor2D;
  initialMean?: number[];
  initialScale: number;
  numInitSteps: number;
  initStepSize: number;
  onProgress?: (progress: RdmcProgress) => void;
  signal?: AbortSignal;
}

function checkRdmcOptions(where: string, options: unknown, dim: number | undefined): CheckedRdmc {
  if (options === undefined) invalidOption(where, 'options', options, 'an options object with at least numParticles');
  const o = checkOptions<RdmcOptions>(where, options, RDMC_OPTIONS);
  const numParticles = checkInteger(where, 'numParticles', o.numParticles);
  const terminalTime = checkNumber(where, 'terminalTime', o.terminalTime ?? -Math.log(0.8), 'positive');
  const numSteps = checkInteger(where, 'numSteps', o.numSteps ?? 128);
  const endTime = o.endTime ?? 0;
  if (typeof endTime !== 'number' || !(endTime >= 0 && endTime < terminalTime)) {
    invalidOption(where, 'endTime', endTime, `a number in [0, terminalTime) = [0, ${terminalTime})`);
  }
  if (o.score !== undefined && typeof o.score !== 'function') {
    invalidOption(where, 'score', o.score, 'a function (y [n, d], t) => grad log p_t(y) [n, d]');
  }
  const estimator = checkEstimatorOptions(where, o.estimator);
  if (o.initialParticles !== undefined) {
    if (dim !== undefined) checkPositions(where, o.initialParticles, dim, 'initialParticles');
    else if (!(o.initialParticles instanceof tf.Tensor)) invalidOption(where, 'initialParticles', o.initialParticles, 'a tf.Tensor [numParticles, d]');
    if (o.initialParticles.shape[0] !== numParticles) {
      invalidOption(where, 'initialParticles', `a tensor of shape [${o.initialParticles.shape.join(', ')}]`, `numParticles = ${numParticles} rows`, verbatim);
    }
  }
  const initialMean = o.initialMean === undefined ? undefined : checkNumberArray(where, 'initialMean', o.initialMean, dim === undefined ? {} : { length: dim });
  const initialScale = checkNumber(where, 'initialScale', o.initialScale ?? 1, 'positive');
  const numInitSteps = checkInteger(where, 'numInitSteps', o.numInitSteps ?? (o.initialParticles ? 0 : 16), 0);
  const initStepSize = checkNumber(where, 'initStepSize', o.initStepSize ?? ouCoefficients(terminalTime).v / 2, 'positive');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') invalidOption(where, 'onProgress', o.onProgress, 'a function');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) invalidOption(where, 'signal', o.signal, 'an AbortSignal');
  return {
    numParticles, terminalTime, numSteps, endTime, score: o.score, estimator, initialParticles: o.initialParticles,
    initialMean, initialScale, numInitSteps, initStepSize, onProgress: o.onProgress, signal: o.signal,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Budget

/** Target evaluations per particle of the k-th score estimate (k = 0 is the first). */
function estimateCost(e: CheckedEstimator, k: number): { gradients: number; densities: number } {
  if (e.method === 'importance') return { gradients: 0, densities: e.numProposals };
  const { numChains, numMcmcSteps, numWarmupSteps } = e.chains;
  const warmup = k === 0 ? numWarmupSteps : 0;
  const importanceStart = e.numProposals > 0 && (e.chainStart === 'importance' || k === 0);
  return { gradients: numChains * (numMcmcSteps + 1 + warmup), densities: importanceStart ? e.numProposals : 0 };
}

function budgetOf(o: CheckedRdmc): RdmcBudget {
  const scoreEstimates = o.numInitSteps + o.numSteps;
  let gradients = 0;
  let densities = 0;
  if (!o.score) {
    for (let k = 0; k < scoreEstimates; k++) {
      const c = estimateCost(o.estimator, k);
      gradients += c.gradients;
      densities += c.densities;
    }
  }
  const n = o.numParticles;
  return {
    scoreEstimates,
    cost: {
      ...zeroCost(),
      gradientEvaluations: gradients * n,
      densityEvaluations: densities * n,
      modelScoreEvaluations: o.score ? scoreEstimates * n : 0,
    },
  };
}

/** The evaluations an `rdmc` run with these options will make, totals over particles (file comment); runs nothing. */
export function rdmcBudget(options: RdmcOptions): RdmcBudget {
  return budgetOf(checkRdmcOptions('rdmcBudget', options, options?.initialMean?.length));
}

// ---------------------------------------------------------------------------------------------------------------
// Score estimation

export interface RdmcScoreEstimate {
  /** Estimated grad log p_t(y), [n, d]. */
  score: tf.Tensor2D;
  /** Estimated posterior mean E[X_0 | X_t = y], [n, d]. */
  posteriorMean: tf.Tensor2D;
  /** Mean MALA acceptance over chains and steps (a scalar tensor), or null without MCMC. */
  acceptanceRate: tf.Scalar | null;
}

export interface RdmcScoreEstimator {
  /** Estimate the score at OU time t > 0 for y [numParticles, d]; the caller owns the returned tensors. */
  estimate(key: Key, y: tf.Tensor2D, t: number): RdmcScoreEstimate;
  /** Number of estimates made so far (the first one runs the warm-up steps). */
  readonly calls: number;
  /** Per-chain MALA step sizes [numChains * numParticles] (chain c of particle i is row c N + i), or null. */
  readonly stepSizes: tf.Tensor1D | null;
  /** Free the persistent tensors (step sizes, last iterates). */
  dispose(): void;
}

/** Largest number of proposal coordinates held at once by the importance step (memory bound, 16 MiB float32). */
const MAX_PROPOSAL_ELEMENTS = 2 ** 22;

/**
 * Importance step for all particles, in blocks of particles: proposals x ~ N(y / a, (e^{2t} - 1) I), log-weights
 * log pi(x). Returns the self-normalised mean [N, d] and/or `numDraws` draws per particle from the weighted
 * proposals, as [numDraws * N, d] with draw c of particle i at row c N + i.
 */
function importanceStep(
  target: Target,
  key: Key,
  y: tf.Tensor2D,
  t: number,
  numProposals: number,
  numDraws: number,
  wantMean: boolean,
): { mean: tf.Tensor2D | null; draws: tf.Tensor2D | null } {
  const [n, d] = y.shape;
  const { a } = ouCoefficients(t);
  const proposalStd = Math.sqrt(Math.expm1(2 * t)); // sqrt(v) / a
  const blockSize = Math.max(1, Math.min(n, Math.floor(MAX_PROPOSAL_ELEMENTS / (numProposals * d))));
  const means: tf.Tensor2D[] = [];
  const draws: tf.Tensor3D[] = [];
  for (let start = 0, block = 0; start < n; start += blockSize, block++) {
    const b = Math.min(blockSize, n - start);
    const [proposalKey, drawKey] = split(foldIn(key, block), 2);
    const out = tf.tidy((): { mean?: tf.Tensor2D; drawn?: tf.Tensor3D } => {
      const centre = tf.div(tf.slice(y, [start, 0], [b, d]), a); // [b, d]
      // Proposal p of particle i at row p b + i.
      const z = normal(proposalKey, [numProposals, b, d]);
      const x3 = tf.add(tf.expandDims(centre, 0), tf.mul(proposalStd, z)) as tf.Tensor3D; // [P, b, d]
      const x = tf.reshape(x3, [numProposals * b, d]) as tf.Tensor2D;
      const logW = finiteOr(tf.reshape(target.logDensity(x), [numProposals, b]), -1e30); // [P, b]
      const logits = tf.transpose(logW) as tf.Tensor2D; // [b, P]
      let mean: tf.Tensor2D | undefined;
      if (wantMean) {
        const w = tf.exp(tf.sub(logW, logSumExp(logW, 0, true))); // softmax over proposals, [P, b]
        mean = tf.sum(tf.mul(x3, tf.expandDims(w, 2)), 0) as tf.Tensor2D;
      }
      let drawn: tf.Tensor3D | undefined;
      if (numDraws > 0) {
        const chosen = categorical(drawKey, tf.tile(logits, [numDraws, 1])); // [numDraws b], row c b + i
        const blockRows = tf.scalar(b, 'int32');
        const particle = tf.mod(tf.range(0, numDraws * b, 1, 'int32'), blockRows);
        const rows = tf.add(tf.mul(chosen, blockRows), particle);
        drawn = tf.reshape(tf.gather(x, rows), [numDraws, b, d]) as tf.Tensor3D;
      }
      return { mean, drawn };
    });
    if (out.mean) means.push(out.mean);
    if (out.drawn) draws.push(out.drawn);
  }
  const concatOwned = <T extends tf.Tensor>(parts: T[], axis: number): T => {
    if (parts.length === 1) return parts[0];
    const joined = tf.concat(parts, axis) as T;
    tf.dispose(parts);
    return joined;
  };
  const mean = means.length > 0 ? concatOwned(means, 0) : null;
  let flat: tf.Tensor2D | null = null;
  if (draws.length > 0) {
    const all = concatOwned(draws, 1); // [numDraws, N, d]
    flat = tf.reshape(all, [numDraws * n, d]) as tf.Tensor2D;
    all.dispose();
  }
  return { mean, draws: flat };
}

/**
 * The RDMC score estimator for `numParticles` particles (see the file comment): the posterior mean by the shared
 * MCMC estimator (`posteriorMeanEstimator`, chains started from importance draws) or by importance sampling, then
 * Tweedie. It keeps the per-chain MALA step sizes (and, with chainStart 'previous', the last iterates) from one
 * estimate to the next.
 */
export function rdmcScoreEstimator(target: Target, numParticles: number, options: RdmcEstimatorOptions = {}): RdmcScoreEstimator {
  const where = 'rdmcScoreEstimator';
  checkTarget(where, target);
  const n = checkInteger(where, 'numParticles', numParticles);
  const e = checkEstimatorOptions(where, options);
  const d = target.dim;
  const chains = e.method === 'mcmc' ? posteriorMeanEstimator(target, e.chains, where) : null;
  let calls = 0;

  const estimateByMcmc = (key: Key, y: tf.Tensor2D, t: number): RdmcScoreEstimate => {
    const { a, v } = ouCoefficients(t);
    const [startKey, chainKey] = split(key, 2);
    // Chain starts [C N, d] when the chains do not continue: a draw from the importance approximation (or y / a).
    const importanceStart = e.numProposals > 0
      ? () => importanceStep(target, startKey, y, t, e.numProposals, e.chains.numChains, false).draws!
      : undefined;
    const { mean, acceptanceRate, warmupAcceptanceRate } = chains!.estimate(chainKey, y, a, v, importanceStart);
    warmupAcceptanceRate?.dispose();
    return { posteriorMean: mean, score: tweedieScore(mean, y, a, v), acceptanceRate };
  };

  const estimateByImportance = (key: Key, y: tf.Tensor2D, t: number): RdmcScoreEstimate => {
    const { a, v } = ouCoefficients(t);
    const posteriorMean = importanceStep(target, key, y, t, e.numProposals, 0, true).mean!;
    return { posteriorMean, score: tweedieScore(posteriorMean, y, a, v), acceptanceRate: null };
  };

  return {
    estimate(key: Key, y: tf.Tensor2D, t: number): RdmcScoreEstimate {
      const fn = `${where}.estimate`;
      checkPositions(fn, y, d, 'y');
      if (y.shape[0] !== n) invalidOption(fn, 'y', `a tensor with ${y.shape[0]} rows`, `numParticles = ${n} rows`, verbatim);
      checkNumber(fn, 't', t, 'positive');
      const result = e.method === 'mcmc' ? estimateByMcmc(key, y, t) : estimateByImportance(key, y, t);
      calls++;
      return result;
    },
    get calls() {
      return calls;
    },
    get stepSizes() {
      return chains?.stepSizes ?? null;
    },
    dispose() {
      chains?.dispose();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The sampler

/** RDMC from `target` (see the file comment). */
export async function rdmc(key: Key, target: Target, options: RdmcOptions): Promise<RdmcResult> {
  const where = 'rdmc';
  checkTarget(where, target);
  const d = target.dim;
  const o = checkRdmcOptions(where, options, d);
  const n = o.numParticles;
  const T = o.terminalTime;
  const K = o.numSteps;
  const times = Float64Array.from({ length: K + 1 }, (_, k) => (k === K ? o.endTime : T - ((T - o.endTime) * k) / K));
  const budget = budgetOf(o);
  const acceptanceRate = new Float64Array(o.numInitSteps + K).fill(NaN);
  const [initKey, langevinKey, reverseKey] = split(key, 3);
  const estimator = o.score ? null : rdmcScoreEstimator(target, n, options.estimator);
  const started = Date.now();

  let checkedScoreShape = false;
  /** The score at (y, t) and the acceptance of its estimate (one read-back per step). */
  const scoreAt = async (k: Key, y: tf.Tensor2D, t: number, index: number): Promise<tf.Tensor2D> => {
    if (o.score) {
      const s = tf.tidy(() => o.score!(y, t));
      if (!checkedScoreShape) {
        if (!(s instanceof tf.Tensor) || s.rank !== 2 || s.shape[0] !== n || s.shape[1] !== d) {
          if (s instanceof tf.Tensor) s.dispose();
          invalidOption(where, 'score', s instanceof tf.Tensor ? `a function returning shape [${s.shape.join(', ')}]` : 'a function not returning a tensor', `grad log p_t(y) of shape [${n}, ${d}]`, verbatim);
        }
        checkedScoreShape = true;
      }
      return s;
    }
    const est = estimator!.estimate(k, y, t);
    est.posteriorMean.dispose();
    if (est.acceptanceRate) {
      acceptanceRate[index] = (await est.acceptanceRate.data())[0];
      est.acceptanceRate.dispose();
    }
    return est.score;
  };

  const report = async (phase: 'init' | 'reverse', step: number, numSteps: number, time: number, index: number) => {
    o.onProgress?.({ phase, step, numSteps, time, acceptanceRate: acceptanceRate[index], elapsedMs: Date.now() - started });
    await yieldToEventLoop();
    throwIfAborted(o.signal, where, ` in the ${phase} phase after ${step} of ${numSteps} steps`);
  };

  let y: tf.Tensor2D;
  if (o.initialParticles) {
    await checkFinite(where, o.initialParticles, 'initialParticles');
    y = tf.clone(o.initialParticles);
  } else {
    // p_T of the Gaussian guess N(m0, s0^2 I): N(a_T m0, (a_T^2 s0^2 + v_T) I).
    const { a, v } = ouCoefficients(T);
    const std = Math.sqrt(a * a * o.initialScale * o.initialScale + v);
    y = tf.tidy(() => {
      const z = tf.mul(std, normal(initKey, [n, d]));
      return (o.initialMean ? tf.add(z, tf.mul(a, tf.tensor1d(o.initialMean))) : z) as tf.Tensor2D;
    });
  }
  try {
    // Langevin initialisation on p_T: Y <- Y + h s_T(Y) + sqrt(2 h) xi.
    const start = y;
    y = await unadjustedLangevin(langevinKey, start, {
      numSteps: o.numInitSteps,
      stepSize: o.initStepSize,
      noise: 'product',
      score: (scoreKey, current, j) => scoreAt(scoreKey, current, T, j),
      afterStep: (j) => report('init', j + 1, o.numInitSteps, T, j),
    });
    // Reverse steps (exponential integrator).
    for (let k = 0; k < K; k++) {
      const t = times[k];
      const eta = times[k] - times[k + 1];
      const [scoreKey, noiseKey] = split(foldIn(reverseKey, k), 2);
      const index = o.numInitSteps + k;
      const s = await scoreAt(scoreKey, y, t, index);
      const next = tf.tidy(() => {
        const drift = tf.add(tf.mul(Math.exp(eta), y), tf.mul(2 * Math.expm1(eta), s));
        return tf.add(drift, tf.mul(Math.sqrt(Math.expm1(2 * eta)), normal(noiseKey, [n, d]))) as tf.Tensor2D;
      });
      tf.dispose([y, s]);
      y = next;
      await report('reverse', k + 1, K, t, index);
    }
  } catch (err) {
    y.dispose();
    estimator?.dispose();
    throw err;
  }
  estimator?.dispose();
  return { samples: y, times, acceptanceRate, budget };
}
