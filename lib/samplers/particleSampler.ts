/**
 * The contract above the kernel: a sampler that returns a weighted population of particles.
 *
 *   const run = await sampler(key, target, { ...options, signal, onProgress });
 *   run.particles [N, d], run.logWeights? (normalised), run.logZ? ± run.logZStandardError?, run.cost, run.seconds
 *
 * SMC, AIS, annealed MC along a diffusion path, SLIPS, RDMC, neural importance sampling and MCMC runs (all
 * chains' draws after warm-up, seen as one equally weighted population) all conform, through the registry in
 * `samplerRegistry.ts`, so that a comparison can say `samplers: ['smc', 'slips', ...]`.
 *
 * Cost is counted one way, summed over particles (a batch of N particles evaluated once counts N): evaluations of
 * the TARGET, split into density-only evaluations and gradient evaluations (a log-density with its gradient counts
 * one gradient evaluation and no density evaluation); and, for samplers driven by a (learned or exact) diffusion
 * model, the model's log-density, score and Hessian evaluations. Divide by N for the per-particle budgets the
 * papers quote (`costPerParticle`).
 */
import type * as tf from '@tensorflow/tfjs';
import { AbortError } from '../core/abort.js';
import type { Key } from '../core/random.js';
import type { Target } from '../targets/target.js';

export { AbortError };

/** What every long run accepts: an AbortSignal (the run throws an `AbortError`) and a progress callback. */
export interface RunControl {
  signal?: AbortSignal;
  onProgress?: (progress: SamplerProgress) => void;
}

export interface SamplerProgress {
  sampler: string;
  /** Levels, steps or outer iterations done, and how many there will be when known. */
  done: number;
  total?: number;
  /** One line for a person (`level 12 (beta = 0.31): ESS 0.52 N`). */
  message: string;
}

export interface SamplerCost {
  /** Target log-density evaluations without the gradient. */
  densityEvaluations: number;
  /** Target log-density-and-gradient evaluations. */
  gradientEvaluations: number;
  /** Model log-density (energy) evaluations: the intermediate densities of a diffusion path. */
  modelDensityEvaluations: number;
  /** Model score evaluations. */
  modelScoreEvaluations: number;
  /** Hessian (or low-rank Hessian) evaluations, of the model or the target. */
  hessianEvaluations: number;
}

export interface ParticleRun<Details = unknown> {
  /** The registry name of the sampler that ran. */
  sampler: string;
  /** [N, d]; the caller owns it. */
  particles: tf.Tensor2D;
  /** Normalised log-weights (logsumexp 0); absent: equally weighted. */
  logWeights?: Float64Array;
  /** Estimate of log ∫ exp(target.logDensity), where the method gives one. */
  logZ?: number;
  /** Standard error of `logZ` from this one run, where the method gives one (SMC: smc/smcStep.ts). */
  logZStandardError?: number;
  /** Kish ESS of the weights (N when equally weighted). */
  ess: number;
  cost: SamplerCost;
  /** Levels, outer steps or MCMC steps the run took. */
  levels: number;
  seconds: number;
  /** Things a user should know about this run (e.g. a final ESS too low for a reliable log Z). */
  warnings: string[];
  /** The sampler's own result (per-level diagnostics and the like), for a closer look; typed where a caller knows it. */
  details: Details;
}

export type ParticleSampler<O> = (key: Key, target: Target, options: O & RunControl) => Promise<ParticleRun>;

/** A cost with every count 0, to add to. */
export function zeroCost(): SamplerCost {
  return { densityEvaluations: 0, gradientEvaluations: 0, modelDensityEvaluations: 0, modelScoreEvaluations: 0, hessianEvaluations: 0 };
}

/** Per-particle view of a cost (what the papers' budgets count). */
export function costPerParticle(cost: SamplerCost, numParticles: number): SamplerCost {
  const out = zeroCost();
  for (const k of Object.keys(out) as (keyof SamplerCost)[]) out[k] = cost[k] / numParticles;
  return out;
}

/** Final ESS / N below which a weighted run warns that its log Z and weighted estimates are unreliable. */
export const LOW_ESS_FRACTION = 0.05;

/** The warning of a weighted run whose final ESS collapsed (none otherwise). */
export function lowEssWarnings(sampler: string, ess: number, numParticles: number): string[] {
  return ess < LOW_ESS_FRACTION * numParticles
    ? [`${sampler}: final ESS ${ess.toFixed(1)} of ${numParticles} particles (< ${LOW_ESS_FRACTION * 100} %): log Z and weighted estimates are unreliable; use more levels or particles`]
    : [];
}
