/**
 * Figure S1 (spec slips-lrds-amcbg.md sections 1.9, 1.10): on the two-modes family twoModesSlips(d) (weights
 * 2/3, 1/3, means −(2/3)𝟙 and +(4/3)𝟙, covariance 0.05 I), for each dimension d and seed: SLIPS (geometric (1, 1) by
 * default, σ from the σ rule with R = (4/3)√d, τ = √0.05, one run per start time ε) against SMC, AIS and RDMC at
 * the configured budget. Metrics against N exact draws of the target:
 *
 * - mode-weight error |ŵ₁ − w₁| (ŵ₁: the share of the heavy mode, nearest-mean assignment; AIS weighted);
 * - SLIPS's "fast" Gaussian-approximation sliced W2, |√(E|x̄|²/d) − √(E|ȳ|²/d)| after centring;
 * - the Monte Carlo sliced W2 over `numDirections` random directions (not centred: a true distance).
 * Both W2s use AIS's particles resampled by their weights.
 */
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, type Key } from '../../core/random.js';
import { modeWeights } from '../../metrics/modeWeights.js';
import { slicedWasserstein, slicedWassersteinGaussianApprox } from '../../metrics/slicedWasserstein.js';
import { slipsSigma } from '../../samplers/diffusion/slips.js';
import { twoModesSlips } from '../../targets/twoModes.js';
import { sweepCurves } from '../../viz/sweepCurves.js';
import type { DimensionSweepConfig } from './config.js';
import { concatPanels, summariseOverSeeds, withXTicks } from './figures.js';
import { METHOD_LABELS, baselinesOf, runBaseline, runCostPerParticle, runSlips, runWeights, unweightedPoints, type BenchmarkRun, type Problem } from './methods.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';

export interface DimensionSweepRow {
  dim: number;
  seed: number;
  /** 'SLIPS ε=0.2', 'SMC', 'AIS', 'RDMC'. */
  series: string;
  method: string;
  /** SLIPS's start time (null for the baselines). */
  epsilon: number | null;
  sigma: number;
  /** ŵ₁ and the exact w₁. */
  modeWeight: number;
  trueModeWeight: number;
  modeWeightError: number;
  slicedW2GaussianApprox: number;
  slicedW2: number;
  gradientEvaluationsPerParticle: number;
  densityEvaluationsPerParticle: number;
  ess: number;
  acceptanceRate: number;
  seconds: number;
}

export interface DimensionSweepResult {
  runs: aq.ColumnTable;
  /** Per (series, dim): mean, min, max, sd over seeds of each metric. */
  summary: aq.ColumnTable;
  spec: TopLevelSpec;
  seconds: number;
}

/** The two-modes problem in dimension d with SLIPS's σ rule (spec 1.6: R = (4/3)√d, τ = √0.05). */
export function twoModesProblem(dim: number): Problem & { target: ReturnType<typeof twoModesSlips> } {
  const target = twoModesSlips(dim);
  const radius = (4 / 3) * Math.sqrt(dim);
  const tau = Math.sqrt(0.05);
  return { target, radius, tau, sigma: slipsSigma(radius, tau, dim) };
}

export function slipsSeries(epsilon: number): string {
  return `SLIPS ε=${epsilon}`;
}

/** Run S1 (see the file comment). Keys: foldIn(key, d), then the seed, then one per method. */
export async function runDimensionSweep(config: DimensionSweepConfig, key: Key, options: ExperimentOptions = {}): Promise<DimensionSweepResult> {
  const began = performance.now();
  const rows: DimensionSweepRow[] = [];
  const baselines = baselinesOf(config.baselines);
  for (const dim of config.dims) {
    const problem = twoModesProblem(dim);
    const { target } = problem;
    const trueModeWeight = target.modes.weights[0];
    try {
      for (let seed = 0; seed < config.seeds; seed++) {
        const k = foldIn(foldIn(key, dim), seed);
        const exact = target.sample(foldIn(k, 0), config.slips.numParticles);
        const record = async (run: BenchmarkRun, series: string, epsilon: number | null) => {
          const points = unweightedPoints(foldIn(k, 5), run);
          try {
            const [assigned, slicedW2GaussianApprox, slicedW2] = await Promise.all([
              target.modes.assign(run.particles),
              slicedWassersteinGaussianApprox(points, exact),
              slicedWasserstein(points, exact, { key: foldIn(k, 4), numDirections: config.numDirections }),
            ]);
            const w = modeWeights(assigned, 2, runWeights(run))[0];
            const cost = runCostPerParticle(run);
            const row: DimensionSweepRow = {
              dim,
              seed,
              series,
              method: METHOD_LABELS[run.sampler],
              epsilon,
              sigma: problem.sigma,
              modeWeight: w,
              trueModeWeight,
              modeWeightError: Math.abs(w - trueModeWeight),
              slicedW2GaussianApprox,
              slicedW2,
              gradientEvaluationsPerParticle: cost.gradientEvaluationsPerParticle,
              densityEvaluationsPerParticle: cost.densityEvaluationsPerParticle,
              ess: run.ess,
              acceptanceRate: run.details.acceptanceRate,
              seconds: run.seconds,
            };
            rows.push(row);
            options.onProgress?.(
              `S1 d=${dim} seed ${seed} ${series}: ŵ₁ = ${w.toFixed(3)} (w₁ = ${trueModeWeight.toFixed(3)}), sliced W2 ${row.slicedW2.toFixed(3)}, ` +
                `${cost.gradientEvaluationsPerParticle} gradients/particle, ${run.seconds.toFixed(1)} s`,
            );
          } finally {
            tf.dispose([points, run.particles]);
          }
        };
        try {
          for (const epsilon of config.epsilons) {
            throwIfAborted(options.signal, 'slips S1');
            const run = await runSlips(foldIn(k, 10), problem, config.slips, config.schedule, { epsilon, signal: options.signal });
            await record(run, slipsSeries(epsilon), epsilon);
          }
          for (const [i, method] of baselines.entries()) {
            throwIfAborted(options.signal, 'slips S1');
            const run = await runBaseline(method, foldIn(k, 1 + i), problem, config.slips, config.budget, config.baselines, options.signal);
            await record(run, method, null);
          }
        } finally {
          exact.dispose();
        }
      }
    } finally {
      target.dispose();
    }
  }
  const summary = summariseOverSeeds(rows, ['series', 'dim'], ['modeWeightError', 'slicedW2GaussianApprox', 'slicedW2', 'gradientEvaluationsPerParticle', 'seconds']);
  const spec = dimensionSweepSpec(config, summary);
  return { runs: aq.from(rows), summary: aq.from(summary), spec, seconds: (performance.now() - began) / 1000 };
}

/** Three panels (mode-weight error, Gaussian-approximation SW, Monte Carlo SW) against d; bands: min-max over seeds. */
export function dimensionSweepSpec(config: DimensionSweepConfig, summary: Record<string, unknown>[]): TopLevelSpec {
  const s = config.slips;
  const budgetText = config.budget === 'paper'
    ? `baselines at the paper's budget K·M = ${s.numSteps * s.numMcmcSteps} gradients/particle`
    : "baselines at SLIPS's actual gradient evaluations per particle";
  const panel = (metric: string, yTitle: string) =>
    withXTicks(sweepCurves({
      rows: summary,
      fields: { x: 'dim', y: `${metric}Mean`, lo: `${metric}Min`, hi: `${metric}Max`, series: 'series' },
      xScale: 'log',
      xTitle: 'dimension d',
      yTitle,
      width: 190,
      height: 200,
    }), config.dims);
  return concatPanels(
    [
      { name: 'mode_weight_error', spec: panel('modeWeightError', 'mode-weight error |ŵ₁ − w₁|') },
      { name: 'sliced_w2_gaussian_approx', spec: panel('slicedW2GaussianApprox', 'sliced W2 (Gaussian approx.)') },
      { name: 'sliced_w2', spec: panel('slicedW2', `sliced W2 (${config.numDirections} directions)`) },
    ],
    {
      title: 'S1: two modes (2/3, 1/3) in dimension d: SLIPS vs SMC, AIS, RDMC',
      subtitle: [
        `N = ${s.numParticles}, K = ${s.numSteps}, M = ${s.numMcmcSteps} MALA × ${s.numChains} chains; ${budgetText}; ` +
          `mean over ${config.seeds} seeds, band = min–max`,
      ],
    },
  );
}
