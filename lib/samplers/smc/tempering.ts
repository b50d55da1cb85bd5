/**
 * Geometric tempering between a normalised reference π₀ and an unnormalised target γ
 * (SLIPS spec sections 1.7 and 4.4): log π_β(x) = (1 − β) log π₀(x) + β log γ(x), β from 0 to 1.
 * The incremental log-weight from β to β' at x is (β' − β) ℓ(x) with ℓ = log γ − log π₀, so one float64
 * read-back of ℓ per level serves both the weights and the adaptive choice of the next β.
 */
import * as tf from '@tensorflow/tfjs';
import { checkInteger, checkInterval, checkNumber, describeValue, invalidOption } from '../../core/validate.js';
import { logDensityAndGrad, logDensityOf, type Target } from '../../targets/target.js';
import { conditionalEss, type Weights } from './weights.js';

/**
 * The tempered target π_β as a `Target`, so any kernel factory can be built on it. At β = 0 and β = 1 only
 * one density is evaluated (so 0 · (−∞) never gives NaN). Gradients combine the two analytic (or autodiff) ones.
 */
export function temperedTarget(reference: Target, target: Target, beta: number): Target {
  const where = 'temperedTarget';
  checkInterval(where, 'beta', beta, '[0, 1]');
  if (reference.dim !== target.dim) {
    throw new Error(`${where}: option "reference" has dim ${reference.dim}, expected the target's dim ${target.dim}`);
  }
  const blend = (a: tf.Tensor, b: tf.Tensor) => tf.add(tf.mul(1 - beta, a), tf.mul(beta, b));
  const logDensity = (x: tf.Tensor2D): tf.Tensor1D => {
    if (beta === 0) return logDensityOf(reference, x);
    if (beta === 1) return logDensityOf(target, x);
    return tf.tidy(() => blend(logDensityOf(reference, x), logDensityOf(target, x)) as tf.Tensor1D);
  };
  const both = (x: tf.Tensor2D) => {
    if (beta === 0) return logDensityAndGrad(reference, x);
    if (beta === 1) return logDensityAndGrad(target, x);
    return tf.tidy(() => {
      const r = logDensityAndGrad(reference, x);
      const t = logDensityAndGrad(target, x);
      return { logDensity: blend(r.logDensity, t.logDensity) as tf.Tensor1D, grad: blend(r.grad, t.grad) as tf.Tensor2D };
    });
  };
  return {
    name: `tempered(${reference.name} -> ${target.name}, beta=${beta})`,
    dim: target.dim,
    logDensity,
    gradLogDensity: (x) => {
      const { logDensity: value, grad } = both(x);
      value.dispose();
      return grad;
    },
    logDensityAndGrad: both,
  };
}

/**
 * ℓ(x) = log γ(x) − log π₀(x) per particle, read back once into float64 (NaN becomes −∞: that particle's
 * weight is zero at every β > 0).
 */
export async function logDensityRatio(reference: Target, target: Target, x: tf.Tensor2D): Promise<Float64Array> {
  const diff = tf.tidy(() => tf.sub(logDensityOf(target, x), logDensityOf(reference, x)));
  const values = await diff.data();
  diff.dispose();
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i])) out[i] = -Infinity;
  return out;
}

/** β_k = k / K, k = 0..K (SLIPS: linspace(0, 1, K + 1)). */
export function linearSchedule(numLevels: number): Float64Array {
  checkInteger('linearSchedule', 'numLevels', numLevels);
  return Float64Array.from({ length: numLevels + 1 }, (_, k) => k / numLevels);
}

/**
 * β_k = (k / K)^power, k = 0..K: more levels near β = 0, where the path usually moves fastest (power 1 is linear).
 */
export function powerSchedule(numLevels: number, power: number): Float64Array {
  checkNumber('powerSchedule', 'power', power, 'positive');
  return linearSchedule(numLevels).map((b) => b ** power);
}

/** Throw unless the schedule is finite, starts at 0, ends at 1 and strictly increases. */
export function checkSchedule(where: string, schedule: Weights): Float64Array {
  const betas = Float64Array.from(schedule);
  const invalidSchedule = (expected: string) => invalidOption(where, 'schedule', Array.from(betas), expected, describeValue);
  if (betas.length < 2) invalidSchedule('at least two temperatures, from 0 to 1');
  if (betas[0] !== 0 || betas[betas.length - 1] !== 1) invalidSchedule('a schedule that starts at 0 and ends at 1');
  for (let k = 1; k < betas.length; k++) {
    if (!(betas[k] > betas[k - 1])) {
      throw new Error(`${where}: option "schedule" is not strictly increasing: entry ${k} = ${betas[k]} after ${betas[k - 1]}, expected strictly increasing temperatures in [0, 1]`);
    }
  }
  return betas;
}

export interface NextTemperatureOptions {
  /** Target conditional ESS as a fraction of N, in (0, 1). */
  essFraction: number;
  /** Bisection iterations (each halves the bracket). Default 60. */
  iterations?: number;
}

/**
 * Adaptive tempering (Jasra et al. 2011; Zhou, Johansen & Aston 2016): the next β in (β, 1] whose incremental
 * weights (β' − β) ℓ keep the conditional ESS at `essFraction` · N, found by bisection in float64. With uniform
 * current weights this is the ESS of the incremental weights. Returns 1 when the jump to 1 keeps the ESS high
 * enough. The CESS is non-increasing in β' (Zhou et al., Prop. 3), so bisection is exact up to the bracket width.
 */
export function nextTemperature(
  beta: number,
  logRatio: Weights,
  currentLogWeights: Weights,
  options: NextTemperatureOptions,
): number {
  const where = 'nextTemperature';
  checkInterval(where, 'beta', beta, '[0, 1]');
  const { essFraction, iterations = 60 } = options;
  checkInterval(where, 'essFraction', essFraction, '(0, 1)');
  const n = logRatio.length;
  const goal = essFraction * n;
  const increments = new Float64Array(n);
  const cessAt = (next: number) => {
    const delta = next - beta;
    for (let i = 0; i < n; i++) increments[i] = delta * logRatio[i];
    return conditionalEss(currentLogWeights, increments);
  };
  if (cessAt(1) >= goal) return 1;
  let low = beta;
  let high = 1;
  for (let it = 0; it < iterations; it++) {
    const mid = 0.5 * (low + high);
    if (cessAt(mid) >= goal) low = mid;
    else high = mid;
  }
  // low keeps the ESS at or above the goal; never return β itself (the run would not advance).
  return low > beta ? low : high;
}
