/**
 * The samplers the SLIPS figures compare, each run on a `Problem` (a target with its radius R and within-mode
 * scale τ, spec section 1.4) at the budget of ./config.ts:
 *
 * - SLIPS (`slips`, the MCMC denoiser or an exact one) with σ given by the problem;
 * - SMC and AIS on the geometric path from N(0, (R² + τ²) I) (`smcAtBudget`, `aisAtBudget`, spec 1.7);
 * - RDMC (`rdmc`) with SLIPS's chains and MALA steps per score estimate.
 *
 * Every run is a `ParticleRun` (lib/samplers/particleSampler.ts): its particles, its normalised log-weights when
 * they are not all equal (AIS; SMC resamples at every level, so its final particles are equally weighted), its
 * `cost` (the target evaluations it makes, or an exact denoiser's model evaluations, totals over the particles;
 * the figures' per-particle columns divide by N: `runCostPerParticle`), and in `details` the mean MALA acceptance
 * and the sampler's own diagnostics. Metrics that need unweighted points (W2,
 * sliced W2) use `unweightedPoints`: AIS's particles resampled systematically by their weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { Key } from '../../core/random.js';
import { localizationSchedule, type LocalizationSchedule } from '../../diffusion/localizationSchedules.js';
import { aisAtBudget, smcAtBudget, type GeometricPathRunResult } from '../../samplers/diffusion/equalBudget.js';
import { rdmc, rdmcBudget, type RdmcResult } from '../../samplers/diffusion/rdmc.js';
import { slips, type Denoiser, type SlipsDiagnostics } from '../../samplers/diffusion/slips.js';
import { costPerParticle, zeroCost, type ParticleRun } from '../../samplers/particleSampler.js';
import { gatherRows, resample } from '../../samplers/smc/resampling.js';
import type { GaussianMixtureTarget } from '../../targets/mixture.js';
import { noisedMixture } from '../../targets/noisedMixture.js';
import type { Target } from '../../targets/target.js';
import type { BaselineSettings, BudgetRule, ScheduleChoice, SlipsSettings } from './config.js';

export const BASELINES = ['SMC', 'AIS', 'RDMC'] as const;
export type BaselineName = (typeof BASELINES)[number];

/** The figures' method label of each sampler (the `method` column). */
export const METHOD_LABELS = { slips: 'SLIPS', smc: 'SMC', ais: 'AIS', rdmc: 'RDMC' } as const;
export type BenchmarkSampler = keyof typeof METHOD_LABELS;

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

export interface BenchmarkDetails {
  /** Mean MALA acceptance: SLIPS's denoiser over the outer steps, SMC / AIS over the levels, RDMC over the score
   *  estimates; NaN without MCMC (an exact denoiser). */
  acceptanceRate: number;
  /** The sampler's own diagnostics (SLIPS's; SMC / AIS's plan and levels; RDMC's grid, acceptances and budget). */
  diagnostics: SlipsDiagnostics | Omit<GeometricPathRunResult, 'samples'> | Omit<RdmcResult, 'samples'>;
}

/** A run of the benchmark: the one result type of the samplers, with typed details. */
export interface BenchmarkRun extends ParticleRun<BenchmarkDetails> {
  sampler: BenchmarkSampler;
}

/** The figures' per-particle cost of a run (gradientEvaluationsPerParticle, densityEvaluationsPerParticle). */
export function runCostPerParticle(run: ParticleRun): { gradientEvaluationsPerParticle: number; densityEvaluationsPerParticle: number } {
  const c = costPerParticle(run.cost, run.particles.shape[0]);
  return { gradientEvaluationsPerParticle: c.gradientEvaluations, densityEvaluationsPerParticle: c.densityEvaluations };
}

/** The run's normalised weights exp(logWeights) (summing to 1), or undefined when equally weighted. */
export function runWeights(run: ParticleRun): Float64Array | undefined {
  return run.logWeights?.map(Math.exp);
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
  const one = rdmcBudget(options(1)).cost.gradientEvaluations;
  const perStep = rdmcBudget(options(2)).cost.gradientEvaluations - one;
  return Math.max(1, 1 + Math.floor((slipsGradientEvaluations(s) - one) / perStep));
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

/** The mean of the finite values (NaN when none). */
function meanAcceptance(rates: ArrayLike<number>): number {
  const finite = Array.from(rates).filter(Number.isFinite);
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
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
export async function runSlips(key: Key, problem: Problem, settings: SlipsSettings, choice: ScheduleChoice, options: SlipsRunOptions): Promise<BenchmarkRun> {
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
  // Each chain evaluates the target's gradient once per MALA step and once at the start of each denoiser call
  // (its state re-evaluated for the new posterior); an exact denoiser is one model evaluation per particle and call.
  const cost = options.denoiser
    ? { ...zeroCost(), modelScoreEvaluations: d.numDenoiserCalls * numParticles }
    : { ...zeroCost(), gradientEvaluations: settings.numChains * (d.totalMcmcSteps + d.numDenoiserCalls) * numParticles };
  return {
    sampler: 'slips',
    particles: result.samples,
    ess: numParticles,
    cost,
    levels: d.times.length,
    seconds: seconds(began),
    warnings: [],
    details: { acceptanceRate: meanAcceptance(d.acceptanceRate), diagnostics: d },
  };
}

function fromGeometricPath(sampler: 'smc' | 'ais', r: GeometricPathRunResult, began: number): BenchmarkRun {
  const { samples, ...diagnostics } = r;
  const uniform = r.logWeights.every((w) => w === r.logWeights[0]);
  return {
    sampler,
    particles: samples,
    logWeights: uniform ? undefined : r.logWeights,
    logZ: r.logZ,
    ess: r.ess,
    cost: r.cost,
    levels: r.levels.length,
    seconds: seconds(began),
    warnings: r.warnings,
    details: { acceptanceRate: r.levels.length ? r.levels.reduce((a, l) => a + l.acceptanceRate, 0) / r.levels.length : NaN, diagnostics },
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
): Promise<BenchmarkRun> {
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
    return fromGeometricPath(method === 'SMC' ? 'smc' : 'ais', r, began);
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
  const { samples, ...diagnostics } = result;
  return {
    sampler: 'rdmc',
    particles: samples,
    ess: settings.numParticles,
    cost: result.budget.cost,
    levels: result.times.length - 1,
    seconds: seconds(began),
    warnings: [],
    details: { acceptanceRate: meanAcceptance(result.acceptanceRate), diagnostics },
  };
}

/** The baselines a configuration runs (RDMC only when configured). */
export function baselinesOf(b: BaselineSettings): BaselineName[] {
  return BASELINES.filter((m) => m !== 'RDMC' || b.rdmc !== null);
}

/** The run's points with equal weights: the particles themselves, or (AIS) a systematic resample by the weights. */
export function unweightedPoints(key: Key, run: ParticleRun): tf.Tensor2D {
  const weights = runWeights(run);
  if (weights === undefined) return tf.clone(run.particles);
  return gatherRows(run.particles, resample(key, weights, 'systematic'));
}
