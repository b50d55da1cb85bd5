/**
 * Annealed Monte Carlo along a diffusion path: the diffusion-based annealed Boltzmann generator (DM-aMC-BG,
 * spec slips-lrds-amcbg.md sections 3.3-3.5 [recon] and 4.4). SMC from t_K = T down to t_0 = 0 through the
 * intermediate densities gamma_k = p_{t_k} of a diffusion model (its `logDensity`: the perfect model of a mixture or a
 * learned energy), with gamma_0 = the target pi (its own log-density) and gamma_K = the reference (the model's exact
 * p_T, or N(0, priorStd^2 I)).
 *
 * One sweep (k = K-1 down to 0; N particles, x_K ~ gamma_K, log-weights 0), spec 3.4:
 *   1. propose x_k ~ K_k(. | x_{k+1}) (amcKernels.ts: 'firstOrder', 'secondOrder', 'oracle'), or x_k = T_k(x_{k+1})
 *      ('transport'), or x_k = x_{k+1} ('mcmc', the annealed-MCMC baseline);
 *   2. incremental log-weight, float64 (spec 3.4 step 2):
 *        stochastic kernel with backward kernel L_k = F_k (forward noising):
 *          log w_k = log gamma_k(x_k) + log L_k(x_{k+1} | x_k) - log gamma_{k+1}(x_{k+1}) - log K_k(x_k | x_{k+1});
 *        deterministic map: log w_k = log gamma_k(T_k(x)) + log|det dT_k/dx| - log gamma_{k+1}(x);
 *        'mcmc' (AIS, spec 4.4): log w_k = log gamma_k(x) - log gamma_{k+1}(x), evaluated before moving;
 *   3. log Z_k = log Z_{k+1} + log sum_i W_i w_k^i (W normalised; spec 3.4 step 5);
 *   4. resample (systematic by default) when ESS / N < resampleThreshold (spec 3.4 step 3);
 *   5. optionally numMcmcSteps MALA steps invariant for gamma_k (spec 3.4 step 4), with a shared step size adapted
 *      between levels from the mean acceptance.
 * Normalising constants of the intermediate gamma_k cancel (each appears once up and once down), so only the
 * reference's normaliser enters: logZ estimates log int exp(target.logDensity).
 */
import * as tf from '@tensorflow/tfjs';
import { summariseLogWeights } from '../../core/logspace.js';
import { foldIn, normal, split, type Key } from '../../core/random.js';
import { readFloat64 } from '../../core/readback.js';
import { checkChoice, checkInteger, checkInterval, checkNumber, checkOptions, invalidOption } from '../../core/validate.js';
import { checkDiffusionModel, type DiffusionModel } from '../../diffusion/diffusionModel.js';
import { timeGrid, type GridSpacing } from '../../diffusion/schedule.js';
import type { Target } from '../../targets/target.js';
import { mala } from '../mcmc/mala.js';
import { adaptStepSizeBetweenLevels } from '../mcmc/stepSizeAdaptation.js';
import { zeroCost, type SamplerCost } from '../particleSampler.js';
import { yieldToEventLoop } from '../runChain.js';
import { RESAMPLING_SCHEMES, type ResamplingScheme } from '../smc/resampling.js';
import { initialSmcState, logZStandardError, smcStep, type SmcPopulation } from '../smc/smcStep.js';
import {
  AMC_KERNELS,
  gaussianProposal,
  oracleProposal,
  transportProposal,
  type AmcKernelKind,
  type LevelStep,
  type MixtureModel,
  type ProposalResult,
} from './amcKernels.js';

export { AMC_KERNELS, type AmcKernelKind } from './amcKernels.js';

export type AmcReference = 'model' | 'prior';

export interface AmcOptions {
  /** The diffusion model: score(x, t) and logDensity(x, t) (perfectModel or energyNetwork). */
  model: DiffusionModel;
  /** pi, the t = 0 density (evaluated by its own logDensity; gradient for MALA by autodiff when absent). */
  target: Target;
  /** 'firstOrder' | 'secondOrder' | 'transport' | 'oracle' | 'mcmc' (see amcKernels.ts). */
  kernel: AmcKernelKind;
  numParticles: number;
  /** Number of annealing levels K (default 64), unless `times` is given. */
  numLevels?: number;
  /** 'logSnr' (default: t_0 = 0, then t_1..t_K equally spaced in log-SNR from tMin to T) or 'uniform' in t. */
  spacing?: GridSpacing;
  /** t_1 for the 'logSnr' grid; default 1e-4 T. */
  tMin?: number;
  /** Explicit increasing times t_0 = 0 < ... < t_K = T (overrides numLevels / spacing). */
  times?: ArrayLike<number>;
  /**
   * gamma_K: 'model' = exact samples and log-density of the model at T (needs model.sample and a known normaliser:
   * a perfect model, whose normaliser is its mixture's logZ); 'prior' = N(0, priorStd^2 I).
   * Default 'model' when available, else 'prior'.
   */
  reference?: AmcReference;
  /** Resample when ESS / N < threshold (1: every level, 0: never = AIS). Default 0.5. */
  resampleThreshold?: number;
  /** Default 'systematic'. */
  resampling?: ResamplingScheme;
  /** MALA steps per level after resampling; default 0 (2 for kernel 'mcmc', which needs >= 1). */
  numMcmcSteps?: number;
  /** Initial MALA step size; default 0.01. */
  stepSize?: number;
  /** Adapt the MALA step size between levels toward this acceptance (0 = no adaptation); default 0.574. */
  targetAcceptance?: number;
  onLevel?: (level: AmcLevelDiagnostics) => void;
}

export interface AmcLevelDiagnostics {
  /** k: the level reached (t_k). */
  level: number;
  t: number;
  /** ESS of the weights after reweighting, before resampling, and ess / N. */
  ess: number;
  essFraction: number;
  /** Mean, variance and max |.| of the incremental log-weights of this level (finite ones). */
  incrementMean: number;
  incrementVariance: number;
  maxAbsIncrement: number;
  /** Particles whose incremental weight was not finite (counted as weight 0). */
  numInvalid: number;
  resampled: boolean;
  /** Running estimate of log Z_k = log int gamma_k (with the reference's normaliser). */
  logZ: number;
  /** Mean MALA acceptance (NaN without moves) and the step size used. */
  acceptanceRate: number;
  stepSize: number;
}


export interface AmcResult extends SmcPopulation {
  /**
   * How many of the N initial particles the final population descends from. The ESS counts weights only: with a
   * deterministic kernel ('transport') and no MCMC moves, resampled duplicates stay identical, so a population can
   * have an ESS near N and far fewer distinct particles.
   */
  distinctAncestors: number;
  times: Float64Array;
  /** One entry per level, from k = K-1 down to 0. */
  levels: AmcLevelDiagnostics[];
  /** Target and model evaluations, summed over particles (particleSampler.ts). */
  cost: SamplerCost;
}

interface CheckedAmc {
  model: DiffusionModel & { logDensity(x: tf.Tensor2D, t: number): tf.Tensor1D };
  target: Target;
  kernel: AmcKernelKind;
  numParticles: number;
  times: Float64Array;
  reference: AmcReference;
  referenceLogZ: number;
  resampleThreshold: number;
  resampling: ResamplingScheme;
  numMcmcSteps: number;
  stepSize: number;
  targetAcceptance: number;
  onLevel?: (level: AmcLevelDiagnostics) => void;
}

const FN = 'amc';

function checkAmcOptions(options: AmcOptions): CheckedAmc {
  const o = checkOptions<AmcOptions>(FN, options, [
    'model', 'target', 'kernel', 'numParticles', 'numLevels', 'spacing', 'tMin', 'times', 'reference', 'resampleThreshold',
    'resampling', 'numMcmcSteps', 'stepSize', 'targetAcceptance', 'onLevel',
  ]);
  const model = checkDiffusionModel(FN, o.model);
  if (typeof model.logDensity !== 'function') {
    invalidOption(FN, 'model', 'a model without logDensity', 'a diffusion model with logDensity(x, t) (perfectModel or energyNetwork): the intermediate densities gamma_k', (v) => String(v));
  }
  const target = o.target as Target;
  if (target == null || typeof target.logDensity !== 'function' || target.dim !== model.dim) {
    invalidOption(FN, 'target', target?.name ?? target, `a Target with logDensity and dim = model.dim = ${model.dim}`);
  }
  const kernel = checkChoice(FN, 'kernel', o.kernel, AMC_KERNELS);
  const hasLowRank = typeof (model as { hessianLowRank?: unknown }).hessianLowRank === 'function';
  if ((kernel === 'secondOrder' || kernel === 'transport') && !hasLowRank) {
    invalidOption(FN, 'kernel', kernel, `a first-order kernel ('firstOrder', 'mcmc'): "${kernel}" needs a model with hessianLowRank(x, t) (a perfect model of a diagonal mixture)`);
  }
  const mixture = (model as Partial<MixtureModel>).mixture;
  if (kernel === 'oracle' && (mixture == null || mixture.components?.kind !== 'diagonal')) {
    invalidOption(FN, 'kernel', kernel, "another kernel: 'oracle' needs a perfect model (perfectModel) of a mixture with isotropic or diagonal components");
  }
  const numParticles = checkInteger(FN, 'numParticles', o.numParticles, 2);
  const T = model.schedule.horizon;
  let times: Float64Array;
  if (o.times !== undefined) {
    const raw = o.times as ArrayLike<number>;
    if (raw == null || typeof raw.length !== 'number' || raw.length < 2) invalidOption(FN, 'times', raw, `an increasing array of >= 2 times from 0 to T = ${T}`);
    times = Float64Array.from(raw);
    const ok = times[0] === 0 && Math.abs(times[times.length - 1] - T) <= 1e-12 * T && times.every((t, i) => Number.isFinite(t) && (i === 0 || t > times[i - 1]));
    if (!ok) invalidOption(FN, 'times', o.times, `a strictly increasing array of times from 0 to T = ${T}`);
    times[times.length - 1] = T;
  } else {
    const numLevels = checkInteger(FN, 'numLevels', o.numLevels ?? 64, 1);
    const spacing = checkChoice(FN, 'spacing', o.spacing ?? 'logSnr', ['uniform', 'logSnr'] as const);
    if (spacing === 'uniform') {
      times = timeGrid(model.schedule, numLevels);
    } else {
      if (numLevels < 2) invalidOption(FN, 'numLevels', numLevels, "an integer >= 2 for spacing 'logSnr' (t_0 = 0, then a log-SNR grid from tMin to T)");
      const tMin = checkNumber(FN, 'tMin', o.tMin ?? 1e-4 * T, 'positive');
      if (!(tMin < T)) invalidOption(FN, 'tMin', tMin, `a time in (0, T = ${T})`);
      const grid = timeGrid(model.schedule, numLevels - 1, { spacing: 'logSnr', tStart: tMin });
      times = new Float64Array(numLevels + 1);
      times.set(grid, 1);
    }
  }
  const canUseModel = typeof (model as { sample?: unknown }).sample === 'function' && mixture != null;
  const reference = checkChoice(FN, 'reference', o.reference ?? (canUseModel ? 'model' : 'prior'), ['model', 'prior'] as const);
  if (reference === 'model' && !canUseModel) {
    invalidOption(FN, 'reference', reference, "'prior': 'model' needs exact samples of p_T with a known normaliser (a perfect model)");
  }
  const referenceLogZ = reference === 'model' ? (mixture as MixtureModel['mixture']).logZ : 0;
  const resampleThreshold = checkInterval(FN, 'resampleThreshold', o.resampleThreshold ?? 0.5, '[0, 1]');
  const resampling = checkChoice(FN, 'resampling', o.resampling ?? 'systematic', RESAMPLING_SCHEMES);
  const numMcmcSteps = checkInteger(FN, 'numMcmcSteps', o.numMcmcSteps ?? (kernel === 'mcmc' ? 2 : 0), kernel === 'mcmc' ? 1 : 0);
  const stepSize = checkNumber(FN, 'stepSize', o.stepSize ?? 0.01, 'positive');
  const targetAcceptance = checkInterval(FN, 'targetAcceptance', o.targetAcceptance ?? 0.574, '[0, 1)');
  if (o.onLevel !== undefined && typeof o.onLevel !== 'function') invalidOption(FN, 'onLevel', o.onLevel, 'a function (level) => void');
  return {
    model: model as CheckedAmc['model'], target, kernel, numParticles, times, reference, referenceLogZ, resampleThreshold,
    resampling, numMcmcSteps, stepSize, targetAcceptance, onLevel: o.onLevel,
  };
}


/** Annealed MC along the diffusion path of `options.model`; see the file comment. */
export async function amc(key: Key, options: AmcOptions): Promise<AmcResult> {
  const o = checkAmcOptions(options);
  const { model, target, times, numParticles: n } = o;
  const d = model.dim;
  const K = times.length - 1;
  const schedule = model.schedule;
  const cost = zeroCost();
  const priorStd = schedule.priorStd;

  /** The level-k density gamma_k as a Target (k = 0: pi; k = K with reference 'prior': the Gaussian prior). */
  const levelTarget = (k: number): Target => {
    if (k === 0) return target;
    if (k === K && o.reference === 'prior') {
      const c = -0.5 * d * Math.log(2 * Math.PI * priorStd * priorStd);
      return {
        name: 'amc-prior', dim: d,
        logDensity: (x) => tf.tidy(() => tf.add(tf.mul(tf.sum(tf.square(x), 1), -0.5 / (priorStd * priorStd)), c) as tf.Tensor1D),
        gradLogDensity: (x) => tf.mul(x, -1 / (priorStd * priorStd)) as tf.Tensor2D,
      };
    }
    const t = times[k];
    return { name: `amc-level-${k}`, dim: d, logDensity: (x) => model.logDensity(x, t), gradLogDensity: (x) => model.score(x, t) };
  };
  const countDensity = (k: number, withGrad: boolean) => {
    if (k === 0) {
      if (withGrad) cost.gradientEvaluations += n;
      else cost.densityEvaluations += n;
    } else if (!(k === K && o.reference === 'prior')) {
      cost.modelDensityEvaluations += n;
      if (withGrad) cost.modelScoreEvaluations += n;
    }
  };
  const logGamma = async (k: number, x: tf.Tensor2D) => {
    countDensity(k, false);
    const values = tf.tidy(() => levelTarget(k).logDensity(x));
    try {
      return await readFloat64(values);
    } finally {
      values.dispose();
    }
  };

  const [initKey, levelsKey] = split(key, 2);
  let x: tf.Tensor2D =
    o.reference === 'model'
      ? (model as unknown as { sample(k: Key, m: number, t: number): tf.Tensor2D }).sample(initKey, n, times[K])
      : (tf.tidy(() => normal(initKey, [n, d], 0, priorStd)) as tf.Tensor2D);
  let state = initialSmcState(x, o.referenceLogZ);
  try {
    let cached = await logGamma(K, state.particles); // log gamma_{k+1}(x) for the current particles
    let stepSize = o.stepSize;
    const adaptation = { targetAcceptance: o.targetAcceptance, rate: 1, minStepSize: 0, maxStepSize: Infinity };
    const levels: AmcLevelDiagnostics[] = [];
    for (let k = K - 1; k >= 0; k--) {
      const [proposeKey, resampleKey, moveKey] = split(foldIn(levelsKey, k), 3);
      const { scale: alpha, std } = schedule.transition(times[k], times[k + 1]);
      const step: LevelStep = {
        tFrom: times[k + 1], tTo: times[k], alpha, variance: std * std,
        noiseTo: schedule.noiseScale(times[k]), noiseFrom: schedule.noiseScale(times[k + 1]),
      };
      // 1-2. Propose and weight (formulas in the file comment, spec 3.4 step 2).
      let increments: Float64Array;
      let newGamma: Float64Array;
      if (o.kernel === 'mcmc') {
        newGamma = await logGamma(k, state.particles);
        increments = newGamma.map((g, i) => g - cached[i]);
      } else {
        let proposal: ProposalResult;
        const x = state.particles;
        if (o.kernel === 'transport') proposal = await transportProposal(model, x, step);
        else if (o.kernel === 'oracle') proposal = await oracleProposal(model as unknown as MixtureModel, proposeKey, x, step);
        else proposal = await gaussianProposal(model, proposeKey, x, step, o.kernel === 'secondOrder');
        cost.modelScoreEvaluations += proposal.scoreEvaluations;
        cost.hessianEvaluations += proposal.hessianEvaluations;
        x.dispose();
        state = { ...state, particles: proposal.next };
        newGamma = await logGamma(k, state.particles);
        increments = newGamma.map((g, i) => g + proposal.logRatio[i] - cached[i]);
      }
      // 3-5. Evidence, resampling, MALA moves invariant for gamma_k (one SMC step).
      const usedStepSize = stepSize;
      const moves = o.numMcmcSteps > 0;
      if (moves) for (let j = 0; j <= o.numMcmcSteps; j++) countDensity(k, true);
      const out = await smcStep(state, {
        increments,
        resampleKey,
        resampleThreshold: o.resampleThreshold,
        resampling: o.resampling,
        move: moves ? { key: moveKey, kernel: mala(levelTarget(k)), params: { stepSize }, numSteps: o.numMcmcSteps, readLogDensity: true } : undefined,
        zeroWeightMessage: () => `${FN}: every particle has zero weight at level ${k} (t = ${times[k]}) with kernel "${o.kernel}"; expected some finite incremental weights (try more levels or another kernel)`,
        where: `${FN}: level ${k} (t = ${times[k]})`,
      });
      state = out.state;
      const { logZ, ess, resampled, ancestors, acceptanceRate } = out.info;
      cached = out.info.logDensity ?? (ancestors ? Float64Array.from(ancestors, (a) => newGamma[a]) : newGamma);
      if (moves && o.targetAcceptance > 0 && Number.isFinite(acceptanceRate)) {
        stepSize = adaptStepSizeBetweenLevels(stepSize, acceptanceRate, adaptation);
      }
      const diagnostics: AmcLevelDiagnostics = {
        level: k, t: times[k], ess, essFraction: ess / n, incrementMean: out.info.incrementMean,
        incrementVariance: out.info.incrementVariance, maxAbsIncrement: out.info.maxAbsIncrement,
        numInvalid: out.info.numInvalid, resampled, logZ, acceptanceRate, stepSize: usedStepSize,
      };
      levels.push(diagnostics);
      o.onLevel?.(diagnostics);
      await yieldToEventLoop();
    }
    return {
      particles: state.particles,
      ...summariseLogWeights(state.logWeights, state.logZBase),
      logZStandardError: logZStandardError(state.logWeights, state.eve, state.numResamplings),
      distinctAncestors: new Set(state.eve).size,
      times,
      levels,
      cost,
    };
  } catch (err) {
    if (!state.particles.isDisposed) state.particles.dispose();
    throw err;
  }
}
