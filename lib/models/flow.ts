/**
 * The normalizing-flow contract. A flow is an invertible map T from a latent space (base distribution,
 * usually N(0, I)) to the data space, with the log-determinants of both directions, batch-first [n, d].
 *   forward:  z -> x = T(z),    logDet = log |det dT/dz|
 *   inverse:  x -> z = T^-1(x), logDet = log |det dT^-1/dx| (= -forward logDet at the same pair)
 * so that log q(x) = log base(T^-1(x)) + inverse logDet.
 */
import type * as tf from '@tensorflow/tfjs';

export interface FlowOutput<T extends tf.Tensor = tf.Tensor2D> {
  /** The mapped points [n, d]. */
  value: T;
  /** log |det| of the Jacobian of the map that was applied, [n]. */
  logDet: tf.Tensor1D;
}

export interface Flow {
  readonly dim: number;
  forward(z: tf.Tensor2D): FlowOutput;
  inverse(x: tf.Tensor2D): FlowOutput;
  /** Trainable weights, in a fixed order (the order of the weight manifest). */
  readonly variables: tf.Variable[];
  dispose(): void;
}
