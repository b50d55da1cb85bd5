/**
 * The NF-MCMC paper: Grenioux, Durmus, Moulines & Gabrié, "On sampling with approximate transport maps" (ICML 2023;
 * spec papers/nfmcmc-nfebm-multimodal-eval.md, part 1). Its claims, checked by three figures:
 *
 *   F1.1  flow-based proposals (IMH, i-SIR, neural IS, FlEx2) degrade quickly with the dimension unless the flow is
 *         nearly exact; NeuTra (MALA on the pulled-back target) is more robust to dimension and to a poor flow;
 *   F1.2  on a multimodal target, flow-based proposals recover the mode weights up to moderate dimension, while
 *         NeuTra chains stay in their starting mode;
 *   F1.3  why: the pulled-back target of an imperfect flow stays multimodal in latent space.
 *
 *   const results = await runNfmcmc('quick', { onProgress: console.log });
 *   await writeNfmcmcFigures(results, 'figures/nfmcmc');
 *
 * `runNfmcmc` takes a configuration name ('quick', 'full') or a configuration object (checked; see
 * ./nfmcmc/config.ts); each figure also has its own runner (`runFlowQualityGrid`, `runModeWeights`,
 * `runIllustration`) returning arquero tables and a Vega-Lite spec. Every key derives from key(config.seed).
 */
import { foldIn } from '../core/random.js';
import { definePaper, type PaperResults, type RunPaperOptions } from './definePaper.js';
import { checkNfmcmcConfig, nfmcmcConfig, type NfmcmcConfig } from './nfmcmc/config.js';
import { runFlowQualityGrid, type FlowQualityResult } from './nfmcmc/flowQuality.js';
import { runIllustration, type IllustrationResult } from './nfmcmc/illustration.js';
import { runModeWeights, type ModeWeightsResult } from './nfmcmc/modeWeights.js';

export * from './nfmcmc/config.js';
export { runFlowQualityGrid, summariseCells, type FlowQualityResult, type FlowQualityRun, type FlowQualityTarget } from './nfmcmc/flowQuality.js';
export { runModeWeights, summariseModeHistograms, type ModeWeightsResult } from './nfmcmc/modeWeights.js';
export { runIllustration, segmentBarrier, type IllustrationResult } from './nfmcmc/illustration.js';
export { runSampler, chainDraws, drawsTensor, SAMPLERS, FLOW_PROPOSAL_SAMPLERS, type Draws, type SamplerName, type SamplerRun, type SamplerSettings, type TransportProblem } from './nfmcmc/samplers.js';
export { trainFlow, type TrainedFlow } from './nfmcmc/training.js';
export {
  fourModeBase,
  fourModeMixture,
  fourModeOffset,
  paperFunnel,
  paperFunnelFlow,
  rotatedGaussian,
  rotatedGaussianCovariance,
  rotatedGaussianFlow,
  squareMixture2d,
} from './nfmcmc/targets.js';
export { flowQualityHeatmaps, sortedModeHistograms, latentDataIllustration } from './nfmcmc/figures.js';
export { ExperimentAbortedError, type ExperimentOptions } from './progress.js';

export const NFMCMC_TITLE = 'On sampling with approximate transport maps (Grenioux, Durmus, Moulines, Gabrié; ICML 2023)';

export interface NfmcmcResults extends PaperResults<NfmcmcConfig> {
  flowQuality: { gaussian: FlowQualityResult; funnel: FlowQualityResult };
  modeWeights: ModeWeightsResult;
  illustration: IllustrationResult;
}

export type RunNfmcmcOptions = RunPaperOptions;

/** The registry entry: `sampling-lab figures nfmcmc [--quick|--full]`. */
export const nfmcmcPaper = definePaper<NfmcmcConfig, NfmcmcResults>({
  id: 'nfmcmc',
  title: NFMCMC_TITLE,
  configs: {
    quick: 'CPU, about 4 minutes: F1.1 d in {4, 8, 16, 32, 64} x 5 flows x 2 seeds, F1.2 d in {4, 8, 16}, F1.3 2-D',
    full: "the paper's scale (GPU hours): F1.1 d in {16, ..., 256} x 11-13 flows x 5 seeds, F1.2 d up to 256, F1.3",
  },
  configFor: nfmcmcConfig,
  check: checkNfmcmcConfig,
  experiments: async (config, root, options) => ({
    flowQuality: {
      gaussian: await runFlowQualityGrid('gaussian', config.heatmaps, foldIn(root, 1), options),
      funnel: await runFlowQualityGrid('funnel', config.heatmaps, foldIn(root, 2), options),
    },
    modeWeights: await runModeWeights(config.modeWeights, foldIn(root, 3), options),
    illustration: await runIllustration(config.illustration, foldIn(root, 4), options),
  }),
  async figures(results, out) {
    for (const which of ['gaussian', 'funnel'] as const) {
      const r = results.flowQuality[which];
      await out.figure(`f1-1-${which}`, r.spec);
      out.table(`f1-1-${which}-runs`, r.runs);
      out.table(`f1-1-${which}-summary`, r.cells);
    }
    const m = results.modeWeights;
    await out.figure('f1-2-mode-weights', m.spec);
    out.table('f1-2-mode-weights-summary', m.summary);
    out.table('f1-2-flows', m.flows);
    const il = results.illustration;
    await out.figure('f1-3-illustration', il.spec);
    out.table('f1-3-trajectories', il.trajectories);
    out.table('f1-3-summary', il.summary);
    out.table('f1-3-barriers', il.barriers);
  },
  runInfo: (results) => ({
    seconds: {
      'F1.1 gaussian': results.flowQuality.gaussian.seconds,
      'F1.1 funnel': results.flowQuality.funnel.seconds,
      'F1.2': results.modeWeights.seconds,
      'F1.3': results.illustration.seconds,
    },
  }),
});

/** The configuration object for a name or a hand-made object (checked). */
export const resolveNfmcmcConfig = nfmcmcPaper.resolveConfig;

/** Run the three figures' experiments (F1.1 on both targets, F1.2, F1.3). */
export const runNfmcmc = nfmcmcPaper.runExperiments;

/**
 * Write every figure (SVG, PNG, the Vega-Lite spec and the CSV of its data, through saveFigure), the full tables
 * behind them as CSV, and `run-info.json` (configuration, backend, timings) into `outDir`. Returns the paths.
 */
export const writeNfmcmcFigures = nfmcmcPaper.writeFigures;
