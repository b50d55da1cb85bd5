/**
 * Figure S3 (spec slips-lrds-amcbg.md sections 1.5, 1.10; reference notebook "8 Gaussians - SLIPS"): the 8
 * Gaussians (radius 10, variance 0.7), SLIPS with the notebook's σ = 5, ε = 0.35, geometric (1, 1) and 32 Langevin
 * steps, against SMC, AIS and RDMC at the configured budget (R = 10, τ = √0.7). Seed 0 is drawn over the density
 * (AIS: its particles resampled by weight); every seed gives the exact W2 to N exact draws (AIS: resampled) and the
 * total-variation error of the 8 mode weights (AIS: weighted). The row "exact" is the W2 between two sets of N exact
 * draws: the noise floor of the metric at this N.
 */
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, type Key } from '../../core/random.js';
import { modeWeightError, modeWeights } from '../../metrics/modeWeights.js';
import { wasserstein2Exact } from '../../metrics/wasserstein2d.js';
import { eightGaussians } from '../../targets/gaussians2d.js';
import { gridAxis, logDensityOnGrid, type LogDensityGrid } from '../../targets/logDensityGrid.js';
import { scatterOverDensity } from '../../viz/scatterOverDensity.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';
import type { EightGaussiansConfig } from './config.js';
import { concatPanels, summariseOverSeeds } from './figures.js';
import { baselinesOf, runBaseline, runCostPerParticle, runSlips, runWeights, unweightedPoints, type BenchmarkRun, type Problem } from './methods.js';

export interface EightGaussiansRow {
  seed: number;
  method: string;
  w2: number;
  modeWeightTv: number;
  /** Share of the fullest and of the emptiest mode. */
  maxModeWeight: number;
  minModeWeight: number;
  gradientEvaluationsPerParticle: number;
  densityEvaluationsPerParticle: number;
  ess: number;
  seconds: number;
}

export interface EightGaussiansResult {
  runs: aq.ColumnTable;
  /** Per method: mean, min, max, sd of W2 and of the mode-weight TV over seeds. */
  summary: aq.ColumnTable;
  /** Seed 0's points, [N, 2] per method (plain arrays, for re-plotting). */
  points: Record<string, number[][]>;
  spec: TopLevelSpec;
  seconds: number;
}


/** Run S3 (see the file comment). Keys: foldIn(key, seed), then one per method. */
export async function runEightGaussians(config: EightGaussiansConfig, key: Key, options: ExperimentOptions = {}): Promise<EightGaussiansResult> {
  const began = performance.now();
  const target = eightGaussians();
  const problem: Problem = { target, radius: 10, tau: Math.sqrt(0.7), sigma: config.sigma };
  const truth = target.modes.weights;
  const n = config.slips.numParticles;
  const methods = ['SLIPS', ...baselinesOf(config.baselines)];
  const rows: EightGaussiansRow[] = [];
  const points: Record<string, number[][]> = {};
  try {
    for (let seed = 0; seed < config.seeds; seed++) {
      const k = foldIn(key, seed);
      const exact = target.sample(foldIn(k, 0), n);
      const other = target.sample(foldIn(k, 6), n);
      try {
        const record = async (method: string, pts: tf.Tensor2D, run: BenchmarkRun | null) => {
          const w = modeWeights(await target.modes.assign(run ? run.particles : pts), 8, run ? runWeights(run) : undefined);
          const cost = run ? runCostPerParticle(run) : { gradientEvaluationsPerParticle: 0, densityEvaluationsPerParticle: 0 };
          const row: EightGaussiansRow = {
            seed,
            method,
            w2: await wasserstein2Exact(pts, exact),
            modeWeightTv: modeWeightError(w, truth).totalVariation,
            maxModeWeight: Math.max(...w),
            minModeWeight: Math.min(...w),
            gradientEvaluationsPerParticle: cost.gradientEvaluationsPerParticle,
            densityEvaluationsPerParticle: cost.densityEvaluationsPerParticle,
            ess: run?.ess ?? n,
            seconds: run?.seconds ?? 0,
          };
          rows.push(row);
          if (seed === 0) points[method] = (await pts.array()) as number[][];
          options.onProgress?.(`S3 seed ${seed} ${method}: W2 = ${row.w2.toFixed(3)}, mode-weight TV = ${row.modeWeightTv.toFixed(3)}${run ? `, ${run.seconds.toFixed(1)} s` : ''}`);
        };
        await record('exact', other, null);
        for (const [i, method] of methods.entries()) {
          throwIfAborted(options.signal, 'slips S3');
          const run =
            method === 'SLIPS'
              ? await runSlips(foldIn(k, 10), problem, config.slips, config.schedule, { epsilon: config.epsilon, signal: options.signal })
              : await runBaseline(method as 'SMC' | 'AIS' | 'RDMC', foldIn(k, i), problem, config.slips, config.budget, config.baselines, options.signal);
          const pts = unweightedPoints(foldIn(k, 5), run);
          try {
            await record(method, pts, run);
          } finally {
            tf.dispose([pts, run.particles]);
          }
        }
      } finally {
        tf.dispose([exact, other]);
      }
    }
    const summary = summariseOverSeeds(rows, ['method'], ['w2', 'modeWeightTv', 'gradientEvaluationsPerParticle', 'seconds']);
    const density = await logDensityOnGrid((x) => target.logDensity(x), gridAxis(-14, 14, config.gridSize));
    const spec = eightGaussiansSpec(config, density, points, summary);
    return { runs: aq.from(rows), summary: aq.from(summary), points, spec, seconds: (performance.now() - began) / 1000 };
  } finally {
    target.dispose();
  }
}

/** One scatter panel per method (seed 0) over the density's contours, titled with the mean W2 over seeds. */
export function eightGaussiansSpec(config: EightGaussiansConfig, density: LogDensityGrid, points: Record<string, number[][]>, summary: Record<string, unknown>[]): TopLevelSpec {
  const panels = Object.entries(points).map(([method, pts]) => {
    const s = summary.find((r) => r.method === method);
    const w2 = s?.w2Mean as number | null | undefined;
    const label = method === 'exact' ? 'exact draws (another set)' : method === 'AIS' ? 'AIS (resampled by weight)' : method;
    return {
      name: method.toLowerCase().replace(/[^a-z0-9]+/g, '_'),
      spec: scatterOverDensity({
        samples: pts,
        density,
        densityLayer: 'contours',
        domain: { x: [-14, 14], y: [-14, 14] },
        title: label,
        subtitle: w2 == null ? undefined : `W2 = ${w2.toFixed(2)} (mean of ${config.seeds} seeds)`,
        samplesLabel: method,
        width: 200,
        height: 200,
        pointSize: 8,
        opacity: 0.7,
      }),
    };
  });
  const s = config.slips;
  return concatPanels(panels, {
    title: 'S3: 8 Gaussians (radius 10, variance 0.7), seed 0',
    subtitle: [
      `SLIPS geometric (1, 1), σ = ${config.sigma}, ε = ${config.epsilon}, N = ${s.numParticles}, K = ${s.numSteps}, M = ${s.numMcmcSteps} × ${s.numChains} chains; ` +
        `baselines at ${config.budget === 'paper' ? "the paper's budget K·M" : "SLIPS's gradient evaluations"} per particle`,
    ],
    columns: 3,
    independentColors: true,
  });
}
