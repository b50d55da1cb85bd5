/**
 * Sequential Monte Carlo sampler along the geometric tempering path π_β ∝ π₀^{1−β} γ^β (Feynman-Kac form;
 * Del Moral, Doucet & Jasra 2006; SLIPS spec sections 1.7 and 4.4), over any MCMC kernel factory.
 *
 * At each level k (β_{k−1} -> β_k):
 *   1. reweight BEFORE moving: log w_i += (β_k − β_{k−1}) ℓ(x_i), ℓ = log γ − log π₀ at the current particles;
 *   2. log Ẑ_k = log Ẑ_{k−1} + log Σ_i W̄_i w_i (all in float64 on the JS side, DESIGN.md trap 6);
 *   3. resample (systematic by default) when ESS / N < resampleThreshold (1 = at every level, 0 = never, i.e. AIS);
 *   4. build the kernel for the NEW density π_{β_k} and re-initialise the chain state from the positions, so
 *      the log-density and gradient are those of π_{β_k} (the SLIPS reference code reuses a gradient computed
 *      for the wrong density, spec section 1.7), then run `numMcmcSteps` steps (π_{β_k}-invariant: weights unchanged);
 *   5. optionally adapt a shared step size from the level's mean acceptance.
 * The returned logZ estimates log ∫ γ; it uses `reference.logZ` (the log normaliser of exp(reference.logDensity)).
 */
import * as tf from '@tensorflow/tfjs';
import { throwIfAborted } from '../../core/abort.js';
import { essFromLogWeights, summariseLogWeights } from '../../core/logspace.js';
import { foldIn, split, type Key } from '../../core/random.js';
import { checkInteger, checkInterval, checkNumber, invalidOption, showJson } from '../../core/validate.js';
import { checkTarget, type Target } from '../../targets/target.js';
import type { ChainState, Kernel } from '../mcmc/kernel.js';
import { adaptStepSizeBetweenLevels, type StepSizeAdaptation } from '../mcmc/stepSizeAdaptation.js';
import { yieldToEventLoop } from '../runChain.js';
import { RESAMPLING_SCHEMES, type ResamplingScheme } from './resampling.js';
import { initialSmcState, logZStandardError, smcStep, type SmcPopulation } from './smcStep.js';
import { lowEssWarnings } from '../particleSampler.js';
import { checkSchedule, logDensityRatio, nextTemperature, temperedTarget } from './tempering.js';
import type { Weights } from './weights.js';

export interface SmcOptions<S extends ChainState, P extends object> {
  /** π₀: exact `sample`, and `logZ` = log ∫ exp(logDensity) (0 for a normalised density). */
  reference: Target;
  /** γ: the unnormalised target. */
  target: Target;
  /** Builds an MCMC kernel for a given (tempered) target, e.g. `(t) => mala(t)`. */
  kernel: (target: Target) => Kernel<S, P>;
  /**
   * Kernel params at the first level (e.g. { stepSize: 0.1 }); stepSize is adapted when adaptStepSize is set.
   * Per-chain tensor params are passed through as given: resampling does not permute them.
   */
  params: P;
  numParticles: number;
  /** Kernel steps per level (after reweighting and resampling). Default 10. */
  numMcmcSteps?: number;
  /** Fixed temperatures from 0 to 1 (strictly increasing), or 'adaptive' (default). */
  schedule?: Weights | 'adaptive';
  /** Adaptive schedule: conditional ESS kept at this fraction of N at each level. Default 0.5. */
  essFraction?: number;
  /** Adaptive schedule: error if 1 is not reached within this many levels. Default 1000. */
  maxLevels?: number;
  /** Resample when ESS / N < threshold; 1 resamples at every level, 0 never. Default 0.5. */
  resampleThreshold?: number;
  /** Default 'systematic'. */
  resampling?: ResamplingScheme;
  /** Adapt a shared numeric `params.stepSize` between levels. Default: no adaptation. */
  adaptStepSize?: StepSizeAdaptation;
  /** Called after each level. */
  onLevel?: (level: LevelDiagnostics) => void;
  /** Checked between levels; aborting throws an AbortError (no partial result: the particles are mid-path). */
  signal?: AbortSignal;
}

export interface LevelDiagnostics {
  level: number;
  beta: number;
  /** ESS of the weights after reweighting, before resampling. */
  ess: number;
  /** ess / N. */
  essFraction: number;
  resampled: boolean;
  /** Mean acceptance over particles and over the level's kernel steps (NaN when numMcmcSteps = 0). */
  acceptanceRate: number;
  /** The step size used at this level (undefined when params has no numeric stepSize). */
  stepSize: number | undefined;
  /** Running estimate of log Z(π_{β_k}) (of exp(log π_β) with the reference's normaliser). */
  logZ: number;
}

export interface SmcResult<P> extends SmcPopulation {
  betas: Float64Array;
  levels: LevelDiagnostics[];
  /** Params after adaptation (the last level's). */
  params: P;
  /** What a user should know about this run (a final ESS too low for a reliable log Z). */
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Options

interface CheckedSmc<S extends ChainState, P extends object> {
  reference: Target;
  target: Target;
  kernel: (target: Target) => Kernel<S, P>;
  params: P;
  numParticles: number;
  numMcmcSteps: number;
  schedule: Float64Array | 'adaptive';
  essFraction: number;
  maxLevels: number;
  resampleThreshold: number;
  resampling: ResamplingScheme;
  adaptStepSize: Required<StepSizeAdaptation> | undefined;
  onLevel?: (level: LevelDiagnostics) => void;
  signal?: AbortSignal;
}

function checkSmcOptions<S extends ChainState, P extends object>(where: string, o: SmcOptions<S, P>): CheckedSmc<S, P> {
  if (o == null || typeof o !== 'object') invalidOption(where, 'options', o, 'an options object');
  const { reference, target } = o;
  checkTarget(where, target);
  if (reference == null || typeof reference.logDensity !== 'function' || typeof reference.sample !== 'function') {
    invalidOption(where, 'reference', reference?.name ?? reference, 'a Target with logDensity and an exact sample(key, n) (the initial distribution π₀)');
  }
  if (typeof reference.logZ !== 'number' || !Number.isFinite(reference.logZ)) {
    invalidOption(where, 'reference.logZ', reference.logZ, 'a finite number: the log normaliser of the reference (0 for a normalised density)');
  }
  if (reference.dim !== target.dim) invalidOption(where, 'reference.dim', reference.dim, `the target's dim, ${target.dim}`);
  if (typeof o.kernel !== 'function') invalidOption(where, 'kernel', o.kernel, 'a kernel factory (target) => Kernel, e.g. (t) => mala(t)');
  if (o.params == null || typeof o.params !== 'object') invalidOption(where, 'params', o.params, 'kernel params, e.g. { stepSize: 0.1 }');
  const numParticles = checkInteger(where, 'numParticles', o.numParticles);
  const numMcmcSteps = checkInteger(where, 'numMcmcSteps', o.numMcmcSteps ?? 10, 0);
  const resampleThreshold = o.resampleThreshold ?? 0.5;
  if (typeof resampleThreshold !== 'number' || !(resampleThreshold >= 0 && resampleThreshold <= 1)) {
    invalidOption(where, 'resampleThreshold', resampleThreshold, 'a number in [0, 1] (ESS / N below which to resample; 1 = every level, 0 = never)');
  }
  const resampling = o.resampling ?? 'systematic';
  if (!RESAMPLING_SCHEMES.includes(resampling)) invalidOption(where, 'resampling', resampling, `one of ${RESAMPLING_SCHEMES.join(', ')}`);
  const essFraction = checkInterval(where, 'essFraction', o.essFraction ?? 0.5, '(0, 1)');
  const maxLevels = checkInteger(where, 'maxLevels', o.maxLevels ?? 1000);
  const rawSchedule = o.schedule ?? 'adaptive';
  let schedule: Float64Array | 'adaptive';
  if (rawSchedule === 'adaptive') schedule = 'adaptive';
  else if (Array.isArray(rawSchedule) || rawSchedule instanceof Float64Array) schedule = checkSchedule(where, rawSchedule);
  else invalidOption(where, 'schedule', rawSchedule, "an array of temperatures from 0 to 1, or 'adaptive'");
  let adaptStepSize: Required<StepSizeAdaptation> | undefined;
  if (o.adaptStepSize !== undefined) {
    const a = o.adaptStepSize;
    if (a == null || typeof a.targetAcceptance !== 'number' || !(a.targetAcceptance > 0 && a.targetAcceptance < 1)) {
      invalidOption(where, 'adaptStepSize.targetAcceptance', a?.targetAcceptance, 'a number in (0, 1)');
    }
    const rate = checkNumber(where, 'adaptStepSize.rate', a.rate ?? 1, 'positive');
    const minStepSize = a.minStepSize ?? 0;
    const maxStepSize = a.maxStepSize ?? Infinity;
    if (!(minStepSize >= 0 && maxStepSize > minStepSize)) {
      invalidOption(where, 'adaptStepSize.maxStepSize', maxStepSize, `a number > minStepSize = ${minStepSize} >= 0`);
    }
    const stepSize = (o.params as { stepSize?: unknown }).stepSize;
    if (typeof stepSize !== 'number' || !(stepSize > 0) || !Number.isFinite(stepSize)) {
      invalidOption(where, 'params.stepSize', stepSize, 'a finite number > 0 when adaptStepSize is set (a shared step size)', showJson);
    }
    adaptStepSize = { targetAcceptance: a.targetAcceptance, rate, minStepSize, maxStepSize };
  }
  return {
    reference, target, kernel: o.kernel, params: o.params, numParticles, numMcmcSteps, schedule, essFraction, maxLevels,
    resampleThreshold, resampling, adaptStepSize, onLevel: o.onLevel, signal: o.signal,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The sampler

/** SMC along the geometric path from `reference` to `target`; see the file comment. */
export async function smc<S extends ChainState, P extends object>(key: Key, options: SmcOptions<S, P>): Promise<SmcResult<P>> {
  return runSmc('smc', key, options);
}

/** The loop behind `smc` and `ais` (`where` names the public entry point in error messages). */
export async function runSmc<S extends ChainState, P extends object>(
  where: string,
  key: Key,
  options: SmcOptions<S, P>,
): Promise<SmcResult<P>> {
  const o = checkSmcOptions(where, options);
  const n = o.numParticles;
  const [initKey, levelsKey] = split(key, 2);
  let params: P = { ...o.params };
  let x = tf.tidy(() => o.reference.sample!(initKey, n));
  if (x.rank !== 2 || x.shape[0] !== n || x.shape[1] !== o.target.dim) {
    const shape = x.shape.join(', ');
    x.dispose();
    invalidOption(where, 'reference.sample', `a tensor of shape [${shape}]`, `[numParticles, dim] = [${n}, ${o.target.dim}]`);
  }
  let state = initialSmcState(x, o.reference.logZ!);
  try {
    const betas: number[] = [0];
    const levels: LevelDiagnostics[] = [];
    let logRatio = await logDensityRatio(o.reference, o.target, state.particles);
    for (let k = 1; betas[k - 1] < 1; k++) {
      if (k > (o.schedule === 'adaptive' ? o.maxLevels : o.schedule.length - 1)) {
        invalidOption(where, 'maxLevels', o.maxLevels, `enough levels to reach beta = 1 (stopped at beta = ${betas[k - 1]}); raise maxLevels or essFraction`);
      }
      const previous = betas[k - 1];
      const beta = o.schedule === 'adaptive'
        ? nextTemperature(previous, logRatio, state.logWeights, { essFraction: o.essFraction })
        : o.schedule[k];
      betas.push(beta);
      // Reweight before moving (the evidence increment is the weighted mean of the incremental weights), resample,
      // then move with a kernel built for π_{β_k}: a fresh state, log-density and gradient of the new density.
      const delta = beta - previous;
      const [resampleKey, moveKey] = split(foldIn(levelsKey, k), 2);
      const stepSize = typeof (params as { stepSize?: unknown }).stepSize === 'number' ? ((params as { stepSize?: number }).stepSize) : undefined;
      const out = await smcStep(state, {
        increments: Float64Array.from(logRatio, (l) => delta * l),
        resampleKey,
        resampleThreshold: o.resampleThreshold,
        resampling: o.resampling,
        move: { key: moveKey, kernel: o.kernel(temperedTarget(o.reference, o.target, beta)), params, numSteps: o.numMcmcSteps },
        zeroWeightMessage: () => `${where}: every particle has zero weight at level ${k} (beta = ${beta}); the reference does not cover the target or the target log-density is -Infinity/NaN there`,
        where: `${where}: level ${k} (beta = ${beta})`,
      });
      state = out.state;
      const { logZ, ess, resampled, acceptanceRate } = out.info;
      if (beta < 1) logRatio = await logDensityRatio(o.reference, o.target, state.particles);
      // Adapt the shared step size for the next level.
      if (o.adaptStepSize && stepSize !== undefined && Number.isFinite(acceptanceRate)) {
        params = { ...params, stepSize: adaptStepSizeBetweenLevels(stepSize, acceptanceRate, o.adaptStepSize) };
      }
      const diagnostics: LevelDiagnostics = {
        level: k, beta, ess, essFraction: ess / n, resampled, acceptanceRate, stepSize, logZ,
      };
      levels.push(diagnostics);
      o.onLevel?.(diagnostics);
      await yieldToEventLoop();
      throwIfAborted(o.signal, where, ` at level ${k} (beta = ${beta})`);
    }
    return {
      particles: state.particles,
      ...summariseLogWeights(state.logWeights, state.logZBase),
      logZStandardError: logZStandardError(state.logWeights, state.eve, state.numResamplings),
      betas: Float64Array.from(betas),
      levels,
      params,
      warnings: lowEssWarnings(where, essFromLogWeights(state.logWeights), n),
    };
  } catch (err) {
    if (!state.particles.isDisposed) state.particles.dispose();
    throw err;
  }
}
