/**
 * Figure F1.1, "dimension x flow quality" (spec papers/nfmcmc-nfebm-multimodal-eval.md sections 1.8 E1 / E2 and
 * 1.10): every sampler family on a unimodal target, with analytic flows whose error is set by one parameter, for a
 * grid of dimensions. No training: the flows are exact maps of known quality (lib/samplers/transport/imperfectFlows).
 *
 * - 'gaussian' (E1): the rotated ill-conditioned Gaussian, flows x = L_t z (t = 1/2 exact);
 * - 'funnel' (E2): Neal's funnel, flows with the conditional scale off by beta^{-1/2} (beta = 1 exact).
 *
 * Per cell (dimension, quality, seed) every chain starts at a flow sample (as the reference) and every sampler runs
 * under the budget of `SamplerBudget`; the score is the sliced Kolmogorov-Smirnov distance (lib/metrics/marginalKs:
 * mean over random unit directions of the exact two-sample KS statistic of the projections) between all recorded
 * draws (chains pooled) and as many exact draws of the target times `referenceFactor`. Within a (dimension, seed),
 * all qualities and samplers share the exact reference draws, the directions and the latent draws behind the
 * initial points (common random numbers), so differences between cells come from the samplers and the flows.
 */
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, normal, split, type Key } from '../../core/random.js';
import { slicedKs } from '../../metrics/marginalKs.js';
import type { Flow } from '../../models/flow.js';
import type { Target } from '../../targets/target.js';
import type { HeatmapConfig, HeatmapTargetConfig } from './config.js';
import { flowQualityHeatmaps, type HeatmapCell } from './figures.js';
import { drawsTensor, runSampler, SAMPLERS, type SamplerName, type SamplerSettings } from './samplers.js';
import { paperFunnel, paperFunnelFlow, rotatedGaussian, rotatedGaussianFlow } from './targets.js';
import { progressCounter, throwIfAborted, type ExperimentOptions } from '../progress.js';

export type FlowQualityTarget = 'gaussian' | 'funnel';

interface Family {
  label: string;
  qualityName: string;
  qualityTitle: string;
  exactQuality: number;
  makeTarget(dim: number): Target & { dispose?(): void };
  makeFlow(dim: number, quality: number): Flow;
}

const FAMILIES: Record<FlowQualityTarget, Family> = {
  gaussian: {
    label: 'rotated ill-conditioned Gaussian',
    qualityName: 't',
    qualityTitle: 'flow t',
    exactQuality: 0.5,
    makeTarget: rotatedGaussian,
    makeFlow: rotatedGaussianFlow,
  },
  funnel: {
    label: "Neal's funnel",
    qualityName: 'beta',
    qualityTitle: 'flow β',
    exactQuality: 1,
    makeTarget: paperFunnel,
    makeFlow: paperFunnelFlow,
  },
};

/** One sampler run of one cell. */
export interface FlowQualityRun {
  target: FlowQualityTarget;
  dim: number;
  quality: number;
  exact: boolean;
  seed: number;
  sampler: SamplerName;
  slicedKs: number;
  acceptanceRate: number;
  stepSize: number | null;
  /** Recorded draws with a non-finite coordinate (left out of the score). */
  nonFinite: number;
  seconds: number;
}

export interface FlowQualityResult {
  target: FlowQualityTarget;
  /** One row per (dimension, quality, seed, sampler). */
  runs: aq.ColumnTable;
  /** One row per (dimension, quality, sampler): mean, standard deviation, min and max over seeds. */
  cells: aq.ColumnTable;
  spec: TopLevelSpec;
  seconds: number;
}

/** The sampler budget of dimension index i. */
export function settingsAt(config: HeatmapTargetConfig, i: number): SamplerSettings {
  return {
    numChains: config.numChains,
    numSteps: config.numSteps[i],
    numWarmup: config.numWarmup,
    isirParticles: config.isirParticles,
    flex2Particles: config.flex2Particles,
    flex2LocalSteps: config.flex2LocalSteps,
    isSamples: config.isSamples[i],
    initialStepSize: config.initialStepSize,
  };
}

/** Run the F1.1 grid on one target (see the file header). */
export async function runFlowQualityGrid(
  which: FlowQualityTarget,
  config: HeatmapConfig,
  key: Key,
  options: ExperimentOptions = {},
): Promise<FlowQualityResult> {
  const family = FAMILIES[which];
  if (family === undefined) throw new Error(`runFlowQualityGrid: option "target" = ${JSON.stringify(which)}, expected "gaussian" or "funnel"`);
  const grid = config[which];
  const { onProgress, signal } = options;
  const began = performance.now();
  const runs: FlowQualityRun[] = [];
  const totalCells = grid.dims.length * grid.qualities.length * config.seeds;
  let cell = 0;

  for (const [di, dim] of grid.dims.entries()) {
    const settings = settingsAt(grid, di);
    const target = family.makeTarget(dim);
    try {
      for (let seed = 0; seed < config.seeds; seed++) {
        const seedKey = foldIn(foldIn(key, di), seed);
        const [kReference, kDirections, kLatent, kSamplers] = split(seedKey, 4);
        const numDraws = settings.numChains * settings.numSteps;
        const reference = target.sample!(kReference, Math.max(1, Math.round(config.referenceFactor * numDraws)));
        const latent = normal(kLatent, [settings.numChains, dim]) as tf.Tensor2D;
        try {
          for (const quality of grid.qualities) {
            throwIfAborted(signal, 'nfmcmc');
            const flow = family.makeFlow(dim, quality);
            const start = tf.tidy(() => flow.forward(latent).value);
            const scores: string[] = [];
            try {
              for (const [si, sampler] of SAMPLERS.entries()) {
                const run = await runSampler(sampler, foldIn(kSamplers, si), { target, flow }, start, settings, { signal });
                const { x, numNonFinite } = drawsTensor(run.draws);
                let score = NaN;
                try {
                  if (x.shape[0] > 0) score = await slicedKs(reference, x, { key: kDirections, numDirections: config.numDirections });
                } finally {
                  x.dispose();
                }
                runs.push({
                  target: which,
                  dim,
                  quality,
                  exact: quality === family.exactQuality,
                  seed,
                  sampler,
                  slicedKs: score,
                  acceptanceRate: run.acceptanceRate,
                  stepSize: run.stepSize,
                  nonFinite: numNonFinite,
                  seconds: run.seconds,
                });
                scores.push(`${sampler} ${Number.isFinite(score) ? score.toFixed(2) : 'n/a'}`);
              }
            } finally {
              start.dispose();
              flow.dispose();
            }
            cell += 1;
            const counter = progressCounter(cell, totalCells, (performance.now() - began) / 1000);
            onProgress?.(`F1.1 ${which} d=${dim} ${family.qualityName}=${quality} seed ${seed + 1}/${config.seeds}: sliced KS ${scores.join(' | ')}  ${counter}`);
          }
        } finally {
          tf.dispose([reference, latent]);
        }
      }
    } finally {
      target.dispose?.();
    }
  }

  const runsTable = aq.from(runs);
  const cells = summariseCells(runsTable);
  const cellRows = cells.objects() as unknown as (HeatmapCell & { slicedKsMean: number | null })[];
  const spec = flowQualityHeatmaps({
    cells: cellRows.map((c) => ({ sampler: c.sampler, dim: c.dim, quality: c.quality, slicedKs: finiteOrNull(c.slicedKsMean) })),
    samplers: SAMPLERS,
    dims: grid.dims,
    qualities: grid.qualities,
    exactQuality: family.exactQuality,
    qualityTitle: family.qualityTitle,
    title: `Sliced KS to the target: ${family.label} (lower is better)`,
    subtitle: [
      `${grid.numChains} chains, ${grid.numWarmup} warm-up + ${grid.numSteps.join('/')} recorded steps; i-SIR N=${grid.isirParticles}; ` +
        `FlEx2 N=${grid.flex2Particles}, ${grid.flex2LocalSteps} MALA; IS N=${grid.isSamples.join('/')}`,
      `mean over ${config.seeds} seeds; ${config.numDirections} directions; * marks the exact flow (${family.qualityName === 'beta' ? 'β' : 't'} = ${family.exactQuality})`,
    ],
  });
  return { target: which, runs: runsTable, cells, spec, seconds: (performance.now() - began) / 1000 };
}

function finiteOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Mean, standard deviation, min and max of the score over seeds, per (dimension, quality, sampler). */
export function summariseCells(runs: aq.ColumnTable): aq.ColumnTable {
  return runs
    .groupby('target', 'dim', 'quality', 'exact', 'sampler')
    .rollup({
      slicedKsMean: aq.op.mean('slicedKs'),
      slicedKsSd: aq.op.stdev('slicedKs'),
      slicedKsMin: aq.op.min('slicedKs'),
      slicedKsMax: aq.op.max('slicedKs'),
      acceptanceRate: aq.op.mean('acceptanceRate'),
      seeds: aq.op.count(),
    })
    .orderby('dim', 'quality');
}
