/**
 * The aMC-BG paper: Grenioux & Noble, "Diffusion-based annealed Boltzmann generators: benefits, pitfalls and hopes"
 * (arXiv 2601.21026; spec papers/slips-lrds-amcbg.md part 3, a reconstruction [recon]: the paper has no public
 * code). The abstract's claims, checked by two figures:
 *
 *   (a) with a perfect diffusion model, aMC with first-order stochastic (DDPM/PDDS-like) kernels fails;
 *   (b) second-order kernels (Tweedie covariance) improve it substantially;
 *   (c) the deterministic transport (PF-ODE / DDIM) kernel beats the first-order stochastic one, at a higher cost;
 *   (d) with a learned model every variant struggles, because of its log-density.
 *   A1 (./amcbg/perfectSweep.ts) tests (a)-(c); A2 (./amcbg/learnedSweep.ts: the learned-model sweep and the 2 x 2
 *   score x log-density ablation) tests (d); A3 (./amcbg/modeBlindness.ts) shows the mechanism behind (d).
 *
 *   const results = await runAmcbg('quick', { onProgress: console.log });
 *   await writeAmcbgFigures(results, 'figures/amcbg');
 *
 * Every key derives from key(config.seed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { foldIn, key as makeKey, type Key } from '../core/random.js';
import { saveFigure } from '../viz/saveFigure.js';
import { toCsv } from '../viz/csv.js';
import type { FigureRunOptions, PaperEntry } from './registry.js';
import { resolveAmcbgConfig, type AmcbgConfig } from './amcbg/config.js';
import { runPerfectSweep, type SweepResult, type SweepSummaryRow } from './amcbg/perfectSweep.js';
import { runModeBlindness, type BlindnessResult } from './amcbg/modeBlindness.js';
import { runLearnedSweep, type LearnedSweepResult } from './amcbg/learnedSweep.js';
import type { ExperimentOptions } from './progress.js';

export * from './amcbg/config.js';
export { benchmarkMixture, type BenchmarkMixtureOptions } from './amcbg/targets.js';
export { runPerfectSweep, summariseSweep, sweepSpecs, panelName, type SweepResult, type SweepRun, type SweepSummaryRow } from './amcbg/perfectSweep.js';
export { runModeBlindness, learnedModeMass, blindnessSpec, type BlindnessResult, type BlindnessRun, type BlindnessSummaryRow } from './amcbg/modeBlindness.js';
export { runLearnedSweep, ablationSpec, type LearnedSweepResult, type AblationRun, type AblationSummaryRow } from './amcbg/learnedSweep.js';
export { trainEnergyModel, type TrainingSettings } from './amcbg/training.js';
export { facetedCurves, type FacetedRow } from './amcbg/figures.js';
export { ExperimentAbortedError, type ExperimentOptions } from './progress.js';

export const AMCBG_TITLE = 'Diffusion-based annealed Boltzmann generators: benefits, pitfalls and hopes (Grenioux, Noble; arXiv 2601.21026)';

export interface AmcbgResults {
  config: AmcbgConfig;
  perfect: SweepResult;
  learned: LearnedSweepResult;
  blindness: BlindnessResult;
  seconds: number;
}

export interface RunAmcbgOptions extends ExperimentOptions {
  /** Root key (default key(config.seed)). */
  key?: Key;
}

/** Run A1, A2 and A3. */
export async function runAmcbg(config: AmcbgConfig | string, options: RunAmcbgOptions = {}): Promise<AmcbgResults> {
  const resolved = resolveAmcbgConfig(config);
  const root = options.key ?? makeKey(resolved.seed);
  const began = performance.now();
  const perfect = await runPerfectSweep(resolved.perfect, foldIn(root, 1), options);
  const learned = await runLearnedSweep(resolved.learned, foldIn(root, 2), options);
  const blindness = await runModeBlindness(resolved.blindness, foldIn(root, 3), options);
  return { config: resolved, perfect, learned, blindness, seconds: (performance.now() - began) / 1000 };
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

/**
 * Write every figure (SVG, PNG, Vega-Lite spec and CSV through saveFigure), the per-run and summary tables as CSV,
 * the per-kernel overview (`a1-kernels.csv`) and `run-info.json` into `outDir`. Returns the paths.
 */
export async function writeAmcbgFigures(results: AmcbgResults, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const figure = async (spec: Parameters<typeof saveFigure>[0], name: string) => {
    const saved = await saveFigure(spec, join(outDir, name));
    written.push(saved.svg, saved.png, saved.vl, ...saved.csv);
  };
  const table = (name: string, rows: readonly unknown[]) => {
    const path = join(outDir, name);
    writeFileSync(path, toCsv(rows));
    written.push(path);
  };
  const p = results.perfect;
  await figure(p.specs.modeWeightError, 'a1-mode-weight-error');
  await figure(p.specs.logZError, 'a1-logz-error');
  await figure(p.specs.ess, 'a1-ess');
  table('a1-runs.csv', p.runs);
  table('a1-summary.csv', p.summary);
  table('a1-kernels.csv', kernelOverview(p.summary));
  const l = results.learned;
  await figure(l.specs.modeWeightError, 'a2-mode-weight-error');
  await figure(l.specs.logZError, 'a2-logz-error');
  await figure(l.specs.ess, 'a2-ess');
  await figure(l.ablation.spec, 'a2-ablation');
  table('a2-runs.csv', l.runs);
  table('a2-summary.csv', l.summary);
  table('a2-kernels.csv', kernelOverview(l.summary));
  table('a2-ablation-runs.csv', l.ablation.runs);
  table('a2-ablation-summary.csv', l.ablation.summary);
  table('a2-training-losses.csv', l.trainingLosses);
  const b = results.blindness;
  await figure(b.spec, 'a3-mode-blindness');
  table('a3-runs.csv', b.runs);
  table('a3-summary.csv', b.summary);
  const info = {
    paper: AMCBG_TITLE,
    config: results.config,
    backend: tf.getBackend(),
    a3FinalDsmLosses: b.finalLosses,
    seconds: { total: results.seconds, A1: p.seconds, A2: l.seconds, A3: b.seconds },
  };
  const infoPath = join(outDir, 'run-info.json');
  writeFileSync(infoPath, JSON.stringify(info, null, 1) + '\n');
  written.push(infoPath);
  return written;
}

/** The registry entry: `sampling-lab figures amcbg [--quick|--full]`. */
export const amcbgPaper: PaperEntry = {
  id: 'amcbg',
  title: AMCBG_TITLE,
  configs: {
    quick: 'CPU, a few minutes: A1 d in {2, 8} x K in {2, 4} x 4 separations x 4 kernels x 3 seeds (N = 512, 64 levels); A2 d in {2, 8}, K = 2, 8 energy nets x 800 DSM steps, + 2x2 ablation; A3 2-D, 800 DSM steps x 3 seeds',
    full: 'CPU, an hour or more: A1 / A2 d in {2, 8, 16} x K in {2, 4} x 7 separations x 5 seeds (N = 1024, 64 levels, 3000 DSM steps per net); A3 3000 DSM steps',
  },
  async run(options: FigureRunOptions): Promise<void> {
    const results = await runAmcbg(options.config, { onProgress: options.onProgress, signal: options.signal });
    const written = await writeAmcbgFigures(results, options.outDir);
    options.onProgress?.(`wrote ${written.length} files to ${options.outDir} (experiments ${results.seconds.toFixed(0)} s)`);
  },
};
