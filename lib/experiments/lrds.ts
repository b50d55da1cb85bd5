/**
 * The LRDS paper: Noble, Grenioux, Gabrié & Durmus, "Learned Reference-based Diffusion Sampling for multi-modal
 * distributions" (ICLR 2025; spec papers/slips-lrds-amcbg.md, part 2). Its claims, checked by the figures:
 *
 *   L1  (Fig. 1) a Gaussian-reference diffusion sampler (LV-DDS) recovers the mode weights of a two-mode target only
 *       near the right reference scale sigma; GMM-RDS, whose reference is a mixture fitted to local MCMC data, is
 *       nearly insensitive to the weights w_ref of that reference;
 *   L2  (Table 2) GMM-LRDS keeps the mode-weight error to a few points as d grows (1.7, 2.7, 4.1 at d = 16, 32, 64)
 *       where the Gaussian-reference baselines (and SMC) degrade towards mode collapse.
 *   L3  (Fig. 3) on Rings, GMM-LRDS with J = 16 does not reproduce the thin rings (EBM-LRDS, which does, is not here).
 * (Checkerboard, EBM-LRDS and L4 phi-four: not yet in this module.)
 *
 *   const results = await runLrdsExperiments('quick', { onProgress: console.log });
 *   await writeLrdsFigures(results, 'figures/lrds');
 *
 * The pipeline behind every cell (local MALA -> EM GMM reference -> LV-trained FourierMLP control -> RDS samples) is
 * ./lrds/pipeline.ts; the cells (data per (d, seed), shared by the methods and the figures) ./lrds/cells.ts. Every key
 * derives from key(config.seed).
 */
import { foldIn } from '../core/random.js';
import { definePaper, type PaperResults, type RunPaperOptions } from './definePaper.js';
import { LrdsCells } from './lrds/cells.js';
import { checkLrdsExperimentConfig, lrdsExperimentConfig, type LrdsExperimentConfig } from './lrds/config.js';
import { runModeWeightTable, type ModeWeightTableResult } from './lrds/modeWeightTable.js';
import { runSigmaSensitivity, type SigmaSensitivityResult } from './lrds/sigmaSensitivity.js';
import { runRings, type RingsResult } from './lrds/rings.js';

export * from './lrds/config.js';
export * from './lrds/pipeline.js';
export { LrdsCells, METHOD_LABELS as LRDS_METHOD_LABELS, type LrdsMethodName, type LrdsRow, type Variant } from './lrds/cells.js';
export { runSigmaSensitivity, sigmaSensitivitySpec, type SigmaSensitivityResult } from './lrds/sigmaSensitivity.js';
export { runModeWeightTable, modeWeightTableSpec, PAPER_TABLE_2, type ModeWeightTableResult } from './lrds/modeWeightTable.js';
export { runRings, ringPoints, type RingsResult, type RingsRow } from './lrds/rings.js';

export const LRDS_TITLE = 'Learned Reference-based Diffusion Sampling for multi-modal distributions (Noble, Grenioux, Gabrié, Durmus; ICLR 2025)';

export interface LrdsResults extends PaperResults<LrdsExperimentConfig> {
  sigmaSensitivity: SigmaSensitivityResult;
  modeWeightTable: ModeWeightTableResult;
  /** null when the configuration skips L3. */
  rings: RingsResult | null;
}

export type RunLrdsOptions = RunPaperOptions;

/** The registry entry (`sampling-lab figures lrds [--quick|--full]`). */
export const lrdsPaper = definePaper<LrdsExperimentConfig, LrdsResults>({
  id: 'lrds',
  title: LRDS_TITLE,
  configs: {
    quick: 'CPU, a few minutes: two modes, L1 d = 8 (5 σ factors, 2 w_ref), L2 d in {4, 8, 16} (GMM-LRDS, LV-DDS, SMC), L3 Rings (J = 16), 3 seeds, 80 LV steps x 256, 25 EI steps',
    full: "the paper's scale (GPU hours): L1 d = 16, 9 σ factors, 8 w_ref; L2 d in {16, 32, 64} with LV-PIS; 16 seeds, 4096 LV steps x 1024, 100 steps",
  },
  configFor: lrdsExperimentConfig,
  check: checkLrdsExperimentConfig,
  experiments: async (config, root, options) => {
    const cells = new LrdsCells(config, root, options);
    try {
      return {
        sigmaSensitivity: await runSigmaSensitivity(config, cells, options),
        modeWeightTable: await runModeWeightTable(config, cells, options),
        rings: config.rings ? await runRings(config, foldIn(root, 1000), options) : null,
      };
    } finally {
      cells.dispose();
    }
  },
  async figures(results, out) {
    const figure = async (name: string, r: SigmaSensitivityResult | ModeWeightTableResult | RingsResult) => {
      await out.figure(name, r.spec);
      out.table(`${name}-runs`, r.runs);
      out.table(`${name}-summary`, r.summary);
    };
    await figure('l1-sigma-sensitivity', results.sigmaSensitivity);
    await figure('l2-mode-weight-table', results.modeWeightTable);
    if (results.rings) await figure('l3-rings', results.rings);
  },
  runInfo: (results) => ({
    seconds: { L1: results.sigmaSensitivity.seconds, L2: results.modeWeightTable.seconds, ...(results.rings ? { L3: results.rings.seconds } : {}) },
  }),
});

export const resolveLrdsConfig = lrdsPaper.resolveConfig;
export const runLrdsExperiments = lrdsPaper.runExperiments;
export const writeLrdsFigures = lrdsPaper.writeFigures;
