/**
 * The cells of the LRDS figures: one (dimension, seed) gives one local-MCMC data set, shared by every method of that
 * cell; one (dimension, seed, method, variant) gives one trained sampler and its evaluation, a row. A cell's key is
 * foldIn(root, d, seed[, method, variant]), so a row has the same numbers whichever figure asks for it first, and
 * L1 and L2 share the rows they have in common (GMM-LRDS with its fitted weights and LV-DDS at sigma_opt, at L1's d).
 */
import * as tf from '@tensorflow/tfjs';
import type { Key } from '../../core/random.js';
import { modeWeights } from '../../metrics/modeWeights.js';
import { readValues } from '../../core/readback.js';
import { linearSchedule } from '../../samplers/smc/tempering.js';
import { samplers } from '../../samplers/samplerRegistry.js';
import { gaussian } from '../../targets/gaussian.js';
import type { GaussianMixtureTarget } from '../../targets/mixture.js';
import { twoModesLrds } from '../../targets/twoModes.js';
import type { LrdsExperimentConfig } from './config.js';
import { cellKey, disposeLrdsData, lrdsData, RDS_METHOD_LABELS, RDS_METHODS, runRdsMethod, type LrdsData, type RdsMethod } from './pipeline.js';

export type LrdsMethodName = RdsMethod | 'smc';
export const METHOD_LABELS: Record<LrdsMethodName, string> = { ...RDS_METHOD_LABELS, smc: 'SMC' };

/** A variant of a method: the sigma factor of the Gaussian-reference baselines or the GMM reference weight w_ref. */
export interface Variant {
  sigmaFactor?: number;
  referenceWeight?: number;
}

export interface LrdsRow {
  dim: number;
  seed: number;
  method: string;
  /** sigma / sigma_opt (LV-DDS, LV-PIS), else null. */
  sigmaFactor: number | null;
  /** w_ref of the heavy mode given to GMM-RDS (null: the EM fit's). */
  referenceWeight: number | null;
  /** The reference's first weight as used (GMM-LRDS), else null. */
  usedReferenceWeight: number | null;
  sigma: number | null;
  /** Unweighted fraction in the heavy mode (SMC: weighted). */
  modeWeight: number;
  /** IS-weighted fraction (RDS: w ~ exp(-rnd)), or SMC's weighted one. */
  weightedModeWeight: number;
  trueModeWeight: number;
  /** |100 h - 100 w|, percentage points. */
  modeWeightError: number;
  logZ: number;
  logZStandardError: number;
  /** Normalised ESS. */
  essFraction: number;
  /** Mean of the last 10 % of the training losses (NaN for SMC). */
  finalLoss: number;
  /** Fraction of the local-MCMC data in the heavy mode (~1/2 by construction). */
  dataModeWeight: number;
  /** No generated trajectory had a finite rnd (the metrics are NaN, left out of the means over seeds). */
  diverged: boolean;
  trainSeconds: number;
  sampleSeconds: number;
}

const variantId = (v: Variant) => `${v.sigmaFactor ?? ''}|${v.referenceWeight ?? ''}`;

/** Mean and full covariance of the rows of `x` [N, d] (float64), for SMC's Gaussian prior. */
async function meanAndCovariance(x: tf.Tensor2D): Promise<{ mean: number[]; covariance: number[][] }> {
  const [n, d] = x.shape;
  const v = await readValues(x);
  const mean = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += v[i * d + j] / n;
  const covariance = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const a = v[i * d + j] - mean[j];
      for (let k = 0; k <= j; k++) covariance[j][k] += (a * (v[i * d + k] - mean[k])) / (n - 1);
    }
  }
  for (let j = 0; j < d; j++) for (let k = j + 1; k < d; k++) covariance[j][k] = covariance[k][j];
  return { mean, covariance };
}

/** Lazily built data, targets and rows of a run of the LRDS figures; `dispose()` frees the data and targets. */
export class LrdsCells {
  private readonly targets = new Map<number, GaussianMixtureTarget>();
  private readonly data = new Map<string, LrdsData>();
  private readonly rows = new Map<string, LrdsRow>();

  constructor(private readonly config: LrdsExperimentConfig, private readonly root: Key, private readonly options: { signal?: AbortSignal; onProgress?: (m: string) => void } = {}) {}

  target(dim: number): GaussianMixtureTarget {
    if (!this.targets.has(dim)) this.targets.set(dim, twoModesLrds(dim));
    return this.targets.get(dim)!;
  }

  async dataFor(dim: number, seed: number): Promise<LrdsData> {
    const id = `${dim}|${seed}`;
    if (!this.data.has(id)) this.data.set(id, await lrdsData(cellKey(this.root, dim, seed, 0), this.target(dim), this.config.mcmc, this.options.signal));
    return this.data.get(id)!;
  }

  /** The row of (dim, seed, method, variant), computed once. */
  async row(dim: number, seed: number, method: LrdsMethodName, asked: Variant = {}): Promise<LrdsRow> {
    // the baselines' default is sigma_opt itself: {} and { sigmaFactor: 1 } are the same cell
    const variant = method === 'lv-dds' || method === 'lv-pis' ? { sigmaFactor: asked.sigmaFactor ?? 1 } : asked;
    const id = `${dim}|${seed}|${method}|${variantId(variant)}`;
    const cached = this.rows.get(id);
    if (cached) return cached;
    const data = await this.dataFor(dim, seed);
    const target = this.target(dim);
    const methodIndex = method === 'smc' ? RDS_METHODS.length : RDS_METHODS.indexOf(method);
    const k = cellKey(this.root, dim, seed, 1 + methodIndex, Math.round(1000 * (variant.sigmaFactor ?? variant.referenceWeight ?? 0)));
    const w0 = target.modes.weights[0];
    const common = { dim, seed, method: METHOD_LABELS[method], sigmaFactor: variant.sigmaFactor ?? null, referenceWeight: variant.referenceWeight ?? null, trueModeWeight: w0, dataModeWeight: data.dataModeWeights[0] };
    let row: LrdsRow;
    if (method === 'smc') {
      const began = performance.now();
      const { mean, covariance } = await meanAndCovariance(data.samples);
      const prior = gaussian(mean, covariance);
      const s = this.config.modeWeightTable.smc;
      try {
        const run = await samplers.get('smc')(k, target, {
          numParticles: s.numParticles, reference: prior, schedule: linearSchedule(s.numLevels), numMcmcSteps: s.numMcmcSteps,
          params: { stepSize: s.stepSize }, adaptStepSize: { targetAcceptance: 0.574 }, signal: this.options.signal,
        });
        const assigned = await target.modes.assign(run.particles);
        run.particles.dispose();
        const h = modeWeights(assigned, 2, run.logWeights ? Array.from(run.logWeights, Math.exp) : undefined)[0];
        row = {
          ...common, usedReferenceWeight: null, sigma: null, modeWeight: h, weightedModeWeight: h, modeWeightError: 100 * Math.abs(h - w0),
          logZ: run.logZ ?? NaN, logZStandardError: run.logZStandardError ?? NaN, essFraction: run.ess / s.numParticles, finalLoss: NaN, diverged: false,
          trainSeconds: 0, sampleSeconds: (performance.now() - began) / 1000,
        };
      } finally {
        prior.dispose();
      }
    } else {
      const referenceWeights = variant.referenceWeight === undefined ? undefined : [variant.referenceWeight, 1 - variant.referenceWeight];
      const run = await runRdsMethod(k, target, method, data, { train: this.config.train, referenceWeights, sigmaFactor: variant.sigmaFactor }, { signal: this.options.signal });
      const tail = run.losses.slice(Math.floor(0.9 * run.losses.length)).filter(Number.isFinite);
      const e = run.details?.evaluation ?? { logZ: NaN, logZStandardError: NaN, normalisedEss: NaN };
      row = {
        ...common, usedReferenceWeight: method === 'gmm-lrds' ? run.referenceWeights[0] : null, sigma: method === 'gmm-lrds' ? null : run.sigma,
        modeWeight: run.modeWeights[0], weightedModeWeight: run.weightedModeWeights[0], modeWeightError: run.modeWeightError,
        logZ: e.logZ, logZStandardError: e.logZStandardError, essFraction: e.normalisedEss, diverged: run.diverged,
        finalLoss: tail.length > 0 ? tail.reduce((a, b) => a + b, 0) / tail.length : NaN, trainSeconds: run.trainSeconds, sampleSeconds: run.sampleSeconds,
      };
    }
    this.rows.set(id, row);
    const v = variant.sigmaFactor !== undefined ? ` σ/σ_opt=${variant.sigmaFactor}` : variant.referenceWeight !== undefined ? ` w_ref=${variant.referenceWeight}` : '';
    this.options.onProgress?.(
      `LRDS d=${dim} seed ${seed} ${METHOD_LABELS[method]}${v}: heavy-mode weight ${row.modeWeight.toFixed(3)} (true ${w0.toFixed(3)}), ` +
        `error ${row.modeWeightError.toFixed(1)} points${row.diverged ? ' (DIVERGED: no finite rnd)' : ''}, ${(row.trainSeconds + row.sampleSeconds).toFixed(1)} s`,
    );
    return row;
  }

  dispose(): void {
    for (const d of this.data.values()) disposeLrdsData(d);
    for (const t of this.targets.values()) t.dispose();
    this.data.clear();
    this.targets.clear();
  }
}
