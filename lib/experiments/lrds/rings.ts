/**
 * L3 (the paper's Fig. 3, GMM part): the LRDS Rings target (radii 1, 3, 5, radial std 0.1, weights proportional to
 * the radius: 1/9, 3/9, 5/9). Local MALA from `pointsPerRing` points on each ring (spec 2.3: 32 per ring), so the data
 * put 1/3 on each ring; a full-covariance GMM with J components (16) seeded by k-means++ as the reference; GMM-LRDS
 * and LV-DDS (sigma_opt) trained on the same data with the same budget. Per run: the ring weights of the unweighted
 * samples (assigned by the nearest squared radius), their total-variation error against (1, 3, 5)/9, and the RMS of
 * |x| minus the assigned ring's radius (0.1 for exact samples: how thin the rings come out). Paper: GMM-LRDS (J = 16)
 * does not reproduce the thin rings; EBM-LRDS (not here) does.
 */
import * as aq from 'arquero';
import * as tf from '@tensorflow/tfjs';
import type { TopLevelSpec } from 'vega-lite';
import type { Key } from '../../core/random.js';
import { readValues } from '../../core/readback.js';
import { modeWeights } from '../../metrics/modeWeights.js';
import { gridAxis, logDensityOnGrid } from '../../targets/logDensityGrid.js';
import { ringsLrds, type RingsTarget } from '../../targets/rings.js';
import { scatterOverDensity } from '../../viz/scatterOverDensity.js';
import { progressCounter, throwIfAborted, type ExperimentOptions } from '../progress.js';
import { concatPanels, summariseOverSeeds } from '../slips/figures.js';
import type { LrdsExperimentConfig } from './config.js';
import { cellKey, disposeLrdsData, lrdsData, RDS_METHOD_LABELS, RDS_METHODS, runRdsMethod } from './pipeline.js';

export interface RingsRow {
  seed: number;
  method: string;
  /** Unweighted fraction of samples on each ring (inner to outer). */
  ring1: number;
  ring2: number;
  ring3: number;
  /** sum_k |h_k - w_k| / 2. */
  ringWeightTv: number;
  /** RMS of |x| - radius of the assigned ring (exact samples: 0.1). */
  radialRms: number;
  diverged: boolean;
  trainSeconds: number;
}

export interface RingsResult {
  runs: aq.ColumnTable;
  summary: aq.ColumnTable;
  spec: TopLevelSpec;
  seconds: number;
}

/** `count` points evenly spaced on each ring (the LRDS initial points). */
export function ringPoints(target: RingsTarget, count: number): number[][] {
  return target.radii.flatMap((r) => Array.from({ length: count }, (_, i) => [r * Math.cos((2 * Math.PI * i) / count), r * Math.sin((2 * Math.PI * i) / count)]));
}

async function ringMetrics(target: RingsTarget, x: tf.Tensor2D): Promise<{ weights: number[]; radialRms: number }> {
  const assigned = await target.modes.assign(x);
  const v = await readValues(x);
  let sum = 0;
  for (let i = 0; i < assigned.length; i++) sum += (Math.hypot(v[2 * i], v[2 * i + 1]) - target.radii[assigned[i]]) ** 2;
  return { weights: modeWeights(assigned, target.radii.length), radialRms: Math.sqrt(sum / assigned.length) };
}

export async function runRings(config: LrdsExperimentConfig, root: Key, options: ExperimentOptions = {}): Promise<RingsResult> {
  const began = performance.now();
  const rc = config.rings!;
  const target = ringsLrds();
  const rows: RingsRow[] = [];
  const panels: { method: string; points: number[][] }[] = [];
  const total = config.seeds * rc.methods.length;
  try {
    const exactSamples = target.sample(cellKey(root, 0), 4096);
    const exact = await ringMetrics(target, exactSamples).finally(() => exactSamples.dispose());
    rows.push({ seed: -1, method: 'exact samples', ring1: exact.weights[0], ring2: exact.weights[1], ring3: exact.weights[2], ringWeightTv: tvOf(exact.weights, target.ringWeights), radialRms: exact.radialRms, diverged: false, trainSeconds: 0 });
    for (let seed = 0; seed < config.seeds; seed++) {
      const data = await lrdsData(cellKey(root, 1, seed), target, rc.mcmc, options.signal, ringPoints(target, rc.pointsPerRing));
      try {
        for (const method of rc.methods) {
          throwIfAborted(options.signal, 'lrds L3');
          const run = await runRdsMethod(cellKey(root, 2, seed, RDS_METHODS.indexOf(method)), target, method, data, {
            train: config.train, numComponents: rc.numComponents, covarianceType: 'full',
          }, { signal: options.signal, keepSamples: true });
          const label = RDS_METHOD_LABELS[method];
          if (run.samples) {
            const m = await ringMetrics(target, run.samples);
            rows.push({ seed, method: label, ring1: m.weights[0], ring2: m.weights[1], ring3: m.weights[2], ringWeightTv: tvOf(m.weights, target.ringWeights), radialRms: m.radialRms, diverged: false, trainSeconds: run.trainSeconds });
            if (seed === 0) panels.push({ method: label, points: (await run.samples.array()) as number[][] });
            run.samples.dispose();
          } else {
            rows.push({ seed, method: label, ring1: NaN, ring2: NaN, ring3: NaN, ringWeightTv: NaN, radialRms: NaN, diverged: true, trainSeconds: run.trainSeconds });
          }
          const r = rows[rows.length - 1];
          options.onProgress?.(`L3 rings seed ${seed} ${label}: ring weights ${[r.ring1, r.ring2, r.ring3].map((w) => w.toFixed(3)).join(', ')} (true 0.111, 0.333, 0.556), radial RMS ${r.radialRms.toFixed(3)} (exact 0.1) ${progressCounter(rows.length - 1, total, (performance.now() - began) / 1000)}`);
        }
        if (seed === 0) panels.unshift({ method: 'local MALA data', points: (await data.samples.array()) as number[][] });
      } finally {
        disposeLrdsData(data);
      }
    }
    const density = await logDensityOnGrid(target, gridAxis(-6, 6, 60));
    const summary = summariseOverSeeds(rows.filter((r) => r.seed >= 0), ['method'], ['ring1', 'ring2', 'ring3', 'ringWeightTv', 'radialRms', 'diverged', 'trainSeconds']);
    const spec = concatPanels(
      panels.map((p, i) => ({
        name: ['data', 'gmm_lrds', 'lv_dds', 'lv_pis'][i] ?? `panel${i}`,
        spec: scatterOverDensity({ samples: p.points, density, maxPoints: 1500, pointSize: 4, samplesLabel: p.method, width: 220, height: 220, title: p.method }),
      })),
      {
        title: `L3: Rings (weights 1/9, 3/9, 5/9, radial std 0.1): GMM-LRDS with J = ${rc.numComponents} against LV-DDS, seed 0`,
        subtitle: [`${config.train.steps} LV steps × ${config.train.batchSize}, ${config.train.numTimeSteps} EI steps; data: local MALA from ${rc.pointsPerRing} points per ring (1/3 per ring)`],
        independentColors: true,
      },
    );
    return { runs: aq.from(rows), summary: aq.from(summary), spec, seconds: (performance.now() - began) / 1000 };
  } finally {
    target.dispose();
  }
}

const tvOf = (h: readonly number[], w: readonly number[]) => h.reduce((s, v, k) => s + Math.abs(v - w[k]), 0) / 2;

