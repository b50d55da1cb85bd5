/**
 * The MCMC kernel contract, BlackJAX-style (DESIGN.md section 3). A kernel is built for one target:
 * `const k = mala(target)`; `await k.init(position)` gives the state; `k.step(key, state, params)` gives the next
 * state and an info object. Params are passed at every call so adaptation and SMC can change them.
 * Every kernel works on all chains at once: positions [n, d], per-chain scalars [n].
 */
import type * as tf from '@tensorflow/tfjs';
import type { Key } from '../../core/random.js';
import type { Target } from '../../targets/target.js';

export type ChainState = {
  position: tf.Tensor2D;
  logDensity: tf.Tensor1D;
};

/**
 * The per-chain tensors of a state, by field name: what generic code (accept/reject blends, disposal, checkpoints)
 * walks over. Every kernel's state is such a record; its own interface names the fields it adds (`grad`, ...).
 */
export type StateFields = Record<string, tf.Tensor>;

/** The fields of a state as a record of tensors (every state is one; typed states have no index signature). */
export function stateFields(state: ChainState): StateFields {
  return state;
}

export type StepInfo = {
  /** min(1, alpha) per chain, [n]; NaN log-acceptance counts as a rejection (0). */
  acceptanceRate: tf.Tensor1D;
  /** 1 where the proposal was accepted, 0 otherwise, float32 [n]. */
  isAccepted: tf.Tensor1D;
  /**
   * 1 where the proposal was invalid and so rejected whatever the uniform draw (a NaN or +Infinity log-density, a
   * NaN log-acceptance), 0 otherwise, float32 [n]. `runChain` counts them; DESIGN.md section 3 documents the
   * rejection.
   */
  isInvalid: tf.Tensor1D;
};

/** The info of a Metropolis-Hastings step: also the log-acceptance log alpha per chain, [n] (NaN means rejected). */
export type MetropolisInfo = StepInfo & {
  logAcceptance: tf.Tensor1D;
};

/** A step size shared by all chains (number) or one per chain ([n] tensor). */
export type StepSize = number | tf.Tensor1D;

export interface Kernel<S extends ChainState = ChainState, P = Record<string, unknown>, I extends StepInfo = StepInfo> {
  name: string;
  target: Target;
  /** The initial state; async because it checks the values once (one read-back: DESIGN.md section 4). */
  init(position: tf.Tensor2D | number[][]): Promise<S>;
  step(key: Key, state: S, params: P): { state: S; info: I };
}
