/**
 * Figure A2 (spec slips-lrds-amcbg.md 3.5): a learned diffusion model (an energy network trained by DSM on exact
 * samples, ./training.ts) drives aMC along its own path, gamma_k ∝ exp(-E_theta(t_k, .)) with gamma_0 = the true
 * target, for the kernels that need no Hessian ('firstOrder', 'mcmc'): same axes and metrics as A1.
 * Plus the 2 x 2 ablation (spec 3.4): at one setting, the first-order kernel with {exact, learned} score for the
 * proposal x {exact, learned} log-density for the weights. The paper's diagnosis (abstract, claim d) is that the
 * learned log-density, not the learned score, is the bottleneck.
 * The first level above t = 0 is t_1 = DSM_T_MIN = 1e-3, the smallest time the network was trained on (dsm.ts's
 * default); below it the learned energy is an extrapolation.
 */
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, type Key } from '../../core/random.js';
import type { DiffusionModel } from '../../diffusion/diffusionModel.js';
import { perfectModel } from '../../diffusion/forwardNoising.js';
import { vpSchedule } from '../../diffusion/vpSchedule.js';
import { logZError } from '../../metrics/importanceSampling.js';
import { modeWeightError, modeWeights } from '../../metrics/modeWeights.js';
import { amc } from '../../samplers/diffusion/amc.js';
import type { GaussianMixtureTarget } from '../../targets/mixture.js';
import { VEGA_LITE_SCHEMA } from '../../viz/chartOptions.js';
import type { AmcSettings, LearnedSweepConfig } from './config.js';
import { costColumns, panelName, summariseSweep, sweepSpecs, type SweepResult, type SweepRun } from './perfectSweep.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';
import { boundedBand, meanAndStandardError } from './statistics.js';
import { benchmarkMixture } from './targets.js';
import { trainEnergyModel } from './training.js';

export interface AblationRun {
  scoreSource: 'exact' | 'learned';
  densitySource: 'exact' | 'learned';
  seed: number;
  modeWeightError: number;
  absLogZError: number;
  essFraction: number;
}

export interface AblationSummaryRow {
  combination: string;
  scoreSource: string;
  densitySource: string;
  modeWeightError: number;
  modeWeightErrorSe: number;
  absLogZError: number;
  absLogZErrorSe: number;
  essFraction: number;
}

export interface LearnedSweepResult extends SweepResult {
  ablation: { runs: AblationRun[]; summary: AblationSummaryRow[]; spec: TopLevelSpec };
  /** Final DSM loss per trained model, by panel and separation. */
  trainingLosses: { panel: string; separation: number; finalLoss: number }[];
}

/** The smallest training time of dsmLoss (its default tMin, horizon 1), used as amc's t_1. */
const DSM_T_MIN = 1e-3;

/** One aMC run and its A1 metrics. */
async function runOnce(key: Key, model: DiffusionModel, target: GaussianMixtureTarget, kernel: 'firstOrder' | 'mcmc', sampler: AmcSettings) {
  const r = await amc(key, {
    model, target, kernel,
    numParticles: sampler.numParticles,
    numLevels: sampler.numLevels,
    resampleThreshold: sampler.resampleThreshold,
    reference: 'prior',
    tMin: DSM_T_MIN,
    ...(kernel === 'mcmc' ? { numMcmcSteps: sampler.mcmcSteps } : {}),
  });
  const assigned = await target.modes!.assign(r.particles);
  r.particles.dispose();
  const h = modeWeights(assigned, target.numComponents, Array.from(r.logWeights, Math.exp));
  return {
    modeWeightError: modeWeightError(h, target.componentWeights).totalVariation,
    absLogZError: Math.abs(logZError(r.logZ, target.logZ)),
    essFraction: r.levels[r.levels.length - 1].essFraction,
    distinctAncestorFraction: r.distinctAncestors / sampler.numParticles,
    cost: r.cost,
  };
}

export function ablationSpec(summary: readonly AblationSummaryRow[], setting: string): TopLevelSpec {
  const rows = summary.flatMap((s) => [
    { metric: 'mode-weight error (TV)', combination: s.combination, y: s.modeWeightError, ...boundedBand(s.modeWeightError, s.modeWeightErrorSe) },
    { metric: '|log Z error|', combination: s.combination, y: s.absLogZError, ...boundedBand(s.absLogZError, s.absLogZErrorSe, 0, Infinity) },
  ]);
  const x = { field: 'combination', type: 'nominal', title: ['score (proposal) /', 'log-density (weights)'], sort: summary.map((s) => s.combination), axis: { labelAngle: -30 } };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: 'A2 ablation: score source x log-density source (first-order kernel)', subtitle: setting },
    datasets: { ablation: rows },
    data: { name: 'ablation' },
    facet: { field: 'metric', type: 'nominal', title: null },
    spec: {
      width: 220,
      height: 180,
      layer: [
        { mark: 'bar', encoding: { x, y: { field: 'y', type: 'quantitative', title: null }, color: { field: 'combination', type: 'nominal', legend: null } } },
        { mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as unknown as TopLevelSpec;
}

/** Run the A2 sweep and the ablation (see the file header). One model per (dimension, modes, separation). */
export async function runLearnedSweep(config: LearnedSweepConfig, root: Key, options: ExperimentOptions = {}): Promise<LearnedSweepResult> {
  const began = performance.now();
  const schedule = vpSchedule();
  const runs: SweepRun[] = [];
  const trainingLosses: LearnedSweepResult['trainingLosses'] = [];
  let index = 0;
  for (const dim of config.dims) {
    for (const numModes of config.numModes) {
      const panel = panelName(dim, numModes);
      const panelBegan = performance.now();
      for (const separation of config.separations) {
        throwIfAborted(options.signal, 'amcbg');
        const target = benchmarkMixture({ dim, numModes, separation });
        const { net, finalLoss } = await trainEnergyModel(target, schedule, config.training, foldIn(root, 100000 + index), options.signal);
        trainingLosses.push({ panel, separation, finalLoss });
        try {
          for (const kernel of config.kernels) {
            for (let seed = 0; seed < config.seeds; seed++) {
              throwIfAborted(options.signal, 'amcbg');
              const t0 = performance.now();
              const m = await runOnce(foldIn(root, index++), net, target, kernel, config.sampler);
              runs.push({
                panel, dim, numModes, separation, kernel, seed,
                modeWeightError: m.modeWeightError, absLogZError: m.absLogZError, essFraction: m.essFraction,
                distinctAncestorFraction: m.distinctAncestorFraction,
                ...costColumns(m.cost), seconds: (performance.now() - t0) / 1000,
              });
            }
          }
        } finally {
          net.dispose();
          target.dispose();
        }
      }
      options.onProgress?.(`A2 ${panel}: ${config.separations.length} trained models, ${config.kernels.length} kernels x ${config.seeds} seeds in ${((performance.now() - panelBegan) / 1000).toFixed(1)} s`);
    }
  }
  const summary = summariseSweep(runs, config.sampler.numParticles);

  // The 2 x 2 ablation.
  const a = config.ablation;
  const target = benchmarkMixture({ dim: a.dim, numModes: a.numModes, separation: a.separation });
  const exact = perfectModel(target, schedule);
  const { net, finalLoss } = await trainEnergyModel(target, schedule, config.training, foldIn(root, 200000), options.signal);
  const ablationRuns: AblationRun[] = [];
  try {
    for (const scoreSource of ['exact', 'learned'] as const) {
      for (const densitySource of ['exact', 'learned'] as const) {
        const model: DiffusionModel = {
          dim: target.dim,
          schedule,
          score: (x, t) => (scoreSource === 'exact' ? exact : net).score(x, t),
          logDensity: (x, t) => (densitySource === 'exact' ? exact : net).logDensity(x, t),
        };
        for (let seed = 0; seed < config.seeds; seed++) {
          throwIfAborted(options.signal, 'amcbg');
          const m = await runOnce(foldIn(root, 300000 + index++), model, target, 'firstOrder', config.sampler);
          ablationRuns.push({ scoreSource, densitySource, seed, modeWeightError: m.modeWeightError, absLogZError: m.absLogZError, essFraction: m.essFraction });
        }
      }
    }
  } finally {
    net.dispose();
    exact.dispose();
    target.dispose();
  }
  const groups = ['exact/exact', 'exact/learned', 'learned/exact', 'learned/learned'];
  const ablationSummary = groups.map((combination) => {
    const [scoreSource, densitySource] = combination.split('/');
    const g = ablationRuns.filter((r) => r.scoreSource === scoreSource && r.densitySource === densitySource);
    const mw = meanAndStandardError(g.map((r) => r.modeWeightError));
    const lz = meanAndStandardError(g.map((r) => r.absLogZError));
    return {
      combination, scoreSource, densitySource, modeWeightError: mw.mean, modeWeightErrorSe: mw.standardError,
      absLogZError: lz.mean, absLogZErrorSe: lz.standardError, essFraction: meanAndStandardError(g.map((r) => r.essFraction)).mean,
    };
  });
  const setting = `${panelName(a.dim, a.numModes)}, separation ${a.separation}; DSM loss ${finalLoss.toFixed(3)}`;
  options.onProgress?.(`A2 ablation (${setting}) done`);
  return {
    runs, summary, specs: sweepSpecs(summary, 'A2, learned (DSM energy) diffusion model'), seconds: (performance.now() - began) / 1000,
    ablation: { runs: ablationRuns, summary: ablationSummary, spec: ablationSpec(ablationSummary, setting) },
    trainingLosses,
  };
}
