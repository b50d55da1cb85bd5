/**
 * The computation behind notebooks/reactive/mixture-explorer.html: build a Gaussian mixture from the page's
 * controls, sample it with the library's MALA (`runChain`) or SMC (geometric tempering from a wide Gaussian), and
 * return plain data for the charts (projected samples, mode means, true and recovered mode weights).
 *
 * Browser-safe on purpose: it imports only modules whose import graph is free of Node built-ins (targets/mixture,
 * targets/gaussian, samplers/mcmc/mala, samplers/runChain, samplers/smc/smc, metrics/modeWeights, core/random).
 * It never imports lib/core/backend.ts (Node-only: nativeMatMul.ts loads node:module / node:fs); the page picks
 * the tfjs backend itself (browserBackend.ts: webgpu, else wasm, else cpu). runChain's checkpoint code loads node:fs
 * lazily and is never reached here. Every read of tensor values is `await`ed (no dataSync: see browserBackend.ts).
 *
 * The mixture: K isotropic unit-variance modes whose means sit on a regular K-gon in the plane of the first two
 * coordinates (all other coordinates 0), neighbouring means `separation` standard deviations apart, with unequal
 * weights w_k proportional to k + 1 (the last mode is the heaviest). Both samplers start from the same wide
 * Gaussian N(0, s0^2 I), s0 = radius + 2, so MALA's chains fall into basins by volume (the mode weights it recovers
 * are the basin masses, not w, once the modes are far apart) while SMC reweights along the tempering path.
 */
import * as tf from '@tensorflow/tfjs';
import { key as makeKey, split } from '../../lib/core/random.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { mala, type MalaParams, type MalaState } from '../../lib/samplers/mcmc/mala.js';
import { runChain, RunAbortedError } from '../../lib/samplers/runChain.js';
import { smc } from '../../lib/samplers/smc/smc.js';
import { modeWeights } from '../../lib/metrics/modeWeights.js';

export const SAMPLERS = ['MALA', 'SMC'] as const;
export type ExplorerSampler = (typeof SAMPLERS)[number];

/** Control ranges shared by the page's inputs and the option checks. */
export const LIMITS = {
  modes: { min: 2, max: 8 },
  separation: { min: 0.5, max: 16 },
  dim: { min: 2, max: 32 },
} as const;

/** The page's controls: their values when the page opens, unless its URL says otherwise (`controlsFromQuery`). */
export interface ExplorerControls {
  modes: number;
  separation: number;
  dim: number;
  sampler: ExplorerSampler;
}

export const DEFAULT_CONTROLS: Readonly<ExplorerControls> = { modes: 3, separation: 6, dim: 2, sampler: 'MALA' };

/** Step of the separation slider. */
export const SEPARATION_STEP = 0.5;

/**
 * The controls a page URL asks for, e.g. `?modes=5&separation=12&dim=16&sampler=SMC` (a link to one setting).
 * A missing or invalid value (not a number, out of range, not an integer, unknown sampler) keeps its default;
 * separation is rounded to the slider's step.
 */
export function controlsFromQuery(search: string): ExplorerControls {
  const query = new URLSearchParams(search);
  const number = (name: string): number | null => {
    const text = query.get(name);
    if (text == null || text.trim() === '') return null;
    const value = Number(text);
    return Number.isFinite(value) ? value : null;
  };
  const integer = (name: 'modes' | 'dim'): number => {
    const value = number(name);
    const { min, max } = LIMITS[name];
    return value !== null && Number.isInteger(value) && value >= min && value <= max ? value : DEFAULT_CONTROLS[name];
  };
  const rawSeparation = number('separation');
  const separation = rawSeparation === null ? null : Math.round(rawSeparation / SEPARATION_STEP) * SEPARATION_STEP;
  const sampler = query.get('sampler')?.toUpperCase();
  return {
    modes: integer('modes'),
    separation:
      separation !== null && separation >= LIMITS.separation.min && separation <= LIMITS.separation.max
        ? separation
        : DEFAULT_CONTROLS.separation,
    dim: integer('dim'),
    sampler: SAMPLERS.find((s) => s === sampler) ?? DEFAULT_CONTROLS.sampler,
  };
}

export interface ExplorerOptions {
  /** Number of mixture components, an integer in [2, 8]. */
  modes: number;
  /** Distance between neighbouring means, in within-mode standard deviations, in [0.5, 16]. */
  separation: number;
  /** Dimension, an integer in [2, 32]. */
  dim: number;
  sampler: ExplorerSampler;
  /** Chains (MALA) or particles (SMC). Default 1000. */
  numSamples?: number;
  /** MALA steps. Default 200. */
  numSteps?: number;
  /** MALA steps per SMC level. Default 10. */
  numMcmcSteps?: number;
  /** Seed of the run's key. Default 1. */
  seed?: number;
  /** Samples returned for the scatter plot (a prefix of all samples). Default 600. */
  maxPoints?: number;
  /** Stops the run between chunks (MALA) or levels (SMC); the run then throws an Error named 'AbortError'. */
  signal?: AbortSignal;
}

export interface ExplorerPoint {
  x: number;
  y: number;
  /** The mode `target.modes.assign` gives this sample. */
  mode: number;
}

export interface ExplorerMean {
  mode: number;
  x: number;
  y: number;
  weight: number;
}

export interface ExplorerResult {
  modes: number;
  separation: number;
  dim: number;
  sampler: ExplorerSampler;
  /** target.modes.weights. */
  trueWeights: number[];
  /** Fraction of the samples (SMC: of the final normalised weights) that `target.modes.assign` puts in each mode. */
  recoveredWeights: number[];
  /** Total-variation distance between the two weight vectors. */
  totalVariation: number;
  /** Mode means projected on the first two coordinates. */
  means: ExplorerMean[];
  /** Samples projected on the first two coordinates (at most maxPoints). */
  points: ExplorerPoint[];
  /** Mean MALA acceptance (SMC: over the levels). */
  acceptanceRate: number;
  /** SMC only: number of tempering levels and the log Z estimate (compare with trueLogZ). */
  levels: number | null;
  logZ: number | null;
  /** The exact log Z = log sum_k (k + 1) (the weights are unnormalised). */
  trueLogZ: number;
  /** Standard deviation of the initial wide Gaussian. */
  referenceStd: number;
  backend: string;
  elapsedMs: number;
}

function invalid(option: string, value: unknown, expected: string): never {
  const shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  throw new Error(`mixtureExplorer: option "${option}" = ${shown}, expected ${expected}`);
}

function checkIntegerIn(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(option, value, `an integer in [${min}, ${max}]`);
  }
  return value;
}

/** Radius of the K-gon whose neighbouring vertices are `separation` apart. */
export function polygonRadius(modes: number, separation: number): number {
  return separation / (2 * Math.sin(Math.PI / modes));
}

/** The explorer's mixture: means on a K-gon in coordinates (0, 1), unit variances, weights proportional to k + 1. */
export function explorerMixture(modes: number, separation: number, dim: number): GaussianMixtureTarget {
  const r = polygonRadius(modes, separation);
  const means = Array.from({ length: modes }, (_, k) => {
    const mean = new Array<number>(dim).fill(0);
    const angle = (2 * Math.PI * k) / modes;
    mean[0] = r * Math.cos(angle);
    mean[1] = r * Math.sin(angle);
    return mean;
  });
  return gaussianMixture({
    weights: Array.from({ length: modes }, (_, k) => k + 1),
    means,
    covariances: new Array<number>(modes).fill(1),
    name: `explorer-${modes}modes-sep${separation}-${dim}d`,
  });
}

/** MALA step size for a unit-variance target in dimension d (about 0.57 acceptance on a single mode). */
function malaStepSize(dim: number): number {
  return Math.min(0.9, 1.2 * dim ** (-1 / 3));
}

/** Run the explorer: see the file comment. The caller need not dispose anything. */
export async function runExplorer(options: ExplorerOptions): Promise<ExplorerResult> {
  if (options == null || typeof options !== 'object') invalid('options', options, 'an object { modes, separation, dim, sampler }');
  const modes = checkIntegerIn('modes', options.modes, LIMITS.modes.min, LIMITS.modes.max);
  const dim = checkIntegerIn('dim', options.dim, LIMITS.dim.min, LIMITS.dim.max);
  const separation = options.separation;
  if (typeof separation !== 'number' || !(separation >= LIMITS.separation.min && separation <= LIMITS.separation.max)) {
    invalid('separation', separation, `a number in [${LIMITS.separation.min}, ${LIMITS.separation.max}]`);
  }
  const sampler = options.sampler;
  if (!SAMPLERS.includes(sampler)) invalid('sampler', sampler, `one of ${SAMPLERS.map((s) => `'${s}'`).join(', ')}`);
  const numSamples = checkIntegerIn('numSamples', options.numSamples ?? 1000, 2, 1_000_000);
  const numSteps = checkIntegerIn('numSteps', options.numSteps ?? 200, 1, 1_000_000);
  const numMcmcSteps = checkIntegerIn('numMcmcSteps', options.numMcmcSteps ?? 10, 0, 10_000);
  const seed = checkIntegerIn('seed', options.seed ?? 1, 0, Number.MAX_SAFE_INTEGER);
  const maxPoints = checkIntegerIn('maxPoints', options.maxPoints ?? 600, 0, 1_000_000);
  const signal = options.signal;

  const started = performance.now();
  const target = explorerMixture(modes, separation, dim);
  const referenceStd = polygonRadius(modes, separation) + 2;
  const reference = gaussian(new Array<number>(dim).fill(0), referenceStd ** 2, { name: 'wide-gaussian' });
  const [initKey, runKey] = split(makeKey(seed), 2);
  let positions: tf.Tensor2D | undefined;
  try {
    let sampleWeights: Float64Array | undefined;
    let acceptanceRate: number;
    let levels: number | null = null;
    let logZ: number | null = null;
    const stepSize = malaStepSize(dim);
    if (sampler === 'MALA') {
      const start = reference.sample(initKey, numSamples);
      let run;
      try {
        run = await runChain<MalaState, MalaParams>(runKey, mala(target), start, {
          numSteps,
          params: { stepSize },
          thin: numSteps, // keep only the last step's (cheap) scalar trace below
          transform: (state) => tf.mean(state.logDensity),
          chunkSize: 25,
          signal,
        });
      } catch (err) {
        if (err instanceof RunAbortedError) tf.dispose(err.result.state);
        throw err;
      } finally {
        start.dispose();
      }
      positions = run.state.position;
      tf.dispose(Object.values(run.state).filter((t) => t !== positions));
      acceptanceRate = run.infos.acceptanceRate.reduce((a, b) => a + b, 0) / run.infos.acceptanceRate.length;
    } else {
      const result = await smc(runKey, {
        reference,
        target,
        kernel: (t) => mala(t),
        params: { stepSize },
        numParticles: numSamples,
        numMcmcSteps,
        adaptStepSize: { targetAcceptance: 0.574, maxStepSize: 2 },
        signal,
      });
      positions = result.particles;
      sampleWeights = result.logWeights.map(Math.exp);
      const rates = result.levels.map((l) => l.acceptanceRate).filter(Number.isFinite);
      acceptanceRate = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : NaN;
      levels = result.levels.length;
      logZ = result.logZ;
    }
    // Host reads are asynchronous (`await`): on webgpu a synchronous read stalls the page (see browserBackend.ts).
    const assigned = await target.modes.assign(positions);
    const recoveredWeights = modeWeights(assigned, modes, sampleWeights);
    const trueWeights = target.modes.weights.slice();
    const shown = Math.min(maxPoints, numSamples);
    const xy = tf.tidy(() => positions!.slice([0, 0], [shown, 2]));
    const values = await xy.data();
    xy.dispose();
    const points: ExplorerPoint[] = Array.from({ length: shown }, (_, i) => ({
      x: values[2 * i],
      y: values[2 * i + 1],
      mode: assigned[i],
    }));
    const means = target.components.means.map((m, k) => ({ mode: k, x: m[0], y: m[1], weight: trueWeights[k] }));
    let totalVariation = 0;
    for (let k = 0; k < modes; k++) totalVariation += Math.abs(recoveredWeights[k] - trueWeights[k]) / 2;
    return {
      modes, separation, dim, sampler, trueWeights, recoveredWeights, totalVariation, means, points, acceptanceRate,
      levels, logZ, trueLogZ: target.logZ, referenceStd, backend: tf.getBackend(), elapsedMs: performance.now() - started,
    };
  } finally {
    positions?.dispose();
    target.dispose();
    reference.dispose();
  }
}
