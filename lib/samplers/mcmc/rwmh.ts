/**
 * Random-walk Metropolis-Hastings: x' = x + h xi, xi ~ N(0, I), accepted with probability
 * min(1, pi(x') / pi(x)) (the proposal is symmetric). nfmcmc spec section 1.3 "RWMH"; slips spec section 4.3.
 * `stepSize` h is the proposal's standard deviation, shared (number) or per chain ([n] tensor).
 */
import * as tf from '@tensorflow/tfjs';
import { normal, split, type Key } from '../../core/random.js';
import { checkTarget, logDensityOf, type Target } from '../../targets/target.js';
import type { ChainState, Kernel, MetropolisInfo, StepSize } from './kernel.js';
import { checkInitialState, checkStepInputs, initialPosition, metropolisAccept, perChainColumn } from './metropolis.js';

export type RwmhState = ChainState;

export interface RwmhParams {
  /** Proposal standard deviation h > 0: a number for all chains or a float32 [n] tensor, one per chain. */
  stepSize: StepSize;
}

/** The RWMH kernel for `target`; `info` also holds `logAcceptance` [n] (NaN means rejected). */
export function rwmh(target: Target): Kernel<RwmhState, RwmhParams, MetropolisInfo> {
  const name = 'rwmh';
  checkTarget(name, target);
  return {
    name,
    target,
    async init(position: tf.Tensor2D): Promise<RwmhState> {
      const x = await initialPosition(`${name}.init`, target, position);
      return checkInitialState(`${name}.init`, { position: x, logDensity: tf.tidy(() => logDensityOf(target, x)) });
    },
    step(key: Key, state: RwmhState, params: RwmhParams): { state: RwmhState; info: MetropolisInfo } {
      const { n, stepSize } = checkStepInputs(`${name}.step`, target, state, params);
      return tf.tidy(() => {
        const [kNoise, kAccept] = split(key, 2);
        const { position, logDensity } = state;
        const proposal = tf.add(position, tf.mul(perChainColumn(stepSize), normal(kNoise, [n, target.dim]))) as tf.Tensor2D;
        const proposalLogDensity = logDensityOf(target, proposal);
        const logAcceptance = tf.sub(proposalLogDensity, logDensity) as tf.Tensor1D;
        return metropolisAccept(kAccept, logAcceptance, { position: proposal, logDensity: proposalLogDensity }, state);
      });
    },
  };
}
