/**
 * Configurations of the NF-MCMC paper's experiments (Grenioux, Durmus, Moulines & Gabrié, ICML 2023, "On sampling
 * with approximate transport maps"; spec papers/nfmcmc-nfebm-multimodal-eval.md sections 1.8 and 1.10):
 *
 * - `heatmaps` (figure F1.1, experiments E1 and E2): every sampler on the rotated ill-conditioned Gaussian and on
 *   Neal's funnel, for a grid of dimensions and of analytic flows of controlled quality;
 * - `modeWeights` (F1.2, E3): per-chain mode histograms on the 4-mode mixture with a briefly trained RealNVP;
 * - `illustration` (F1.3, E9): the 2-D mixture in data and latent space, NeuTra-MALA against i-SIR trajectories.
 *
 * `quick` runs on 2 CPU cores in a few minutes (the spec's "CPU-small" column, trimmed as its comments say);
 * `full` is the paper's scale (GPU hours). `nfmcmcConfig(name)` returns a fresh copy of either.
 */
import { checkInteger, checkNumber, invalidOption } from '../../core/validate.js';
import type { StepSchedule } from '../../trainers/fit.js';

/** Budget and sampler settings shared by the two targets of F1.1. */
export interface SamplerBudget {
  /** Parallel chains B of every MCMC sampler. */
  numChains: number;
  /** Recorded steps per chain, one per dimension in `dims` (a FlEx2 cycle of 1 + L moves counts as 1 + L steps). */
  numSteps: number[];
  /** Warm-up steps per chain (discarded; MALA step sizes adapt only there). */
  numWarmup: number;
  /** N, candidates per i-SIR step (current state included). */
  isirParticles: number;
  /** N of FlEx2's i-SIR step and L, its local MALA steps per cycle. */
  flex2Particles: number;
  flex2LocalSteps: number;
  /** Proposals of neural importance sampling, one per dimension (resampled to numChains x numSteps draws). */
  isSamples: number[];
  /** MALA's initial step size (flow_mcmc: 0.01). */
  initialStepSize: number;
}

/** One target of figure F1.1. */
export interface HeatmapTargetConfig extends SamplerBudget {
  dims: number[];
  /** Flow-quality parameters: t of the linear maps (1/2 exact) or beta of the funnel maps (1 exact). */
  qualities: number[];
}

export interface HeatmapConfig {
  gaussian: HeatmapTargetConfig;
  funnel: HeatmapTargetConfig;
  /** Random directions of the sliced KS distance. */
  numDirections: number;
  /** Exact reference draws of the sliced KS distance, as a multiple of the sampler's draws. */
  referenceFactor: number;
  /** Independent replicates (keys) of every cell. */
  seeds: number;
}

/** RealNVP and its forward-KL training on exact samples (spec 1.3 "flow pre-training"). */
export interface FlowTraining {
  numBlocks: number;
  hiddenDim: number;
  hiddenDepth: number;
  steps: number;
  batch: number;
  learningRate: number;
  /** Adam's L2 weight decay (the reference: 1e-4). */
  weightDecay: number;
  /** StepLR: the learning rate times gamma every `every` steps (the reference: 0.99 every `patience` steps). Omitted: constant. */
  schedule?: StepSchedule;
  /** Exact draws held out to estimate the forward KL at step 0 and at the end (./training.ts). Omitted: not estimated. */
  heldOutSamples?: number;
  /** Train until the flow has left the near-identity plateau (./training.ts); `steps` is then a cap. Needs heldOutSamples. */
  untilOffPlateau?: PlateauExit;
}

/** The stopping rule of `FlowTraining.untilOffPlateau`. */
export interface PlateauExit {
  /** Stop at the first check where the held-out KL is at most this fraction of its step-0 value (0 < fraction < 1). */
  fraction: number;
  /** Steps between checks. */
  checkEvery: number;
}

/**
 * The reference's StepLR patience of the 4-mode flows (flow_mcmc `gaussian_mixture_flow.py`): linear in d from 100
 * steps at d = 16 to 200 at d = 256, truncated to an integer (95, 96 and 100 at d = 4, 8, 16; 106, 120, 146, 200 at
 * d = 32, 64, 128, 256), with gamma 0.99.
 */
export function referencePatience(dim: number): number {
  const slope = (200 - 100) / (256 - 16);
  return Math.trunc(slope * dim + (100 - 16 * slope));
}

/** The reference's learning-rate decay of the 4-mode flows: x0.99 every referencePatience(d) steps. */
const referenceDecay = (dim: number): StepSchedule => ({ every: referencePatience(dim), gamma: 0.99 });

export interface ModeWeightConfig {
  dims: number[];
  /** Flow per dimension (same order as dims): the reference's early checkpoint is imitated by few steps. */
  flows: FlowTraining[];
  /** Chains per run; a quarter start in each mode. */
  numChains: number;
  numSteps: number[];
  numWarmup: number;
  isirParticles: number[];
  flex2Particles: number[];
  flex2LocalSteps: number;
  isSamples: number[];
  initialStepSize: number;
  seeds: number;
}

export interface IllustrationConfig {
  flow: FlowTraining;
  /** Chains per sampler, all started in the mode at (-1.5, -1.5). */
  numChains: number;
  numSteps: number;
  /** Warm-up steps that only tune NeuTra-MALA's step size (the trajectories restart from the initial points). */
  numWarmup: number;
  isirParticles: number;
  initialStepSize: number;
  /** Chains drawn as trajectories in the figure (all are in the tables). */
  chainsShown: number;
  /** Points per axis of the density grids. */
  gridSize: number;
}

export interface NfmcmcConfig {
  name: string;
  /** Root seed: every key of every run derives from key(seed). */
  seed: number;
  heatmaps: HeatmapConfig;
  modeWeights: ModeWeightConfig;
  illustration: IllustrationConfig;
}

/** n values from 10^a to 10^b, equally spaced in log scale. */
function logspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => 10 ** (a + ((b - a) * i) / (n - 1)));
}

/** n values from a to b. */
function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** Sorted union of the grid and the exact value (the reference runs "perfect" separately). */
function withPerfect(grid: number[], perfect: number): number[] {
  const rounded = grid.map((v) => Number(v.toPrecision(4)));
  return [...new Set([...rounded, perfect])].sort((a, b) => a - b);
}

/**
 * quick: the spec's CPU-small column (section 1.10), trimmed to fit the whole `figures nfmcmc --quick` run in about
 * five minutes on 2 shared cores. F1.1: d in {4, 8, 16, 32, 64} as the spec, but 5 flows (4 + the exact one, not
 * 7 + exact) and 16 chains x 200 recorded steps (not 400) after 100 warm-up steps; IS N = 16 x 200. F1.2: d in
 * {4, 8, 16}, RealNVP K = 4, H = 32 (batch 512, lr 5e-3 with the reference's x0.99 decay every 95-100 steps) trained
 * until its held-out forward KL is at most 1/4 of its value at the near-identity start (checked every 50 steps on
 * 4096 exact draws; at most 2000 steps), 16 chains x 300 steps. F1.3: K = 4,
 * H = 64 trained 1000 steps at batch 512 (not 1024), 8 chains x 128 steps.
 */
function quick(): NfmcmcConfig {
  const budget = (dims: number[]): SamplerBudget => ({
    numChains: 16,
    numSteps: dims.map(() => 200),
    numWarmup: 100,
    isirParticles: 32,
    flex2Particles: 32,
    flex2LocalSteps: 20,
    isSamples: dims.map(() => 16 * 200),
    initialStepSize: 0.01,
  });
  const dims = [4, 8, 16, 32, 64];
  // The plateau at the near-identity start lasted 400-1150 steps at d = 8 (4 flows measured), 150-350 at d = 16 (3);
  // at d = 4 none of 5 flows left it (3 trained 1500 steps, 2 trained 6000). 2000 is the cap; the run reports whether
  // each flow left the plateau (figures/nfmcmc/README.md, "held-out KL").
  const flow = (dim: number): FlowTraining => ({
    numBlocks: 4,
    hiddenDim: 32,
    hiddenDepth: 3,
    steps: 2000,
    batch: 512,
    learningRate: 5e-3,
    weightDecay: 1e-4,
    schedule: referenceDecay(dim),
    heldOutSamples: 4096,
    untilOffPlateau: { fraction: 0.25, checkEvery: 50 },
  });
  return {
    name: 'quick',
    seed: 2023,
    heatmaps: {
      gaussian: { dims, qualities: [0.2, 0.4, 0.5, 0.6, 0.8], ...budget(dims) },
      funnel: { dims, qualities: [0.1, 0.3, 1, 3, 10], ...budget(dims) },
      numDirections: 64,
      referenceFactor: 1,
      seeds: 2,
    },
    modeWeights: {
      dims: [4, 8, 16],
      flows: [flow(4), flow(8), flow(16)],
      numChains: 16,
      numSteps: [300, 300, 300],
      numWarmup: 100,
      isirParticles: [64, 64, 64],
      flex2Particles: [64, 64, 64],
      flex2LocalSteps: 5,
      isSamples: [16 * 300, 16 * 300, 16 * 300],
      initialStepSize: 0.01,
      seeds: 2,
    },
    illustration: {
      flow: { numBlocks: 4, hiddenDim: 64, hiddenDepth: 3, steps: 1000, batch: 512, learningRate: 5e-3, weightDecay: 1e-4 },
      numChains: 8,
      numSteps: 128,
      numWarmup: 256,
      isirParticles: 64,
      initialStepSize: 0.01,
      chainsShown: 4,
      gridSize: 60,
    },
  };
}

/**
 * full: the paper's settings (spec section 1.8: E1, E2, E3 with the section 1.5 flow sizes and an early
 * checkpoint at about 5 % of the reference schedule; E9). GPU hours; not run on this machine.
 */
function full(): NfmcmcConfig {
  const dims = [16, 32, 64, 128, 256];
  const steps = (start: number, step: number) => dims.map((_, i) => start + i * step);
  const moGFlow = (dim: number, numBlocks: number, hiddenDim: number, steps: number, learningRate: number): FlowTraining => ({
    numBlocks,
    hiddenDim,
    hiddenDepth: 3,
    steps,
    batch: 8192,
    learningRate,
    weightDecay: 1e-4,
    schedule: referenceDecay(dim),
    heldOutSamples: 8192,
  });
  return {
    name: 'full',
    seed: 2023,
    heatmaps: {
      gaussian: {
        dims,
        qualities: withPerfect(linspace(0, 1, 10), 0.5),
        numChains: 32,
        numSteps: steps(1100, 100),
        numWarmup: 200,
        isirParticles: 40,
        flex2Particles: 40,
        flex2LocalSteps: 50,
        isSamples: steps(11000, 1000),
        initialStepSize: 0.01,
      },
      funnel: {
        dims,
        qualities: withPerfect(logspace(-1, 1, 12), 1),
        numChains: 32,
        numSteps: steps(500, 50),
        numWarmup: 200,
        isirParticles: 60,
        flex2Particles: 60,
        flex2LocalSteps: 10,
        isSamples: steps(7500, 750),
        initialStepSize: 0.01,
      },
      numDirections: 128,
      referenceFactor: 3,
      seeds: 5,
    },
    modeWeights: {
      dims,
      // K, H, learning rate and its decay from spec 1.5; 5 % of the 50k-90k steps (the reference's early checkpoint).
      flows: [moGFlow(16, 4, 64, 2500, 1e-2), moGFlow(32, 4, 76, 2633, 7.4e-3), moGFlow(64, 4, 102, 2900, 4e-3), moGFlow(128, 5, 153, 3433, 1.2e-3), moGFlow(256, 8, 256, 4500, 1e-4)],
      numChains: 32,
      numSteps: steps(700, 200),
      numWarmup: 200,
      isirParticles: steps(120, 20),
      flex2Particles: steps(120, 20),
      flex2LocalSteps: 5,
      isSamples: [21000, 31500, 44000, 58500, 75000],
      initialStepSize: 0.01,
      seeds: 5,
    },
    illustration: {
      flow: { numBlocks: 4, hiddenDim: 64, hiddenDepth: 3, steps: 4000, batch: 4096, learningRate: 1e-2, weightDecay: 1e-4 },
      numChains: 8,
      numSteps: 128,
      numWarmup: 256,
      isirParticles: 64,
      initialStepSize: 0.01,
      chainsShown: 8,
      gridSize: 128,
    },
  };
}

const CONFIGS = { quick, full } as const;
export type NfmcmcConfigName = keyof typeof CONFIGS;
export const NFMCMC_CONFIG_NAMES = Object.keys(CONFIGS) as NfmcmcConfigName[];

/** A fresh copy of the named configuration; an unknown name fails with the list of known ones. */
export function nfmcmcConfig(name: string): NfmcmcConfig {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(CONFIGS, name)) {
    invalidOption('nfmcmcConfig', 'config', name, `one of ${NFMCMC_CONFIG_NAMES.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  return CONFIGS[name as NfmcmcConfigName]();
}

// ---------------------------------------------------------------------------------------------------------------
// Checks (a hand-made config, e.g. a tiny one in a test or a notebook, fails early with the option's path)

const FN = 'nfmcmc';
const integer = (path: string, value: unknown, min = 1): number => checkInteger(FN, path, value, min);
const positive = (path: string, value: unknown): number => checkNumber(FN, path, value, 'positive');

function perDim(path: string, value: unknown, dims: number[], min = 1): void {
  if (!Array.isArray(value) || value.length !== dims.length) {
    invalidOption(FN, path, value, `an array of ${dims.length} integers, one per dimension in dims [${dims.join(', ')}]`);
  }
  value.forEach((v, i) => integer(`${path}[${i}]`, v, min));
}

function checkDims(path: string, dims: unknown, even: boolean): number[] {
  if (!Array.isArray(dims) || dims.length === 0) invalidOption(FN, path, dims, 'a non-empty array of dimensions');
  dims.forEach((d, i) => {
    integer(`${path}[${i}]`, d, 2);
    if (even && d % 2 !== 0) invalidOption(FN, `${path}[${i}]`, d, 'an even dimension (the 4-mode means split the coordinates in halves)');
  });
  return dims as number[];
}

function checkFlowTraining(path: string, f: FlowTraining): void {
  if (f == null || typeof f !== 'object') invalidOption(FN, path, f, 'an object { numBlocks, hiddenDim, hiddenDepth, steps, batch, learningRate, weightDecay }');
  integer(`${path}.numBlocks`, f.numBlocks);
  integer(`${path}.hiddenDim`, f.hiddenDim);
  integer(`${path}.hiddenDepth`, f.hiddenDepth, 2);
  integer(`${path}.steps`, f.steps);
  integer(`${path}.batch`, f.batch);
  positive(`${path}.learningRate`, f.learningRate);
  checkNumber(FN, `${path}.weightDecay`, f.weightDecay, 'nonNegative');
  if (f.schedule !== undefined) {
    if (f.schedule === null || typeof f.schedule !== 'object') invalidOption(FN, `${path}.schedule`, f.schedule, 'a step schedule { every, gamma } or undefined');
    integer(`${path}.schedule.every`, f.schedule.every);
    const gamma = f.schedule.gamma;
    if (typeof gamma !== 'number' || !(gamma > 0 && gamma <= 1)) invalidOption(FN, `${path}.schedule.gamma`, gamma, 'a number in (0, 1]');
  }
  if (f.heldOutSamples !== undefined) integer(`${path}.heldOutSamples`, f.heldOutSamples, 2);
  const p = f.untilOffPlateau;
  if (p !== undefined) {
    if (p === null || typeof p !== 'object') invalidOption(FN, `${path}.untilOffPlateau`, p, 'an object { fraction, checkEvery } or undefined');
    if (f.heldOutSamples === undefined) invalidOption(FN, `${path}.heldOutSamples`, undefined, 'an integer >= 2 (the held-out draws that untilOffPlateau checks)');
    if (typeof p.fraction !== 'number' || !(p.fraction > 0 && p.fraction < 1)) invalidOption(FN, `${path}.untilOffPlateau.fraction`, p.fraction, 'a number in (0, 1)');
    integer(`${path}.untilOffPlateau.checkEvery`, p.checkEvery);
  }
}

function checkBudget(path: string, b: SamplerBudget, dims: number[]): void {
  integer(`${path}.numChains`, b.numChains);
  perDim(`${path}.numSteps`, b.numSteps, dims);
  integer(`${path}.numWarmup`, b.numWarmup, 0);
  integer(`${path}.isirParticles`, b.isirParticles, 2);
  integer(`${path}.flex2Particles`, b.flex2Particles, 2);
  integer(`${path}.flex2LocalSteps`, b.flex2LocalSteps, 0);
  perDim(`${path}.isSamples`, b.isSamples, dims);
  positive(`${path}.initialStepSize`, b.initialStepSize);
}

/** Check every field of a configuration (paths like "heatmaps.funnel.numSteps[2]" in the errors); returns it. */
export function checkNfmcmcConfig(config: NfmcmcConfig): NfmcmcConfig {
  if (config == null || typeof config !== 'object') invalidOption(FN, 'config', config, `a configuration object or one of ${NFMCMC_CONFIG_NAMES.join(', ')}`);
  integer('seed', config.seed, 0);
  const h = config.heatmaps;
  if (h == null || typeof h !== 'object') invalidOption(FN, 'heatmaps', h, 'an object { gaussian, funnel, numDirections, referenceFactor, seeds }');
  for (const which of ['gaussian', 'funnel'] as const) {
    const g = h[which];
    if (g == null || typeof g !== 'object') invalidOption(FN, `heatmaps.${which}`, g, 'an object { dims, qualities, numChains, ... }');
    const dims = checkDims(`heatmaps.${which}.dims`, g.dims, false);
    if (!Array.isArray(g.qualities) || g.qualities.length === 0) invalidOption(FN, `heatmaps.${which}.qualities`, g.qualities, 'a non-empty array of flow-quality values');
    g.qualities.forEach((q, i) => {
      if (which === 'gaussian' && !(typeof q === 'number' && q >= 0 && q <= 1)) invalidOption(FN, `heatmaps.gaussian.qualities[${i}]`, q, 'a value t in [0, 1] (0.5: exact flow)');
      if (which === 'funnel') positive(`heatmaps.funnel.qualities[${i}]`, q);
    });
    checkBudget(`heatmaps.${which}`, g, dims);
  }
  integer('heatmaps.numDirections', h.numDirections);
  positive('heatmaps.referenceFactor', h.referenceFactor);
  integer('heatmaps.seeds', h.seeds);
  const m = config.modeWeights;
  if (m == null || typeof m !== 'object') invalidOption(FN, 'modeWeights', m, 'an object { dims, flows, numChains, ... }');
  const dims = checkDims('modeWeights.dims', m.dims, true);
  if (!Array.isArray(m.flows) || m.flows.length !== dims.length) invalidOption(FN, 'modeWeights.flows', m.flows, `one flow setting per dimension (${dims.length})`);
  m.flows.forEach((f, i) => checkFlowTraining(`modeWeights.flows[${i}]`, f));
  integer('modeWeights.numChains', m.numChains, 4);
  perDim('modeWeights.numSteps', m.numSteps, dims);
  integer('modeWeights.numWarmup', m.numWarmup, 0);
  perDim('modeWeights.isirParticles', m.isirParticles, dims, 2);
  perDim('modeWeights.flex2Particles', m.flex2Particles, dims, 2);
  integer('modeWeights.flex2LocalSteps', m.flex2LocalSteps, 0);
  perDim('modeWeights.isSamples', m.isSamples, dims);
  positive('modeWeights.initialStepSize', m.initialStepSize);
  integer('modeWeights.seeds', m.seeds);
  const il = config.illustration;
  if (il == null || typeof il !== 'object') invalidOption(FN, 'illustration', il, 'an object { flow, numChains, numSteps, ... }');
  checkFlowTraining('illustration.flow', il.flow);
  integer('illustration.numChains', il.numChains);
  integer('illustration.numSteps', il.numSteps);
  integer('illustration.numWarmup', il.numWarmup, 0);
  integer('illustration.isirParticles', il.isirParticles, 2);
  positive('illustration.initialStepSize', il.initialStepSize);
  integer('illustration.chainsShown', il.chainsShown, 0);
  integer('illustration.gridSize', il.gridSize, 3);
  return config;
}
