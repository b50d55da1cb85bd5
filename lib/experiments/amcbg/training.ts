/**
 * The learned diffusion model of A2 / A3 (spec slips-lrds-amcbg.md 3.4 "Learned-DM variant"): an energy network
 * E_theta(t, x) (score = -grad_x E, lib/diffusion/scoreModels.ts) trained by denoising score matching
 * (lib/diffusion/dsm.ts) with Adam on the `fit` loop, on exact samples of the target with its true weights.
 */
import type { Key } from '../../core/random.js';
import { split } from '../../core/random.js';
import { dsmLoss } from '../../diffusion/dsm.js';
import { energyNetwork, type EnergyDiffusionModel } from '../../diffusion/scoreModels.js';
import type { NoiseSchedule } from '../../diffusion/schedule.js';
import type { GaussianMixtureTarget } from '../../targets/mixture.js';
import { fit } from '../../trainers/fit.js';

export interface TrainingSettings {
  /** Training set size (exact samples of the target). */
  numTrainingSamples: number;
  hidden: number[];
  steps: number;
  batchSize: number;
  learningRate: number;
}

/** Train an energy network on `target` (caller disposes the returned network); the final loss is the mean of the last 10% of steps. */
export async function trainEnergyModel(
  target: GaussianMixtureTarget,
  schedule: NoiseSchedule,
  settings: TrainingSettings,
  key: Key,
  signal?: AbortSignal,
): Promise<{ net: EnergyDiffusionModel; finalLoss: number }> {
  const [dataKey, initKey, fitKey] = split(key, 3);
  const data = target.sample!(dataKey, settings.numTrainingSamples);
  const net = energyNetwork(initKey, schedule, target.dim, { hidden: settings.hidden });
  try {
    const result = await fit({
      variables: net.variables,
      loss: dsmLoss(net, data, { batchSize: settings.batchSize }),
      steps: settings.steps,
      key: fitKey,
      optimizer: { learningRate: settings.learningRate },
      signal,
    });
    await result.optimizer.dispose();
    const tail = result.losses.slice(Math.floor(0.9 * result.losses.length));
    return { net, finalLoss: tail.reduce((a, b) => a + b, 0) / tail.length };
  } catch (err) {
    net.dispose();
    throw err;
  } finally {
    data.dispose();
  }
}
