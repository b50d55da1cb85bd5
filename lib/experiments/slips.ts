/**
 * The SLIPS paper: Grenioux, Noble, Gabrié & Durmus, "Stochastic Localization via Iterative Posterior Sampling"
 * (ICML 2024; spec papers/slips-lrds-amcbg.md, part 1). Its claims, checked by the figures:
 *
 *   S1  on the two-modes family, SLIPS recovers the mode weights as the dimension grows (to 128 in the paper),
 *       matching or beating SMC, AIS (and RDMC) at an equal budget;
 *   S2  the start time t0 = ε has a sweet spot (duality of log-concavity: p_{t0} must be close to log-concave for
 *       the initialisation, the posteriors q_t for the MCMC denoiser), so the error against ε is U-shaped; with
 *       the exact denoiser ("perfect score") only the initialisation side remains;
 *   S3  on 8 Gaussians SLIPS finds all modes with the right weights (qualitative);
 *   S4  on φ⁴ in d = 100 SLIPS's log mode ratio follows the Laplace reference.
 *
 *   const results = await runSlipsExperiments('quick', { onProgress: console.log });
 *   await writeSlipsFigures(results, 'figures/slips');
 *
 * Each figure also has its own runner (`runDimensionSweep`, `runSweetSpot`, `runEightGaussians`, `runPhiFour`)
 * returning arquero tables and a Vega-Lite spec. Every key derives from key(config.seed).
 */
import { foldIn } from '../core/random.js';
import { definePaper, type PaperResults, type RunPaperOptions } from './definePaper.js';
import { checkSlipsExperimentConfig, slipsExperimentConfig, type SlipsExperimentConfig } from './slips/config.js';
import { runDimensionSweep, type DimensionSweepResult } from './slips/dimensionSweep.js';
import { runEightGaussians, type EightGaussiansResult } from './slips/eightGaussians.js';
import { runPhiFour, type PhiFourResult } from './slips/phiFour.js';
import { runSweetSpot, type SweetSpotResult } from './slips/sweetSpot.js';

export * from './slips/config.js';
export { runDimensionSweep, dimensionSweepSpec, twoModesProblem, slipsSeries, type DimensionSweepResult, type DimensionSweepRow } from './slips/dimensionSweep.js';
export { runSweetSpot, sweetSpotSpec, sweetSpotSeries, type SweetSpotResult, type SweetSpotRow, type DenoiserKind } from './slips/sweetSpot.js';
export { runEightGaussians, eightGaussiansSpec, type EightGaussiansResult, type EightGaussiansRow } from './slips/eightGaussians.js';
export { runPhiFour, phiFourSpec, type PhiFourResult, type PhiFourRow } from './slips/phiFour.js';
export {
  BASELINES,
  METHOD_LABELS,
  baselinesOf,
  exactMixtureDenoiser,
  geometricPathBudgetFor,
  rdmcStepsFor,
  runBaseline,
  runCostPerParticle,
  runSlips,
  scheduleOf,
  slipsGradientEvaluations,
  runWeights,
  unweightedPoints,
  type BaselineName,
  type BenchmarkDetails,
  type BenchmarkRun,
  type BenchmarkSampler,
  type Problem,
  type SlipsRunOptions,
} from './slips/methods.js';
export { concatPanels, summariseOverSeeds, summariseValues, withXTicks, type Panel, type SeedSummary } from './slips/figures.js';
export { ExperimentAbortedError, type ExperimentOptions } from './progress.js';

export const SLIPS_TITLE = 'Stochastic Localization via Iterative Posterior Sampling (Grenioux, Noble, Gabrié, Durmus; ICML 2024)';

export interface SlipsResults extends PaperResults<SlipsExperimentConfig> {
  dimensionSweep: DimensionSweepResult;
  sweetSpot: SweetSpotResult;
  eightGaussians: EightGaussiansResult;
  /** null when the configuration skips S4. */
  phiFour: PhiFourResult | null;
}

export type RunSlipsOptions = RunPaperOptions;

/**
 * The registry entry (`sampling-lab figures slips [--quick|--full]`). Each figure is written with the CSV of each of
 * its tables, and the full tables behind it (`-runs.csv`: one row per run; `-summary.csv`: over seeds).
 */
export const slipsPaper = definePaper<SlipsExperimentConfig, SlipsResults>({
  id: 'slips',
  title: SLIPS_TITLE,
  configs: {
    quick: 'CPU, about 5 minutes: S1 d in {4, 8, 16} x 3 seeds, S2 d = 10, 7 start times x 3 σ factors x 3 replicates, S3 N = 512 x 3 seeds, S4 φ⁴ d = 100, 3 tilts x 2 seeds',
    full: "the paper's scale (GPU hours): N = 8192, K = 1024, M = 32 x 4 chains; S1 d up to 128, S2 two schedules x 15 start times, S3, S4 φ⁴ d = 100",
  },
  configFor: slipsExperimentConfig,
  check: checkSlipsExperimentConfig,
  experiments: async (config, root, options) => ({
    dimensionSweep: await runDimensionSweep(config.dimensionSweep, foldIn(root, 1), options),
    sweetSpot: await runSweetSpot(config.sweetSpot, foldIn(root, 2), options),
    eightGaussians: await runEightGaussians(config.eightGaussians, foldIn(root, 3), options),
    phiFour: config.phiFour ? await runPhiFour(config.phiFour, foldIn(root, 4), options) : null,
  }),
  async figures(results, out) {
    const figure = async (name: string, r: DimensionSweepResult | SweetSpotResult | EightGaussiansResult | PhiFourResult) => {
      await out.figure(name, r.spec);
      out.table(`${name}-runs`, r.runs);
      out.table(`${name}-summary`, r.summary);
    };
    await figure('s1-dimension-sweep', results.dimensionSweep);
    await figure('s2-sweet-spot', results.sweetSpot);
    await figure('s3-eight-gaussians', results.eightGaussians);
    if (results.phiFour) await figure('s4-phi-four', results.phiFour);
  },
  runInfo: (results) => ({
    seconds: {
      S1: results.dimensionSweep.seconds,
      S2: results.sweetSpot.seconds,
      S3: results.eightGaussians.seconds,
      ...(results.phiFour ? { S4: results.phiFour.seconds } : {}),
    },
  }),
});

/** The configuration object for a name or a hand-made object (checked). */
export const resolveSlipsConfig = slipsPaper.resolveConfig;

/** Run every figure's experiment (S1, S2, S3, and S4 when configured). */
export const runSlipsExperiments = slipsPaper.runExperiments;

/**
 * Write every figure (SVG, PNG, the Vega-Lite spec and the CSV of each of its tables, through saveFigure), the
 * full tables behind them as CSV (`-runs.csv`: one row per run; `-summary.csv`: over seeds) and `run-info.json`
 * (configuration, backend, timings) into `outDir`. Returns the paths.
 */
export const writeSlipsFigures = slipsPaper.writeFigures;
