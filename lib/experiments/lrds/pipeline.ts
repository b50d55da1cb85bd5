/**
 * The GMM-LRDS pipeline end to end, and its Gaussian-reference baselines (spec slips-lrds-amcbg.md section 2.3):
 *
 *   1. local MALA around the known modes, the same number of chains per mode (samplers/diffusion/rds/localMcmc.ts),
 *      so the data have about equal mode weights whatever the target's are;
 *   2. GMM-LRDS: a Gaussian mixture fitted to the data by EM (models/gaussianMixtureFit.ts; J = number of modes,
 *      `means_init` = the modes) is the reference pi^ref of the VP noising SDE; the baselines use the Gaussian
 *      reference N(0, sigma^2 I) of their SDE with sigma from the same data (sigmaOpt.ts): LV-DDS (VP, sigma_opt) and
 *      LV-PIS (pinned BM, sigma_opt / sqrt(T));
 *   3. the FourierMLP control (near-zero output: training starts from the reference process) trained with the
 *      log-variance loss (trainers/rdsTraining.ts);
 *   4. sampling with the trained control (samplers/diffusion/rds/rds.ts): unweighted samples (the paper's mode
 *      weights) and IS weights exp(-rnd) (log Z, ESS).
 *
 *   const data = await lrdsData(key, target, settings.mcmc);
 *   const run = await runRdsMethod(key2, target, 'gmm-lrds', data, settings);
 *   run.modeWeights, run.modeWeightError (percentage points), run.losses, run.evaluation
 */
import * as tf from '@tensorflow/tfjs';
import { foldIn, split, type Key } from '../../core/random.js';
import { checkChoice, invalidOption } from '../../core/validate.js';
import { modeWeights } from '../../metrics/modeWeights.js';
import { fitGaussianMixture, type GaussianMixtureFit, type MixtureCovarianceType } from '../../models/gaussianMixtureFit.js';
import { fourierMlp } from '../../models/fourierMlp.js';
import { localMcmc } from '../../samplers/diffusion/rds/localMcmc.js';
import { pinnedBrownianSde, vpSde, type NoisingSde } from '../../samplers/diffusion/rds/noisingSde.js';
import { rds, type RdsDetails } from '../../samplers/diffusion/rds/rds.js';
import { rdsTimeGrid } from '../../samplers/diffusion/rds/rdsTimeGrid.js';
import { defaultReference, mixtureReference, type RdsReference } from '../../samplers/diffusion/rds/referenceMarginal.js';
import { baselineScale, sigmaOpt } from '../../samplers/diffusion/rds/sigmaOpt.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../targets/mixture.js';
import type { Target } from '../../targets/target.js';
import { trainRdsControl } from '../../trainers/rdsTraining.js';

/** The methods of the LRDS comparisons. */
export type RdsMethod = 'gmm-lrds' | 'lv-dds' | 'lv-pis';
export const RDS_METHODS: readonly RdsMethod[] = ['gmm-lrds', 'lv-dds', 'lv-pis'];
export const RDS_METHOD_LABELS: Record<RdsMethod, string> = { 'gmm-lrds': 'GMM-LRDS', 'lv-dds': 'LV-DDS', 'lv-pis': 'LV-PIS' };

export interface LocalMcmcSettings {
  chainsPerMode: number;
  numWarmup: number;
  numSteps: number;
}

export interface RdsTrainSettings {
  /** Time steps of the generative SDE (uniform grid). */
  numTimeSteps: number;
  /** FourierMLP depth and width. */
  numLayers: number;
  channels: number;
  steps: number;
  batchSize: number;
  learningRate: number;
  /** StepLR: learning rate x gamma after every `every` steps (the quick config's 3e-3 -> 3e-4). */
  schedule?: { every: number; gamma: number };
  /** Samples drawn with the trained control for the evaluation. */
  numEvalParticles: number;
}

export interface RdsMethodSettings {
  train: RdsTrainSettings;
  /** GMM-LRDS: covariance type of the fit (default 'diag', the reference's). */
  covarianceType?: MixtureCovarianceType;
  /** GMM-LRDS: J components seeded by k-means++ (default: one per mode, started at the modes). */
  numComponents?: number;
  /** GMM-LRDS: replace the fitted weights by these (the w_ref sweep, Fig. 1 right); default the fit's. */
  referenceWeights?: readonly number[];
  /** LV-DDS / LV-PIS: sigma / sigma_opt (the sigma sweep, Fig. 1 left); default 1. */
  sigmaFactor?: number;
}

/** What the local MCMC gives every method. */
export interface LrdsData {
  /** [N, d] local-MCMC samples (dispose with `disposeLrdsData`). */
  samples: tf.Tensor2D;
  /** The mode locations the chains started at. */
  modes: number[][];
  sigmaOpt: number;
  acceptance: number;
  /** Fraction of the samples the target assigns to each mode (about equal by construction). */
  dataModeWeights: number[];
}

/** The modes of a Gaussian-mixture target (the "known modes" of the pipeline). */
export function modeLocations(target: GaussianMixtureTarget): number[][] {
  return target.components.means.map((m) => Array.from(m));
}

/**
 * Step 1: local MALA around the known modes (default: the mixture's means; Rings: points on the rings), and
 * sigma_opt of the data.
 */
export async function lrdsData(
  key: Key,
  target: Target,
  settings: LocalMcmcSettings,
  signal?: AbortSignal,
  modes: number[][] = modeLocations(target as GaussianMixtureTarget),
): Promise<LrdsData> {
  const run = await localMcmc(key, target, { modes, chainsPerMode: settings.chainsPerMode, numWarmup: settings.numWarmup, numSteps: settings.numSteps, signal });
  const scale = await sigmaOpt(run.samples);
  const assigned = await target.modes!.assign(run.samples);
  return { samples: run.samples, modes, sigmaOpt: scale.sigma, acceptance: run.acceptance, dataModeWeights: modeWeights(assigned, target.modes!.weights.length) };
}

export function disposeLrdsData(data: LrdsData): void {
  data.samples.dispose();
}

/**
 * Step 2 for GMM-LRDS: the EM fit, up to 1000 iterations. Default J = the number of modes with means_init = the modes;
 * with `numComponents` J (Rings: 16) the means are seeded by k-means++ from `key`.
 */
export async function fitLrdsReference(
  data: LrdsData,
  covarianceType: MixtureCovarianceType = 'diag',
  signal?: AbortSignal,
  components: { numComponents: number; key: Key } | null = null,
): Promise<GaussianMixtureFit> {
  const init = components === null ? { numComponents: data.modes.length, meansInit: data.modes } : components;
  return fitGaussianMixture(data.samples, { ...init, covarianceType, maxIter: 1000, signal });
}

export interface RdsMethodRun {
  method: RdsMethod;
  sde: NoisingSde;
  /** The reference's weights (GMM-LRDS) or [1]. */
  referenceWeights: number[];
  /** The scale sigma of the SDE. */
  sigma: number;
  /** Per-step training losses. */
  losses: Float64Array;
  /** Unweighted fraction of the samples in each mode. */
  modeWeights: number[];
  /** IS-weighted (exp(-rnd)) fraction in each mode. */
  weightedModeWeights: number[];
  /** |100 h_0 - 100 w_0|, percentage points (the paper's metric); NaN when the run diverged. */
  modeWeightError: number;
  /** True when no generated trajectory had a finite rnd (the trained control blew up): every metric is NaN. */
  diverged: boolean;
  /** The sampler's details (rnd, ELBO, log Z, ESS), or null when the run diverged. */
  details: RdsDetails | null;
  /** Generated samples [numEvalParticles, d] (dispose), or null when `keepSamples` is false. */
  samples: tf.Tensor2D | null;
  trainSeconds: number;
  sampleSeconds: number;
}

/** Steps 2-4 for one method: the reference, the trained control, and the evaluation samples. */
export async function runRdsMethod(
  key: Key,
  target: Target,
  method: RdsMethod,
  data: LrdsData,
  settings: RdsMethodSettings,
  options: { signal?: AbortSignal; keepSamples?: boolean; onProgress?: (message: string) => void } = {},
): Promise<RdsMethodRun> {
  const fn = 'runRdsMethod';
  checkChoice(fn, 'method', method, RDS_METHODS);
  const { train } = settings;
  const d = target.dim;
  let sde: NoisingSde;
  let reference: RdsReference;
  let referenceWeights: number[];
  let owned: GaussianMixtureTarget;
  if (method === 'gmm-lrds') {
    sde = vpSde();
    const components = settings.numComponents === undefined ? null : { numComponents: settings.numComponents, key: foldIn(key, 7) };
    const fitted = await fitLrdsReference(data, settings.covarianceType ?? 'diag', options.signal, components);
    referenceWeights = settings.referenceWeights ? Array.from(settings.referenceWeights) : fitted.weights;
    if (referenceWeights.length !== fitted.weights.length) {
      invalidOption(fn, 'referenceWeights', settings.referenceWeights, `${fitted.weights.length} weights (one per component)`);
    }
    owned = gaussianMixture({ weights: referenceWeights, means: fitted.means, covariances: fitted.covariances as number[][], name: 'lrds-gmm-reference' });
    reference = mixtureReference(sde, owned);
  } else {
    const sigma = data.sigmaOpt * (settings.sigmaFactor ?? 1);
    sde = method === 'lv-dds' ? vpSde({ scale: baselineScale('vp', sigma, 1) }) : pinnedBrownianSde({ scale: baselineScale('pbm', sigma, 5) });
    reference = defaultReference(sde, d);
    owned = reference.mixture!;
    referenceWeights = [1];
  }
  const [netKey, trainKey, sampleKey] = split(key, 3);
  const net = fourierMlp(netKey, { dim: d, numLayers: train.numLayers, channels: train.channels });
  const grid = rdsTimeGrid(sde, train.numTimeSteps);
  try {
    const began = performance.now();
    const fitted = await trainRdsControl({
      sde, reference, target, control: net.asControl(), variables: net.variables, grid, batchSize: train.batchSize,
      steps: train.steps, key: trainKey, optimizer: { learningRate: train.learningRate }, schedule: train.schedule, nonFinite: 'skip',
      signal: options.signal,
      onProgress: options.onProgress && ((p) => options.onProgress!(`${RDS_METHOD_LABELS[method]} step ${p.step}/${p.steps}: LV ${p.loss.toPrecision(3)}`)),
    });
    const trainSeconds = (performance.now() - began) / 1000;
    const sampled = performance.now();
    const numModes = target.modes!.weights.length;
    let run: Awaited<ReturnType<typeof rds>>;
    try {
      run = await rds(sampleKey, target, { numParticles: train.numEvalParticles, sde, reference, control: net.asControl(), grid, signal: options.signal });
    } catch (err) {
      // a control that blew up in training: no trajectory has a finite rnd (rdsEvaluation.ts); a result, not a crash
      if (!(err instanceof Error && /none of the \d+ trajectories has a finite rnd/.test(err.message))) throw err;
      const nan = new Array<number>(numModes).fill(NaN);
      return {
        method, sde, referenceWeights, sigma: sde.scale, losses: fitted.losses, modeWeights: nan, weightedModeWeights: nan.slice(), modeWeightError: NaN,
        diverged: true, details: null, samples: null, trainSeconds, sampleSeconds: (performance.now() - sampled) / 1000,
      };
    }
    const sampleSeconds = (performance.now() - sampled) / 1000;
    const assigned = await target.modes!.assign(run.particles);
    const unweighted = modeWeights(assigned, numModes);
    const weights = Array.from(run.logWeights!, (l) => Math.exp(l));
    const weighted = weights.some((w) => w > 0) ? modeWeights(assigned, numModes, weights) : new Array<number>(numModes).fill(NaN);
    const keep = options.keepSamples ?? false;
    if (!keep) run.particles.dispose();
    return {
      method, sde, referenceWeights, sigma: sde.scale, losses: fitted.losses, modeWeights: unweighted, weightedModeWeights: weighted,
      modeWeightError: 100 * Math.abs(unweighted[0] - target.modes!.weights[0]), diverged: false, details: run.details as RdsDetails,
      samples: keep ? run.particles : null, trainSeconds, sampleSeconds,
    };
  } finally {
    net.dispose();
    owned.dispose();
  }
}

/** A per-call key for cell `i` of a sweep (same numbers wherever the cell runs). */
export const cellKey = (root: Key, ...indices: number[]): Key => indices.reduce((k, i) => foldIn(k, i), root);
