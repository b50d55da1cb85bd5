/**
 * Hamiltonian Monte Carlo with the velocity-Verlet (leapfrog) integrator (Neal 2011, "MCMC using Hamiltonian
 * dynamics", eqs. 5.18-5.20; nfmcmc spec section 1.3 "HMC"):
 *   H(x, p) = -log pi(x) + K(p),  K(p) = 1/2 p^T M^{-1} p,  p ~ N(0, M),  M^{-1} = diag(inverseMassMatrix),
 *   p <- p + h/2 grad log pi(x);  x <- x + h M^{-1} p;  p <- p + h/2 grad log pi(x)   (numIntegrationSteps times),
 *   accepted with probability min(1, exp(-(H(x', p') - H(x, p)))).
 * Path length: fixed (h * numIntegrationSteps), or jittered per chain with `jitter` = j in (0, 1): each chain's
 * step size is h * U(1 - j, 1 + j) for that transition (Neal 2011 section 5.4.2.2), which keeps every chain on
 * the same number of gradient evaluations (batched) while breaking periodic orbits.
 */
import * as tf from '@tensorflow/tfjs';
import { sumSquares } from '../../core/ops.js';
import { normal, split, uniform, type Key } from '../../core/random.js';
import { checkInteger, checkInterval } from '../../core/validate.js';
import { checkTarget, logDensityAndGrad, type Target } from '../../targets/target.js';
import type { ChainState, Kernel, MetropolisInfo, StepSize } from './kernel.js';
import { checkStepInputs, initialGradientState, invalid, metropolisAccept, perChainColumn } from './metropolis.js';

export type HmcState = ChainState & {
  /** grad log pi at `position`, [n, d]. */
  grad: tf.Tensor2D;
};

/** The info of an HMC step: also the energy error H(x', p') - H(x, p) per chain, [n]. */
export type HmcInfo = MetropolisInfo & {
  energyChange: tf.Tensor1D;
};

/** A diagonal inverse mass matrix shared by all chains ([d]) or one per chain ([n, d]). */
export type InverseMassMatrix = tf.Tensor1D | tf.Tensor2D;

export interface HmcParams {
  /** Leapfrog step h > 0: a number for all chains or a float32 [n] tensor. */
  stepSize: StepSize;
  /** Leapfrog steps per transition (an integer >= 1). */
  numIntegrationSteps: number;
  /** Diagonal of M^{-1}, [d] or [n, d], positive (default: identity). */
  inverseMassMatrix?: InverseMassMatrix;
  /** Per-chain step-size jitter j in [0, 1) (default 0: fixed path length). */
  jitter?: number;
}

/** A point of the Hamiltonian flow, batched over chains. */
export type PhasePoint = {
  position: tf.Tensor2D;
  momentum: tf.Tensor2D;
  logDensity: tf.Tensor1D;
  grad: tf.Tensor2D;
};

/** The keys of HmcParams (any other key in `params` is an error). */
const HMC_PARAMS = ['stepSize', 'numIntegrationSteps', 'inverseMassMatrix', 'jitter'] as const;

/** K(p) = 1/2 sum_j m^{-1}_j p_j^2 per chain, [n]. */
export function kineticEnergy(momentum: tf.Tensor2D, inverseMassMatrix?: InverseMassMatrix): tf.Tensor1D {
  return tf.tidy(() => {
    const squaredNorm = inverseMassMatrix ? tf.sum(tf.mul(inverseMassMatrix, tf.square(momentum)), 1) : sumSquares(momentum, 1);
    return tf.mul(0.5, squaredNorm) as tf.Tensor1D;
  });
}

function checkInverseMassMatrix(where: string, value: unknown, n: number, d: number): InverseMassMatrix | undefined {
  if (value === undefined) return undefined;
  const ok =
    value instanceof tf.Tensor &&
    value.dtype === 'float32' &&
    ((value.rank === 1 && value.shape[0] === d) || (value.rank === 2 && value.shape[0] === n && value.shape[1] === d));
  if (!ok) {
    invalid(where, 'inverseMassMatrix', value, `a positive float32 tensor of shape [${d}] (shared) or [${n}, ${d}] (per chain)`);
  }
  return value as InverseMassMatrix;
}

/**
 * `numSteps` velocity-Verlet steps from `start` (leapfrog with half momentum steps at both ends), all chains at
 * once; `stepSize` is a number or a per-chain column [n, 1]. One target gradient per step. Returns new tensors
 * (the start is not disposed). Time-reversible: integrating back from (x', -p') returns (x, -p).
 */
export function velocityVerlet(
  target: Target,
  start: PhasePoint,
  stepSize: number | tf.Tensor2D,
  numSteps: number,
  inverseMassMatrix?: InverseMassMatrix,
): PhasePoint {
  const where = 'velocityVerlet';
  checkInteger(where, 'numSteps', numSteps, 0);
  if (typeof stepSize === 'number' && !Number.isFinite(stepSize)) invalid(where, 'stepSize', stepSize, 'a finite number');
  let current: PhasePoint = {
    position: tf.clone(start.position),
    momentum: tf.clone(start.momentum),
    logDensity: tf.clone(start.logDensity),
    grad: tf.clone(start.grad),
  };
  for (let i = 0; i < numSteps; i++) {
    const previous = current;
    current = tf.tidy(() => {
      const halfStep = tf.mul(0.5, stepSize);
      const momentumHalf = tf.add(previous.momentum, tf.mul(halfStep, previous.grad));
      const velocity = inverseMassMatrix ? tf.mul(inverseMassMatrix, momentumHalf) : momentumHalf;
      const position = tf.add(previous.position, tf.mul(stepSize, velocity)) as tf.Tensor2D;
      const { logDensity, grad } = logDensityAndGrad(target, position);
      const momentum = tf.add(momentumHalf, tf.mul(halfStep, grad)) as tf.Tensor2D;
      return { position, momentum, logDensity, grad };
    });
    tf.dispose([previous.position, previous.momentum, previous.logDensity, previous.grad]);
  }
  return current;
}

/** The HMC kernel for `target`; `info` also holds `logAcceptance` and `energyChange` = H(x', p') - H(x, p), [n]. */
export function hmc(target: Target): Kernel<HmcState, HmcParams, HmcInfo> {
  const name = 'hmc';
  checkTarget(name, target);
  return {
    name,
    target,
    init(position: tf.Tensor2D): Promise<HmcState> {
      return initialGradientState(`${name}.init`, target, position);
    },
    step(key: Key, state: HmcState, params: HmcParams): { state: HmcState; info: HmcInfo } {
      const where = `${name}.step`;
      const { n, options, stepSize } = checkStepInputs(where, target, state, params, ['grad'], HMC_PARAMS);
      const numSteps = checkInteger(where, 'numIntegrationSteps', options.numIntegrationSteps, 1);
      const inverseMassMatrix = checkInverseMassMatrix(where, options.inverseMassMatrix, n, target.dim);
      const jitter = checkInterval(where, 'jitter', options.jitter ?? 0, '[0, 1)');
      return tf.tidy(() => {
        const [kMomentum, kJitter, kAccept] = split(key, 3);
        const d = target.dim;
        const xi = normal(kMomentum, [n, d]);
        // p ~ N(0, M) with M = diag(1 / inverseMassMatrix)
        const momentum = (inverseMassMatrix ? tf.mul(xi, tf.rsqrt(inverseMassMatrix)) : xi) as tf.Tensor2D;
        let h = perChainColumn(stepSize);
        if (jitter > 0) h = tf.mul(h, uniform(kJitter, [n, 1], 1 - jitter, 1 + jitter)) as tf.Tensor2D;
        const start: PhasePoint = { position: state.position, momentum, logDensity: state.logDensity, grad: state.grad };
        const end = velocityVerlet(target, start, h, numSteps, inverseMassMatrix);
        const initialEnergy = tf.sub(kineticEnergy(momentum, inverseMassMatrix), state.logDensity);
        const finalEnergy = tf.sub(kineticEnergy(end.momentum, inverseMassMatrix), end.logDensity);
        const energyChange = tf.sub(finalEnergy, initialEnergy) as tf.Tensor1D;
        const { state: next, info } = metropolisAccept(
          kAccept,
          tf.neg(energyChange) as tf.Tensor1D,
          { position: end.position, logDensity: end.logDensity, grad: end.grad },
          state,
        );
        return { state: next, info: { ...info, energyChange } };
      });
    },
  };
}
