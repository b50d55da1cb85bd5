/**
 * GELU in its tanh form, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) (Hendrycks & Gimpel 2016; PyTorch's
 * `nn.GELU(approximate='tanh')`), the activation of the LRDS control networks (spec slips-lrds-amcbg.md 2.4).
 * The reference uses the erf form; the two differ by less than 5e-4 everywhere. The tanh form is composed from
 * lib/core/ops.ts' tanh and plain multiplies and adds, so its derivatives are exact at every order (tfjs' own
 * erf gradient is first-order only in practice, and there is no fused GELU op here).
 */
import * as tf from '@tensorflow/tfjs';
import { tanh } from '../core/ops.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(tf.add(x, tf.mul(CUBIC, tf.mul(x, tf.mul(x, x)))), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(0.5, x), tf.add(1, tanh(inner)));
  });
}
