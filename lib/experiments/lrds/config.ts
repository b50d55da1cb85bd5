/**
 * Configurations of the LRDS paper's figures (Noble, Grenioux, Gabrié & Durmus, "Learned Reference-based Diffusion
 * Sampling for multi-modal distributions", ICLR 2025; spec papers/slips-lrds-amcbg.md sections 2.6, 2.9 and 2.10):
 *
 * - `sigmaSensitivity` (L1, the paper's Fig. 1): on twoModesLrds(d), the mode-weight error of LV-DDS against its
 *   reference scale sigma (multiples of sigma_opt, the rule of the MCMC data), against GMM-LRDS (one value per seed,
 *   drawn as a flat line); and the error of GMM-RDS against the reference weight w_ref it is given (the fitted
 *   weights replaced by (w_ref, 1 - w_ref));
 * - `modeWeightTable` (L2, a mini Table 2): the mode-weight error against d for GMM-LRDS, LV-DDS (sigma_opt),
 *   LV-PIS (sigma_opt / sqrt 5, in `full`) and SMC (Gaussian prior fitted to the MCMC data, a fixed linear
 *   tempering schedule, MALA moves);
 * - `rings` (L3, the GMM part of Fig. 3): Rings with a J = 16 GMM reference, ring weights and ring thickness.
 * Every method gets the same local-MCMC data per (d, seed), the same network and the same training budget.
 *
 * `quick` runs `figures lrds --quick` in a few minutes on 2 shared CPU cores (d = 8 for L1, d in {4, 8, 16} for L2,
 * 3 seeds, 80 LV steps x 256 trajectories, 25 EI steps, a 3 x 32 FourierMLP); `full` is the paper's scale (GPU).
 * `lrdsExperimentConfig(name)` returns a fresh copy; `checkLrdsExperimentConfig` checks a hand-made one field by field.
 */
import { checkInteger, checkNumber, invalidOption } from '../../core/validate.js';
import { RDS_METHODS, type LocalMcmcSettings, type RdsMethod, type RdsTrainSettings } from './pipeline.js';

export interface SigmaSensitivityConfig {
  dim: number;
  /** sigma / sigma_opt of LV-DDS (the paper: sigma* x logspace(-1, 1, 8) plus sigma*). */
  sigmaFactors: number[];
  /** GMM-RDS reference weights w_ref of the first (heavy) mode. */
  referenceWeights: number[];
}

export interface SmcBaselineSettings {
  numParticles: number;
  /** Linear tempering levels. */
  numLevels: number;
  /** MALA steps per level. */
  numMcmcSteps: number;
  stepSize: number;
}

export interface ModeWeightTableConfig {
  dims: number[];
  methods: (RdsMethod | 'smc')[];
  smc: SmcBaselineSettings;
}

export interface RingsConfig {
  /** Initial points per ring of the local MALA (one chain each). */
  pointsPerRing: number;
  mcmc: LocalMcmcSettings;
  /** J of the GMM reference (full covariances, k-means++ seeding). */
  numComponents: number;
  methods: RdsMethod[];
}

export interface LrdsExperimentConfig {
  name: string;
  seed: number;
  seeds: number;
  mcmc: LocalMcmcSettings;
  train: RdsTrainSettings;
  sigmaSensitivity: SigmaSensitivityConfig;
  modeWeightTable: ModeWeightTableConfig;
  /** L3 (Rings), or null to skip it. */
  rings: RingsConfig | null;
}

const CONFIGS: Record<'quick' | 'full', LrdsExperimentConfig> = {
  quick: {
    name: 'quick',
    seed: 0,
    seeds: 3,
    // 2 modes x 4 chains x (200 warm-up + 250) MALA steps: 2000 points (spec 2.10: 10 000)
    mcmc: { chainsPerMode: 4, numWarmup: 200, numSteps: 250 },
    // spec 2.10 CPU: 400 x 256, 50 EI steps, 3 x 32, Adam 3e-3 -> 3e-4; trimmed to fit minutes on 2 cores
    train: { numTimeSteps: 25, numLayers: 3, channels: 32, steps: 80, batchSize: 256, learningRate: 1e-2, numEvalParticles: 2048 },
    sigmaSensitivity: { dim: 8, sigmaFactors: [0.1, 0.3, 1, 3, 10], referenceWeights: [0.2, 0.8] },
    modeWeightTable: { dims: [4, 8, 16], methods: ['gmm-lrds', 'lv-dds', 'smc'], smc: { numParticles: 2048, numLevels: 64, numMcmcSteps: 8, stepSize: 0.01 } },
    // 96 chains x (400 + 100) steps: 9 600 points
    rings: { pointsPerRing: 32, mcmc: { chainsPerMode: 1, numWarmup: 400, numSteps: 100 }, numComponents: 16, methods: ['gmm-lrds', 'lv-dds'] },
  },
  full: {
    name: 'full',
    seed: 0,
    seeds: 16,
    // 2 modes x 4 chains x (512 + 5000): 40 000 points
    mcmc: { chainsPerMode: 4, numWarmup: 512, numSteps: 5000 },
    train: { numTimeSteps: 100, numLayers: 4, channels: 64, steps: 4096, batchSize: 1024, learningRate: 3e-4, numEvalParticles: 8192 },
    sigmaSensitivity: { dim: 16, sigmaFactors: [0.1, 0.193, 0.373, 0.720, 1, 1.389, 2.683, 5.179, 10], referenceWeights: [0.1, 0.214, 0.329, 0.443, 0.557, 0.671, 0.786, 0.9] },
    modeWeightTable: { dims: [16, 32, 64], methods: ['gmm-lrds', 'lv-dds', 'lv-pis', 'smc'], smc: { numParticles: 1024, numLevels: 128, numMcmcSteps: 32, stepSize: 0.01 } },
    rings: { pointsPerRing: 32, mcmc: { chainsPerMode: 1, numWarmup: 512, numSteps: 420 }, numComponents: 16, methods: ['gmm-lrds', 'lv-dds', 'lv-pis'] },
  },
};

/** A fresh copy of a named configuration. */
export function lrdsExperimentConfig(name: string): LrdsExperimentConfig {
  if (name !== 'quick' && name !== 'full') invalidOption('lrdsExperimentConfig', 'name', name, "'quick' or 'full'");
  return structuredClone(CONFIGS[name]);
}

const positiveList = (fn: string, option: string, values: unknown, integer = false): number[] => {
  if (!Array.isArray(values) || values.length === 0) invalidOption(fn, option, values, 'a non-empty array');
  return values.map((v, i) => (integer ? checkInteger(fn, `${option}[${i}]`, v) : checkNumber(fn, `${option}[${i}]`, v, 'positive')));
};

/** Check a configuration field by field (errors name the field); returns it. */
export function checkLrdsExperimentConfig(config: LrdsExperimentConfig): LrdsExperimentConfig {
  const fn = 'checkLrdsExperimentConfig';
  if (config == null || typeof config !== 'object') invalidOption(fn, 'config', config, 'a configuration object');
  checkInteger(fn, 'seed', config.seed, 0);
  checkInteger(fn, 'seeds', config.seeds);
  const m = config.mcmc ?? invalidOption(fn, 'mcmc', config.mcmc, 'local-MCMC settings');
  checkInteger(fn, 'mcmc.chainsPerMode', m.chainsPerMode);
  checkInteger(fn, 'mcmc.numWarmup', m.numWarmup, 0);
  checkInteger(fn, 'mcmc.numSteps', m.numSteps);
  const t = config.train ?? invalidOption(fn, 'train', config.train, 'training settings');
  for (const k of ['numTimeSteps', 'numLayers', 'channels', 'steps', 'batchSize', 'numEvalParticles'] as const) checkInteger(fn, `train.${k}`, t[k], k === 'numLayers' || k === 'batchSize' ? 2 : 1);
  checkNumber(fn, 'train.learningRate', t.learningRate, 'positive');
  const s = config.sigmaSensitivity ?? invalidOption(fn, 'sigmaSensitivity', config.sigmaSensitivity, 'L1 settings');
  checkInteger(fn, 'sigmaSensitivity.dim', s.dim);
  positiveList(fn, 'sigmaSensitivity.sigmaFactors', s.sigmaFactors);
  positiveList(fn, 'sigmaSensitivity.referenceWeights', s.referenceWeights).forEach((w, i) => {
    if (!(w < 1)) invalidOption(fn, `sigmaSensitivity.referenceWeights[${i}]`, w, 'a weight in (0, 1)');
  });
  const table = config.modeWeightTable ?? invalidOption(fn, 'modeWeightTable', config.modeWeightTable, 'L2 settings');
  positiveList(fn, 'modeWeightTable.dims', table.dims, true);
  if (!Array.isArray(table.methods) || table.methods.length === 0) invalidOption(fn, 'modeWeightTable.methods', table.methods, 'a non-empty array');
  table.methods.forEach((method, i) => {
    if (method !== 'smc' && !RDS_METHODS.includes(method)) invalidOption(fn, `modeWeightTable.methods[${i}]`, method, `one of ${[...RDS_METHODS, 'smc'].join(', ')}`);
  });
  for (const k of ['numParticles', 'numLevels', 'numMcmcSteps'] as const) checkInteger(fn, `modeWeightTable.smc.${k}`, table.smc?.[k]);
  checkNumber(fn, 'modeWeightTable.smc.stepSize', table.smc.stepSize, 'positive');
  if (config.rings !== null) {
    const r = config.rings ?? invalidOption(fn, 'rings', config.rings, 'L3 settings or null');
    checkInteger(fn, 'rings.pointsPerRing', r.pointsPerRing);
    checkInteger(fn, 'rings.numComponents', r.numComponents);
    checkInteger(fn, 'rings.mcmc.chainsPerMode', r.mcmc?.chainsPerMode);
    checkInteger(fn, 'rings.mcmc.numWarmup', r.mcmc.numWarmup, 0);
    checkInteger(fn, 'rings.mcmc.numSteps', r.mcmc.numSteps);
    if (!Array.isArray(r.methods) || r.methods.length === 0) invalidOption(fn, 'rings.methods', r.methods, 'a non-empty array');
    r.methods.forEach((m, i) => RDS_METHODS.includes(m) || invalidOption(fn, `rings.methods[${i}]`, m, `one of ${RDS_METHODS.join(', ')}`));
  }
  return config;
}
