/**
 * Training the control network of a reference-diffusion sampler (RDS: PIS, DDS, GMM-LRDS; spec
 * slips-lrds-amcbg.md sections 2.2 and 2.3, the reference's `solver/oc.py` training step):
 *
 *   const result = await trainRdsControl({ sde, reference, target, control: net.asControl(), variables: net.variables,
 *     grid, batchSize: 512, steps: 400, key, optimizer: { learningRate: 3e-3 }, onProgress, signal, checkpoint });
 *
 * Every step simulates `batchSize` fresh trajectories of the controlled generative SDE from the step's key
 * (samplers/diffusion/rds/controlledSde.ts) and takes the loss of their per-trajectory rnd (rdsLosses.ts):
 * 'lv' (default, the paper's choice): Var(rnd) on detached-drift trajectories, which needs only log gamma (not its
 * gradient) and is blind to log Z and to an unknown Z^ref; 'kl': mean(rnd) on attached-drift trajectories.
 * Trajectories with rnd >= maxRnd are left out of the loss. The loop is `fit` (./fit.ts): Adam, an optional StepLR
 * schedule, progress reports, abort (FitAbortedError with the partial result), non-finite handling and
 * checkpoints; with `resume: true` and an existing checkpoint file the run continues from it (resumeFit), bit for
 * bit the same as an uninterrupted run, because step i's trajectories come from foldIn(key, i) only.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { checkBoolean, checkChoice, checkInteger, invalidOption } from '../core/validate.js';
import type { Key } from '../core/random.js';
import { simulateRds, type RdsControl } from '../samplers/diffusion/rds/controlledSde.js';
import type { RdsScheme } from '../samplers/diffusion/rds/generativeSteps.js';
import type { NoisingSde } from '../samplers/diffusion/rds/noisingSde.js';
import { klLoss, logVarianceLoss } from '../samplers/diffusion/rds/rdsLosses.js';
import type { RdsReference } from '../samplers/diffusion/rds/referenceMarginal.js';
import type { Target } from '../targets/target.js';
import { fit, resumeFit, type FitOptions, type FitResult, type LossFunction } from './fit.js';

export type RdsLossName = 'lv' | 'kl';
export const RDS_LOSSES: readonly RdsLossName[] = ['lv', 'kl'];

export interface RdsLossSettings {
  sde: NoisingSde;
  reference: RdsReference;
  target: Target;
  /** The network as a control u(t, y) (e.g. fourierMlp(...).asControl()). */
  control: RdsControl;
  /** Increasing noising times (rdsTimeGrid). */
  grid: ArrayLike<number>;
  /** Default 'ei'. */
  scheme?: RdsScheme;
  /** Trajectories per step. */
  batchSize: number;
  /** Default 'lv'. */
  loss?: RdsLossName;
  /** Default 1e8. */
  maxRnd?: number;
}

/** The RDS training objective as a `fit` loss: (key, step) -> the loss of a fresh batch of trajectories from key. */
export function rdsTrainingLoss(settings: RdsLossSettings): LossFunction {
  const fn = 'rdsTrainingLoss';
  if (settings == null || typeof settings !== 'object') invalidOption(fn, 'settings', settings, 'an options object');
  const batchSize = checkInteger(fn, 'batchSize', settings.batchSize, 2);
  const lossName = checkChoice(fn, 'loss', settings.loss ?? 'lv', RDS_LOSSES);
  if (typeof settings.control !== 'function') invalidOption(fn, 'control', settings.control, 'a function (t, y [n, d]) -> u [n, d]');
  const { sde, reference, target, control, grid, scheme, maxRnd } = settings;
  const lossOf = lossName === 'lv' ? logVarianceLoss : klLoss;
  const drift = lossName === 'lv' ? 'detached' : 'attached';
  return (key) => {
    const out = simulateRds(key, { sde, reference, target, control, grid, scheme, numParticles: batchSize, drift });
    try {
      return lossOf(out.rnd, maxRnd === undefined ? {} : { maxRnd });
    } finally {
      tf.dispose([out.samples, out.start, out.rnd]);
    }
  };
}

export interface TrainRdsOptions extends RdsLossSettings, Omit<FitOptions, 'loss' | 'variables'> {
  /** The control network's trainable variables. */
  variables: tf.Variable[];
  /** Continue from `checkpoint.path` when that file exists (default false: start afresh and overwrite it). */
  resume?: boolean;
  key: Key;
}

const LOSS_KEYS = ['sde', 'reference', 'target', 'control', 'grid', 'scheme', 'batchSize', 'loss', 'maxRnd'] as const;

/** Train the control (see the file header); returns fit's result (the per-step losses). */
export async function trainRdsControl(options: TrainRdsOptions): Promise<FitResult> {
  const fn = 'trainRdsControl';
  if (options == null || typeof options !== 'object') invalidOption(fn, 'options', options, 'an options object');
  const { resume, ...rest } = options;
  const settings: Record<string, unknown> = {};
  const fitOptions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(rest)) {
    ((LOSS_KEYS as readonly string[]).includes(name) ? settings : fitOptions)[name] = value;
  }
  const loss = rdsTrainingLoss(settings as unknown as RdsLossSettings);
  const full = { ...(fitOptions as Omit<FitOptions, 'loss'>), loss };
  if (checkBoolean(fn, 'resume', resume ?? false)) {
    if (options.checkpoint === undefined) invalidOption(fn, 'resume', true, 'a `checkpoint` { path, everySteps } to resume from');
    if (existsSync(options.checkpoint.path)) return resumeFit(options.checkpoint.path, full);
  }
  return fit(full);
}
