/**
 * Metropolis-adjusted Langevin algorithm (nfmcmc spec section 1.3 "MALA"; slips spec section 4.3):
 *   x' = x + h grad log pi(x) + sqrt(2h) xi,  xi ~ N(0, I),
 *   log alpha = log pi(x') - log pi(x) + log q(x | x') - log q(x' | x),
 *   log q(a | b) = -|a - b - h grad log pi(b)|^2 / (4h).
 * `stepSize` h is shared (number) or per chain ([n] tensor). The state carries the gradient so each step
 * evaluates the target (and its gradient) once, at the proposal.
 */
import * as tf from '@tensorflow/tfjs';
import { sumSquares } from '../../core/ops.js';
import { normal, split, type Key } from '../../core/random.js';
import { logDensityAndGrad, type Target } from '../../targets/target.js';
import type { ChainState, Kernel, StepInfo, StepSize } from './kernel.js';
import { checkStepInputs, initialGradientState, metropolisAccept, perChainColumn } from './metropolis.js';

export interface MalaState extends ChainState {
  /** grad log pi at `position`, [n, d]. */
  grad: tf.Tensor2D;
}

export interface MalaParams {
  /** Langevin step h > 0 (the noise variance is 2h): a number for all chains or a float32 [n] tensor. */
  stepSize: StepSize;
}

/** The MALA kernel for `target`; `info` also holds `logAcceptance` [n] (NaN means rejected). */
export function mala(target: Target): Kernel<MalaState, MalaParams> {
  const name = 'mala';
  return {
    name,
    target,
    init(position: tf.Tensor2D): Promise<MalaState> {
      return initialGradientState(`${name}.init`, target, position);
    },
    step(key: Key, state: MalaState, params: MalaParams): { state: MalaState; info: StepInfo } {
      const { n, stepSize } = checkStepInputs(`${name}.step`, target, state, params, ['grad']);
      return tf.tidy(() => {
        const [kNoise, kAccept] = split(key, 2);
        const { position, logDensity, grad } = state;
        const h = perChainColumn(stepSize); // number or [n, 1]
        const noise = normal(kNoise, [n, target.dim]);
        const drift = tf.add(position, tf.mul(h, grad));
        const proposal = tf.add(drift, tf.mul(tf.sqrt(tf.mul(2, h)), noise)) as tf.Tensor2D;
        const next = logDensityAndGrad(target, proposal);
        // log q(x' | x) = -|sqrt(2h) xi|^2 / (4h) = -|xi|^2 / 2 (exact, no cancellation).
        const logForward = tf.mul(-0.5, sumSquares(noise, 1));
        const backwardResidual = tf.sub(tf.sub(position, proposal), tf.mul(h, next.grad));
        const logBackward = tf.div(sumSquares(backwardResidual, 1), tf.mul(-4, stepSize));
        const logAcceptance = tf.add(tf.sub(next.logDensity, logDensity), tf.sub(logBackward, logForward)) as tf.Tensor1D;
        return metropolisAccept(
          kAccept,
          logAcceptance,
          { position: proposal, logDensity: next.logDensity, grad: next.grad },
          state,
        );
      });
    },
  };
}
