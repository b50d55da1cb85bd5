/**
 * Figure A3 (spec slips-lrds-amcbg.md 3.5, "mode blindness"): a learned diffusion model's relative mode mass along
 * the diffusion path. An energy network E_theta(t, x) (lib/diffusion/scoreModels.ts, score = -grad E) is trained by
 * denoising score matching (lib/diffusion/dsm.ts on lib/trainers/fit.ts) on exact samples of a two-mode mixture
 * with the correct weights (2/3, 1/3). At each time t, the mass of mode 1 (the region where the first noised
 * component has the larger likelihood) under the learned density q_t ∝ exp(-E_theta(t, .)) is estimated by
 * self-normalised importance sampling from M exact samples of p_t:
 *   m_q(A) = sum_{i in A} r_i / sum_i r_i,   r_i = q_t(x_i) / p_t(x_i)   (q_t's unknown normaliser cancels),
 * and compared with the exact mass m_p(A) (the fraction of the same samples in A). DSM only sees scores, which
 * are local: the relative weight of well-separated modes is barely constrained by the loss, so m_q drifts from
 * m_p as t -> 0 while the modes separate. The figure shows m_q and m_p against t (mean +- 2 s.e. over seeds).
 */
import * as tf from '@tensorflow/tfjs';
import type { TopLevelSpec } from 'vega-lite';
import { foldIn, split, type Key } from '../../core/random.js';
import { perfectModel } from '../../diffusion/forwardNoising.js';
import type { EnergyDiffusionModel } from '../../diffusion/scoreModels.js';
import { vpSchedule } from '../../diffusion/vpSchedule.js';
import { twoModes } from '../../targets/twoModes.js';
import { sweepCurves } from '../../viz/sweepCurves.js';
import type { BlindnessConfig } from './config.js';
import { trainEnergyModel } from './training.js';
import { throwIfAborted, type ExperimentOptions } from '../progress.js';
import { boundedBand, meanAndStandardError } from './statistics.js';

export interface BlindnessRun {
  seed: number;
  t: number;
  /** Mass of mode 1 (weight 2/3 at t = 0) under the exact p_t (Monte Carlo) and the learned q_t (SNIS). */
  exactMass: number;
  learnedMass: number;
  /** learnedMass - exactMass. */
  massError: number;
  /** ESS / M of the importance weights q_t / p_t (how trustworthy the learned estimate is). */
  essFraction: number;
}

export interface BlindnessSummaryRow {
  t: number;
  exactMass: number;
  exactMassSe: number;
  learnedMass: number;
  learnedMassSe: number;
  massError: number;
  massErrorSe: number;
  essFraction: number;
}

export interface BlindnessResult {
  runs: BlindnessRun[];
  summary: BlindnessSummaryRow[];
  /** Final DSM loss (mean of the last 10% of steps) per seed. */
  finalLosses: number[];
  spec: TopLevelSpec;
  seconds: number;
}

/** Mass of mode 1 under q_t by SNIS from exact samples of p_t (see the file header); the model's energy in float64. */
export async function learnedModeMass(
  net: Pick<EnergyDiffusionModel, 'logDensity'>,
  exact: ReturnType<typeof perfectModel>,
  key: Key,
  t: number,
  numSamples: number,
): Promise<{ exactMass: number; learnedMass: number; essFraction: number }> {
  const x = exact.sample(key, numSamples, t);
  const marginal = exact.marginal(t);
  try {
    const read = async (logDensity: tf.Tensor1D) => {
      const values = Float64Array.from(await logDensity.data());
      logDensity.dispose();
      return values;
    };
    const [assigned, logQ, logP] = await Promise.all([
      marginal.modes!.assign(x),
      read(tf.tidy(() => net.logDensity(x, t))),
      read(tf.tidy(() => exact.logDensity(x, t))),
    ]);
    const logR = logQ.map((q, i) => q - logP[i]);
    const max = Math.max(...logR.filter(Number.isFinite));
    let inA = 0, total = 0, totalSq = 0, countA = 0;
    for (let i = 0; i < numSamples; i++) {
      const r = Math.exp(logR[i] - max);
      if (!Number.isFinite(r)) continue;
      total += r;
      totalSq += r * r;
      if (assigned[i] === 0) {
        inA += r;
        countA++;
      }
    }
    return { exactMass: countA / numSamples, learnedMass: inA / total, essFraction: (total * total) / totalSq / numSamples };
  } finally {
    x.dispose();
    marginal.dispose();
  }
}


export function blindnessSpec(summary: readonly BlindnessSummaryRow[]): TopLevelSpec {
  const rows = summary.flatMap((s) => [
    { series: 'exact p_t', x: s.t, y: s.exactMass, ...boundedBand(s.exactMass, s.exactMassSe) },
    { series: 'learned q_t (DSM energy)', x: s.t, y: s.learnedMass, ...boundedBand(s.learnedMass, s.learnedMassSe) },
  ]);
  return sweepCurves({
    rows,
    xScale: 'log',
    title: 'A3, mode blindness: mass of the heavier mode along the diffusion path',
    subtitle: 'energy network trained by DSM on exact samples (weights 2/3, 1/3); learned mass by SNIS from exact p_t samples',
    xTitle: 't (VP diffusion time)',
    yTitle: 'mass of mode 1 (true weight 2/3)',
    seriesTitle: 'density',
  });
}

/** Train one energy network per seed and measure its mode mass at every configured t. */
export async function runModeBlindness(config: BlindnessConfig, root: Key, options: ExperimentOptions = {}): Promise<BlindnessResult> {
  const began = performance.now();
  const schedule = vpSchedule();
  const target = twoModes({ dim: config.dim, separation: config.separation });
  const exact = perfectModel(target, schedule);
  const runs: BlindnessRun[] = [];
  const finalLosses: number[] = [];
  try {
    for (let seed = 0; seed < config.seeds; seed++) {
      throwIfAborted(options.signal, 'amcbg');
      const [trainKey, evalKey] = split(foldIn(root, seed), 2);
      const t0 = performance.now();
      const { net, finalLoss } = await trainEnergyModel(target, schedule, config, trainKey, options.signal);
      try {
        finalLosses.push(finalLoss);
        options.onProgress?.(`A3 seed ${seed}: ${config.steps} DSM steps in ${((performance.now() - t0) / 1000).toFixed(1)} s, final loss ${finalLoss.toFixed(3)}`);
        for (const [j, t] of config.times.entries()) {
          const m = await learnedModeMass(net, exact, foldIn(evalKey, j), t, config.numEvaluationSamples);
          runs.push({ seed, t, ...m, massError: m.learnedMass - m.exactMass });
        }
      } finally {
        net.dispose();
      }
    }
  } finally {
    exact.dispose();
    target.dispose();
  }
  const summary = config.times.map((t) => {
    const at = runs.filter((r) => r.t === t);
    const e = meanAndStandardError(at.map((r) => r.exactMass));
    const l = meanAndStandardError(at.map((r) => r.learnedMass));
    const d = meanAndStandardError(at.map((r) => r.massError));
    return {
      t, exactMass: e.mean, exactMassSe: e.standardError, learnedMass: l.mean, learnedMassSe: l.standardError,
      massError: d.mean, massErrorSe: d.standardError, essFraction: meanAndStandardError(at.map((r) => r.essFraction)).mean,
    };
  });
  return { runs, summary, finalLosses, spec: blindnessSpec(summary), seconds: (performance.now() - began) / 1000 };
}
