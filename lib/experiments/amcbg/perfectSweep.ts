/**
 * Figure A1 (spec slips-lrds-amcbg.md 3.5): the perfect diffusion model (exact noised marginals of the benchmark
 * mixture, lib/diffusion/forwardNoising.ts) driving annealed MC along the diffusion path (amc), for each kernel
 * (first-order stochastic, second-order stochastic, deterministic transport, MCMC-only), against the separation of
 * the modes, one panel per (dimension, number of modes). Per run: the weighted mode-weight error (total variation
 * sum_k |h_k - w_k| / 2, = |h_1 - w_1| for two modes), |log Z error|, the final ESS / N (at t = 0, after the last
 * reweighting and before any resampling), and amc's cost counts.
 * The reference gamma_K is N(0, I) (the BG setting); the 'mcmc' baseline makes `mcmcSteps` MALA moves per level,
 * the proposal kernels none, so the comparison is of kernels alone.
 */
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, type Key } from '../../core/random.js';
import { vpSchedule } from '../../diffusion/vpSchedule.js';
import { perfectModel } from '../../diffusion/forwardNoising.js';
import { modeWeightError, modeWeights } from '../../metrics/modeWeights.js';
import { logZError } from '../../metrics/importanceSampling.js';
import { amc } from '../../samplers/diffusion/amc.js';
import type { SamplerCost } from '../../samplers/particleSampler.js';
import type { PerfectSweepConfig } from './config.js';
import { facetedCurves } from './figures.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';
import { boundedBand, meanAndStandardError } from './statistics.js';
import { benchmarkMixture } from './targets.js';

export interface SweepRun {
  panel: string;
  dim: number;
  numModes: number;
  separation: number;
  kernel: string;
  seed: number;
  modeWeightError: number;
  absLogZError: number;
  essFraction: number;
  /** Distinct initial particles behind the final population, / N (amc's distinctAncestors). */
  distinctAncestorFraction: number;
  targetEvaluations: number;
  densityEvaluations: number;
  scoreEvaluations: number;
  hessianEvaluations: number;
  seconds: number;
}

export interface SweepSummaryRow {
  panel: string;
  dim: number;
  numModes: number;
  separation: number;
  kernel: string;
  seeds: number;
  modeWeightError: number;
  modeWeightErrorSe: number;
  absLogZError: number;
  absLogZErrorSe: number;
  essFraction: number;
  essFractionSe: number;
  /** Distinct initial particles behind the final population, / N (mean over seeds). */
  distinctAncestorFraction: number;
  /** Cost per particle of one run (means over seeds). */
  targetEvaluationsPerParticle: number;
  scoreEvaluationsPerParticle: number;
  hessianEvaluationsPerParticle: number;
  densityEvaluationsPerParticle: number;
  seconds: number;
}

export interface SweepResult {
  runs: SweepRun[];
  summary: SweepSummaryRow[];
  specs: { modeWeightError: TopLevelSpec; logZError: TopLevelSpec; ess: TopLevelSpec };
  seconds: number;
}

export const panelName = (dim: number, numModes: number) => `d = ${dim}, K = ${numModes}`;

/**
 * The run table's cost columns (per run, summed over particles), in the spec's vocabulary: evaluations of pi
 * (density or gradient), of the model's log-density and score, and Hessians.
 */
export function costColumns(cost: SamplerCost) {
  return {
    targetEvaluations: cost.densityEvaluations + cost.gradientEvaluations,
    densityEvaluations: cost.modelDensityEvaluations,
    scoreEvaluations: cost.modelScoreEvaluations,
    hessianEvaluations: cost.hessianEvaluations,
  };
}

/** What the A1 charts must say about the kernels and the ESS (issue 11 review). */
const A1_SUBTITLE = [
  "firstOrder: the spec's Gaussian kernel with the Hessian set to zero (the second-order kernel without covariance), not the DDPM variance",
  'ESS counts weights only: transport without moves keeps resampled duplicates (distinctAncestorFraction in the run tables)',
];

/** Aggregate runs over seeds: one row per (panel, kernel, separation). */
export function summariseSweep(runs: readonly SweepRun[], numParticles: number, label?: (r: SweepRun) => string): SweepSummaryRow[] {
  const groups = new Map<string, SweepRun[]>();
  for (const r of runs) {
    const id = `${r.panel}|${label ? label(r) : r.kernel}|${r.separation}`;
    const g = groups.get(id);
    if (g) g.push(r);
    else groups.set(id, [r]);
  }
  return [...groups.values()].map((g) => {
    const mw = meanAndStandardError(g.map((r) => r.modeWeightError));
    const lz = meanAndStandardError(g.map((r) => r.absLogZError));
    const es = meanAndStandardError(g.map((r) => r.essFraction));
    const mean = (f: (r: SweepRun) => number) => g.reduce((a, r) => a + f(r), 0) / g.length;
    const r0 = g[0];
    return {
      panel: r0.panel, dim: r0.dim, numModes: r0.numModes, separation: r0.separation, kernel: label ? label(r0) : r0.kernel, seeds: g.length,
      modeWeightError: mw.mean, modeWeightErrorSe: mw.standardError,
      absLogZError: lz.mean, absLogZErrorSe: lz.standardError,
      essFraction: es.mean, essFractionSe: es.standardError,
      distinctAncestorFraction: mean((r) => r.distinctAncestorFraction),
      targetEvaluationsPerParticle: mean((r) => r.targetEvaluations) / numParticles,
      scoreEvaluationsPerParticle: mean((r) => r.scoreEvaluations) / numParticles,
      hessianEvaluationsPerParticle: mean((r) => r.hessianEvaluations) / numParticles,
      densityEvaluationsPerParticle: mean((r) => r.densityEvaluations) / numParticles,
      seconds: mean((r) => r.seconds),
    };
  });
}

/** The three faceted figures of a sweep summary (mean +- 2 standard errors over seeds). */
export function sweepSpecs(summary: readonly SweepSummaryRow[], title: string, subtitle?: string[]): SweepResult['specs'] {
  const make = (y: 'modeWeightError' | 'absLogZError' | 'essFraction', yTitle: string, what: string) =>
    facetedCurves({
      subtitle,
      rows: summary.map((s) => ({
        panel: s.panel, series: s.kernel, x: s.separation, y: s[y],
        // TV and ESS / N live in [0, 1], |log Z error| in [0, Infinity)
        ...boundedBand(s[y], s[`${y}Se`], 0, y === 'absLogZError' ? Infinity : 1),
      })),
      title: `${title}: ${what}`,
      xTitle: 'separation r (mode std 1)',
      yTitle,
      seriesTitle: 'kernel',
    });
  return {
    modeWeightError: make('modeWeightError', 'mode-weight error (TV)', 'mode-weight error vs separation'),
    logZError: make('absLogZError', '|log Z error|', '|log Z error| vs separation'),
    ess: make('essFraction', 'final ESS / N', 'final ESS / N vs separation'),
  };
}

/** Per kernel, over every panel: mean mode-weight error, |log Z error| and ESS at the largest separation, and cost. */
export function kernelOverview(summary: readonly SweepSummaryRow[]) {
  const largest = Math.max(...summary.map((s) => s.separation));
  const kernels = [...new Set(summary.map((s) => s.kernel))];
  return kernels.map((kernel) => {
    const all = summary.filter((s) => s.kernel === kernel);
    const atLargest = all.filter((s) => s.separation === largest);
    const mean = (rows: readonly SweepSummaryRow[], f: (s: SweepSummaryRow) => number) => rows.reduce((a, s) => a + f(s), 0) / rows.length;
    return {
      kernel,
      modeWeightErrorAll: mean(all, (s) => s.modeWeightError),
      modeWeightErrorLargest: mean(atLargest, (s) => s.modeWeightError),
      absLogZErrorAll: mean(all, (s) => s.absLogZError),
      absLogZErrorLargest: mean(atLargest, (s) => s.absLogZError),
      essFractionAll: mean(all, (s) => s.essFraction),
      largestSeparation: largest,
      targetEvaluationsPerParticle: mean(all, (s) => s.targetEvaluationsPerParticle),
      densityEvaluationsPerParticle: mean(all, (s) => s.densityEvaluationsPerParticle),
      scoreEvaluationsPerParticle: mean(all, (s) => s.scoreEvaluationsPerParticle),
      hessianEvaluationsPerParticle: mean(all, (s) => s.hessianEvaluationsPerParticle),
      secondsPerRun: mean(all, (s) => s.seconds),
    };
  });
}

/** Run the A1 sweep (see the file header). Every run's key is foldIn(root, run index). */
export async function runPerfectSweep(config: PerfectSweepConfig, root: Key, options: ExperimentOptions = {}): Promise<SweepResult> {
  const began = performance.now();
  const schedule = vpSchedule();
  const runs: SweepRun[] = [];
  let index = 0;
  for (const dim of config.dims) {
    for (const numModes of config.numModes) {
      const panel = panelName(dim, numModes);
      const panelBegan = performance.now();
      for (const separation of config.separations) {
        const target = benchmarkMixture({ dim, numModes, separation });
        const model = perfectModel(target, schedule);
        try {
          for (const kernel of config.kernels) {
            for (let seed = 0; seed < config.seeds; seed++) {
              throwIfAborted(options.signal, 'amcbg');
              const t0 = performance.now();
              const r = await amc(foldIn(root, index++), {
                model, target, kernel,
                numParticles: config.sampler.numParticles,
                numLevels: config.sampler.numLevels,
                resampleThreshold: config.sampler.resampleThreshold,
                reference: 'prior',
                ...(kernel === 'mcmc' ? { numMcmcSteps: config.sampler.mcmcSteps } : {}),
              });
              const assigned = await target.modes!.assign(r.particles);
              r.particles.dispose();
              const h = modeWeights(assigned, numModes, Array.from(r.logWeights, Math.exp));
              runs.push({
                panel, dim, numModes, separation, kernel, seed,
                modeWeightError: modeWeightError(h, target.componentWeights).totalVariation,
                absLogZError: Math.abs(logZError(r.logZ, target.logZ)),
                essFraction: r.levels[r.levels.length - 1].essFraction,
                distinctAncestorFraction: r.distinctAncestors / config.sampler.numParticles,
                ...costColumns(r.cost),
                seconds: (performance.now() - t0) / 1000,
              });
            }
          }
        } finally {
          model.dispose();
          target.dispose();
        }
      }
      options.onProgress?.(`A1 ${panel}: ${config.separations.length} separations x ${config.kernels.length} kernels x ${config.seeds} seeds in ${((performance.now() - panelBegan) / 1000).toFixed(1)} s`);
    }
  }
  const summary = summariseSweep(runs, config.sampler.numParticles);
  return { runs, summary, specs: sweepSpecs(summary, 'A1, perfect diffusion model', A1_SUBTITLE), seconds: (performance.now() - began) / 1000 };
}
