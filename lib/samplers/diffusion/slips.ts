/**
 * SLIPS: Stochastic Localization via Iterative Posterior Sampling (Grenioux, Noble, Gabrié & Durmus, ICML 2024;
 * spec slips-lrds-amcbg.md sections 1.2-1.5 and 4.3; reference code h2o64/slips `sto_loc.py`, `mcmc.py`,
 * `integrators.py`, `experiments/benchmark_utils.py`).
 *
 * Observation process: Y_t = α(t) X + σ W_t, X ~ π, α(t) = √t g(t) (lib/diffusion/localizationSchedules.ts), so
 * Y_t = α(t) X + σ√t Z in law. It solves dY = α̇(t) u_t(Y) dt + σ dB with the denoiser u_t(y) = E[X | Y_t = y], and
 *   Tweedie:   ∇log p_t(y) = (α(t) u_t(y) − y) / (σ² t),
 *   posterior: q_t(x | y) ∝ π(x) exp(−|α(t) x − y|² / (2σ² t)).
 *
 * Algorithm (spec section 1.4), on the SNR-adapted grid t_0 = ε < ... < t_{K−1} = T − ε_end:
 *   1. Y ← α(t_0) m̂ + σ√t_0 ξ (or a given `initialY`);
 *   2. Langevin-within-Langevin: `numInitSteps` ULA steps on p_{t_0}, Y ← Y + h ∇̂log p_{t_0}(Y) + √(2h) ξ with
 *      h = σ² t_0 / 2 and ∇̂log p from the denoiser estimate by Tweedie;
 *   3. for k = 0 .. K−2: û = u(Y, t_k);  Y ← Y + (α(t_{k+1}) − α(t_k)) û + σ √(t_{k+1} − t_k) ξ
 *      (the exponential integrator: the drift is α̇ û, so freezing û over the step integrates α̇ exactly);
 *   4. X̂ = u(Y, t_{K−1}) (final denoising).
 *
 * The denoiser u is either exact (a function, e.g. the `noisedMixture(...).denoiser` of a Gaussian mixture with
 * a = α(t), s = σ√t) or the MCMC estimate of the paper (`createMcmcDenoiser`): MALA on q_t(· | y), `numChains`
 * chains per particle (y tiled, row c·N + i is chain c of particle i), `numMcmcSteps` steps per call, the mean of
 * the last `keepFraction` of the iterates over steps and chains; each call starts from the last iterate of the
 * previous one; the very first call first runs `adaptationMultiplier · numMcmcSteps` steps from x = y / α(t) to
 * adapt the step size. One step size per chain, starting at 1e-5, updated after every MALA step by the SLIPS rule
 * (×1.03 if the acceptance probability exceeds 0.76, ÷1.03 if below 0.74, capped at 1: `adaptStepSizePerChain`).
 * The posterior, Tweedie's formula and the MCMC posterior mean are shared with RDMC (./observationPosterior.ts);
 * the ULA loop of step 2 too (../mcmc/langevin.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { AbortError } from '../../core/abort.js';
import { yieldToEventLoop } from '../../core/progress.js';
import { readValues } from '../../core/readback.js';
import { foldIn, normal, split, type Key } from '../../core/random.js';
import { checkInteger, checkNumber, checkNumberArray, checkOptions, invalidOption, verbatim } from '../../core/validate.js';
import { geometricSchedule, snrTimeGrid, type LocalizationSchedule } from '../../diffusion/localizationSchedules.js';
import { checkFinite, checkPositions, type Target } from '../../targets/target.js';
import { unadjustedLangevin } from '../mcmc/langevin.js';
import { checkTarget, observationPosterior, posteriorMeanEstimator, tweedieScore } from './observationPosterior.js';

// ---------------------------------------------------------------------------------------------------------------
// σ rule

/**
 * The benchmark's σ rule (spec section 1.4, `benchmark_utils.run_algorithm`): σ² = (R / √d)² + τ², with R the
 * radius scale of the target (largest mode-centre norm for mixtures) and τ the within-mode standard deviation.
 */
export function slipsSigma(R: number, tau: number, dim: number): number {
  const fn = 'slipsSigma';
  checkNumber(fn, 'R', R, 'nonNegative');
  checkNumber(fn, 'tau', tau, 'nonNegative');
  checkInteger(fn, 'dim', dim, 1);
  if (R === 0 && tau === 0) invalidOption(fn, 'tau', tau, 'a number > 0 when R = 0 (σ would be 0)');
  return Math.sqrt((R * R) / dim + tau * tau);
}

// ---------------------------------------------------------------------------------------------------------------
// The posterior and its MCMC denoiser

/**
 * The localization posterior q_t(x | y) ∝ π(x) exp(−|a x − y|² / (2v)) with a = α(t), v = σ² t: the paper's name
 * for `observationPosterior` (./observationPosterior.ts), which it is.
 */
export const localizationPosterior = observationPosterior;

export interface McmcDenoiserOptions {
  /** Noise level σ > 0 of the observation process. */
  sigma: number;
  schedule: LocalizationSchedule;
  /** MALA steps per call, M (default 32). */
  numMcmcSteps?: number;
  /** Parallel chains per particle, N_c (default 4). */
  numChains?: number;
  /** Fraction of the last iterates kept for the mean, in (0, 1] (default 0.5: the last M/2). */
  keepFraction?: number;
  /** Initial per-chain MALA step size (default 1e-5). */
  initialStepSize?: number;
  /** The first call runs this many times M extra steps to adapt the step sizes (default 50). */
  adaptationMultiplier?: number;
}

/** What one denoiser call reports besides the estimate (all numbers read back once per call). */
export interface McmcDenoiserCall {
  /** û(y, t) = the mean of the kept iterates over steps and chains, [N, d]; the caller owns it. */
  mean: tf.Tensor2D;
  /** Mean MALA acceptance probability over the call's M steps and all chains. */
  acceptanceRate: number;
  /** Mean acceptance over the adaptation run (only on the first call, else NaN). */
  adaptationAcceptanceRate: number;
  /** Mean, min and max of the per-chain step sizes after the call. */
  meanStepSize: number;
  minStepSize: number;
  maxStepSize: number;
}

export interface McmcDenoiser {
  /** Estimate u_t(y) for y [N, d] (N fixed by the first call). */
  estimate(key: Key, y: tf.Tensor2D, t: number): Promise<McmcDenoiserCall>;
  /** The per-chain step sizes [numChains · N] (a copy), or null before the first call. */
  stepSizes(): Promise<Float32Array | null>;
  /** Total MALA steps run so far (adaptation included). */
  readonly totalMcmcSteps: number;
  /** Free the warm-start state. */
  dispose(): void;
}

function checkSchedule(fn: string, schedule: unknown): LocalizationSchedule {
  const s = schedule as LocalizationSchedule;
  if (s == null || typeof s !== 'object' || typeof s.alpha !== 'function' || typeof s.logSnr !== 'function') {
    invalidOption(fn, 'schedule', schedule, 'a LocalizationSchedule (geometricSchedule(), classicSchedule(), ...)');
  }
  return s;
}

const DENOISER_OPTIONS = ['sigma', 'schedule', 'numMcmcSteps', 'numChains', 'keepFraction', 'initialStepSize', 'adaptationMultiplier'] as const;

/**
 * The MCMC estimate of u_t(y) = E[X | Y_t = y] of the paper (`MCMCScoreEstimator`, estimator 'mc'; see the file
 * header): the shared `posteriorMeanEstimator` at a = α(t), v = σ² t, with SLIPS's settings (warm start from the
 * previous call's last iterates, int(keepFraction · M) kept iterates, adaptationMultiplier · M warm-up steps), and
 * the call's diagnostics read back once.
 */
export function createMcmcDenoiser(target: Target, options: McmcDenoiserOptions): McmcDenoiser {
  const fn = 'createMcmcDenoiser';
  checkTarget(fn, target);
  checkOptions(fn, options, DENOISER_OPTIONS);
  if (options == null) invalidOption(fn, 'options', options, 'an options object { sigma, schedule, ... }');
  const numMcmcSteps = checkInteger(fn, 'numMcmcSteps', options.numMcmcSteps ?? 32, 1);
  const sigma = checkNumber(fn, 'sigma', options.sigma, 'positive');
  const schedule = checkSchedule(fn, options.schedule);
  const adaptationMultiplier = checkInteger(fn, 'adaptationMultiplier', options.adaptationMultiplier ?? 50, 0);
  const chains = posteriorMeanEstimator(target, {
    numChains: options.numChains,
    numMcmcSteps,
    keepFraction: options.keepFraction,
    keptRounding: 'down', // the reference keeps int(0.5 M)
    numWarmupSteps: adaptationMultiplier * numMcmcSteps,
    initialStepSize: options.initialStepSize,
    warmStart: true,
  }, fn);

  return {
    get totalMcmcSteps() {
      return chains.totalMcmcSteps;
    },
    stepSizes: async () => (chains.stepSizes === null ? null : Float32Array.from(await readValues(chains.stepSizes))),
    dispose: () => chains.dispose(),
    async estimate(key: Key, y: tf.Tensor2D, t: number): Promise<McmcDenoiserCall> {
      const { mean, acceptanceRate, warmupAcceptanceRate } = chains.estimate(key, y, schedule.alpha(t), sigma * sigma * t);
      const stats = tf.tidy(() => {
        const h = chains.stepSizes!;
        return tf.stack([acceptanceRate, warmupAcceptanceRate ?? tf.scalar(NaN), tf.mean(h), tf.min(h), tf.max(h)]);
      });
      tf.dispose([acceptanceRate, warmupAcceptanceRate ?? []]);
      let values: Float32Array;
      try {
        values = (await stats.data()) as Float32Array;
      } catch (err) {
        mean.dispose();
        throw err;
      } finally {
        stats.dispose();
      }
      return {
        mean,
        acceptanceRate: values[0],
        adaptationAcceptanceRate: warmupAcceptanceRate ? values[1] : NaN,
        meanStepSize: values[2],
        minStepSize: values[3],
        maxStepSize: values[4],
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The sampler

/** An exact denoiser: (y [N, d], t) -> E[X | Y_t = y] [N, d]. Intermediates are freed; SLIPS disposes the result. */
export type Denoiser = (y: tf.Tensor2D, t: number) => tf.Tensor2D;

export interface SlipsProgress {
  /** 'init': a Langevin-within-Langevin step at t_0; 'integrate': an outer step; 'denoise': the final denoising. */
  phase: 'init' | 'integrate' | 'denoise';
  /** Steps done in this phase (1-based). */
  step: number;
  numSteps: number;
  /** The time of the denoiser call just made. */
  t: number;
  logSnr: number;
  /** Mean MALA acceptance of that call (NaN for an exact denoiser). */
  acceptanceRate: number;
  meanStepSize: number;
  elapsedMs: number;
}

export interface SlipsOptions {
  /** The target π (its `dim`, and for the MCMC denoiser its log-density and gradient). */
  target: Target;
  /** Noise level σ > 0 (see `slipsSigma`). */
  sigma: number;
  /** Start time t_0 = ε (the paper's key hyper-parameter), in (0, horizon − epsilonEnd). */
  epsilon: number;
  /** The schedule g (default geometricSchedule(), i.e. (T, a, b) = (1, 1, 1)). */
  schedule?: LocalizationSchedule;
  /** The grid ends at horizon − epsilonEnd. Default 6.62e-3 · T for finite-time schedules (spec 1.5), 0 otherwise. */
  epsilonEnd?: number;
  /** Required for infinite-time schedules (the paper uses T = 150 for classic); default tGen otherwise. */
  horizon?: number;
  /** N particles (default 8192, or the rows of initialY). */
  numParticles?: number;
  /** K grid points (default 1024): K − 1 outer steps. */
  numSteps?: number;
  /** 'mcmc' (default): the MCMC estimate; or an exact denoiser (y, t) -> E[X | Y_t = y]. */
  denoiser?: 'mcmc' | Denoiser;
  /** MCMC denoiser: MALA steps per call (default 32). */
  numMcmcSteps?: number;
  /** MCMC denoiser: chains per particle (default 4). */
  numChains?: number;
  /** MCMC denoiser: fraction of the last iterates kept (default 0.5). */
  keepFraction?: number;
  /** MCMC denoiser: initial per-chain step size (default 1e-5). */
  initialStepSize?: number;
  /** MCMC denoiser: the first call runs this many times numMcmcSteps extra steps (default 50). */
  adaptationMultiplier?: number;
  /** Langevin-within-Langevin steps at t_0 (default 10). */
  numInitSteps?: number;
  /** m̂, the estimate of the target mean used by the Gaussian initialisation (default 0). */
  targetMean?: readonly number[];
  /** Start from these Y_{t_0} [N, d] instead of the Gaussian draw (the Langevin steps still run). Not consumed. */
  initialY?: tf.Tensor2D;
  /** Called after every denoiser call (init steps, outer steps, final denoising). */
  onProgress?: (report: SlipsProgress) => void;
  /** Called with Y after the initialisation (k = 0) and after each outer step k (Y at t_k); valid during the call only. */
  onState?: (y: tf.Tensor2D, t: number, k: number) => void;
  /** Checked between denoiser calls; aborting throws an AbortError. */
  signal?: AbortSignal;
}

export interface SlipsDiagnostics {
  /** The grid t_0 .. t_{K−1}. */
  times: Float64Array;
  /** Mean MALA acceptance of the denoiser call at t_k, k = 0 .. K−1 (K−1: the final denoising); NaN if exact. */
  acceptanceRate: Float64Array;
  /** Per-chain step sizes after the call at t_k: mean, min and max over chains. */
  meanStepSize: Float64Array;
  minStepSize: Float64Array;
  maxStepSize: Float64Array;
  /** Mean acceptance of each Langevin-within-Langevin step's denoiser call. */
  initAcceptanceRate: Float64Array;
  /** Mean acceptance over the long first (adaptation) call; NaN for an exact denoiser. */
  adaptationAcceptanceRate: number;
  /** Final per-chain step sizes [numChains · N] (chain c of particle i at c·N + i); null for an exact denoiser. */
  stepSizes: Float32Array | null;
  /** Denoiser calls made (numInitSteps + K) and MALA steps run in total (adaptation included). */
  numDenoiserCalls: number;
  totalMcmcSteps: number;
}

export interface SlipsResult {
  /** X̂ = û(Y, t_{K−1}), [N, d]; the caller owns it. */
  samples: tf.Tensor2D;
  diagnostics: SlipsDiagnostics;
}

const SLIPS_OPTIONS = [
  'target', 'sigma', 'epsilon', 'schedule', 'epsilonEnd', 'horizon', 'numParticles', 'numSteps', 'denoiser',
  'numMcmcSteps', 'numChains', 'keepFraction', 'initialStepSize', 'adaptationMultiplier', 'numInitSteps',
  'targetMean', 'initialY', 'onProgress', 'onState', 'signal',
] as const;

interface CheckedSlips {
  target: Target;
  sigma: number;
  schedule: LocalizationSchedule;
  times: Float64Array;
  numParticles: number;
  denoiser: 'mcmc' | Denoiser;
  numInitSteps: number;
  targetMean: number[];
  initialY?: tf.Tensor2D;
}

/** Default ε_end of the finite-time schedules, relative to T: log g² ≈ 5 at the end for geometric (1, 1) (spec 1.5). */
const DEFAULT_EPSILON_END = 6.62e-3;

function checkSlipsOptions(fn: string, options: SlipsOptions): CheckedSlips {
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an options object { target, sigma, epsilon, ... }');
  checkOptions(fn, options, SLIPS_OPTIONS);
  const target = checkTarget(fn, options.target);
  const d = target.dim;
  const sigma = checkNumber(fn, 'sigma', options.sigma, 'positive');
  const schedule = checkSchedule(fn, options.schedule ?? geometricSchedule());
  const finite = Number.isFinite(schedule.tGen);
  let horizon: number;
  if (options.horizon === undefined) {
    if (!finite) invalidOption(fn, 'horizon', undefined, `a finite horizon T > 0 for the infinite-time schedule ${schedule.name} (the paper uses 150 for classic)`);
    horizon = schedule.tGen;
  } else {
    horizon = checkNumber(fn, 'horizon', options.horizon, 'positive');
    if (horizon > schedule.tGen) invalidOption(fn, 'horizon', horizon, `a number in (0, ${schedule.tGen}] (the schedule's tGen)`);
  }
  const epsilonEnd = checkNumber(fn, 'epsilonEnd', options.epsilonEnd ?? (horizon === schedule.tGen ? DEFAULT_EPSILON_END * horizon : 0), 'nonNegative');
  if (horizon === schedule.tGen && !(epsilonEnd > 0)) {
    invalidOption(fn, 'epsilonEnd', epsilonEnd, `a number in (0, ${horizon}) (g is infinite at T = ${horizon} for ${schedule.name})`);
  }
  if (!(epsilonEnd < horizon)) invalidOption(fn, 'epsilonEnd', epsilonEnd, `a number in [0, ${horizon}) (the grid ends at horizon − epsilonEnd)`);
  const end = horizon - epsilonEnd;
  const epsilon = options.epsilon;
  if (typeof epsilon !== 'number' || !(epsilon > 0 && epsilon < end)) {
    invalidOption(fn, 'epsilon', epsilon, `a start time in (0, ${end}) (= (0, T − epsilonEnd) with T = ${horizon}, epsilonEnd = ${epsilonEnd})`);
  }
  const numSteps = checkInteger(fn, 'numSteps', options.numSteps ?? 1024, 2);
  const times = snrTimeGrid(schedule, { epsilon, epsilonEnd, numSteps, horizon });
  const denoiser = options.denoiser ?? 'mcmc';
  if (denoiser !== 'mcmc' && typeof denoiser !== 'function') {
    invalidOption(fn, 'denoiser', denoiser, "'mcmc' or a function (y [N, d], t) -> E[X | Y_t = y] [N, d]");
  }
  const numInitSteps = checkInteger(fn, 'numInitSteps', options.numInitSteps ?? 10, 0);
  const targetMean = options.targetMean === undefined ? new Array<number>(d).fill(0) : checkNumberArray(fn, 'targetMean', options.targetMean, { length: d });
  let numParticles: number;
  const initialY = options.initialY;
  if (initialY !== undefined) {
    checkPositions(fn, initialY, d, 'initialY');
    if (initialY.shape[0] < 1) invalidOption(fn, 'initialY', initialY, `at least one row, shape [N >= 1, ${d}]`);
    numParticles = initialY.shape[0];
    if (options.numParticles !== undefined && options.numParticles !== numParticles) {
      invalidOption(fn, 'numParticles', options.numParticles, `${numParticles}, the number of rows of initialY (or leave it out)`);
    }
  } else {
    numParticles = checkInteger(fn, 'numParticles', options.numParticles ?? 8192, 1);
  }
  for (const name of ['onProgress', 'onState'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') invalidOption(fn, name, options[name], 'a function');
  }
  return { target, sigma, schedule, times, numParticles, denoiser, numInitSteps, targetMean, initialY };
}

function aborted(fn: string, where: string): Error {
  return new AbortError(`${fn}: aborted ${where}`);
}

/** The SLIPS sampler (see the file header); `key` fixes every random draw. */
export async function slips(key: Key, options: SlipsOptions): Promise<SlipsResult> {
  const fn = 'slips';
  const o = checkSlipsOptions(fn, options);
  if (o.initialY) await checkFinite(fn, o.initialY, 'initialY'); // the one value check (a read-back)
  const mcmc = o.denoiser === 'mcmc'
    ? createMcmcDenoiser(o.target, {
        sigma: o.sigma,
        schedule: o.schedule,
        numMcmcSteps: options.numMcmcSteps,
        numChains: options.numChains,
        keepFraction: options.keepFraction,
        initialStepSize: options.initialStepSize,
        adaptationMultiplier: options.adaptationMultiplier,
      })
    : null;
  const exact = o.denoiser === 'mcmc' ? null : o.denoiser;
  const { sigma, schedule, times, numParticles: n, numInitSteps } = o;
  const d = o.target.dim;
  const K = times.length;
  const t0 = times[0];
  const started = Date.now();
  const diagnostics: SlipsDiagnostics = {
    times,
    acceptanceRate: new Float64Array(K).fill(NaN),
    meanStepSize: new Float64Array(K).fill(NaN),
    minStepSize: new Float64Array(K).fill(NaN),
    maxStepSize: new Float64Array(K).fill(NaN),
    initAcceptanceRate: new Float64Array(numInitSteps).fill(NaN),
    adaptationAcceptanceRate: NaN,
    stepSizes: null,
    numDenoiserCalls: 0,
    totalMcmcSteps: 0,
  };

  /** û(y, t): the caller owns the result; the call's diagnostics are reported to `record`. */
  const denoise = async (callKey: Key, y: tf.Tensor2D, t: number, record: (call: Omit<McmcDenoiserCall, 'mean'>) => void) => {
    diagnostics.numDenoiserCalls++;
    if (mcmc) {
      const { mean, ...call } = await mcmc.estimate(callKey, y, t);
      if (Number.isFinite(call.adaptationAcceptanceRate)) diagnostics.adaptationAcceptanceRate = call.adaptationAcceptanceRate;
      record(call);
      return mean;
    }
    const u = tf.tidy(() => exact!(y, t));
    if (!(u instanceof tf.Tensor) || u.rank !== 2 || u.shape[0] !== n || u.shape[1] !== d) {
      if (u instanceof tf.Tensor) u.dispose();
      const found = u instanceof tf.Tensor ? `a function returning shape [${u.shape.join(', ')}]` : 'a function returning a non-tensor';
      invalidOption(fn, 'denoiser', found, `a function returning E[X | Y_t = y] of shape [${n}, ${d}]`, verbatim);
    }
    record({ acceptanceRate: NaN, adaptationAcceptanceRate: NaN, meanStepSize: NaN, minStepSize: NaN, maxStepSize: NaN });
    return u;
  };
  const report = (phase: SlipsProgress['phase'], step: number, numSteps: number, t: number, call: Omit<McmcDenoiserCall, 'mean'>) => {
    options.onProgress?.({
      phase, step, numSteps, t, logSnr: schedule.logSnr(t), acceptanceRate: call.acceptanceRate,
      meanStepSize: call.meanStepSize, elapsedMs: Date.now() - started,
    });
  };
  const checkAbort = async (where: string) => {
    await yieldToEventLoop();
    if (options.signal?.aborted) throw aborted(fn, where);
  };

  const [initKey, langevinKey, loopKey, finalKey] = split(key, 4);
  let y: tf.Tensor2D | null = null;
  try {
    // 1. Gaussian initialisation Y = α(t_0) m̂ + σ√t_0 ξ (reference `sample_y_init`).
    y = o.initialY
      ? tf.clone(o.initialY)
      : (tf.tidy(() => tf.add(tf.mul(schedule.alpha(t0), tf.tensor1d(o.targetMean)), normal(initKey, [n, d], 0, sigma * Math.sqrt(t0)))) as tf.Tensor2D);
    // 2. Langevin-within-Langevin: ULA on p_{t_0} with h = σ² t_0 / 2 and the Tweedie score (α û − y) / (σ² t_0).
    const a0 = schedule.alpha(t0);
    const v0 = sigma * sigma * t0;
    const start: tf.Tensor2D = y;
    y = null; // consumed by the loop
    y = await unadjustedLangevin(langevinKey, start, {
      numSteps: numInitSteps,
      stepSize: v0 / 2,
      noise: 'draw',
      score: async (denoiserKey, current, i) => {
        const u = await denoise(denoiserKey, current, t0, (call) => {
          diagnostics.initAcceptanceRate[i] = call.acceptanceRate;
          report('init', i + 1, numInitSteps, t0, call);
        });
        const score = tweedieScore(u, current, a0, v0);
        u.dispose();
        return score;
      },
      afterStep: (i) => checkAbort(`after Langevin initialisation step ${i + 1} of ${numInitSteps}`),
    });
    options.onState?.(y, t0, 0);
    // 3. Outer loop: the exponential-integrator step Y ← Y + (α(t_{k+1}) − α(t_k)) û + σ √(t_{k+1} − t_k) ξ.
    const record = (k: number, call: Omit<McmcDenoiserCall, 'mean'>) => {
      diagnostics.acceptanceRate[k] = call.acceptanceRate;
      diagnostics.meanStepSize[k] = call.meanStepSize;
      diagnostics.minStepSize[k] = call.minStepSize;
      diagnostics.maxStepSize[k] = call.maxStepSize;
    };
    for (let k = 0; k < K - 1; k++) {
      const [denoiserKey, noiseKey] = split(foldIn(loopKey, k), 2);
      const t = times[k];
      const tNext = times[k + 1];
      const u = await denoise(denoiserKey, y, t, (call) => {
        record(k, call);
        report('integrate', k + 1, K - 1, t, call);
      });
      const deltaAlpha = schedule.alpha(tNext) - schedule.alpha(t);
      const current: tf.Tensor2D = y;
      y = tf.tidy(() => tf.add(tf.add(current, tf.mul(deltaAlpha, u)), normal(noiseKey, [n, d], 0, sigma * Math.sqrt(tNext - t))) as tf.Tensor2D);
      u.dispose();
      current.dispose();
      options.onState?.(y, tNext, k + 1);
      await checkAbort(`after outer step ${k + 1} of ${K - 1} (t = ${tNext})`);
    }
    // 4. Final denoising X̂ = û(Y, t_{K−1}).
    const samples = await denoise(finalKey, y, times[K - 1], (call) => {
      record(K - 1, call);
      report('denoise', 1, 1, times[K - 1], call);
    });
    diagnostics.stepSizes = (await mcmc?.stepSizes()) ?? null;
    diagnostics.totalMcmcSteps = mcmc?.totalMcmcSteps ?? 0;
    return { samples, diagnostics };
  } finally {
    y?.dispose();
    mcmc?.dispose();
  }
}
