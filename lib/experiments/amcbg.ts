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
import { foldIn } from '../core/random.js';
import { definePaper, type PaperResults, type RunPaperOptions } from './definePaper.js';
import { amcbgConfig, checkAmcbgConfig, type AmcbgConfig } from './amcbg/config.js';
import { kernelOverview, runPerfectSweep, type SweepResult } from './amcbg/perfectSweep.js';
import { runModeBlindness, type BlindnessResult } from './amcbg/modeBlindness.js';
import { runLearnedSweep, type LearnedSweepResult } from './amcbg/learnedSweep.js';

export * from './amcbg/config.js';
export { benchmarkMixture, type BenchmarkMixtureOptions } from './amcbg/targets.js';
export { runPerfectSweep, summariseSweep, sweepSpecs, kernelOverview, panelName, type SweepResult, type SweepRun, type SweepSummaryRow } from './amcbg/perfectSweep.js';
export { runModeBlindness, learnedModeMass, blindnessSpec, type BlindnessResult, type BlindnessRun, type BlindnessSummaryRow } from './amcbg/modeBlindness.js';
export { runLearnedSweep, ablationSpec, type LearnedSweepResult, type AblationRun, type AblationSummaryRow } from './amcbg/learnedSweep.js';
export { trainEnergyModel, type TrainingSettings } from './amcbg/training.js';
export { facetedCurves, type FacetedRow } from './amcbg/figures.js';
export { ExperimentAbortedError, type ExperimentOptions } from './progress.js';

export const AMCBG_TITLE = 'Diffusion-based annealed Boltzmann generators: benefits, pitfalls and hopes (Grenioux, Noble; arXiv 2601.21026)';

export interface AmcbgResults extends PaperResults<AmcbgConfig> {
  perfect: SweepResult;
  learned: LearnedSweepResult;
  blindness: BlindnessResult;
}

export type RunAmcbgOptions = RunPaperOptions;

/**
 * The registry entry: `sampling-lab figures amcbg [--quick|--full]`. Besides the figures and their per-run and
 * summary tables it writes the per-kernel overviews (`a1-kernels.csv`, `a2-kernels.csv`: kernelOverview).
 */
export const amcbgPaper = definePaper<AmcbgConfig, AmcbgResults>({
  id: 'amcbg',
  title: AMCBG_TITLE,
  configs: {
    quick: 'CPU, a few minutes: A1 d in {2, 8} x K in {2, 4} x 4 separations x 4 kernels x 3 seeds (N = 512, 64 levels); A2 d in {2, 8}, K = 2, 8 energy nets x 800 DSM steps, + 2x2 ablation; A3 2-D, 800 DSM steps x 3 seeds',
    full: 'CPU, an hour or more: A1 / A2 d in {2, 8, 16} x K in {2, 4} x 7 separations x 5 seeds (N = 1024, 64 levels, 3000 DSM steps per net); A3 3000 DSM steps',
  },
  configFor: amcbgConfig,
  check: checkAmcbgConfig,
  experiments: async (config, root, options) => ({
    perfect: await runPerfectSweep(config.perfect, foldIn(root, 1), options),
    learned: await runLearnedSweep(config.learned, foldIn(root, 2), options),
    blindness: await runModeBlindness(config.blindness, foldIn(root, 3), options),
  }),
  async figures(results, out) {
    // A1 and A2: three figures each, the per-run and summary tables and the per-kernel overview.
    const sweep = async (name: 'a1' | 'a2', r: SweepResult) => {
      await out.figure(`${name}-mode-weight-error`, r.specs.modeWeightError);
      await out.figure(`${name}-logz-error`, r.specs.logZError);
      await out.figure(`${name}-ess`, r.specs.ess);
      out.table(`${name}-runs`, r.runs);
      out.table(`${name}-summary`, r.summary);
      out.table(`${name}-kernels`, kernelOverview(r.summary));
    };
    await sweep('a1', results.perfect);
    const l = results.learned;
    await sweep('a2', l);
    await out.figure('a2-ablation', l.ablation.spec);
    out.table('a2-ablation-runs', l.ablation.runs);
    out.table('a2-ablation-summary', l.ablation.summary);
    out.table('a2-training-losses', l.trainingLosses);
    const b = results.blindness;
    await out.figure('a3-mode-blindness', b.spec);
    out.table('a3-runs', b.runs);
    out.table('a3-summary', b.summary);
  },
  runInfo: (results) => ({
    a3FinalDsmLosses: results.blindness.finalLosses,
    seconds: { A1: results.perfect.seconds, A2: results.learned.seconds, A3: results.blindness.seconds },
  }),
});

/** The configuration for a name, or a hand-made object (checked). */
export const resolveAmcbgConfig = amcbgPaper.resolveConfig;

/** Run A1, A2 and A3. */
export const runAmcbg = amcbgPaper.runExperiments;

/**
 * Write every figure (SVG, PNG, Vega-Lite spec and CSV through saveFigure), the per-run and summary tables as CSV,
 * the per-kernel overview (`a1-kernels.csv`) and `run-info.json` into `outDir`. Returns the paths.
 */
export const writeAmcbgFigures = amcbgPaper.writeFigures;
