/**
 * The samplers the SLIPS figures compare, each run on a `Problem` (a target with its radius R and within-mode
 * scale τ, spec section 1.4) at the budget of ./config.ts:
 *
 * - SLIPS (`slips`, the MCMC denoiser or an exact one) with σ given by the problem;
 * - SMC and AIS on the geometric path from N(0, (R² + τ²) I) (`smcAtBudget`, `aisAtBudget`, spec 1.7);
 * - RDMC (`rdmc`) with SLIPS's chains and MALA steps per score estimate.
 *
 * Every run returns its samples, its importance weights (AIS) and the target evaluations it made per particle.
 * Metrics that need unweighted points (W2, sliced W2) use `unweightedPoints`: AIS's particles resampled
 * systematically by their weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { Key } from '../../core/random.js';
import { localizationSchedule, type LocalizationSchedule } from '../../diffusion/localizationSchedules.js';
import { aisAtBudget, smcAtBudget, type GeometricPathRunResult } from '../../samplers/diffusion/equalBudget.js';
import { rdmc, rdmcBudget } from '../../samplers/diffusion/rdmc.js';
import { slips, type Denoiser } from '../../samplers/diffusion/slips.js';
import { gatherRows, resample } from '../../samplers/smc/resampling.js';
import type { GaussianMixtureTarget } from '../../targets/mixture.js';
import { noisedMixture } from '../../targets/noisedMixture.js';
import type { Target } from '../../targets/target.js';
import type { BaselineSettings, BudgetRule, ScheduleChoice, SlipsSettings } from './config.js';

export const BASELINES = ['SMC', 'AIS', 'RDMC'] as const;
export type BaselineName = (typeof BASELINES)[number];

/** A target with the two numbers of SLIPS's σ rule and of the baselines' Gaussian reference (spec 1.4, 1.6). */
export interface Problem {
  target: Target;
  /** Radius scale R (largest mode-centre norm for mixtures). */
  radius: number;
  /** Within-mode standard deviation τ. */
  tau: number;
  /** SLIPS's noise level σ. */
  sigma: number;
}

export interface MethodRun {
  method: string;
  /** [N, d]; the caller owns it. */
  samples: tf.Tensor2D;
  /** Normalised importance weights (AIS), else null (equal weights). */
  weights: Float64Array | null;
  /** Target gradient evaluations per particle (each also evaluates the density). */
  gradientEvaluationsPerParticle: number;
  /** Density-only evaluations per particle (SMC / AIS incremental weights, RDMC importance proposals). */
  densityEvaluationsPerParticle: number;
  seconds: number;
  /** Effective sample size of the weights (AIS), else the number of particles. */
  ess: number;
  /** Mean MALA acceptance (SLIPS's denoiser over the outer steps; NaN when not applicable). */
  acceptanceRate: number;
}

/**
 * Target gradient evaluations per particle of a SLIPS run with the MCMC denoiser: each of the N_c chains makes M
 * steps per denoiser call (numInitSteps + K calls), adaptationMultiplier · M more on the first call, and one
 * evaluation at the start of every call (the chain state is re-evaluated for the new posterior).
 */
export function slipsGradientEvaluations(s: SlipsSettings): number {
  const calls = s.numInitSteps + s.numSteps;
  return s.numChains * ((calls + s.adaptationMultiplier) * s.numMcmcSteps + calls);
}

/** The budget B per particle given to SMC / AIS and its counting convention (see ./config.ts). */
export function geometricPathBudgetFor(rule: BudgetRule, s: SlipsSettings): { budget: number; convention: 'slips' | 'exact' } {
  return rule === 'paper'
    ? { budget: s.numSteps * s.numMcmcSteps, convention: 'slips' }
    : { budget: slipsGradientEvaluations(s), convention: 'exact' };
}

/**
 * RDMC's reverse steps: 'paper', SLIPS's K; 'gradients', the most steps whose gradient evaluations per particle
 * (rdmcBudget) do not exceed SLIPS's.
 */
export function rdmcStepsFor(rule: BudgetRule, s: SlipsSettings, r: NonNullable<BaselineSettings['rdmc']>): number {
  if (rule === 'paper') return s.numSteps;
  const options = (numSteps: number) => ({
    numParticles: 1,
    numSteps,
    numInitSteps: r.numInitSteps,
    estimator: { numChains: s.numChains, numMcmcSteps: s.numMcmcSteps, numProposals: r.numProposals, numWarmupSteps: r.numWarmupSteps },
  });
  const one = rdmcBudget(options(1)).gradientEvaluationsPerParticle;
  const perStep = rdmcBudget(options(2)).gradientEvaluationsPerParticle - one;
  return Math.max(1, 1 + Math.floor((slipsGradientEvaluations(s) - one) / perStep));
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

/** The schedule object and the start / end options of `slips` for a schedule choice. */
export function scheduleOf(choice: ScheduleChoice): { schedule: LocalizationSchedule; horizon?: number } {
  return { schedule: localizationSchedule(choice.schedule), horizon: choice.horizon };
}

/**
 * The exact denoiser E[X | Y_t = y] of a Gaussian mixture under SLIPS's observation Y_t = α(t) X + σ√t Z (the
 * "perfect score": `noisedMixture` with a = α(t), s = σ√t; spec section 4.1).
 */
export function exactMixtureDenoiser(mixture: GaussianMixtureTarget, schedule: LocalizationSchedule, sigma: number): Denoiser {
  return (y, t) => {
    const law = noisedMixture(mixture, schedule.alpha(t), sigma * Math.sqrt(t));
    try {
      return law.denoiser(y);
    } finally {
      law.dispose();
    }
  };
}

export interface SlipsRunOptions {
  epsilon: number;
  /** ε_end (default: the sampler's, 6.62e-3 T for the finite-time schedules). */
  epsilonEnd?: number;
  /** Particles (default settings.numParticles; S2 batches replicates). */
  numParticles?: number;
  /** An exact denoiser instead of the MCMC estimate. */
  denoiser?: Denoiser;
  signal?: AbortSignal;
}

/** One SLIPS run (the MCMC denoiser unless `denoiser` is given). */
export async function runSlips(key: Key, problem: Problem, settings: SlipsSettings, choice: ScheduleChoice, options: SlipsRunOptions): Promise<MethodRun> {
  const began = performance.now();
  const { schedule, horizon } = scheduleOf(choice);
  const numParticles = options.numParticles ?? settings.numParticles;
  const result = await slips(key, {
    target: problem.target,
    sigma: problem.sigma,
    epsilon: options.epsilon,
    epsilonEnd: options.epsilonEnd,
    schedule,
    horizon,
    numParticles,
    numSteps: settings.numSteps,
    numMcmcSteps: settings.numMcmcSteps,
    numChains: settings.numChains,
    adaptationMultiplier: settings.adaptationMultiplier,
    numInitSteps: settings.numInitSteps,
    denoiser: options.denoiser ?? 'mcmc',
    signal: options.signal,
  });
  const d = result.diagnostics;
  const outer = Array.from(d.acceptanceRate).filter(Number.isFinite);
  return {
    method: 'SLIPS',
    samples: result.samples,
    weights: null,
    gradientEvaluationsPerParticle: options.denoiser ? 0 : settings.numChains * (d.totalMcmcSteps + d.numDenoiserCalls),
    densityEvaluationsPerParticle: 0,
    seconds: seconds(began),
    ess: numParticles,
    acceptanceRate: outer.length ? outer.reduce((a, b) => a + b, 0) / outer.length : NaN,
  };
}

function fromGeometricPath(method: 'SMC' | 'AIS', r: GeometricPathRunResult, began: number): MethodRun {
  return {
    method,
    samples: r.samples,
    weights: method === 'AIS' ? r.weights : null,
    gradientEvaluationsPerParticle: r.budget.gradientEvaluationsPerParticle,
    densityEvaluationsPerParticle: r.budget.densityEvaluationsPerParticle,
    seconds: seconds(began),
    ess: r.ess,
    acceptanceRate: r.levels.length ? r.levels.reduce((a, l) => a + l.acceptanceRate, 0) / r.levels.length : NaN,
  };
}

/** One baseline run at the budget `rule` relative to SLIPS's `settings`. */
export async function runBaseline(
  method: BaselineName,
  key: Key,
  problem: Problem,
  settings: SlipsSettings,
  rule: BudgetRule,
  baselines: BaselineSettings,
  signal?: AbortSignal,
): Promise<MethodRun> {
  const began = performance.now();
  const { target, radius, tau } = problem;
  const d = target.dim;
  if (method === 'SMC' || method === 'AIS') {
    const { budget, convention } = geometricPathBudgetFor(rule, settings);
    const options = {
      budget,
      convention,
      numParticles: settings.numParticles,
      numMcmcSteps: baselines.smcMcmcSteps,
      referenceVariance: radius * radius + tau * tau,
      signal,
    };
    const r = method === 'SMC' ? await smcAtBudget(key, target, options) : await aisAtBudget(key, target, options);
    return fromGeometricPath(method, r, began);
  }
  const r = baselines.rdmc;
  if (r === null) throw new Error('runBaseline: RDMC is switched off in this configuration (baselines.rdmc = null)');
  const result = await rdmc(key, target, {
    numParticles: settings.numParticles,
    terminalTime: r.terminalTime,
    numSteps: rdmcStepsFor(rule, settings, r),
    numInitSteps: r.numInitSteps,
    // The Gaussian guess behind the initial draw: centred, with the target's per-coordinate scale sqrt(R²/d + τ²).
    initialScale: Math.sqrt((radius * radius) / d + tau * tau),
    estimator: { numChains: settings.numChains, numMcmcSteps: settings.numMcmcSteps, numProposals: r.numProposals, numWarmupSteps: r.numWarmupSteps },
    signal,
  });
  const outer = Array.from(result.acceptanceRate).filter(Number.isFinite);
  return {
    method: 'RDMC',
    samples: result.samples,
    weights: null,
    gradientEvaluationsPerParticle: result.budget.gradientEvaluationsPerParticle,
    densityEvaluationsPerParticle: result.budget.densityEvaluationsPerParticle,
    seconds: seconds(began),
    ess: settings.numParticles,
    acceptanceRate: outer.length ? outer.reduce((a, b) => a + b, 0) / outer.length : NaN,
  };
}

/** The baselines a configuration runs (RDMC only when configured). */
export function baselinesOf(b: BaselineSettings): BaselineName[] {
  return BASELINES.filter((m) => m !== 'RDMC' || b.rdmc !== null);
}

/** The run's points with equal weights: the samples themselves, or (AIS) a systematic resample by the weights. */
export function unweightedPoints(key: Key, run: MethodRun): tf.Tensor2D {
  if (run.weights === null) return tf.clone(run.samples);
  return gatherRows(run.samples, resample(key, run.weights, 'systematic'));
}
