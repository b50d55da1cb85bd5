/**
 * Every population sampler by name, behind the one contract of particleSampler.ts:
 *
 *   const run = await samplers.get('smc')(key(0), target, { numParticles: 2048, referenceScale: 3 });
 *   for (const name of ['smc', 'ais', 'mala']) await samplers.get(name)(k, target, optionsFor(name));
 *
 * Each entry checks its options at the boundary (an unknown or misspelt option is an error that names it), counts
 * its cost one way (a counting wrapper around the target: countingTarget.ts), reports log Z and its standard
 * error where the method gives them, and turns the method's own progress into `SamplerProgress` lines.
 */
import * as tf from '@tensorflow/tfjs';
import { AbortError } from '../core/abort.js';
import { normaliseLogWeights } from '../core/logspace.js';
import { normal, split } from '../core/random.js';
import { checkChoice, checkInteger, checkNumber, checkOptions, invalidOption } from '../core/validate.js';
import type { DiffusionModel } from '../diffusion/diffusionModel.js';
import { gaussian } from '../targets/gaussian.js';
import type { Target } from '../targets/target.js';
import { countingTarget } from './countingTarget.js';
import { amc, type AmcOptions } from './diffusion/amc.js';
import { rdmc, type RdmcOptions } from './diffusion/rdmc.js';
import { slips, type SlipsOptions } from './diffusion/slips.js';
import { hmc } from './mcmc/hmc.js';
import type { ChainState, Kernel } from './mcmc/kernel.js';
import { mala } from './mcmc/mala.js';
import { rwmh } from './mcmc/rwmh.js';
import { lowEssWarnings, zeroCost, type ParticleSampler, type RunControl } from './particleSampler.js';
import { runChain } from './runChain.js';
import { replicaExchange, type ReplicaExchangeOptions } from './replicaExchange/replicaExchange.js';
import { ais } from './smc/ais.js';
import { smc, type SmcOptions, type SmcResult } from './smc/smc.js';
import { linearSchedule } from './smc/tempering.js';
import type { ProposalWithLogDensity } from './transport/flowProposals.js';
import { neuralImportanceSampling, type NeuralIsOptions } from './transport/neuralImportanceSampling.js';
import { rds, type RdsOptions } from './diffusion/rds/rds.js';

const CONTROL = ['signal', 'onProgress'] as const;

// ---------------------------------------------------------------------------------------------------------------
// SMC and AIS on the geometric path

const MCMC_KERNELS = { mala, rwmh, hmc } as const;
type KernelName = keyof typeof MCMC_KERNELS;

export interface TemperingOptions {
  numParticles: number;
  /** π₀ with an exact sampler and logZ; or leave it out and give `referenceScale` for N(0, referenceScale² I). */
  reference?: Target;
  referenceScale?: number;
  /** The move kernel: 'mala' (default), 'rwmh' or 'hmc'. */
  kernel?: KernelName;
  /** Kernel params (default { stepSize: 0.1 }; HMC also needs numIntegrationSteps). */
  params?: Record<string, unknown>;
  numMcmcSteps?: number;
  schedule?: SmcOptions<ChainState, object>['schedule'];
  essFraction?: number;
  maxLevels?: number;
  adaptStepSize?: SmcOptions<ChainState, object>['adaptStepSize'];
}
export interface SmcSamplerOptions extends TemperingOptions {
  resampleThreshold?: number;
  resampling?: SmcOptions<ChainState, object>['resampling'];
}

const TEMPERING_KEYS = [
  'numParticles', 'reference', 'referenceScale', 'kernel', 'params', 'numMcmcSteps', 'schedule', 'essFraction', 'maxLevels',
  'adaptStepSize', ...CONTROL,
] as const;

/** The user's reference, or N(0, referenceScale² I) built here (then `dispose` frees it). */
function referenceOf(where: string, target: Target, o: Pick<TemperingOptions, 'reference' | 'referenceScale'>): { reference: Target; dispose(): void } {
  if (o.reference !== undefined) return { reference: o.reference, dispose: () => {} };
  if (o.referenceScale === undefined) {
    invalidOption(where, 'reference', undefined, 'a reference Target with sample and logZ, or referenceScale for N(0, referenceScale² I)');
  }
  const scale = checkNumber(where, 'referenceScale', o.referenceScale, 'positive');
  const reference = gaussian(new Array<number>(target.dim).fill(0), scale * scale);
  return { reference, dispose: () => reference.dispose() };
}

function temperingSampler(name: 'smc' | 'ais'): ParticleSampler<SmcSamplerOptions> {
  return async (key, target, options) => {
    const keys = name === 'smc' ? [...TEMPERING_KEYS, 'resampleThreshold', 'resampling'] : TEMPERING_KEYS;
    const o = checkOptions<SmcSamplerOptions & RunControl>(name, options, keys) as SmcSamplerOptions & RunControl;
    const kernelName = checkChoice(name, 'kernel', o.kernel ?? 'mala', Object.keys(MCMC_KERNELS) as KernelName[]);
    const factory = MCMC_KERNELS[kernelName] as (t: Target) => Kernel<ChainState, object>;
    const cost = zeroCost();
    const counted = countingTarget(target, cost);
    const began = performance.now();
    const ref = referenceOf(name, target, o);
    const common = {
      reference: ref.reference,
      target: counted,
      kernel: factory,
      params: o.params ?? { stepSize: 0.1 },
      numParticles: checkInteger(name, 'numParticles', o.numParticles, 2),
      numMcmcSteps: o.numMcmcSteps,
      schedule: o.schedule,
      essFraction: o.essFraction,
      maxLevels: o.maxLevels,
      adaptStepSize: o.adaptStepSize,
      signal: o.signal,
      onLevel: (l: { level: number; beta: number; essFraction: number }) =>
        o.onProgress?.({ sampler: name, done: l.level, message: `level ${l.level} (beta = ${l.beta.toPrecision(3)}): ESS ${l.essFraction.toFixed(2)} N` }),
    };
    let result: SmcResult<object>;
    try {
      result = name === 'smc'
        ? await smc(key, { ...common, resampleThreshold: o.resampleThreshold, resampling: o.resampling })
        : await ais(key, common);
    } finally {
      ref.dispose();
    }
    return {
      sampler: name,
      particles: result.particles,
      logWeights: result.logWeights,
      logZ: result.logZ,
      logZStandardError: result.logZStandardError,
      ess: result.ess,
      cost,
      levels: result.levels.length,
      seconds: (performance.now() - began) / 1000,
      warnings: result.warnings,
      details: result,
    };
  };
}


// ---------------------------------------------------------------------------------------------------------------
// Replica exchange on the geometric path

export type ReplicaExchangeSamplerOptions = Omit<ReplicaExchangeOptions, 'reference' | 'target' | 'schedule' | 'signal' | 'onProgress'> & {
  /** π₀, or leave it out and give `referenceScale` for N(0, referenceScale² I). */
  reference?: Target;
  referenceScale?: number;
  /** Temperatures (strictly increasing, ending at 1), or `numLevels` for linspace(0, 1, numLevels). */
  schedule?: ArrayLike<number>;
  numLevels?: number;
};
const REPLICA_EXCHANGE_KEYS = [
  'reference', 'referenceScale', 'schedule', 'numLevels', 'numChains', 'numSteps', 'numWarmup', 'swapFrequency', 'stepSize',
  'adaptation', 'initialPositions', 'chunkSize', ...CONTROL,
] as const;

const replicaExchangeSampler: ParticleSampler<ReplicaExchangeSamplerOptions> = async (key, target, options) => {
  const name = 'replica-exchange';
  const o = checkOptions<ReplicaExchangeSamplerOptions & RunControl>(name, options, REPLICA_EXCHANGE_KEYS) as ReplicaExchangeSamplerOptions & RunControl;
  const { reference: _r, referenceScale: _s, numLevels, schedule, onProgress, ...rest } = o;
  if ((schedule === undefined) === (numLevels === undefined)) {
    invalidOption(name, 'schedule', schedule, 'either a schedule of temperatures or numLevels (one of the two)');
  }
  const betas = schedule ?? linearSchedule(checkInteger(name, 'numLevels', numLevels, 2) - 1);
  const cost = zeroCost();
  const began = performance.now();
  const ref = referenceOf(name, target, o);
  let result;
  try {
    result = await replicaExchange(key, {
      ...rest,
      reference: ref.reference,
      target: countingTarget(target, cost),
      schedule: betas,
      onProgress: (p) => onProgress?.({
        sampler: name, done: p.step, total: p.numSteps,
        message: `step ${p.step}/${p.numSteps}: MALA acceptance ${p.mcmcAcceptance.toFixed(2)}, swap acceptance ${p.swapAcceptance.toFixed(2)}`,
      }),
    });
  } finally {
    ref.dispose();
  }
  result.finalPositions.dispose();
  const { draws, finalPositions: _f, ...details } = result;
  const count = draws.shape[0];
  return {
    sampler: name, particles: draws, ess: count, cost, levels: result.steps, seconds: (performance.now() - began) / 1000,
    warnings: [], details,
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Diffusion-path samplers

export type AmcSamplerOptions = Omit<AmcOptions, 'target' | 'onLevel'>;
const AMC_KEYS = ['model', 'kernel', 'numParticles', 'numLevels', 'spacing', 'tMin', 'times', 'reference', 'resampleThreshold', 'resampling', 'numMcmcSteps', 'stepSize', 'targetAcceptance', ...CONTROL] as const;

const amcSampler: ParticleSampler<AmcSamplerOptions> = async (key, target, options) => {
  const o = checkOptions<AmcSamplerOptions & RunControl>('amc', options, AMC_KEYS) as AmcSamplerOptions & RunControl;
  const { signal, onProgress, ...rest } = o;
  const began = performance.now();
  const result = await amc(key, {
    ...rest,
    model: rest.model as DiffusionModel,
    target,
    onLevel: (l) => {
      if (signal?.aborted) throw new AbortError(`amc: aborted at level ${l.level} (t = ${l.t})`);
      onProgress?.({ sampler: 'amc', done: l.level, message: `level ${l.level} (t = ${l.t.toPrecision(3)}): ESS ${l.essFraction.toFixed(2)} N` });
    },
  });
  return {
    sampler: 'amc', particles: result.particles, logWeights: result.logWeights, logZ: result.logZ,
    logZStandardError: result.logZStandardError, ess: result.ess, cost: result.cost, levels: result.levels.length,
    seconds: (performance.now() - began) / 1000, warnings: lowEssWarnings('amc', result.ess, o.numParticles), details: result,
  };
};

export type SlipsSamplerOptions = Omit<SlipsOptions, 'target' | 'onProgress' | 'signal'>;
const SLIPS_KEYS = [
  'sigma', 'epsilon', 'schedule', 'epsilonEnd', 'horizon', 'numParticles', 'numSteps', 'denoiser', 'numMcmcSteps', 'numChains',
  'keepFraction', 'initialStepSize', 'adaptationMultiplier', 'numInitSteps', 'targetMean', 'initialY', 'onState', ...CONTROL,
] as const;

const slipsSampler: ParticleSampler<SlipsSamplerOptions> = async (key, target, options) => {
  const o = checkOptions<SlipsSamplerOptions & RunControl>('slips', options, SLIPS_KEYS) as SlipsSamplerOptions & RunControl;
  const { signal, onProgress, ...rest } = o;
  const cost = zeroCost();
  const began = performance.now();
  const result = await slips(key, {
    ...rest,
    target: countingTarget(target, cost),
    signal,
    onProgress: (p) => onProgress?.({ sampler: 'slips', done: p.step, total: p.numSteps, message: `${p.phase} step ${p.step}/${p.numSteps} (t = ${p.t.toPrecision(3)})` }),
  });
  const n = result.samples.shape[0];
  return {
    sampler: 'slips', particles: result.samples, ess: n, cost, levels: result.diagnostics.times.length,
    seconds: (performance.now() - began) / 1000, warnings: [], details: result.diagnostics,
  };
};

export type RdmcSamplerOptions = Omit<RdmcOptions, 'onProgress' | 'signal'>;
const RDMC_KEYS = ['numParticles', 'terminalTime', 'numSteps', 'endTime', 'score', 'estimator', 'initialParticles', 'initialMean', 'initialScale', 'numInitSteps', 'initStepSize', ...CONTROL] as const;

const rdmcSampler: ParticleSampler<RdmcSamplerOptions> = async (key, target, options) => {
  const o = checkOptions<RdmcSamplerOptions & RunControl>('rdmc', options, RDMC_KEYS) as RdmcSamplerOptions & RunControl;
  const { signal, onProgress, ...rest } = o;
  const cost = zeroCost();
  const began = performance.now();
  const result = await rdmc(key, countingTarget(target, cost), {
    ...rest,
    signal,
    onProgress: (p) => onProgress?.({ sampler: 'rdmc', done: p.step, total: p.numSteps, message: `${p.phase} step ${p.step}/${p.numSteps}` }),
  });
  // A given score is a model, not the target: its evaluations come from the run's own count.
  cost.modelScoreEvaluations = result.budget.cost.modelScoreEvaluations;
  return {
    sampler: 'rdmc', particles: result.samples, ess: result.samples.shape[0], cost, levels: result.times.length - 1,
    seconds: (performance.now() - began) / 1000, warnings: [], details: result,
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Importance sampling

export interface NeuralIsSamplerOptions extends NeuralIsOptions {
  /** The proposal: a flow (flowProposal) or any distribution with sample and logDensity. */
  proposal: ProposalWithLogDensity;
}

const neuralIsSampler: ParticleSampler<NeuralIsSamplerOptions> = async (key, target, options) => {
  const o = checkOptions<NeuralIsSamplerOptions & RunControl>('neural-is', options, ['proposal', 'numSamples', 'resampling', ...CONTROL]);
  const cost = zeroCost();
  const began = performance.now();
  const result = await neuralImportanceSampling(key, countingTarget(target, cost), o.proposal as ProposalWithLogDensity, {
    numSamples: o.numSamples as number,
    numResampled: 0,
    resampling: o.resampling,
  });
  o.onProgress?.({ sampler: 'neural-is', done: 1, total: 1, message: `${result.logWeights.length} proposals: ESS ${(result.ess / result.logWeights.length).toFixed(2)} N` });
  return {
    sampler: 'neural-is', particles: result.particles, logWeights: normaliseLogWeights(result.logWeights).logWeights,
    logZ: result.logZ, logZStandardError: result.logZStandardError, ess: result.ess, cost, levels: 1,
    seconds: (performance.now() - began) / 1000, warnings: lowEssWarnings('neural-is', result.ess, result.logWeights.length),
    details: { mean: result.mean, variance: result.variance },
  };
};

// ---------------------------------------------------------------------------------------------------------------
// MCMC runs seen as populations

export interface McmcSamplerOptions {
  numChains: number;
  /** Steps kept per chain after warm-up (all chains' draws form the population). */
  numSteps: number;
  /** Steps dropped first (default 0). */
  numWarmup?: number;
  /** Kernel params (default { stepSize: 0.1 }; HMC also needs numIntegrationSteps). */
  params?: Record<string, unknown>;
  /** Start positions [numChains, d]; default N(0, initialScale² I) draws. */
  initialPositions?: tf.Tensor2D;
  initialScale?: number;
}

function mcmcSampler(name: KernelName): ParticleSampler<McmcSamplerOptions> {
  return async (key, target, options) => {
    const o = checkOptions<McmcSamplerOptions & RunControl>(name, options, ['numChains', 'numSteps', 'numWarmup', 'params', 'initialPositions', 'initialScale', ...CONTROL]);
    const numChains = checkInteger(name, 'numChains', o.numChains);
    const numSteps = checkInteger(name, 'numSteps', o.numSteps);
    const numWarmup = checkInteger(name, 'numWarmup', o.numWarmup ?? 0, 0);
    const cost = zeroCost();
    const kernel = (MCMC_KERNELS[name] as (t: Target) => Kernel<ChainState, object>)(countingTarget(target, cost));
    const [kStart, kRun] = split(key, 2);
    const start = o.initialPositions ?? (normal(kStart, [numChains, target.dim], 0, checkNumber(name, 'initialScale', o.initialScale ?? 1, 'positive')) as tf.Tensor2D);
    const began = performance.now();
    const total = numWarmup + numSteps;
    try {
      const run = await runChain(kRun, kernel, start, {
        numSteps: total,
        params: o.params ?? { stepSize: 0.1 },
        signal: o.signal,
        onProgress: (p) => o.onProgress?.({ sampler: name, done: p.step, total, message: `step ${p.step}/${total}: acceptance ${p.acceptanceRate.toFixed(2)}` }),
      });
      tf.dispose(Object.values(run.state));
      const d = target.dim;
      const kept = run.samples.data.subarray(numWarmup * numChains * d);
      const n = numSteps * numChains;
      return {
        sampler: name, particles: tf.tensor2d(kept, [n, d]), ess: n, cost, levels: total,
        seconds: (performance.now() - began) / 1000, warnings: [], details: { acceptanceRate: run.infos.acceptanceRate },
      };
    } finally {
      if (o.initialPositions === undefined) start.dispose();
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The registry

export interface SamplerEntry {
  name: string;
  description: string;
  run: ParticleSampler<never>;
}

const ENTRIES: SamplerEntry[] = [
  { name: 'smc', description: 'SMC on the geometric path from a reference, adaptive tempering, MCMC moves (smc/smc.ts)', run: temperingSampler('smc') as ParticleSampler<never> },
  { name: 'ais', description: 'annealed importance sampling: SMC without resampling (smc/ais.ts)', run: temperingSampler('ais') as ParticleSampler<never> },
  { name: 'replica-exchange', description: 'replica exchange (parallel tempering) on the geometric path, MALA per level (replicaExchange/)', run: replicaExchangeSampler as ParticleSampler<never> },
  { name: 'amc', description: 'annealed MC along a diffusion path of a model (diffusion/amc.ts)', run: amcSampler as ParticleSampler<never> },
  { name: 'slips', description: 'stochastic localization via iterative posterior sampling (diffusion/slips.ts)', run: slipsSampler as ParticleSampler<never> },
  { name: 'rdmc', description: 'reverse diffusion Monte Carlo (diffusion/rdmc.ts)', run: rdmcSampler as ParticleSampler<never> },
  { name: 'rds', description: 'reference-diffusion sampler: a controlled SDE from a reference (DDS, PIS; LRDS with a learned reference) (diffusion/rds/)', run: rds as ParticleSampler<never> },
  { name: 'neural-is', description: 'importance sampling with a (flow) proposal (transport/neuralImportanceSampling.ts)', run: neuralIsSampler as ParticleSampler<never> },
  { name: 'mala', description: 'MALA chains, all draws after warm-up (mcmc/mala.ts)', run: mcmcSampler('mala') as ParticleSampler<never> },
  { name: 'rwmh', description: 'random-walk Metropolis chains, all draws after warm-up (mcmc/rwmh.ts)', run: mcmcSampler('rwmh') as ParticleSampler<never> },
  { name: 'hmc', description: 'HMC chains, all draws after warm-up (mcmc/hmc.ts)', run: mcmcSampler('hmc') as ParticleSampler<never> },
];

export interface SamplerOptionsByName {
  smc: SmcSamplerOptions;
  ais: TemperingOptions;
  'replica-exchange': ReplicaExchangeSamplerOptions;
  amc: AmcSamplerOptions;
  slips: SlipsSamplerOptions;
  rdmc: RdmcSamplerOptions;
  rds: RdsOptions;
  'neural-is': NeuralIsSamplerOptions;
  mala: McmcSamplerOptions;
  rwmh: McmcSamplerOptions;
  hmc: McmcSamplerOptions;
}
export type SamplerName = keyof SamplerOptionsByName;

export const samplers = {
  /** The names, in a stable order. */
  names(): SamplerName[] {
    return ENTRIES.map((e) => e.name as SamplerName);
  },
  describe(): { name: string; description: string }[] {
    return ENTRIES.map(({ name, description }) => ({ name, description }));
  },
  /** The sampler of that name; an unknown name is an error that lists the known ones. */
  get<N extends SamplerName>(name: N): ParticleSampler<SamplerOptionsByName[N]> {
    const entry = ENTRIES.find((e) => e.name === name);
    if (!entry) invalidOption('samplers.get', 'name', name, `one of ${ENTRIES.map((e) => `"${e.name}"`).join(', ')}`);
    return entry.run as unknown as ParticleSampler<SamplerOptionsByName[N]>;
  },
};
