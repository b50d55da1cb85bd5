/**
 * Figure S2, the "sweet spot" of the start time t0 = ε (spec slips-lrds-amcbg.md sections 1.4, 1.9, 1.10; reference
 * `two_modes_mcmc_score_grid_sigma_epsilon.py`): on twoModesSlips(d), d = 10 by default, the error of SLIPS's mode
 * weights against ε, for σ = factor × σ-rule and each configured schedule, with
 *
 * - the MCMC denoiser (the algorithm): too small an ε leaves the posteriors q_t(x | y) multimodal at the first
 *   steps, so MALA cannot estimate the denoiser; too large an ε makes p_{t0} multimodal, so the Gaussian start and
 *   the short Langevin run cannot put the right mass in each mode. Duality of log-concavity: a U-shaped error;
 * - the exact denoiser of the noised mixture (the "perfect score", `exactMixtureDenoiser`): no MCMC error, only the
 *   initialisation and discretisation errors, which grow with ε.
 *
 * Each cell has `replicates` independent replicates (separate runs, or the row groups of one batched run; see
 * `SweetSpotConfig.batchReplicates`). The signed bias ŵ₁ − w₁ is kept as well: the paper's bisection on ε looks for
 * where it crosses 0.
 */
import * as aq from 'arquero';
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, type Key } from '../../core/random.js';
import { localizationSchedule } from '../../diffusion/localizationSchedules.js';
import { modeWeights } from '../../metrics/modeWeights.js';
import { sweepCurves } from '../../viz/sweepCurves.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';
import type { SweetSpotConfig } from './config.js';
import { twoModesProblem } from './dimensionSweep.js';
import { concatPanels, summariseOverSeeds, withXTicks } from './figures.js';
import { exactMixtureDenoiser, runSlips } from './methods.js';

export type DenoiserKind = 'MCMC' | 'perfect';

export interface SweetSpotRow {
  schedule: string;
  sigmaFactor: number;
  sigma: number;
  denoiser: DenoiserKind;
  epsilon: number;
  /** log g(ε)², the log-SNR at t0 relative to σ². */
  logSnr: number;
  replicate: number;
  modeWeight: number;
  trueModeWeight: number;
  /** ŵ₁ − w₁. */
  bias: number;
  modeWeightError: number;
  /** Mean MALA acceptance of the denoiser over the outer steps (NaN for the exact denoiser). */
  acceptanceRate: number;
  /** Seconds of the run (shared by the replicates of a batched run). */
  seconds: number;
}

export interface SweetSpotResult {
  runs: aq.ColumnTable;
  /** Per (schedule, denoiser, σ factor, ε): mean, min, max, sd over the replicates. */
  summary: aq.ColumnTable;
  spec: TopLevelSpec;
  seconds: number;
}

export function sweetSpotSeries(denoiser: DenoiserKind, sigmaFactor: number): string {
  return `${denoiser} σ×${sigmaFactor}`;
}

/**
 * Run S2 (see the file comment). Keys: foldIn(foldIn(key, schedule index), denoiser), then the replicate: the same
 * for every σ factor and ε (common random numbers along the curves).
 */
export async function runSweetSpot(config: SweetSpotConfig, key: Key, options: ExperimentOptions = {}): Promise<SweetSpotResult> {
  const began = performance.now();
  const problem = twoModesProblem(config.dim);
  const { target } = problem;
  const trueModeWeight = target.modes.weights[0];
  const n = config.slips.numParticles;
  const R = config.replicates;
  const rows: SweetSpotRow[] = [];
  const denoisers: DenoiserKind[] = config.perfectScore ? ['MCMC', 'perfect'] : ['MCMC'];
  try {
    for (const [si, choice] of config.schedules.entries()) {
      const schedule = localizationSchedule(choice.schedule);
      const scheduleName = schedule.name;
      for (const factor of config.sigmaFactors) {
        const sigma = factor * problem.sigma;
        const scaled = { ...problem, sigma };
        for (const epsilon of choice.epsilons) {
          for (const denoiser of denoisers) {
            throwIfAborted(options.signal, 'slips S2');
            const cellKey = foldIn(foldIn(key, si), denoiser === 'MCMC' ? 0 : 1);
            const exact = denoiser === 'perfect' ? exactMixtureDenoiser(target, schedule, sigma) : undefined;
            const weights: number[] = [];
            const acceptance: number[] = [];
            const times: number[] = [];
            const runOnce = async (replicateKey: Key, numParticles: number) => {
              const run = await runSlips(replicateKey, scaled, config.slips, choice, { epsilon, numParticles, denoiser: exact, signal: options.signal });
              try {
                const assigned = await target.modes.assign(run.particles);
                const groups = numParticles / n;
                for (let g = 0; g < groups; g++) {
                  weights.push(modeWeights(assigned.subarray(g * n, (g + 1) * n), 2)[0]);
                  acceptance.push(run.details.acceptanceRate);
                  times.push(run.seconds);
                }
              } finally {
                run.particles.dispose();
              }
            };
            if (config.batchReplicates) await runOnce(cellKey, R * n);
            else for (let r = 0; r < R; r++) await runOnce(foldIn(cellKey, r), n);
            weights.forEach((w, replicate) =>
              rows.push({
                schedule: scheduleName,
                sigmaFactor: factor,
                sigma,
                denoiser,
                epsilon,
                logSnr: schedule.logSnr(epsilon),
                replicate,
                modeWeight: w,
                trueModeWeight,
                bias: w - trueModeWeight,
                modeWeightError: Math.abs(w - trueModeWeight),
                acceptanceRate: acceptance[replicate],
                seconds: times[replicate],
              }),
            );
            const cellSeconds = config.batchReplicates ? times[0] : times.reduce((a, b) => a + b, 0);
            options.onProgress?.(
              `S2 ${scheduleName} ${sweetSpotSeries(denoiser, factor)} ε=${epsilon}: ŵ₁ = ${weights.map((w) => w.toFixed(3)).join(', ')} ` +
                `(w₁ = ${trueModeWeight.toFixed(3)}), ${cellSeconds.toFixed(1)} s`,
            );
          }
        }
      }
    }
  } finally {
    target.dispose();
  }
  const summary = summariseOverSeeds(
    rows.map((r) => ({ ...r, series: sweetSpotSeries(r.denoiser, r.sigmaFactor) })),
    ['schedule', 'series', 'denoiser', 'sigmaFactor', 'epsilon', 'logSnr'],
    ['modeWeightError', 'bias', 'modeWeight'],
  );
  const spec = sweetSpotSpec(config, summary);
  return { runs: aq.from(rows), summary: aq.from(summary), spec, seconds: (performance.now() - began) / 1000 };
}

/** Per schedule: |ŵ₁ − w₁| and ŵ₁ − w₁ against ε (log axis); one colour per σ factor, light = perfect score. */
export function sweetSpotSpec(config: SweetSpotConfig, summary: Record<string, unknown>[]): TopLevelSpec {
  const dark = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  const light = ['#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94'];
  const series = [
    ...config.sigmaFactors.map((f) => sweetSpotSeries('MCMC', f)),
    ...(config.perfectScore ? config.sigmaFactors.map((f) => sweetSpotSeries('perfect', f)) : []),
  ];
  const colors = [...config.sigmaFactors.map((_, i) => dark[i % dark.length]), ...(config.perfectScore ? config.sigmaFactors.map((_, i) => light[i % light.length]) : [])];
  const schedules = [...new Set(summary.map((r) => r.schedule as string))];
  const panels = schedules.flatMap((schedule, i) => {
    const rows = summary
      .filter((r) => r.schedule === schedule)
      .sort((a, b) => series.indexOf(a.series as string) - series.indexOf(b.series as string));
    const epsilons = [...new Set(rows.map((r) => r.epsilon as number))].sort((a, b) => a - b);
    const panel = (metric: string, yTitle: string) =>
      withXTicks(sweepCurves({
        rows,
        fields: { x: 'epsilon', y: `${metric}Mean`, lo: `${metric}Min`, hi: `${metric}Max`, series: 'series' },
        xScale: 'log',
        xTitle: `start time t0 = ε (${schedule})`,
        yTitle,
        colors,
        width: 260,
        height: 200,
      }), epsilons);
    return [
      { name: `error_schedule${i + 1}`, spec: panel('modeWeightError', 'mode-weight error |ŵ₁ − w₁|') },
      { name: `bias_schedule${i + 1}`, spec: panel('bias', 'bias ŵ₁ − w₁') },
    ];
  });
  const s = config.slips;
  return concatPanels(panels, {
    title: `S2: the start-time sweet spot, two modes in d = ${config.dim}`,
    subtitle: [
      `σ = factor × σ-rule; MCMC: N = ${s.numParticles}, K = ${s.numSteps}, M = ${s.numMcmcSteps} MALA × ${s.numChains} chains; ` +
        `perfect: the exact denoiser; mean of ${config.replicates} replicates, band = min–max`,
    ],
    columns: 2,
  });
}
