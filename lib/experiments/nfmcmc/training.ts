/**
 * The flows of F1.2 and F1.3: a RealNVP (lib/models/realnvp) pre-trained by forward KL on fresh exact samples of the
 * target, plus the reference's scale-net regulariser 5e-5 ||W_s||^2, with Adam (L2 weight decay) and, when
 * configured, the reference's StepLR (`schedule`) on the library's `fit` loop (spec
 * papers/nfmcmc-nfebm-multimodal-eval.md section 1.3, "Flow pre-training on exact samples").
 *
 * Held-out forward KL (`heldOutSamples`): KL(pi || q) = E_pi[log pi(y) - log q(y)] estimated on exact draws that
 * training never sees (pi and the base normalised, so the value is the KL itself, with its Monte Carlo standard
 * error), at step 0 and at the end. At step 0 the flow is the near-identity of its initialisation, so q is the base.
 *
 * Leaving the plateau (`untilOffPlateau`): from the near-identity start, forward-KL training of the 4-mode flows sits
 * on a plateau (the held-out KL stays at its step-0 value to within 1 %) for a few hundred to over a thousand steps,
 * then drops within about 150 steps. With this option the held-out KL is checked every `checkEvery` steps and training
 * stops at the first check where it is at most `fraction` times its step-0 value (`steps` is then a cap); whether
 * the flow got there is reported (`heldOut.leftPlateau`). The reference instead loads a checkpoint at about 5 % of a
 * long schedule (spec sections 1.5 and 1.9 pitfall 6), also an imperfect flow well past the plateau.
 */
import * as tf from '@tensorflow/tfjs';
import { readValues } from '../../core/readback.js';
import { foldIn, split, type Key } from '../../core/random.js';
import { flowDistribution, type FlowBase, type FlowDistribution } from '../../models/flowTarget.js';
import { realNvp, type RealNvp } from '../../models/realnvp.js';
import { fit, type FitProgress } from '../../trainers/fit.js';
import { forwardKlFromTarget, scaleRegulariser } from '../../trainers/flowLosses.js';
import type { Target } from '../../targets/target.js';
import type { FlowTraining } from './config.js';
import type { ExperimentOptions } from '../progress.js';

/** A held-out forward KL estimate: the mean of log pi(y) - log q(y) over the draws, and its standard error. */
export interface KlEstimate {
  kl: number;
  standardError: number;
}

export interface HeldOutKl {
  /** At step 0 (the near-identity flow). */
  atStart: KlEstimate;
  /** After the last step. */
  atEnd: KlEstimate;
  /** With `untilOffPlateau`: whether the KL reached fraction x atStart.kl before the cap (else undefined). */
  leftPlateau?: boolean;
}

export interface TrainedFlow {
  flow: RealNvp;
  /** The loss of every step done (forward KL up to the target's entropy, plus the regulariser). */
  losses: Float64Array;
  /** Steps done (fewer than settings.steps when the plateau rule stopped training). */
  steps: number;
  /** With settings.heldOutSamples. */
  heldOut?: HeldOutKl;
  seconds: number;
}

/** The held-out forward KL of `q` on the draws `y` with log pi(y) = `logTarget` (normalised). */
async function heldOutKl(q: FlowDistribution, y: tf.Tensor2D, logTarget: tf.Tensor1D): Promise<KlEstimate> {
  const gap = tf.tidy(() => tf.sub(logTarget, q.logDensity(y)));
  const values = await readValues(gap);
  gap.dispose();
  const n = values.length;
  let mean = 0;
  for (const v of values) mean += v / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { kl: mean, standardError: Math.sqrt(ss / (n - 1) / n) };
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
  const plateau = settings.untilOffPlateau;
  const heldOutCount = settings.heldOutSamples;
  if (plateau && heldOutCount === undefined) throw new Error(`trainFlow: option "untilOffPlateau" needs "heldOutSamples" (the held-out draws of its KL checks)`);
  if (heldOutCount !== undefined && target.logZ === undefined) {
    throw new Error(`trainFlow: option "heldOutSamples" needs a target with a known logZ (the held-out KL), got ${target.name}`);
  }
  const [kInit, kTrain] = split(key, 2);
  const flow = realNvp(kInit, {
    dim: target.dim,
    numBlocks: settings.numBlocks,
    hiddenDim: settings.hiddenDim,
    hiddenDepth: settings.hiddenDepth,
  });
  const began = performance.now();
  // Checks and reports every `checkEvery` steps with the plateau rule, else 4 reports over the run.
  const reportEvery = plateau ? plateau.checkEvery : Math.max(1, Math.round(settings.steps / 4));
  let y: tf.Tensor2D | undefined;
  let logTarget: tf.Tensor1D | undefined;
  try {
    let heldOut: HeldOutKl | undefined;
    let threshold = NaN;
    let stopWhen: ((report: FitProgress) => Promise<boolean>) | undefined;
    const q = flowDistribution(flow, base);
    if (heldOutCount !== undefined) {
      // foldIn(key, 1) is independent of split(key, 2) (other Threefry counters), so kInit and kTrain are as without it.
      y = target.sample(foldIn(key, 1), heldOutCount);
      const logZ = target.logZ!;
      logTarget = tf.tidy(() => tf.sub(target.logDensity(y!), logZ) as tf.Tensor1D);
      const atStart = await heldOutKl(q, y, logTarget);
      heldOut = { atStart, atEnd: atStart };
      if (plateau) {
        threshold = plateau.fraction * atStart.kl;
        stopWhen = async (p) => {
          const now = await heldOutKl(q, y!, logTarget!);
          options.onProgress?.(
            `${label}: training step ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)}, held-out KL ${now.kl.toFixed(3)} ` +
              `(step 0: ${atStart.kl.toFixed(3)}; stop at <= ${threshold.toFixed(3)}) (${(p.elapsedMs / 1000).toFixed(0)} s)`,
          );
          return now.kl <= threshold;
        };
      }
    }
    const result = await fit({
      variables: flow.variables,
      key: kTrain,
      steps: settings.steps,
      optimizer: { learningRate: settings.learningRate, weightDecay: settings.weightDecay },
      schedule: settings.schedule,
      loss: (k) =>
        tf.tidy(() => tf.add(forwardKlFromTarget(flow, target, k, settings.batch, { base }), scaleRegulariser(flow)) as tf.Scalar),
      logEvery: reportEvery,
      chunkSize: Math.min(50, reportEvery),
      stopWhen,
      // With the plateau rule, stopWhen reports (with the held-out KL).
      onProgress: plateau ? undefined : (p) => options.onProgress?.(`${label}: training step ${p.step}/${p.steps}, loss ${p.loss.toFixed(3)} (${(p.elapsedMs / 1000).toFixed(0)} s)`),
      signal: options.signal,
    });
    if (heldOut) {
      heldOut.atEnd = await heldOutKl(q, y!, logTarget!);
      if (plateau) heldOut.leftPlateau = heldOut.atEnd.kl <= threshold;
    }
    return { flow, losses: result.losses, steps: result.stepsDone, heldOut, seconds: (performance.now() - began) / 1000 };
  } catch (err) {
    flow.dispose();
    throw err;
  } finally {
    if (y) y.dispose();
    if (logTarget) logTarget.dispose();
  }
}
