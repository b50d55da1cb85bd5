/**
 * The MCMC kernel contract, BlackJAX-style (DESIGN.md section 3). A kernel is built for one target:
 * `const k = mala(target)`; `await k.init(position)` gives the state; `k.step(key, state, params)` gives the next
 * state and an info object. Params are passed at every call so adaptation and SMC can change them.
 * Every kernel works on all chains at once: positions [n, d], per-chain scalars [n].
 */
import type * as tf from '@tensorflow/tfjs';
import type { Key } from '../../core/random.js';
import type { Target } from '../../targets/target.js';

export interface ChainState {
  position: tf.Tensor2D;
  logDensity: tf.Tensor1D;
  /** Kernels that need it also carry grad [n, d] and other per-chain tensors. */
  [field: string]: tf.Tensor;
}

export interface StepInfo {
  /** min(1, alpha) per chain, [n]; NaN log-acceptance counts as a rejection (0). */
  acceptanceRate: tf.Tensor1D;
  /** 1 where the proposal was accepted, 0 otherwise, float32 [n]. */
  isAccepted: tf.Tensor1D;
  [field: string]: tf.Tensor;
}

/** A step size shared by all chains (number) or one per chain ([n] tensor). */
export type StepSize = number | tf.Tensor1D;

export interface Kernel<S extends ChainState = ChainState, P = Record<string, unknown>> {
  name: string;
  target: Target;
  /** The initial state; async because it checks the values once (one read-back: DESIGN.md section 4). */
  init(position: tf.Tensor2D): Promise<S>;
  step(key: Key, state: S, params: P): { state: S; info: StepInfo };
}
