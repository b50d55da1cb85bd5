/**
 * Metropolis-adjusted Langevin algorithm (nfmcmc spec section 1.3 "MALA"; slips spec section 4.3):
 *   x' = x + h grad log pi(x) + sqrt(2h) xi,  xi ~ N(0, I),
 *   log alpha = log pi(x') - log pi(x) + log q(x | x') - log q(x' | x),
 *   log q(a | b) = -|a - b - h grad log pi(b)|^2 / (4h).
 * `stepSize` h is shared (number) or per chain ([n] tensor). The state carries the gradient so each step
 * evaluates the target (and its gradient) once, at the proposal. The move itself is `malaStep` (./langevin.ts),
 * shared with the ULA steps of SLIPS and RDMC; this file is the kernel contract around it (checks, tidy).
 */
import * as tf from '@tensorflow/tfjs';
import type { Key } from '../../core/random.js';
import { checkTarget, type Target } from '../../targets/target.js';
import type { Kernel, MetropolisInfo, StepSize } from './kernel.js';
import { malaStep, type LangevinState } from './langevin.js';
import { checkStepInputs, initialGradientState } from './metropolis.js';

/** A MALA state: position, logDensity, and `grad` = grad log pi at `position`, [n, d]. */
export type MalaState = LangevinState;

export interface MalaParams {
  /** Langevin step h > 0 (the noise variance is 2h): a number for all chains or a float32 [n] tensor. */
  stepSize: StepSize;
}

/** The MALA kernel for `target`; `info` also holds `logAcceptance` [n] (NaN means rejected). */
export function mala(target: Target): Kernel<MalaState, MalaParams, MetropolisInfo> {
  const name = 'mala';
  checkTarget(name, target);
  return {
    name,
    target,
    init(position: tf.Tensor2D): Promise<MalaState> {
      return initialGradientState(`${name}.init`, target, position);
    },
    step(key: Key, state: MalaState, params: MalaParams): { state: MalaState; info: MetropolisInfo } {
      const { stepSize } = checkStepInputs(`${name}.step`, target, state, params, ['grad']);
      return tf.tidy(() => malaStep(key, target, state, stepSize));
    },
  };
}
