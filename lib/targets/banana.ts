/**
 * The twisted Gaussian ("banana") of Haario, Saksman & Tamminen (1999): start from z ~ N(0, diag(s^2, 1, ..., 1))
 * and bend the second coordinate, x2 = z2 - b (x1^2 - s^2). The twist is a shear with unit Jacobian, so the
 * density is exactly
 *   log p(x) = log N(x1; 0, s^2) + log N(x2 + b (x1^2 - s^2); 0, 1) + sum_{j > 2} log N(x_j; 0, 1),
 * normalised (logZ = 0), and exact samples come from pushing Gaussian draws through the twist.
 * Moments (E x1^2 = s^2, Var x1^2 = 2 s^4): every mean is 0; Var x1 = s^2, Var x2 = 1 + 2 b^2 s^4, others 1.
 *
 * `twistedPairs` > 1 bends every pair (x_{2k}, x_{2k+1}) the same way, which is flow_mcmc's `banana.py`
 * (y_even = a x_even, y_odd = x_odd + b (y_even^2 - a^2), a = 10, b = 0.02, all pairs; nfmcmc spec section 1.6).
 * Its sign convention (+b) is the mirror image of Haario's (-b), so that preset uses curvature = -0.02.
 */
import * as tf from '@tensorflow/tfjs';
import { normal, type Key } from '../core/random.js';
import { checkInteger, checkNumber, checkSampleCount, invalidOption } from '../core/validate.js';
import { checkPositions, type Target } from './target.js';

export interface BananaOptions {
  /** Dimension, >= 2. Default 2. */
  dim?: number;
  /** The twist b. Default 0.1 (Haario et al.'s strongly twisted case). Any finite number (0: a Gaussian). */
  curvature?: number;
  /** Standard deviation s of each bent pair's first coordinate. Default 10. */
  scale?: number;
  /** How many leading pairs (x_{2k}, x_{2k+1}) are bent, 1 <= twistedPairs <= floor(dim / 2). Default 1. */
  twistedPairs?: number;
}

/**
 * The bananas of the literature. Haario et al. (1999) used d = 8, s = 10 and b = 0.03 (moderate) or
 * b = 0.1 (strong) [recall: from memory of the paper, not re-read here]. flow_mcmc bends all pairs with a = 10,
 * b = 0.02 in d = 16 ... 512 (nfmcmc spec sections 1.5, 1.6).
 */
export const bananaPresets = {
  haarioModerate: { dim: 8, curvature: 0.03, scale: 10, twistedPairs: 1 },
  haarioStrong: { dim: 8, curvature: 0.1, scale: 10, twistedPairs: 1 },
  flowMcmc: (dim: number): Required<BananaOptions> => ({
    dim,
    curvature: -0.02,
    scale: 10,
    twistedPairs: Math.floor(dim / 2),
  }),
} as const;

const LOG_2PI = Math.log(2 * Math.PI);

/** The target with every piece of ground truth present (normalised, exact sampler, moments). */
export type BananaTarget = Target &
  Required<Pick<Target, 'gradLogDensity' | 'logDensityAndGrad' | 'logZ' | 'sample' | 'mean' | 'variance'>>;

export function banana(options: BananaOptions = {}): BananaTarget {
  const where = 'banana';
  const { dim = 2, curvature = 0.1, scale = 10, twistedPairs = 1 } = options;
  checkInteger(where, 'dim', dim, 2);
  checkNumber(where, 'curvature', curvature);
  checkNumber(where, 'scale', scale, 'positive');
  const maxPairs = Math.floor(dim / 2);
  if (typeof twistedPairs !== 'number' || !Number.isInteger(twistedPairs) || twistedPairs < 1 || twistedPairs > maxPairs) {
    invalidOption(where, 'twistedPairs', twistedPairs, `an integer in [1, ${maxPairs}] (floor(dim / 2))`);
  }
  const b = curvature;
  const s2 = scale * scale;
  const p = twistedPairs;
  const free = dim - 2 * p; // untouched N(0, 1) coordinates after the bent pairs
  const logNormalizer = -0.5 * dim * LOG_2PI - p * Math.log(scale);

  /** Split x [n, d] into the pairs' first (x_{2k}) and second (x_{2k+1}) coordinates [n, p] and the rest. */
  const splitPairs = (x: tf.Tensor2D) => {
    const pairs = tf.slice(x, [0, 0], [-1, 2 * p]).reshape([-1, p, 2]);
    const first = tf.slice(pairs, [0, 0, 0], [-1, p, 1]).reshape([-1, p]) as tf.Tensor2D;
    const second = tf.slice(pairs, [0, 0, 1], [-1, p, 1]).reshape([-1, p]) as tf.Tensor2D;
    const rest = free > 0 ? (tf.slice(x, [0, 2 * p], [-1, free]) as tf.Tensor2D) : null;
    return { first, second, rest };
  };

  /** The pieces of the density: u = x2 + b (x1^2 - s^2) is the standard normal the twist came from. */
  const parts = (x: tf.Tensor2D) => {
    const { first, second, rest } = splitPairs(x);
    const untwisted = tf.add(second, tf.mul(b, tf.sub(tf.square(first), s2))) as tf.Tensor2D;
    return { first, untwisted, rest };
  };

  /** Reassemble per-pair [n, p] blocks (first, second) and the rest into [n, d]. */
  const assemble = (first: tf.Tensor2D, second: tf.Tensor2D, rest: tf.Tensor2D | null): tf.Tensor2D => {
    const pairs = tf.stack([first, second], 2).reshape([-1, 2 * p]);
    return (rest ? tf.concat([pairs, rest], 1) : pairs) as tf.Tensor2D;
  };

  const logDensityFrom = ({ first, untwisted, rest }: ReturnType<typeof parts>): tf.Tensor1D =>
    tf.tidy(() => {
      let quad = tf.add(tf.div(tf.sum(tf.square(first), 1), s2), tf.sum(tf.square(untwisted), 1));
      if (rest) quad = tf.add(quad, tf.sum(tf.square(rest), 1));
      return tf.sub(tf.scalar(logNormalizer), tf.mul(0.5, quad)) as tf.Tensor1D;
    });

  const gradFrom = ({ first, untwisted, rest }: ReturnType<typeof parts>): tf.Tensor2D =>
    tf.tidy(() => {
      // d/dx1 = -x1 / s^2 - 2 b x1 u,  d/dx2 = -u,  d/dx_j = -x_j
      const gFirst = tf.neg(tf.add(tf.div(first, s2), tf.mul(2 * b, tf.mul(first, untwisted)))) as tf.Tensor2D;
      return assemble(gFirst, tf.neg(untwisted) as tf.Tensor2D, rest ? (tf.neg(rest) as tf.Tensor2D) : null);
    });

  const check = (x: tf.Tensor2D, fn: string) => checkPositions(`banana.${fn}`, x, dim, 'x');

  const variance = new Array(dim).fill(1);
  for (let k = 0; k < p; k++) {
    variance[2 * k] = s2;
    variance[2 * k + 1] = 1 + 2 * b * b * s2 * s2;
  }

  return {
    name: `banana(dim=${dim}, curvature=${b}, scale=${scale}, twistedPairs=${p})`,
    dim,
    logZ: 0,
    mean: new Array(dim).fill(0),
    variance,
    logDensity(x) {
      check(x, 'logDensity');
      return tf.tidy(() => logDensityFrom(parts(x)));
    },
    gradLogDensity(x) {
      check(x, 'gradLogDensity');
      return tf.tidy(() => gradFrom(parts(x)));
    },
    logDensityAndGrad(x) {
      check(x, 'logDensityAndGrad');
      return tf.tidy(() => {
        const pieces = parts(x);
        return { logDensity: logDensityFrom(pieces), grad: gradFrom(pieces) };
      });
    },
    sample(k: Key, n: number) {
      checkSampleCount('banana.sample', n);
      return tf.tidy(() => {
        const { first: z1, second: z2, rest } = splitPairs(normal(k, [n, dim]) as tf.Tensor2D);
        const x1 = tf.mul(z1, scale) as tf.Tensor2D;
        const x2 = tf.sub(z2, tf.mul(b, tf.sub(tf.square(x1), s2))) as tf.Tensor2D;
        return assemble(x1, x2, rest);
      });
    },
  };
}
