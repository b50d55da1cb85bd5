/**
 * Configurations of the SLIPS paper's figures (Grenioux, Noble, Gabrié & Durmus, "Stochastic Localization via
 * Iterative Posterior Sampling", ICML 2024; spec papers/slips-lrds-amcbg.md sections 1.5, 1.9 and 1.10):
 *
 * - `dimensionSweep` (S1): the two-modes family twoModesSlips(d), mode-weight error and sliced W2 against d,
 *   SLIPS against SMC, AIS and RDMC at an equal budget;
 * - `sweetSpot` (S2): two modes in d = 10, the mode-weight error against the start time t0 = ε for several
 *   multiples of the σ rule, with the MCMC denoiser and with the exact one (the "perfect score");
 * - `eightGaussians` (S3): 8 Gaussians, SLIPS and the baselines over the density, W2 to exact samples;
 * - `phiFour` (S4, optional): the φ⁴ field in d = 100, log mode ratio against the Laplace reference, for each tilt b.
 *
 * Budgets (`budget`): 'paper' gives the baselines the paper's count, K M target gradients per particle (SLIPS's
 * K outer steps times M MALA steps; SLIPS's chains per particle, its adaptation run and its initial Langevin steps
 * are not counted, as in the paper's "K = 1024 x 32" benchmark), RDMC the same K, M and chains as SLIPS;
 * 'gradients' gives them the target gradient evaluations per particle that SLIPS actually makes (all chains, the
 * adaptation run, the initialisation; `slipsGradientEvaluations`), SMC / AIS in the 'exact' count of
 * lib/samplers/diffusion/equalBudget.ts, RDMC the most reverse steps that fit.
 *
 * `quick` runs the whole `figures slips --quick` in about five minutes on 2 shared CPU cores (trimmed: see its
 * comment); `full` is the paper's scale (GPU hours). `slipsExperimentConfig(name)` returns a fresh copy of either;
 * `checkSlipsExperimentConfig` checks a hand-made one field by field.
 */
import { checkBoolean, checkInteger, checkNumber, invalidOption } from '../../core/validate.js';
import type { LocalizationScheduleSpec } from '../../diffusion/localizationSchedules.js';

export type BudgetRule = 'paper' | 'gradients';

/** The SLIPS sampler's settings (spec 1.4; names as in `slips`). */
export interface SlipsSettings {
  /** N particles. */
  numParticles: number;
  /** K grid points (K − 1 outer steps). */
  numSteps: number;
  /** M MALA steps per denoiser call. */
  numMcmcSteps: number;
  /** N_c chains per particle. */
  numChains: number;
  /** The first denoiser call runs adaptationMultiplier · M extra steps (paper: 50). */
  adaptationMultiplier: number;
  /** Langevin-within-Langevin steps at t0 (paper: 10; 8-Gaussians notebook: 32). */
  numInitSteps: number;
}

/** A localization schedule; `horizon` is required for the infinite-time ones (classic: the paper uses 150). */
export interface ScheduleChoice {
  schedule: LocalizationScheduleSpec;
  horizon?: number;
}

/** RDMC's settings besides those it shares with SLIPS (spec 1.7: T in -log{0.95, 0.9, 0.8, 0.7}, 128 IS proposals). */
export interface RdmcSettings {
  terminalTime: number;
  numProposals: number;
  /** Extra MALA steps on the first score estimate (step-size adaptation). */
  numWarmupSteps: number;
  /** Unadjusted Langevin steps on p_T at the start. */
  numInitSteps: number;
}

export interface BaselineSettings {
  /** MALA steps per level of SMC and AIS (the budget fixes the number of levels). */
  smcMcmcSteps: number;
  /** RDMC, or null to leave it out. */
  rdmc: RdmcSettings | null;
}

export interface DimensionSweepConfig {
  dims: number[];
  slips: SlipsSettings;
  /** One SLIPS curve per start time ε. */
  epsilons: number[];
  schedule: ScheduleChoice;
  budget: BudgetRule;
  baselines: BaselineSettings;
  /** Random directions of the Monte Carlo sliced W2. */
  numDirections: number;
  seeds: number;
}

export interface SweetSpotSchedule extends ScheduleChoice {
  /** The start times ε = t0 swept. */
  epsilons: number[];
}

export interface SweetSpotConfig {
  dim: number;
  slips: SlipsSettings;
  schedules: SweetSpotSchedule[];
  /** σ = factor × slipsSigma(R, τ, d) (spec: {0.5, 1, 1.5}). */
  sigmaFactors: number[];
  /** Independent replicates of every (schedule, σ, ε) cell. */
  replicates: number;
  /**
   * Draw the replicates as row groups of ONE run with replicates × N particles. The particles of SLIPS are
   * independent (each has its own chains and per-chain step sizes; nothing is shared across rows), so the groups
   * are independent N-particle replicates; batching is only faster on a small machine.
   */
  batchReplicates: boolean;
  /** Also run the exact denoiser of the noised mixture (no MCMC error). */
  perfectScore: boolean;
}

export interface EightGaussiansConfig {
  slips: SlipsSettings;
  /** σ (the reference notebook: 5; the benchmark's σ rule would give 7.12). */
  sigma: number;
  epsilon: number;
  schedule: ScheduleChoice;
  budget: BudgetRule;
  baselines: BaselineSettings;
  seeds: number;
  /** Points per axis of the density under the scatter plots. */
  gridSize: number;
}

export interface PhiFourConfig {
  dim: number;
  /** Tilts b (spec: {0, 0.025, 0.05, 0.075, 0.1}). */
  tilts: number[];
  slips: SlipsSettings;
  epsilon: number;
  /** ε_end (spec: 3.32e-3 or 2.22e-3 for geometric (1, 1)). */
  epsilonEnd: number;
  schedule: ScheduleChoice;
  budget: BudgetRule;
  baselines: BaselineSettings;
  seeds: number;
}

export interface SlipsExperimentConfig {
  name: string;
  /** Root seed: every key of every run derives from key(seed). */
  seed: number;
  dimensionSweep: DimensionSweepConfig;
  sweetSpot: SweetSpotConfig;
  eightGaussians: EightGaussiansConfig;
  /** S4, or null to skip it. */
  phiFour: PhiFourConfig | null;
}

const GEOMETRIC_11: ScheduleChoice = { schedule: { kind: 'geometric', T: 1, a: 1, b: 1 } };

/**
 * quick: the spec's CPU column (section 1.10), trimmed so that the whole `figures slips --quick` takes about five
 * minutes on 2 shared cores. S1: d in {4, 8, 16}, N = 512, K = 64 (spec: 128), M = 16 MALA steps x 2 chains, a
 * 400-step first call, ε in {0.15, 0.25} (the ends of the spec's CPU grid), SMC / AIS with 8 MALA steps per level and RDMC at SLIPS's actual
 * number of gradient evaluations, 3 seeds. S2: d = 10, geometric (1, 1) only (spec: and classic), 7 start times,
 * σ factors {0.5, 1, 1.5}, N = 512, K = 64, M = 8 x 2 chains, a 200-step first call, 3 replicates batched in one
 * run. S3: N = 512, K = 128 (spec: N = 1000, K = 256), M = 16 x 2 chains, σ = 5, ε = 0.35, 32 Langevin steps,
 * 3 seeds. S4: φ⁴ in d = 100 as the paper, N = 256, K = 64, M = 16 x 2 chains, ε = 0.35, ε_end = 3.32e-3; tilts
 * b in {0, 0.01, 0.025} (Laplace log ratios 0, 3.13, 7.82; the spec's grid is {0, 0.025, ..., 0.1}, whose ratios from
 * 7.8 up leave the light mode empty at N = 256 since log 256 = 5.5, so b = 0.01 is added as a ratio N = 256 can
 * resolve); SMC and AIS at SLIPS's gradient count, RDMC left out (about 20 s a run), 2 seeds.
 */
function quick(): SlipsExperimentConfig {
  const rdmc: RdmcSettings = { terminalTime: -Math.log(0.8), numProposals: 128, numWarmupSteps: 64, numInitSteps: 16 };
  return {
    name: 'quick',
    seed: 2024,
    dimensionSweep: {
      dims: [4, 8, 16],
      slips: { numParticles: 512, numSteps: 64, numMcmcSteps: 16, numChains: 2, adaptationMultiplier: 25, numInitSteps: 10 },
      epsilons: [0.15, 0.25],
      schedule: GEOMETRIC_11,
      budget: 'gradients',
      baselines: { smcMcmcSteps: 8, rdmc },
      numDirections: 256,
      seeds: 3,
    },
    sweetSpot: {
      dim: 10,
      slips: { numParticles: 512, numSteps: 64, numMcmcSteps: 8, numChains: 2, adaptationMultiplier: 25, numInitSteps: 10 },
      schedules: [{ ...GEOMETRIC_11, epsilons: [0.03, 0.06, 0.1, 0.2, 0.3, 0.45, 0.6] }],
      sigmaFactors: [0.5, 1, 1.5],
      replicates: 3,
      batchReplicates: true,
      perfectScore: true,
    },
    eightGaussians: {
      slips: { numParticles: 512, numSteps: 128, numMcmcSteps: 16, numChains: 2, adaptationMultiplier: 25, numInitSteps: 32 },
      sigma: 5,
      epsilon: 0.35,
      schedule: GEOMETRIC_11,
      budget: 'gradients',
      baselines: { smcMcmcSteps: 16, rdmc },
      seeds: 3,
      gridSize: 60,
    },
    phiFour: {
      dim: 100,
      tilts: [0, 0.01, 0.025],
      slips: { numParticles: 256, numSteps: 64, numMcmcSteps: 16, numChains: 2, adaptationMultiplier: 25, numInitSteps: 10 },
      epsilon: 0.35,
      epsilonEnd: 3.32e-3,
      schedule: GEOMETRIC_11,
      budget: 'gradients',
      baselines: { smcMcmcSteps: 8, rdmc: null },
      seeds: 2,
    },
  };
}

/**
 * full: the paper's benchmark settings (spec sections 1.5 and 1.10): N = 8192, K = 1024, M = 32 x 4 chains, a
 * 1600-step first call, 10 Langevin steps; S1 d in {8, ..., 128} with the two-modes ε grid of geometric (1, 1);
 * S2 geometric (1, 1) and classic (T = 150) on 15 start times each; S3 at the notebook's N = 2048; S4 at
 * N = 8192. 'paper' budgets (the paper's comparison). GPU hours; not run on this machine.
 */
function full(): SlipsExperimentConfig {
  const slips: SlipsSettings = { numParticles: 8192, numSteps: 1024, numMcmcSteps: 32, numChains: 4, adaptationMultiplier: 50, numInitSteps: 10 };
  const rdmc: RdmcSettings = { terminalTime: -Math.log(0.8), numProposals: 128, numWarmupSteps: 64, numInitSteps: 16 };
  const linspace = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => Number((a + ((b - a) * i) / (n - 1)).toPrecision(4)));
  return {
    name: 'full',
    seed: 2024,
    dimensionSweep: {
      dims: [8, 16, 32, 64, 128],
      slips,
      epsilons: [0.03, 0.05, 0.1, 0.15, 0.25],
      schedule: GEOMETRIC_11,
      budget: 'paper',
      baselines: { smcMcmcSteps: 32, rdmc },
      numDirections: 4096,
      seeds: 4,
    },
    sweetSpot: {
      dim: 10,
      slips: { ...slips, numParticles: 4096 },
      schedules: [
        { ...GEOMETRIC_11, epsilons: linspace(0.02, 0.6, 15) },
        { schedule: { kind: 'classic' }, horizon: 150, epsilons: linspace(0.05, 1.2, 15) },
      ],
      sigmaFactors: [0.5, 1, 1.5],
      replicates: 4,
      batchReplicates: false,
      perfectScore: true,
    },
    eightGaussians: {
      slips: { ...slips, numParticles: 2048, numInitSteps: 32 },
      sigma: 5,
      epsilon: 0.35,
      schedule: GEOMETRIC_11,
      budget: 'paper',
      baselines: { smcMcmcSteps: 32, rdmc },
      seeds: 4,
      gridSize: 100,
    },
    phiFour: {
      dim: 100,
      tilts: [0, 0.025, 0.05, 0.075, 0.1],
      slips,
      epsilon: 0.35,
      epsilonEnd: 3.32e-3,
      schedule: GEOMETRIC_11,
      budget: 'paper',
      baselines: { smcMcmcSteps: 32, rdmc },
      seeds: 4,
    },
  };
}

const CONFIGS = { quick, full } as const;
export type SlipsConfigName = keyof typeof CONFIGS;
export const SLIPS_CONFIG_NAMES = Object.keys(CONFIGS) as SlipsConfigName[];

/** A fresh copy of the named configuration; an unknown name fails with the list of known ones. */
export function slipsExperimentConfig(name: string): SlipsExperimentConfig {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(CONFIGS, name)) {
    invalidOption('slipsExperimentConfig', 'config', name, `one of ${SLIPS_CONFIG_NAMES.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  return CONFIGS[name as SlipsConfigName]();
}

// ---------------------------------------------------------------------------------------------------------------
// Checks (a hand-made config, e.g. a tiny one in a test or a notebook, fails early with the option's path)

const FN = 'slipsExperiment';

function object(path: string, value: unknown, expected: string): void {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) invalidOption(FN, path, value, expected);
}

const integer = (path: string, value: unknown, min = 1): number => checkInteger(FN, path, value, min);
const positive = (path: string, value: unknown): number => checkNumber(FN, path, value, 'positive');

function positiveList(path: string, value: unknown, integers = false): number[] {
  if (!Array.isArray(value) || value.length === 0) invalidOption(FN, path, value, `a non-empty array of ${integers ? 'integers >= 1' : 'numbers > 0'}`);
  value.forEach((v, i) => (integers ? integer(`${path}[${i}]`, v) : positive(`${path}[${i}]`, v)));
  return value as number[];
}

function checkSlipsSettings(path: string, s: SlipsSettings): void {
  object(path, s, 'an object { numParticles, numSteps, numMcmcSteps, numChains, adaptationMultiplier, numInitSteps }');
  integer(`${path}.numParticles`, s.numParticles);
  integer(`${path}.numSteps`, s.numSteps, 2);
  integer(`${path}.numMcmcSteps`, s.numMcmcSteps);
  integer(`${path}.numChains`, s.numChains);
  integer(`${path}.adaptationMultiplier`, s.adaptationMultiplier, 0);
  integer(`${path}.numInitSteps`, s.numInitSteps, 0);
}

const SCHEDULE_KINDS = ['classic', 'log-linear', 'geometric', 'log-tangent'];

/** The schedule's kind, and its horizon (required for the infinite-time kinds). Start times are checked at run time. */
function checkSchedule(path: string, s: ScheduleChoice): void {
  object(path, s, 'an object { schedule: { kind, ... }, horizon? }');
  object(`${path}.schedule`, s.schedule, "a schedule description { kind: 'geometric', T?, a?, b? } (or 'classic', 'log-linear', 'log-tangent')");
  const kind = (s.schedule as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !SCHEDULE_KINDS.includes(kind)) invalidOption(FN, `${path}.schedule.kind`, kind, `one of ${SCHEDULE_KINDS.map((k) => JSON.stringify(k)).join(', ')}`);
  const infinite = kind === 'classic' || kind === 'log-linear';
  if (infinite && s.horizon === undefined) invalidOption(FN, `${path}.horizon`, undefined, `a horizon T > 0 for the infinite-time ${kind} schedule (the paper uses 150)`);
  if (s.horizon !== undefined) positive(`${path}.horizon`, s.horizon);
}

function checkBudget(path: string, value: unknown): void {
  if (value !== 'paper' && value !== 'gradients') invalidOption(FN, path, value, `"paper" or "gradients"`);
}

function checkBaselines(path: string, b: BaselineSettings): void {
  object(path, b, 'an object { smcMcmcSteps, rdmc }');
  integer(`${path}.smcMcmcSteps`, b.smcMcmcSteps);
  if (b.rdmc !== null) {
    object(`${path}.rdmc`, b.rdmc, 'null or an object { terminalTime, numProposals, numWarmupSteps, numInitSteps }');
    positive(`${path}.rdmc.terminalTime`, b.rdmc.terminalTime);
    integer(`${path}.rdmc.numProposals`, b.rdmc.numProposals);
    integer(`${path}.rdmc.numWarmupSteps`, b.rdmc.numWarmupSteps, 0);
    integer(`${path}.rdmc.numInitSteps`, b.rdmc.numInitSteps, 0);
  }
}

/** Check every field of a configuration (paths like "sweetSpot.schedules[0].epsilons[2]" in the errors); returns it. */
export function checkSlipsExperimentConfig(config: SlipsExperimentConfig): SlipsExperimentConfig {
  object('config', config, `a configuration object or one of ${SLIPS_CONFIG_NAMES.map((n) => JSON.stringify(n)).join(', ')}`);
  integer('seed', config.seed, 0);

  const s1 = config.dimensionSweep;
  object('dimensionSweep', s1, 'an object { dims, slips, epsilons, schedule, budget, baselines, numDirections, seeds }');
  positiveList('dimensionSweep.dims', s1.dims, true);
  checkSlipsSettings('dimensionSweep.slips', s1.slips);
  positiveList('dimensionSweep.epsilons', s1.epsilons);
  checkSchedule('dimensionSweep.schedule', s1.schedule);
  checkBudget('dimensionSweep.budget', s1.budget);
  checkBaselines('dimensionSweep.baselines', s1.baselines);
  integer('dimensionSweep.numDirections', s1.numDirections);
  integer('dimensionSweep.seeds', s1.seeds);

  const s2 = config.sweetSpot;
  object('sweetSpot', s2, 'an object { dim, slips, schedules, sigmaFactors, replicates, batchReplicates, perfectScore }');
  integer('sweetSpot.dim', s2.dim);
  checkSlipsSettings('sweetSpot.slips', s2.slips);
  if (!Array.isArray(s2.schedules) || s2.schedules.length === 0) invalidOption(FN, 'sweetSpot.schedules', s2.schedules, 'a non-empty array of { schedule, horizon?, epsilons }');
  s2.schedules.forEach((s, i) => {
    checkSchedule(`sweetSpot.schedules[${i}]`, s);
    positiveList(`sweetSpot.schedules[${i}].epsilons`, s.epsilons);
  });
  positiveList('sweetSpot.sigmaFactors', s2.sigmaFactors);
  integer('sweetSpot.replicates', s2.replicates);
  checkBoolean(FN, 'sweetSpot.batchReplicates', s2.batchReplicates);
  checkBoolean(FN, 'sweetSpot.perfectScore', s2.perfectScore);

  const s3 = config.eightGaussians;
  object('eightGaussians', s3, 'an object { slips, sigma, epsilon, schedule, budget, baselines, seeds, gridSize }');
  checkSlipsSettings('eightGaussians.slips', s3.slips);
  positive('eightGaussians.sigma', s3.sigma);
  positive('eightGaussians.epsilon', s3.epsilon);
  checkSchedule('eightGaussians.schedule', s3.schedule);
  checkBudget('eightGaussians.budget', s3.budget);
  checkBaselines('eightGaussians.baselines', s3.baselines);
  integer('eightGaussians.seeds', s3.seeds);
  integer('eightGaussians.gridSize', s3.gridSize, 2);

  const s4 = config.phiFour;
  if (s4 !== null) {
    object('phiFour', s4, 'null or an object { dim, tilts, slips, epsilon, epsilonEnd, schedule, budget, baselines, seeds }');
    integer('phiFour.dim', s4.dim, 2);
    if (!Array.isArray(s4.tilts) || s4.tilts.length === 0) invalidOption(FN, 'phiFour.tilts', s4.tilts, 'a non-empty array of tilts b >= 0');
    s4.tilts.forEach((b, i) => checkNumber(FN, `phiFour.tilts[${i}]`, b, 'nonNegative'));
    checkSlipsSettings('phiFour.slips', s4.slips);
    positive('phiFour.epsilon', s4.epsilon);
    positive('phiFour.epsilonEnd', s4.epsilonEnd);
    checkSchedule('phiFour.schedule', s4.schedule);
    checkBudget('phiFour.budget', s4.budget);
    checkBaselines('phiFour.baselines', s4.baselines);
    integer('phiFour.seeds', s4.seeds);
  }
  return config;
}
