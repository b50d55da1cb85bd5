/**
 * Figure S4 (optional; spec slips-lrds-amcbg.md sections 1.6, 1.8, 1.10): the φ⁴ field in d = 100 (a = 0.1,
 * β = 20), for each tilt b: the log mode ratio log(P(negative) / P(positive)) of SLIPS and of the baselines
 * (modes by the sign of the middle site, as SLIPS and LRDS count them; AIS weighted) against the Laplace
 * reference of `phiFourLaplace` (the sign convention the spec recommends: > 0 for b > 0). σ rule with
 * (R, τ) = (4.5, 0.2). A sampler that puts no particle in one mode has an infinite log ratio: it is kept as ±Infinity
 * in the runs table and left out of the curves (counted in the subtitle).
 */
import * as tf from '@tensorflow/tfjs';
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, type Key } from '../../core/random.js';
import { phiFourLogModeRatio } from '../../metrics/phiFourLogRatio.js';
import { slipsSigma } from '../../samplers/diffusion/slips.js';
import { phiFour } from '../../targets/phiFour.js';
import { sweepCurves } from '../../viz/sweepCurves.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';
import type { PhiFourConfig } from './config.js';
import { summariseOverSeeds } from './figures.js';
import { baselinesOf, runBaseline, runCostPerParticle, runSlips, runWeights, type BenchmarkRun, type Problem } from './methods.js';

export interface PhiFourRow {
  tilt: number;
  seed: number;
  method: string;
  /** log(P̂(negative) / P̂(positive)); ±Infinity when a mode is empty. */
  logRatio: number;
  laplaceLogRatio: number;
  /** logRatio − laplaceLogRatio. */
  error: number;
  gradientEvaluationsPerParticle: number;
  seconds: number;
}

export interface PhiFourResult {
  runs: aq.ColumnTable;
  summary: aq.ColumnTable;
  spec: TopLevelSpec;
  seconds: number;
}

/** Run S4 (see the file comment). Keys: foldIn(key, tilt index), then the seed, then one per method. */
export async function runPhiFour(config: PhiFourConfig, key: Key, options: ExperimentOptions = {}): Promise<PhiFourResult> {
  const began = performance.now();
  const rows: PhiFourRow[] = [];
  const methods = ['SLIPS', ...baselinesOf(config.baselines)];
  const radius = 4.5;
  const tau = 0.2;
  for (const [bi, tilt] of config.tilts.entries()) {
    const target = phiFour({ dim: config.dim, a: 0.1, b: tilt, beta: 20, modeStatistic: 'midpoint' });
    const problem: Problem = { target, radius, tau, sigma: slipsSigma(radius, tau, config.dim) };
    const laplace = target.laplace.logModeRatio;
    for (let seed = 0; seed < config.seeds; seed++) {
      const k = foldIn(foldIn(key, bi), seed);
      for (const [i, method] of methods.entries()) {
        throwIfAborted(options.signal, 'slips S4');
        const run: BenchmarkRun =
          method === 'SLIPS'
            ? await runSlips(foldIn(k, 10), problem, config.slips, config.schedule, { epsilon: config.epsilon, epsilonEnd: config.epsilonEnd, signal: options.signal })
            : await runBaseline(method as 'SMC' | 'AIS' | 'RDMC', foldIn(k, i), problem, config.slips, config.budget, config.baselines, options.signal);
        try {
          const logRatio = await phiFourLogModeRatio(run.particles, target, { weights: runWeights(run) });
          rows.push({
            tilt,
            seed,
            method,
            logRatio,
            laplaceLogRatio: laplace,
            error: logRatio - laplace,
            gradientEvaluationsPerParticle: runCostPerParticle(run).gradientEvaluationsPerParticle,
            seconds: run.seconds,
          });
          options.onProgress?.(`S4 b=${tilt} seed ${seed} ${method}: log ratio ${logRatio.toFixed(2)} (Laplace ${laplace.toFixed(2)}), ${run.seconds.toFixed(1)} s`);
        } finally {
          tf.dispose(run.particles);
        }
      }
    }
  }
  const summary = summariseOverSeeds(rows, ['method', 'tilt'], ['logRatio', 'error']);
  return { runs: aq.from(rows), summary: aq.from(summary), spec: phiFourSpec(config, rows, summary), seconds: (performance.now() - began) / 1000 };
}

/**
 * Log mode ratio against b per method (mean over the seeds with finite values, band min–max), Laplace as a line.
 * The drawn values are clipped to ±bound, bound = 1 + max(log N, largest Laplace ratio): beyond log N the light mode
 * holds less than one particle's worth of weight, and AIS's degenerate weights give ratios in the hundreds that would
 * flatten every other curve (the tables keep the values as they are).
 */
export function phiFourSpec(config: PhiFourConfig, rows: PhiFourRow[], summary: Record<string, unknown>[]): TopLevelSpec {
  const laplace = [...new Map(rows.map((r) => [r.tilt, r.laplaceLogRatio])).entries()].map(([tilt, y]) => ({ series: 'Laplace', tilt, logRatioMean: y, logRatioMin: null, logRatioMax: null }));
  const infinite = rows.filter((r) => !Number.isFinite(r.logRatio)).length;
  const s = config.slips;
  const bound = Math.ceil(1 + Math.max(Math.log(s.numParticles), ...laplace.map((r) => Math.abs(r.logRatioMean))));
  const clip = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.max(-bound, Math.min(bound, v)) : v);
  const clipped = rows.filter((r) => Number.isFinite(r.logRatio) && Math.abs(r.logRatio) > bound).length;
  return sweepCurves({
    rows: [...laplace, ...summary.map((r) => ({ ...r, logRatioMean: clip(r.logRatioMean), logRatioMin: clip(r.logRatioMin), logRatioMax: clip(r.logRatioMax), series: r.method }))],
    fields: { x: 'tilt', y: 'logRatioMean', lo: 'logRatioMin', hi: 'logRatioMax', series: 'series' },
    xTitle: 'tilt b',
    yTitle: 'log P(negative) / P(positive)',
    title: `S4: φ⁴ in d = ${config.dim}, log mode ratio against the Laplace reference`,
    subtitle:
      `N = ${s.numParticles}, K = ${s.numSteps}, M = ${s.numMcmcSteps} × ${s.numChains} chains, ε = ${config.epsilon}; ${config.seeds} seeds, band = min–max` +
      (infinite ? `; ${infinite} runs with an empty mode (infinite ratio) left out` : '') +
      (clipped ? `; ${clipped} weighted runs beyond ±${bound} (degenerate weights) drawn at ±${bound}` : ''),
    width: 360,
    height: 240,
  });
}
