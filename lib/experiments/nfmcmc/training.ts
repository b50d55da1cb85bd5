/**
 * The flows of F1.2 and F1.3: a RealNVP (lib/models/realnvp) pre-trained by forward KL on fresh exact samples of the
 * target, plus the reference's scale-net regulariser 5e-5 ||W_s||^2, with Adam (L2 weight decay) on the library's
 * `fit` loop (spec papers/nfmcmc-nfebm-multimodal-eval.md section 1.3, "Flow pre-training on exact samples").
 * Stopping early (a few hundred steps) is how the reference gets the deliberately imperfect flow of E3 (it loads a
 * checkpoint at about 5 % of the schedule, spec sections 1.5 and 1.9 pitfall 6).
 */
import * as tf from '@tensorflow/tfjs';
import { split, type Key } from '../../core/random.js';
import type { FlowBase } from '../../models/flowTarget.js';
import { realNvp, type RealNvp } from '../../models/realnvp.js';
import { fit } from '../../trainers/fit.js';
import { forwardKlFromTarget, scaleRegulariser } from '../../trainers/flowLosses.js';
import type { Target } from '../../targets/target.js';
import type { FlowTraining } from './config.js';
import type { ExperimentOptions } from '../progress.js';

export interface TrainedFlow {
  flow: RealNvp;
  /** The loss of every step (forward KL up to the target's entropy, plus the regulariser). */
  losses: Float64Array;
  seconds: number;
}

/** Train a RealNVP on `target`'s exact samples (see the file header); the caller disposes `flow`. */
export async function trainFlow(
  key: Key,
  target: Target,
  settings: FlowTraining,
  base: FlowBase | undefined,
  label: string,
  options: ExperimentOptions = {},
): Promise<TrainedFlow> {
  if (typeof target.sample !== 'function') throw new Error(`trainFlow: option "target" = ${target.name} has no exact sampler, expected a target with sample(key, n)`);
  const [kInit, kTrain] = split(key, 2);
  const flow = realNvp(kInit, {
    dim: target.dim,
    numBlocks: settings.numBlocks,
    hiddenDim: settings.hiddenDim,
    hiddenDepth: settings.hiddenDepth,
  });
  const began = performance.now();
  const reportEvery = Math.max(1, Math.round(settings.steps / 4));
  try {
    const result = await fit({
      variables: flow.variables,
      key: kTrain,
      steps: settings.steps,
      optimizer: { learningRate: settings.learningRate, weightDecay: settings.weightDecay },
      loss: (k) =>
        tf.tidy(() => tf.add(forwardKlFromTarget(flow, target, k, settings.batch, { base }), scaleRegulariser(flow)) as tf.Scalar),
      logEvery: reportEvery,
      chunkSize: Math.min(50, reportEvery),
      onProgress: (p) => options.onProgress?.(`${label}: training step ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)} (${(p.elapsedMs / 1000).toFixed(0)} s)`),
      signal: options.signal,
    });
    return { flow, losses: result.losses, seconds: (performance.now() - began) / 1000 };
  } catch (err) {
    flow.dispose();
    throw err;
  }
}
