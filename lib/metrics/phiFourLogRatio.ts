/**
 * The phi-four log mode ratio error (papers/slips-lrds-amcbg.md sections 1.6, 1.8, 4.7).
 *
 * Samples are assigned to the two modes by the target (`modes.assign`: 0 = negative field, 1 = positive field, as in
 * lib/targets/phiFour.ts), and the log mode ratio is
 *   log r^ = log( P^(negative) / P^(positive) ),
 * with the (optionally weighted, for AIS) fractions of `modeWeights`. The sign convention is `phiFourLaplace`'s
 * (the one the spec recommends, LRDS's): r = P(negative) / P(positive), so log r > 0 for a tilt b > 0. The error is
 *   log r^ - log r_Laplace,
 * against the Laplace-method reference `target.laplace.logModeRatio` (SLIPS reports it as `en_diff`, with the
 * inconsistent sign discussed in section 1.6). It is +Infinity when no sample is in the positive mode and -Infinity
 * when none is in the negative mode.
 *
 * Metrics depend on core only, so the target is typed structurally (any phiFour target fits).
 */
import * as tf from '@tensorflow/tfjs';
import { invalidOption, verbatim } from '../core/validate.js';
import { modeWeights } from './modeWeights.js';
import { readSamples, toTensor, type SampleInput } from './samples.js';

/** What the metric needs of a phi-four target (lib/targets/phiFour.ts `PhiFourTarget` has it). */
export interface PhiFourModes {
  dim: number;
  /** Optional in the type (as on `Target`), required at run time. */
  modes?: { assign(x: tf.Tensor2D): Promise<Int32Array> };
  laplace: { logModeRatio: number };
}

export interface PhiFourLogRatioOptions {
  /** One non-negative weight per sample (AIS / importance weights); default equal weights. */
  weights?: ArrayLike<number>;
}

type CheckedPhiFour = Required<PhiFourModes>;

function checkTarget(fn: string, target: unknown): CheckedPhiFour {
  const t = target as CheckedPhiFour | null;
  if (t == null || typeof t.modes?.assign !== 'function' || typeof t.laplace?.logModeRatio !== 'number' || !Number.isSafeInteger(t.dim)) {
    invalidOption(fn, 'target', target, 'a phi-four target with dim, modes.assign and laplace.logModeRatio (phiFour(...))');
  }
  return t;
}

/** log(P^(negative mode) / P^(positive mode)) of the samples [n, d] (weighted when `weights` is given). */
export async function phiFourLogModeRatio(samples: SampleInput, target: PhiFourModes, options: PhiFourLogRatioOptions = {}): Promise<number> {
  const fn = 'phiFourLogModeRatio';
  const t = checkTarget(fn, target);
  const s = await readSamples(fn, 'samples', samples);
  if (s.dim !== t.dim) invalidOption(fn, 'samples', `samples with d = ${s.dim}`, `the target's dim, ${t.dim}`, verbatim);
  const x = toTensor(s);
  let assignments: Int32Array;
  try {
    assignments = await t.modes.assign(x);
  } finally {
    x.dispose();
  }
  const [negative, positive] = modeWeights(assignments, 2, options.weights);
  return Math.log(negative) - Math.log(positive);
}

/** phiFourLogModeRatio(samples) - target.laplace.logModeRatio (see the file comment). */
export async function phiFourLogRatioError(samples: SampleInput, target: PhiFourModes, options: PhiFourLogRatioOptions = {}): Promise<number> {
  const t = checkTarget('phiFourLogRatioError', target);
  return (await phiFourLogModeRatio(samples, t, options)) - t.laplace.logModeRatio;
}
