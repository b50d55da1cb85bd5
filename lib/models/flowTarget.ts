/**
 * The distribution of a flow, lambda = T # rho (spec NF-MCMC 1.3), as a `Target` (lib/targets/target.ts):
 *   log lambda(x) = log rho(T^-1 x) + log |det J_{T^-1}(x)|          (`logDensity`, one inverse pass)
 *   x = T(z), z ~ rho                                                  (`sample`, one forward pass)
 *   log lambda(T z) = log rho(z) - log |det J_T(z)|                    (`sampleWithLogDensity`, the same pass)
 * so it serves as a target with exact samples, as an IMH / i-SIR proposal `{ sample, logDensity }` and as an
 * importance-sampling proposal. The base rho defaults to the standard normal N(0, I_d) (normalised: logZ = 0);
 * a custom base must be normalised for `logZ` to be meaningful (logZ of the flow distribution = base.logZ).
 *
 * Everything is differentiable: in x (gradients for MALA / NeuTra-type use) and in the flow's variables
 * (forward-KL training through `logDensity`, reverse-KL through `sampleWithLogDensity`).
 */
import * as tf from '@tensorflow/tfjs';
import { normal, type Key } from '../core/random.js';
import { sumSquares } from '../core/ops.js';
import { checkSampleCount, invalidOption } from '../core/validate.js';
import { checkPositions, type Target } from '../targets/target.js';
import type { Flow } from './flow.js';

/** What the flow's base distribution must provide (a normalised Target with exact samples qualifies). */
export interface FlowBase {
  dim: number;
  name?: string;
  logDensity(z: tf.Tensor2D): tf.Tensor1D;
  sample(key: Key, n: number): tf.Tensor2D;
  /** log normalising constant of exp(logDensity); 0 for a normalised density. */
  logZ?: number;
}

export interface FlowDistribution extends Target {
  readonly flow: Flow;
  readonly base: FlowBase;
  sample(key: Key, n: number): tf.Tensor2D;
  /** Samples and their log-density from one forward pass (no inverse): x = T(z), log rho(z) - logDet_T(z). */
  sampleWithLogDensity(key: Key, n: number): { x: tf.Tensor2D; logDensity: tf.Tensor1D };
}

/** N(0, I_d), normalised. */
export function standardNormalBase(dim: number): FlowBase {
  const logNormalizer = -0.5 * dim * Math.log(2 * Math.PI);
  return {
    dim,
    name: `standard-normal-${dim}d`,
    logZ: 0,
    logDensity: (z) => tf.tidy(() => tf.sub(logNormalizer, tf.mul(0.5, sumSquares(z, 1))) as tf.Tensor1D),
    sample: (key, n) => normal(key, [n, dim]) as tf.Tensor2D,
  };
}

/** The distribution T # base of a flow, as a Target (see the module comment). */
export function flowDistribution(flow: Flow, base?: FlowBase): FlowDistribution {
  const fn = 'flowDistribution';
  if (flow == null || typeof flow !== 'object' || typeof flow.forward !== 'function' || typeof flow.inverse !== 'function') {
    invalidOption(fn, 'flow', flow, 'a Flow (lib/models/flow.ts) with forward and inverse');
  }
  const dim = flow.dim;
  const rho = base ?? standardNormalBase(dim);
  if (rho == null || typeof rho.logDensity !== 'function' || typeof rho.sample !== 'function') {
    invalidOption(fn, 'base', rho, 'a base distribution { dim, logDensity(z), sample(key, n) }');
  }
  if (rho.dim !== dim) invalidOption(fn, 'base', `a base of dim ${rho.dim}`, `a base of the flow's dim ${dim}`);
  const name = `flow(${rho.name ?? 'base'})`;
  return {
    name,
    dim,
    flow,
    base: rho,
    logZ: rho.logZ,
    logDensity(x: tf.Tensor2D): tf.Tensor1D {
      checkPositions(`${name}.logDensity`, x, dim, 'x');
      return tf.tidy(() => {
        const { value: z, logDet } = flow.inverse(x);
        return tf.add(rho.logDensity(z), logDet) as tf.Tensor1D;
      });
    },
    sample(key: Key, n: number): tf.Tensor2D {
      checkSampleCount(`${name}.sample`, n);
      return tf.tidy(() => flow.forward(rho.sample(key, n)).value);
    },
    sampleWithLogDensity(key: Key, n: number) {
      checkSampleCount(`${name}.sampleWithLogDensity`, n);
      return tf.tidy(() => {
        const z = rho.sample(key, n);
        const { value: x, logDet } = flow.forward(z);
        return { x, logDensity: tf.sub(rho.logDensity(z), logDet) as tf.Tensor1D };
      });
    },
  };
}
