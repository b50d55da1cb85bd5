/**
 * Neal's funnel (Neal 2003, "Slice sampling", Annals of Statistics): x0 ~ N(0, scale^2), x_i | x0 ~ N(0, exp(x0)) for
 * i = 1..dim-1. Normalised (logZ = 0), with an analytic gradient, exact samples and exact moments:
 *   E x = 0,  Var x0 = scale^2,  Var x_i = E exp(x0) = exp(scale^2 / 2)  (log-normal mean).
 *
 * Parameterisations in the papers (`funnelPresets`):
 * - Neal's original: dim 10, x0 ~ N(0, 3^2), i.e. scale = 3.
 * - SLIPS `funnel` and flow_mcmc `Funnel(a = 3, b = 1)`: x0 ~ N(0, a) with a = 3 the VARIANCE
 *   (the code draws `sqrt(a) * randn`), so scale = sqrt(3); SLIPS uses dim 10
 *   (slips-lrds spec section 1.6, nfmcmc spec section 1.6; checked in h2o64/slips distributions/funnel.py).
 */
import * as tf from '@tensorflow/tfjs';
import { exp } from '../core/ops.js';
import { normal, type Key } from '../core/random.js';
import { checkInteger, checkNumber, checkSampleCount } from '../core/validate.js';
import { checkPositions, type Target } from './target.js';

export interface FunnelOptions {
  /** Total dimension, >= 2 (x0 plus dim - 1 funnel coordinates). Default 10. */
  dim?: number;
  /** Standard deviation of x0. Default 3 (Neal's). */
  scale?: number;
}

/** The funnels of the papers (see the header comment). */
export const funnelPresets = {
  neal: { dim: 10, scale: 3 },
  slips: { dim: 10, scale: Math.sqrt(3) },
  /** flow_mcmc's funnel (a = 3 as a variance); its experiments vary the dimension. */
  flowMcmc: (dim: number): Required<FunnelOptions> => ({ dim, scale: Math.sqrt(3) }),
} as const;

const LOG_2PI = Math.log(2 * Math.PI);

/** The target with every piece of ground truth present (normalised, exact sampler, moments). */
export type FunnelTarget = Target &
  Required<Pick<Target, 'gradLogDensity' | 'logDensityAndGrad' | 'logZ' | 'sample' | 'mean' | 'variance'>>;

export function funnel(options: FunnelOptions = {}): FunnelTarget {
  const where = 'funnel';
  const { dim = 10, scale = 3 } = options;
  checkInteger(where, 'dim', dim, 2);
  checkNumber(where, 'scale', scale, 'positive');
  const variance = scale * scale;
  const m = dim - 1;
  // log N(x0; 0, s^2) + sum_i log N(x_i; 0, e^{x0}) = const - x0^2 / (2 s^2) - (m / 2) x0 - e^{-x0} |x_{1:}|^2 / 2
  const logNormalizer = -0.5 * dim * LOG_2PI - Math.log(scale);

  const parts = (x: tf.Tensor2D) => {
    const x0 = tf.slice(x, [0, 0], [-1, 1]).reshape([-1]) as tf.Tensor1D;
    const rest = tf.slice(x, [0, 1], [-1, m]) as tf.Tensor2D;
    const precision = exp(tf.neg(x0)) as tf.Tensor1D; // e^{-x0}, the conditional precision
    return { x0, rest, precision };
  };

  const logDensityFrom = (x0: tf.Tensor1D, rest: tf.Tensor2D, precision: tf.Tensor1D): tf.Tensor1D =>
    tf.tidy(() => {
      const quad = tf.add(tf.div(tf.square(x0), variance), tf.mul(precision, tf.sum(tf.square(rest), 1)));
      return tf.sub(tf.scalar(logNormalizer), tf.add(tf.mul(0.5, quad), tf.mul(0.5 * m, x0))) as tf.Tensor1D;
    });

  const gradFrom = (x0: tf.Tensor1D, rest: tf.Tensor2D, precision: tf.Tensor1D): tf.Tensor2D =>
    tf.tidy(() => {
      // d/dx0 = -x0 / s^2 - m / 2 + e^{-x0} |x_{1:}|^2 / 2;  d/dx_i = -e^{-x0} x_i
      const g0 = tf.add(
        tf.sub(tf.div(x0, -variance), 0.5 * m),
        tf.mul(0.5, tf.mul(precision, tf.sum(tf.square(rest), 1))),
      );
      const gRest = tf.neg(tf.mul(rest, precision.reshape([-1, 1])));
      return tf.concat([g0.reshape([-1, 1]), gRest], 1) as tf.Tensor2D;
    });

  const check = (x: tf.Tensor2D, fn: string) => checkPositions(`funnel.${fn}`, x, dim, 'x');

  return {
    name: `funnel(dim=${dim}, scale=${scale})`,
    dim,
    logZ: 0,
    mean: new Array(dim).fill(0),
    variance: [variance, ...new Array(m).fill(Math.exp(variance / 2))],
    logDensity(x) {
      check(x, 'logDensity');
      return tf.tidy(() => {
        const { x0, rest, precision } = parts(x);
        return logDensityFrom(x0, rest, precision);
      });
    },
    gradLogDensity(x) {
      check(x, 'gradLogDensity');
      return tf.tidy(() => {
        const { x0, rest, precision } = parts(x);
        return gradFrom(x0, rest, precision);
      });
    },
    logDensityAndGrad(x) {
      check(x, 'logDensityAndGrad');
      return tf.tidy(() => {
        const { x0, rest, precision } = parts(x);
        return { logDensity: logDensityFrom(x0, rest, precision), grad: gradFrom(x0, rest, precision) };
      });
    },
    sample(k: Key, n: number) {
      checkSampleCount('funnel.sample', n);
      return tf.tidy(() => {
        const z = normal(k, [n, dim]) as tf.Tensor2D;
        const x0 = tf.mul(tf.slice(z, [0, 0], [-1, 1]), scale);
        const rest = tf.mul(tf.slice(z, [0, 1], [-1, m]), exp(tf.mul(x0, 0.5)));
        return tf.concat([x0, rest], 1) as tf.Tensor2D;
      });
    },
  };
}
