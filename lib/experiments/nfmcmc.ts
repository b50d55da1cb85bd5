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
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as aq from 'arquero';
import { foldIn, key as makeKey, type Key } from '../core/random.js';
import { saveFigure } from '../viz/saveFigure.js';
import { toCsv } from '../viz/csv.js';
import type { FigureRunOptions, PaperEntry } from './registry.js';
import { checkNfmcmcConfig, nfmcmcConfig, type NfmcmcConfig } from './nfmcmc/config.js';
import { runFlowQualityGrid, type FlowQualityResult } from './nfmcmc/flowQuality.js';
import { runIllustration, type IllustrationResult } from './nfmcmc/illustration.js';
import { runModeWeights, type ModeWeightsResult } from './nfmcmc/modeWeights.js';
import type { ExperimentOptions } from './progress.js';

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

export interface NfmcmcResults {
  config: NfmcmcConfig;
  flowQuality: { gaussian: FlowQualityResult; funnel: FlowQualityResult };
  modeWeights: ModeWeightsResult;
  illustration: IllustrationResult;
  seconds: number;
}

export interface RunNfmcmcOptions extends ExperimentOptions {
  /** Root key (default key(config.seed)). */
  key?: Key;
}

/** The configuration object for a name or a hand-made object (checked). */
export function resolveNfmcmcConfig(config: NfmcmcConfig | string): NfmcmcConfig {
  return typeof config === 'string' ? nfmcmcConfig(config) : checkNfmcmcConfig(config);
}

/** Run the three figures' experiments (F1.1 on both targets, F1.2, F1.3). */
export async function runNfmcmc(config: NfmcmcConfig | string, options: RunNfmcmcOptions = {}): Promise<NfmcmcResults> {
  const resolved = resolveNfmcmcConfig(config);
  const root = options.key ?? makeKey(resolved.seed);
  const began = performance.now();
  const gaussian = await runFlowQualityGrid('gaussian', resolved.heatmaps, foldIn(root, 1), options);
  const funnel = await runFlowQualityGrid('funnel', resolved.heatmaps, foldIn(root, 2), options);
  const modeWeights = await runModeWeights(resolved.modeWeights, foldIn(root, 3), options);
  const illustration = await runIllustration(resolved.illustration, foldIn(root, 4), options);
  return { config: resolved, flowQuality: { gaussian, funnel }, modeWeights, illustration, seconds: (performance.now() - began) / 1000 };
}

function writeTable(path: string, table: aq.ColumnTable): string {
  writeFileSync(path, toCsv(table.objects()));
  return path;
}

/**
 * Write every figure (SVG, PNG, the Vega-Lite spec and the CSV of its data, through saveFigure), the full tables
 * behind them as CSV, and `run-info.json` (configuration, backend, timings) into `outDir`. Returns the paths.
 */
export async function writeNfmcmcFigures(results: NfmcmcResults, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const figure = async (spec: Parameters<typeof saveFigure>[0], name: string) => {
    const saved = await saveFigure(spec, join(outDir, name));
    written.push(saved.svg, saved.png, saved.vl, ...saved.csv);
  };
  for (const which of ['gaussian', 'funnel'] as const) {
    const r = results.flowQuality[which];
    await figure(r.spec, `f1-1-${which}`);
    written.push(writeTable(join(outDir, `f1-1-${which}-runs.csv`), r.runs), writeTable(join(outDir, `f1-1-${which}-summary.csv`), r.cells));
  }
  const m = results.modeWeights;
  await figure(m.spec, 'f1-2-mode-weights');
  written.push(writeTable(join(outDir, 'f1-2-mode-weights-summary.csv'), m.summary), writeTable(join(outDir, 'f1-2-flows.csv'), m.flows));
  const il = results.illustration;
  await figure(il.spec, 'f1-3-illustration');
  written.push(
    writeTable(join(outDir, 'f1-3-trajectories.csv'), il.trajectories),
    writeTable(join(outDir, 'f1-3-summary.csv'), il.summary),
    writeTable(join(outDir, 'f1-3-barriers.csv'), il.barriers),
  );
  const info = {
    paper: NFMCMC_TITLE,
    config: results.config,
    backend: tf.getBackend(),
    seconds: {
      total: results.seconds,
      'F1.1 gaussian': results.flowQuality.gaussian.seconds,
      'F1.1 funnel': results.flowQuality.funnel.seconds,
      'F1.2': m.seconds,
      'F1.3': il.seconds,
    },
  };
  const infoPath = join(outDir, 'run-info.json');
  writeFileSync(infoPath, JSON.stringify(info, null, 1) + '\n');
  written.push(infoPath);
  return written;
}

/** The registry entry: `sampling-lab figures nfmcmc [--quick|--full]`. */
export const nfmcmcPaper: PaperEntry = {
  id: 'nfmcmc',
  title: NFMCMC_TITLE,
  configs: {
    quick: 'CPU, about 4 minutes: F1.1 d in {4, 8, 16, 32, 64} x 5 flows x 2 seeds, F1.2 d in {4, 8, 16}, F1.3 2-D',
    full: "the paper's scale (GPU hours): F1.1 d in {16, ..., 256} x 11-13 flows x 5 seeds, F1.2 d up to 256, F1.3",
  },
  async run(options: FigureRunOptions): Promise<void> {
    const config = nfmcmcConfig(options.config);
    const results = await runNfmcmc(config, { onProgress: options.onProgress, signal: options.signal });
    const written = await writeNfmcmcFigures(results, options.outDir);
    options.onProgress?.(`wrote ${written.length} files to ${options.outDir} (experiments ${results.seconds.toFixed(0)} s)`);
  },
};
