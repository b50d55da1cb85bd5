/**
 * Configurations of the aMC-BG experiments (Grenioux & Noble, "Diffusion-based annealed Boltzmann generators:
 * benefits, pitfalls and hopes", arXiv 2601.21026; spec papers/slips-lrds-amcbg.md section 3.5 [recon]):
 *
 * - `perfect` (A1): the perfect diffusion model (exact noised mixture), mode-weight error, |log Z error| and final
 *   ESS against the separation, one curve per kernel, one panel per (dimension, number of modes);
 * - `learned` (A2): the same sweep with a DSM-trained energy network as the diffusion model, for the kernels that
 *   need no Hessian, plus the 2 x 2 ablation (score source x log-density source) at one setting;
 * - `blindness` (A3): a small energy network trained by DSM on exact samples of a two-mode mixture, its relative
 *   mode mass under p_t against the exact one, across t ("mode blindness").
 *
 * `quick` runs `figures amcbg --quick` in a few minutes on 2 shared CPU cores; `full` is closer to the spec's CPU
 * column (section 3.5 table). `amcbgConfig(name)` returns a fresh copy; `checkAmcbgConfig` checks a hand-made one.
 */
import type { TrainingSettings } from './training.js';
import { checkChoice, checkInteger, checkInterval, checkNumber, checkNumberArray, checkOptions, invalidOption } from '../../core/validate.js';

/** The kernels of A1 (amc's kinds, 'oracle' aside: it is a sanity check, not a method). */
export const A1_KERNELS = ['firstOrder', 'secondOrder', 'transport', 'mcmc'] as const;
export type A1Kernel = (typeof A1_KERNELS)[number];

/** Sampler settings shared by every run of a sweep (amc's options). */
export interface AmcSettings {
  numParticles: number;
  numLevels: number;
  /** Resample when ESS / N falls below this. */
  resampleThreshold: number;
  /** MALA steps per level for the 'mcmc' baseline (the other kernels make none: a pure proposal comparison). */
  mcmcSteps: number;
}

export interface PerfectSweepConfig {
  dims: number[];
  numModes: number[];
  /** Distances between neighbouring means, in units of the within-mode std (x-axis). */
  separations: number[];
  kernels: A1Kernel[];
  sampler: AmcSettings;
  seeds: number;
}

export const A2_KERNELS = ['firstOrder', 'mcmc'] as const;
export type A2Kernel = (typeof A2_KERNELS)[number];

export interface LearnedSweepConfig {
  dims: number[];
  numModes: number[];
  separations: number[];
  kernels: A2Kernel[];
  sampler: AmcSettings;
  seeds: number;
  /** One energy network per (dimension, modes, separation), trained on exact samples with the true weights. */
  training: TrainingSettings;
  /** The setting of the 2 x 2 ablation (first-order kernel). */
  ablation: { dim: number; numModes: number; separation: number };
}

/** A3: the training settings (training set of exact samples, correct weights 2/3, 1/3) and the evaluation. */
export interface BlindnessConfig extends TrainingSettings {
  dim: number;
  separation: number;
  /** Times at which the relative mode mass is measured (in (0, 1]). */
  times: number[];
  /** Exact samples of p_t per time for the self-normalised estimate of the learned mass. */
  numEvaluationSamples: number;
  seeds: number;
}

export interface AmcbgConfig {
  name: string;
  seed: number;
  perfect: PerfectSweepConfig;
  learned: LearnedSweepConfig;
  blindness: BlindnessConfig;
}

const QUICK: AmcbgConfig = {
  name: 'quick',
  seed: 2026,
  perfect: {
    dims: [2, 8],
    numModes: [2, 4],
    separations: [3, 6, 9, 12],
    kernels: [...A1_KERNELS],
    sampler: { numParticles: 512, numLevels: 64, resampleThreshold: 0.5, mcmcSteps: 2 },
    seeds: 3,
  },
  learned: {
    dims: [2, 8],
    numModes: [2],
    separations: [3, 6, 9, 12],
    kernels: [...A2_KERNELS],
    sampler: { numParticles: 512, numLevels: 64, resampleThreshold: 0.5, mcmcSteps: 2 },
    seeds: 3,
    training: { numTrainingSamples: 4096, hidden: [64, 64], steps: 800, batchSize: 256, learningRate: 3e-3 },
    ablation: { dim: 2, numModes: 2, separation: 8 },
  },
  blindness: {
    dim: 2,
    separation: 8,
    numTrainingSamples: 4096,
    hidden: [64, 64],
    steps: 800,
    batchSize: 256,
    learningRate: 3e-3,
    times: [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1],
    numEvaluationSamples: 2048,
    seeds: 3,
  },
};

const FULL: AmcbgConfig = {
  name: 'full',
  seed: 2026,
  perfect: {
    dims: [2, 8, 16],
    numModes: [2, 4],
    separations: [2, 4, 6, 8, 10, 12, 16],
    kernels: [...A1_KERNELS],
    sampler: { numParticles: 1024, numLevels: 64, resampleThreshold: 0.5, mcmcSteps: 4 },
    seeds: 5,
  },
  learned: {
    dims: [2, 8, 16],
    numModes: [2, 4],
    separations: [2, 4, 6, 8, 10, 12, 16],
    kernels: [...A2_KERNELS],
    sampler: { numParticles: 1024, numLevels: 64, resampleThreshold: 0.5, mcmcSteps: 4 },
    seeds: 5,
    training: { numTrainingSamples: 20000, hidden: [64, 64, 64], steps: 3000, batchSize: 512, learningRate: 2e-3 },
    ablation: { dim: 2, numModes: 2, separation: 8 },
  },
  blindness: {
    dim: 2,
    separation: 8,
    numTrainingSamples: 20000,
    hidden: [64, 64, 64],
    steps: 3000,
    batchSize: 512,
    learningRate: 2e-3,
    times: [0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    numEvaluationSamples: 8192,
    seeds: 3,
  },
};

export const AMCBG_CONFIG_NAMES = ['quick', 'full'] as const;

/** A fresh copy of the named configuration. */
export function amcbgConfig(name: string): AmcbgConfig {
  const which = checkChoice('amcbgConfig', 'name', name, AMCBG_CONFIG_NAMES);
  return structuredClone(which === 'quick' ? QUICK : FULL);
}

function positiveIntegers(fn: string, option: string, value: unknown, min = 1): number[] {
  const v = checkNumberArray(fn, option, value, { minLength: 1 });
  v.forEach((x, i) => checkInteger(fn, `${option}[${i}]`, x, min));
  return v;
}

function checkTraining(fn: string, where: string, value: unknown, extra: string[] = []): void {
  const t = checkOptions<TrainingSettings>(fn, value, ['numTrainingSamples', 'hidden', 'steps', 'batchSize', 'learningRate', ...extra]);
  if (value == null) invalidOption(fn, where, value, 'training settings { numTrainingSamples, hidden, steps, batchSize, learningRate }');
  checkInteger(fn, `${where}.numTrainingSamples`, t.numTrainingSamples, 1);
  positiveIntegers(fn, `${where}.hidden`, t.hidden);
  checkInteger(fn, `${where}.steps`, t.steps, 1);
  checkInteger(fn, `${where}.batchSize`, t.batchSize, 1);
  checkNumber(fn, `${where}.learningRate`, t.learningRate, 'positive');
}

/** A sweep's common fields (A1 and A2). */
function checkSweep(fn: string, where: string, value: unknown, kernels: readonly string[], extra: string[] = []): Partial<PerfectSweepConfig> {
  const p = checkOptions<PerfectSweepConfig>(fn, value, ['dims', 'numModes', 'separations', 'kernels', 'sampler', 'seeds', ...extra]);
  if (value == null) invalidOption(fn, where, value, 'the sweep settings { dims, numModes, separations, kernels, sampler, seeds }');
  positiveIntegers(fn, `${where}.dims`, p.dims);
  const modes = positiveIntegers(fn, `${where}.numModes`, p.numModes, 2);
  if (modes.some((k) => k > 2) && (p.dims as number[]).some((d) => d < 2)) {
    invalidOption(fn, `${where}.dims`, p.dims, 'dimensions >= 2 when some numModes > 2 (the modes sit on a polygon in the first two coordinates)');
  }
  checkNumberArray(fn, `${where}.separations`, p.separations, { minLength: 1, positive: true });
  if (!Array.isArray(p.kernels) || p.kernels.length === 0) invalidOption(fn, `${where}.kernels`, p.kernels, `a non-empty list of ${kernels.join(', ')}`);
  p.kernels.forEach((k, i) => checkChoice(fn, `${where}.kernels[${i}]`, k, kernels));
  const s = checkOptions<AmcSettings>(fn, p.sampler, ['numParticles', 'numLevels', 'resampleThreshold', 'mcmcSteps']);
  if (p.sampler == null) invalidOption(fn, `${where}.sampler`, p.sampler, 'amc settings { numParticles, numLevels, resampleThreshold, mcmcSteps }');
  checkInteger(fn, `${where}.sampler.numParticles`, s.numParticles, 2);
  checkInteger(fn, `${where}.sampler.numLevels`, s.numLevels, 2);
  checkInterval(fn, `${where}.sampler.resampleThreshold`, s.resampleThreshold, '[0, 1]');
  checkInteger(fn, `${where}.sampler.mcmcSteps`, s.mcmcSteps, 1);
  checkInteger(fn, `${where}.seeds`, p.seeds, 1);
  return p;
}

/** Check a configuration field by field (errors name the field, the value and what was expected). */
export function checkAmcbgConfig(config: AmcbgConfig): AmcbgConfig {
  const fn = 'checkAmcbgConfig';
  const c = checkOptions<AmcbgConfig>(fn, config, ['name', 'seed', 'perfect', 'learned', 'blindness']);
  if (typeof c.name !== 'string' || c.name === '') invalidOption(fn, 'name', c.name, 'a non-empty string');
  checkInteger(fn, 'seed', c.seed, 0);
  checkSweep(fn, 'perfect', c.perfect, A1_KERNELS);
  const l = checkSweep(fn, 'learned', c.learned, A2_KERNELS, ['training', 'ablation']) as Partial<LearnedSweepConfig>;
  checkTraining(fn, 'learned.training', l.training);
  const a = checkOptions<LearnedSweepConfig['ablation']>(fn, l.ablation, ['dim', 'numModes', 'separation']);
  if (l.ablation == null) invalidOption(fn, 'learned.ablation', l.ablation, 'the ablation setting { dim, numModes, separation }');
  checkInteger(fn, 'learned.ablation.dim', a.dim, 1);
  checkInteger(fn, 'learned.ablation.numModes', a.numModes, 2);
  checkNumber(fn, 'learned.ablation.separation', a.separation, 'positive');
  const b = checkOptions<BlindnessConfig>(fn, c.blindness, [
    'dim', 'separation', 'numTrainingSamples', 'hidden', 'steps', 'batchSize', 'learningRate', 'times', 'numEvaluationSamples', 'seeds',
  ]);
  if (c.blindness == null) invalidOption(fn, 'blindness', c.blindness, 'the A3 settings');
  checkInteger(fn, 'blindness.dim', b.dim, 1);
  checkNumber(fn, 'blindness.separation', b.separation, 'positive');
  checkTraining(fn, 'blindness', b, ['dim', 'separation', 'times', 'numEvaluationSamples', 'seeds']);
  const times = checkNumberArray(fn, 'blindness.times', b.times, { minLength: 1, positive: true });
  if (times.some((t) => t > 1)) invalidOption(fn, 'blindness.times', b.times, 'times in (0, 1] (the VP horizon)');
  checkInteger(fn, 'blindness.numEvaluationSamples', b.numEvaluationSamples, 2);
  checkInteger(fn, 'blindness.seeds', b.seeds, 1);
  return config;
}
