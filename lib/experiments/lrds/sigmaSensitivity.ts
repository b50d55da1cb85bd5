/**
 * L1 (the paper's Fig. 1): on twoModesLrds(d), the mode-weight error of LV-DDS against the scale sigma of its
 * Gaussian reference (sigma / sigma_opt, sigma_opt from the local-MCMC data), next to GMM-LRDS (whose reference does
 * not depend on sigma: one value per seed, drawn flat across the panel); and the error of GMM-RDS against the weight
 * w_ref of the heavy mode in its reference (the fitted weights, about 1/2, replaced by (w_ref, 1 - w_ref); the fit's
 * own run sits at w_ref = 0.5). Paper: LV-DDS is ~0 only near the Gaussian-approximation sigma and rises to ~35
 * points away from it; GMM-RDS is nearly flat in w_ref.
 */
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { sweepCurves } from '../../viz/sweepCurves.js';
import { progressCounter, throwIfAborted, type ExperimentOptions } from '../progress.js';
import { concatPanels, summariseOverSeeds, withXTicks } from '../slips/figures.js';
import type { LrdsCells, LrdsRow } from './cells.js';
import type { LrdsExperimentConfig } from './config.js';

export interface SigmaSensitivityResult {
  runs: aq.ColumnTable;
  summary: aq.ColumnTable;
  spec: TopLevelSpec;
  seconds: number;
}

interface PlotRow extends LrdsRow {
  series: string;
  x: number;
  panel: 'sigma' | 'weight';
}

export async function runSigmaSensitivity(config: LrdsExperimentConfig, cells: LrdsCells, options: ExperimentOptions = {}): Promise<SigmaSensitivityResult> {
  const began = performance.now();
  const { dim, sigmaFactors, referenceWeights } = config.sigmaSensitivity;
  const rows: PlotRow[] = [];
  const total = config.seeds * (sigmaFactors.length + 1 + referenceWeights.length);
  let done = 0;
  const step = () => options.onProgress?.(`L1 ${progressCounter(++done, total, (performance.now() - began) / 1000)}`);
  for (let seed = 0; seed < config.seeds; seed++) {
    for (const sigmaFactor of sigmaFactors) {
      throwIfAborted(options.signal, 'lrds L1');
      rows.push({ ...(await cells.row(dim, seed, 'lv-dds', { sigmaFactor })), series: 'LV-DDS', x: sigmaFactor, panel: 'sigma' });
      step();
    }
    const lrds = await cells.row(dim, seed, 'gmm-lrds');
    // flat across the sigma panel (its reference has no sigma), and at w_ref = 0.5 (the EM fit) in the weight panel
    for (const sigmaFactor of sigmaFactors) rows.push({ ...lrds, series: 'GMM-LRDS', x: sigmaFactor, panel: 'sigma' });
    rows.push({ ...lrds, series: 'GMM-RDS', x: 0.5, panel: 'weight' });
    step();
    for (const referenceWeight of referenceWeights) {
      throwIfAborted(options.signal, 'lrds L1');
      rows.push({ ...(await cells.row(dim, seed, 'gmm-lrds', { referenceWeight })), series: 'GMM-RDS', x: referenceWeight, panel: 'weight' });
      step();
    }
  }
  const summary = summariseOverSeeds(rows, ['panel', 'series', 'x'], ['modeWeightError', 'modeWeight', 'diverged', 'trainSeconds']);
  // the runs table: one row per run (the flat copies of GMM-LRDS left out)
  const runs = rows.filter((r) => !(r.series === 'GMM-LRDS' && r.x !== sigmaFactors[0]));
  return { runs: aq.from(runs), summary: aq.from(summary), spec: sigmaSensitivitySpec(config, summary), seconds: (performance.now() - began) / 1000 };
}

export function sigmaSensitivitySpec(config: LrdsExperimentConfig, summary: Record<string, unknown>[]): TopLevelSpec {
  const { dim, sigmaFactors, referenceWeights } = config.sigmaSensitivity;
  const t = config.train;
  const panel = (which: 'sigma' | 'weight', xTitle: string, xs: number[], log: boolean) =>
    withXTicks(sweepCurves({
      rows: summary.filter((r) => r.panel === which),
      fields: { x: 'x', y: 'modeWeightErrorMean', lo: 'modeWeightErrorMin', hi: 'modeWeightErrorMax', series: 'series' },
      xScale: log ? 'log' : 'linear',
      xTitle,
      yTitle: 'mode-weight error (points)',
      width: 240,
      height: 200,
    }), xs);
  return concatPanels(
    [
      { name: 'sigma', spec: panel('sigma', 'σ / σ_opt of the Gaussian reference', sigmaFactors, true) },
      { name: 'reference_weight', spec: panel('weight', 'w_ref of the heavy mode in the GMM reference', [...new Set([...referenceWeights, 0.5])].sort((a, b) => a - b), false) },
    ],
    {
      title: `L1: two modes (2/3, 1/3), d = ${dim}: error of LV-DDS against σ, of GMM-RDS against w_ref`,
      independentColors: true,
      subtitle: [
        `${t.steps} LV steps × ${t.batchSize} trajectories, ${t.numTimeSteps} EI steps, FourierMLP ${t.numLayers}×${t.channels}; ` +
          `w_ref = 0.5: the EM fit to equal-weight local MALA data; mean over ${config.seeds} seeds, band = min–max`,
      ],
    },
  );
}
