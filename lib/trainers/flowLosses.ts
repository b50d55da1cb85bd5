/**
 * Flow training losses of flow_mcmc (spec NF-MCMC 1.3, `mcmc/learn_flow.py` and the pre-training scripts), for
 * a `Flow` T with base rho (default N(0, I_d)) and its density q = T # rho,
 *   log q(x) = log rho(T^-1 x) + log |det J_{T^-1}(x)|.
 * Each returns a scalar tensor, differentiable in the flow's variables, to be used inside `fit`'s loss.
 *
 * - forward KL from target samples x_i (exact, or MCMC): L_f = -mean_i log q(x_i)
 *   = KL(pi || q) + H(pi) in expectation (the reference's L_f; its pre-training adds mean log pi(x_i), a
 *   constant in the flow's weights).
 * - backward (reverse) KL, reparametrised through `forward`: z_i = normal(key, [batch, d]) (for the default base;
 *   `base.sample(key, batch)` otherwise), x_i = T(z_i),
 *   L_b = mean_i [log q(x_i) - log pi(x_i)] = mean_i [log rho(z_i) - log |det J_T(z_i)| - log pi(x_i)]
 *   = KL(q || pi) - log Z_pi in expectation. The reference's L_b = -mean[log pi(T z) + log |det J_T(z)|] differs by
 *   mean_i log rho(z_i), which has no gradient: same gradients, and our value is an unbiased KL estimate.
 *   No temperature is applied (the reference does not divide by temp here either; targets carry their beta).
 * - convex KL: alpha L_f + (1 - alpha) L_b, alpha weighting the FORWARD term as the reference (alpha = 0.8 there),
 *   with `batch` base draws (default: as many as target samples, the reference's B_mcmc * n_mcmc_steps).
 * - scale-weight regulariser: coefficient * flow.scaleWeightNorm() (the sum of squared scale-net weights,
 *   RealNVP's `get_weight_scale()`), coefficient 5e-5 by default as the reference.
 */
import * as tf from '@tensorflow/tfjs';
import type { Key } from '../core/random.js';
import { checkInteger, checkInterval, checkNumber, checkOptions, invalidOption } from '../core/validate.js';
import type { Flow } from '../models/flow.js';
import { flowDistribution, type FlowBase, type FlowDistribution } from '../models/flowTarget.js';
import type { Target } from '../targets/target.js';

/** The reference's weight on the scale-net regulariser (`5e-5 * flow.get_weight_scale()`). */
export const SCALE_REGULARISER_COEFFICIENT = 5e-5;

/** The reference's convex-KL weight on the forward term. */
export const CONVEX_KL_ALPHA = 0.8;

export interface FlowLossOptions {
  /** The base distribution rho (default N(0, I_d)); it must be normalised for the KL values to be exact. */
  base?: FlowBase;
}

export interface ConvexKlOptions extends FlowLossOptions {
  /** Number of base draws for the backward term. Default: the number of target samples. */
  batch?: number;
}

/** A flow whose scale nets can be regularised (RealNVP). */
export interface FlowWithScaleWeights extends Flow {
  scaleWeightNorm(): tf.Scalar;
}

function distributionOf(fn: string, flow: unknown, options: ConvexKlOptions | undefined, known: readonly string[] = ['base']): FlowDistribution {
  const f = flow as Flow | null;
  if (f == null || typeof f !== 'object' || typeof f.forward !== 'function' || typeof f.inverse !== 'function' || !Number.isInteger(f.dim)) {
    invalidOption(fn, 'flow', flow, 'a Flow (lib/models/flow.ts) { dim, forward, inverse, variables }');
  }
  const opts = checkOptions<ConvexKlOptions>(fn, options, known);
  if (opts.base !== undefined && (opts.base === null || typeof opts.base !== 'object')) {
    invalidOption(fn, 'base', opts.base, 'a base distribution { dim, logDensity(z), sample(key, n) }');
  }
  return flowDistribution(f, opts.base);
}

function checkSamples(fn: string, samples: unknown, dim: number): tf.Tensor2D {
  const expected = `a tensor [n, ${dim}] of target samples (n >= 1)`;
  if (!(samples instanceof tf.Tensor)) invalidOption(fn, 'samples', samples, expected);
  if (samples.rank !== 2 || samples.shape[1] !== dim || samples.shape[0] < 1) {
    throw new Error(`${fn}: option "samples" has shape [${samples.shape.join(', ')}], expected ${expected}`);
  }
  return samples as tf.Tensor2D;
}

function checkTarget(fn: string, target: unknown, dim: number): Target {
  const t = target as Target | null;
  if (t == null || typeof t !== 'object' || typeof t.logDensity !== 'function') {
    invalidOption(fn, 'target', target, 'a Target { dim, logDensity(x) }');
  }
  if (t.dim !== dim) invalidOption(fn, 'target', `a target of dim ${t.dim}`, `a target of the flow's dim ${dim}`, String);
  return t;
}

function forwardTerm(q: FlowDistribution, samples: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(q.logDensity(samples))) as tf.Scalar;
}

function backwardTerm(q: FlowDistribution, target: Target, key: Key, batch: number): tf.Scalar {
  const { x, logDensity } = q.sampleWithLogDensity(key, batch);
  return tf.mean(tf.sub(logDensity, target.logDensity(x))) as tf.Scalar;
}

/** Forward KL from target samples [n, d]: -mean log q(x_i) (see the file comment). */
export function forwardKl(flow: Flow, samples: tf.Tensor2D, options?: FlowLossOptions): tf.Scalar {
  const fn = 'forwardKl';
  const q = distributionOf(fn, flow, options);
  const x = checkSamples(fn, samples, q.dim);
  return tf.tidy(() => forwardTerm(q, x));
}

/**
 * Forward KL on `batch` fresh exact samples `target.sample(key, batch)` (the reference's pre-training on exact
 * samples, spec 1.3); the target must have an exact sampler.
 */
export function forwardKlFromTarget(flow: Flow, target: Target, key: Key, batch: number, options?: FlowLossOptions): tf.Scalar {
  const fn = 'forwardKlFromTarget';
  const q = distributionOf(fn, flow, options);
  const t = checkTarget(fn, target, q.dim);
  if (typeof t.sample !== 'function') {
    invalidOption(fn, 'target.sample', t.sample, `an exact sampler sample(key, n) on the target "${t.name}" (else pass MCMC samples to forwardKl)`);
  }
  const n = checkInteger(fn, 'batch', batch, 1);
  return tf.tidy(() => forwardTerm(q, checkSamples(fn, t.sample!(key, n), q.dim)));
}

/** Backward (reverse) KL on `batch` base draws from `key`, reparametrised through flow.forward. */
export function backwardKl(flow: Flow, target: Target, key: Key, batch: number, options?: FlowLossOptions): tf.Scalar {
  const fn = 'backwardKl';
  const q = distributionOf(fn, flow, options);
  const t = checkTarget(fn, target, q.dim);
  const n = checkInteger(fn, 'batch', batch, 1);
  return tf.tidy(() => backwardTerm(q, t, key, n));
}

/** alpha * forwardKl(samples) + (1 - alpha) * backwardKl(key, batch), alpha in [0, 1] on the forward term. */
export function convexKl(
  flow: Flow,
  target: Target,
  samples: tf.Tensor2D,
  key: Key,
  alpha: number = CONVEX_KL_ALPHA,
  options?: ConvexKlOptions,
): tf.Scalar {
  const fn = 'convexKl';
  const q = distributionOf(fn, flow, options, ['base', 'batch']);
  const t = checkTarget(fn, target, q.dim);
  const x = checkSamples(fn, samples, q.dim);
  const a = checkInterval(fn, 'alpha', alpha, '[0, 1]');
  const batch = checkInteger(fn, 'batch', options?.batch ?? x.shape[0], 1);
  return tf.tidy(() => tf.add(tf.mul(a, forwardTerm(q, x)), tf.mul(1 - a, backwardTerm(q, t, key, batch))) as tf.Scalar);
}

/** coefficient * flow.scaleWeightNorm() (default coefficient 5e-5, the reference's). */
export function scaleRegulariser(flow: Flow, coefficient: number = SCALE_REGULARISER_COEFFICIENT): tf.Scalar {
  const fn = 'scaleRegulariser';
  if (flow == null || typeof (flow as Partial<FlowWithScaleWeights>).scaleWeightNorm !== 'function') {
    invalidOption(fn, 'flow', flow, 'a flow with scale nets exposing scaleWeightNorm() (e.g. realNvp)');
  }
  const c = checkNumber(fn, 'coefficient', coefficient, 'nonNegative');
  return tf.tidy(() => tf.mul(c, (flow as FlowWithScaleWeights).scaleWeightNorm()) as tf.Scalar);
}
