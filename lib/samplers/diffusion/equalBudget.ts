/**
 * SMC and AIS baselines of the SLIPS benchmark at a given budget of target-gradient evaluations
 * (slips-lrds-amcbg.md sections 1.7 and 4.4): the geometric path log pi_beta = (1 - beta) log pi_0 + beta log gamma
 * from the Gaussian reference pi_0 = N(0, sigma^2 I) (SLIPS: sigma^2 = R^2 + tau^2), linear temperatures
 * beta_k = k / K (k = 0..K), and numMcmcSteps MALA steps per level. They run `smc` / `ais` from
 * lib/samplers/smc unchanged; this file only chooses K and M from the budget and counts the evaluations.
 *
 * Budget formulas, per particle (K levels after beta = 0, M MALA steps per level):
 *   'slips' (default):  B = K M          the MALA proposals' gradients, SLIPS's count (budget K = 1024 x 32)
 *   'exact':            B = K (M + 1)    also the gradient at the start of each level: the chain state is
 *                                        re-initialised for the level's density (one evaluation; the reference
 *                                        code instead reuses a gradient computed for the wrong density, section 1.7)
 * With M given (default 32), K = floor(B / M) (or floor(B / (M + 1))); with K given, M = floor(B / K) (or
 * floor(B / K) - 1). What the run actually does is always reported, as a `SamplerCost` (../particleSampler.ts):
 * the plan's `costPerParticle`, K (M + 1) gradient evaluations and K density-only evaluations (the incremental
 * weights) of the target per particle, the run's `cost`, the same times N, and the unspent remainder of B.
 *
 * The SLIPS reference's initial-gradient bug (the Gaussian reference's gradient returned as -x instead of
 * -x / sigma^2) cannot occur here: the reference is `gaussian(0, sigma^2)`, whose gradient is analytic and tested,
 * and `smc` builds each level's kernel for pi_{beta_k} and re-initialises the state from the positions
 * (lib/samplers/smc/smc.ts, step 4); test/unit/equal-budget.test.ts checks at every MALA step that the state's
 * log-density and gradient are those of the level's density.
 *
 * Step sizes: one shared MALA step, initial 0.01 (SLIPS), adapted between levels towards acceptance 0.75 with a
 * cap of 1 (`smc`'s rule; SLIPS adapts per chain after every step, which `smc` does not support).
 * Resampling (SMC): multinomial at every level by default, as in SLIPS; AIS never resamples.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Key } from '../../core/random.js';
import { checkChoice, checkInteger, checkInterval, checkNumber, checkOptions, invalidOption } from '../../core/validate.js';
import { gaussian } from '../../targets/gaussian.js';
import { zeroCost, type SamplerCost } from '../particleSampler.js';
import type { Target } from '../../targets/target.js';
import type { Kernel } from '../mcmc/kernel.js';
import { mala, type MalaParams, type MalaState } from '../mcmc/mala.js';
import { ais } from '../smc/ais.js';
import { RESAMPLING_SCHEMES, type ResamplingScheme } from '../smc/resampling.js';
import { smc, type LevelDiagnostics, type SmcOptions } from '../smc/smc.js';
import type { StepSizeAdaptation } from '../mcmc/stepSizeAdaptation.js';
import { linearSchedule } from '../smc/tempering.js';

export type BudgetConvention = 'slips' | 'exact';

export interface GeometricPathBudget {
  convention: BudgetConvention;
  /** The budget asked for (gradient evaluations per particle, in the convention's count). */
  requested: number;
  /** K, levels after beta = 0. */
  numLevels: number;
  /** M, MALA steps per level. */
  numMcmcSteps: number;
  /** K M: SLIPS's count. */
  nominalGradientEvaluations: number;
  /**
   * What the run makes per particle (a plan is counted per particle, as B is; the run's `cost` is the total):
   * K (M + 1) target gradient evaluations and K density-only evaluations (the incremental weights).
   */
  costPerParticle: SamplerCost;
  /** requested minus what the convention counts (>= 0; the floors). */
  unspent: number;
}

export interface GeometricPathBudgetOptions {
  /** M; K follows from the budget. Default 32 when numLevels is not given. */
  numMcmcSteps?: number;
  /** K; M follows from the budget. */
  numLevels?: number;
  /** Default 'slips'. */
  convention?: BudgetConvention;
}

/** K and M for a budget of `budget` gradient evaluations per particle (see the file comment). */
export function geometricPathBudget(budget: number, options: GeometricPathBudgetOptions = {}): GeometricPathBudget {
  return budgetFor('geometricPathBudget', budget, options);
}

function budgetFor(where: string, budget: number, options: GeometricPathBudgetOptions): GeometricPathBudget {
  const o = checkOptions<GeometricPathBudgetOptions>(where, options, ['numMcmcSteps', 'numLevels', 'convention']);
  const requested = checkInteger(where, 'budget', budget);
  const convention = checkChoice(where, 'convention', o.convention ?? 'slips', ['slips', 'exact'] as const);
  const extra = convention === 'exact' ? 1 : 0; // gradients per level besides the M steps
  if (o.numMcmcSteps !== undefined && o.numLevels !== undefined) {
    invalidOption(where, 'numLevels', o.numLevels, `undefined when numMcmcSteps (${o.numMcmcSteps}) is given: the budget fixes the other one`);
  }
  let numLevels: number;
  let numMcmcSteps: number;
  if (o.numLevels !== undefined) {
    numLevels = checkInteger(where, 'numLevels', o.numLevels);
    numMcmcSteps = Math.floor(requested / numLevels) - extra;
    if (numMcmcSteps < 1) {
      invalidOption(where, 'budget', requested, `at least numLevels (1 + ${extra}) = ${numLevels * (1 + extra)} for one MALA step per level`);
    }
  } else {
    numMcmcSteps = checkInteger(where, 'numMcmcSteps', o.numMcmcSteps ?? 32);
    numLevels = Math.floor(requested / (numMcmcSteps + extra));
    if (numLevels < 1) {
      invalidOption(where, 'budget', requested, `at least numMcmcSteps + ${extra} = ${numMcmcSteps + extra} for one level`);
    }
  }
  const nominal = numLevels * numMcmcSteps;
  const exact = numLevels * (numMcmcSteps + 1);
  return {
    convention,
    requested,
    numLevels,
    numMcmcSteps,
    nominalGradientEvaluations: nominal,
    costPerParticle: { ...zeroCost(), gradientEvaluations: exact, densityEvaluations: numLevels },
    unspent: requested - (convention === 'exact' ? exact : nominal),
  };
}

export interface GeometricPathRunOptions extends GeometricPathBudgetOptions {
  /** Gradient evaluations per particle (in the convention's count). */
  budget: number;
  numParticles: number;
  /** sigma^2 of the reference N(0, sigma^2 I) (SLIPS: R^2 + tau^2). Required unless `reference` is given. */
  referenceVariance?: number;
  /** A normalised reference with an exact sampler, instead of N(0, referenceVariance I). */
  reference?: Target;
  /** Initial shared MALA step size. Default 0.01. */
  stepSize?: number;
  /** Between-level step-size adaptation, or false. Default { targetAcceptance: 0.75, maxStepSize: 1 }. */
  adaptStepSize?: StepSizeAdaptation | false;
  /** SMC only: resample when ESS / N < threshold. Default 1 (every level, SLIPS). */
  resampleThreshold?: number;
  /** SMC only. Default 'multinomial' (SLIPS). */
  resampling?: ResamplingScheme;
  /** MCMC kernel factory. Default `(t) => mala(t)`. */
  kernel?: (target: Target) => Kernel<MalaState, MalaParams>;
  onLevel?: (level: LevelDiagnostics) => void;
  signal?: AbortSignal;
}

export interface GeometricPathRunResult {
  /** Final particles [N, d]; the caller owns them. */
  samples: tf.Tensor2D;
  /** Normalised log-weights (uniform after SMC's final resampling; AIS's importance weights). */
  logWeights: Float64Array;
  /** exp(logWeights), summing to 1 (for weighted metrics: mode weights, W2). */
  weights: Float64Array;
  logZ: number;
  ess: number;
  budget: GeometricPathBudget;
  /** Target evaluations made, totals over all particles (budget.costPerParticle times N). */
  cost: SamplerCost;
  levels: LevelDiagnostics[];
  /** Things a user should know about this run (SMC / AIS's own: a collapsed final ESS). */
  warnings: string[];
  /** The step size after the last level's adaptation. */
  stepSize: number;
}

const RUN_OPTIONS = [
  'budget', 'numParticles', 'referenceVariance', 'reference', 'numMcmcSteps', 'numLevels', 'convention', 'stepSize',
  'adaptStepSize', 'resampleThreshold', 'resampling', 'kernel', 'onLevel', 'signal',
] as const;

async function runAtBudget(where: 'smcAtBudget' | 'aisAtBudget', key: Key, target: Target, options: GeometricPathRunOptions): Promise<GeometricPathRunResult> {
  if (options === undefined) invalidOption(where, 'options', options, 'an options object { budget, numParticles, referenceVariance }');
  const o = checkOptions<GeometricPathRunOptions>(where, options, RUN_OPTIONS);
  if (target == null || typeof target.logDensity !== 'function' || !Number.isSafeInteger(target.dim)) {
    invalidOption(where, 'target', target, 'a Target { name, dim, logDensity }');
  }
  if (where === 'aisAtBudget' && (o.resampleThreshold !== undefined || o.resampling !== undefined)) {
    const name = o.resampleThreshold !== undefined ? 'resampleThreshold' : 'resampling';
    invalidOption(where, name, o[name], 'no resampling option (AIS never resamples; use smcAtBudget)');
  }
  const budget = budgetFor(where, o.budget as number, { numMcmcSteps: o.numMcmcSteps, numLevels: o.numLevels, convention: o.convention });
  const numParticles = checkInteger(where, 'numParticles', o.numParticles);
  const stepSize = checkNumber(where, 'stepSize', o.stepSize ?? 0.01, 'positive');
  const resampleThreshold = checkInterval(where, 'resampleThreshold', o.resampleThreshold ?? 1, '[0, 1]');
  const resampling = checkChoice(where, 'resampling', o.resampling ?? 'multinomial', RESAMPLING_SCHEMES);
  if (o.kernel !== undefined && typeof o.kernel !== 'function') invalidOption(where, 'kernel', o.kernel, 'a kernel factory (target) => Kernel');
  let reference: Target;
  let ownsReference = false;
  if (o.reference !== undefined) {
    if (o.referenceVariance !== undefined) {
      invalidOption(where, 'referenceVariance', o.referenceVariance, 'undefined when a reference is given');
    }
    reference = o.reference;
  } else {
    const variance = checkNumber(where, 'referenceVariance', o.referenceVariance, 'positive');
    reference = gaussian(new Array<number>(target.dim).fill(0), variance, { name: `reference-N(0,${variance}I)` });
    ownsReference = true;
  }
  const adaptStepSize = o.adaptStepSize === false ? undefined : (o.adaptStepSize ?? { targetAcceptance: 0.75, maxStepSize: 1 });
  const smcOptions: SmcOptions<MalaState, MalaParams> = {
    reference,
    target,
    kernel: o.kernel ?? ((t: Target) => mala(t)),
    params: { stepSize },
    numParticles,
    numMcmcSteps: budget.numMcmcSteps,
    schedule: linearSchedule(budget.numLevels),
    adaptStepSize,
    onLevel: o.onLevel,
    signal: o.signal,
  };
  try {
    const result = where === 'smcAtBudget'
      ? await smc(key, { ...smcOptions, resampleThreshold, resampling })
      : await ais(key, smcOptions);
    const weights = result.logWeights.map(Math.exp);
    return {
      samples: result.particles,
      logWeights: result.logWeights,
      weights,
      logZ: result.logZ,
      ess: result.ess,
      budget,
      cost: {
        ...zeroCost(),
        gradientEvaluations: budget.costPerParticle.gradientEvaluations * numParticles,
        densityEvaluations: budget.costPerParticle.densityEvaluations * numParticles,
      },
      levels: result.levels,
      warnings: result.warnings,
      stepSize: result.params.stepSize as number,
    };
  } finally {
    if (ownsReference) (reference as ReturnType<typeof gaussian>).dispose();
  }
}

/** SMC on the geometric path at a budget of target-gradient evaluations per particle (file comment). */
export function smcAtBudget(key: Key, target: Target, options: GeometricPathRunOptions): Promise<GeometricPathRunResult> {
  return runAtBudget('smcAtBudget', key, target, options);
}

/** AIS on the geometric path at a budget of target-gradient evaluations per particle (file comment). */
export function aisAtBudget(key: Key, target: Target, options: GeometricPathRunOptions): Promise<GeometricPathRunResult> {
  return runAtBudget('aisAtBudget', key, target, options);
}
