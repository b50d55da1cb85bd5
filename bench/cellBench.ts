/**
 * Time one paper cell (bench/cells.ts) in this process: `warmup` untimed runs, then the median over `reps` timed
 * runs (bench/timing.ts, one call per repetition), and its cost counts. One JSON row per cell:
 *   {cell, paper, figure, ms, ms_min, ms_max, reps, warmup, outerSteps, cost: {densityEvaluations, ...}, newTensors}
 * `newTensors` is the change of tf.memory().numTensors over the timed runs (0: nothing leaks). bench/run.ts runs
 * each cell in its own process (bench/child.ts) and adds `peakRssMb`.
 */
import * as tf from '@tensorflow/tfjs';
import type { SamplerCost } from '../lib/samplers/particleSampler.js';
import { cellNamed, type CellRunReport } from './cells.js';
import { timeRepeated } from './timing.js';

export interface CellRow {
  cell: string;
  paper: string;
  figure: string;
  backend: string;
  ms: number;
  ms_min: number;
  ms_max: number;
  reps: number;
  warmup: number;
  outerSteps: number;
  cost: SamplerCost;
  extra?: Record<string, number>;
  newTensors: number;
  peakRssMb?: number;
}

export interface CellPlan {
  reps: number;
  warmup: number;
}

export async function timeCell(name: string, plan: CellPlan): Promise<CellRow> {
  const def = cellNamed(name);
  const cell = def.setup();
  try {
    let last: CellRunReport | undefined;
    const step = async () => {
      last = await cell.run();
    };
    // the warm-up runs are outside the tensor count: the first run may create lasting caches (e.g. compiled kernels)
    for (let i = 0; i < plan.warmup; i++) await step();
    const before = tf.memory().numTensors;
    const t = await timeRepeated(step, async () => {}, { warmup: 0, reps: plan.reps, inner: 1 });
    const report = last!;
    return {
      cell: def.name,
      paper: def.paper,
      figure: def.figure,
      backend: tf.getBackend(),
      ms: t.ms,
      ms_min: t.ms_min,
      ms_max: t.ms_max,
      reps: plan.reps,
      warmup: plan.warmup,
      outerSteps: report.outerSteps,
      cost: report.cost,
      ...(report.extra ? { extra: report.extra } : {}),
      newTensors: tf.memory().numTensors - before,
    };
  } finally {
    cell.dispose();
  }
}
