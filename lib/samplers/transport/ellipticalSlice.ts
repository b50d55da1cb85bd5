/**
 * Elliptical slice sampling (Murray, Adams & MacKay 2010, Algorithm 1) for a target pi(z) written against the
 * Gaussian prior N(0, I): pi(z) = N(z; 0, I) L(z), so the log-likelihood the slice is taken on is
 *   log L(z) = log pi(z) + |z|^2 / 2   (+ a constant, which cancels in the slice).
 * Per chain and step: nu ~ N(0, I), log y = log L(z) + log u, theta ~ U[0, 2 pi), bracket [theta - 2 pi, theta];
 * propose z' = z cos(theta) + nu sin(theta); accept when log L(z') > log y, otherwise shrink the bracket towards 0
 * on the side of theta and draw theta again. The chain leaves pi invariant, whatever pi is.
 *
 * Transport ESS (Cabezas & Nemeth 2023; nfmcmc spec sections 1.3, 1.9 pitfall 2, 4.3) is this kernel on the NeuTra
 * latent target pi_T: `neutra(ellipticalSlice, flow, target)`, so the likelihood is
 * log L(z) = log pi(T z) + logDet(z) + |z|^2 / 2. The reference passed log pi_T itself as the likelihood, i.e.
 * targeted N(0, I) pi_T, which is too concentrated even with a perfect flow (the unit tests show it).
 *
 * All chains shrink together: each round evaluates the target at every chain (finished chains keep their point)
 * and, on host backends (cpu, wasm), reads back ONE number, the count of chains still looking; the step ends when
 * it is 0. A device backend (webgpu) cannot read synchronously, so there every step runs `maxShrinks` rounds:
 * the same law at a higher cost (lower `maxShrinks` there). A chain still
 * looking after `maxShrinks` rounds (the bracket has then shrunk by about 2^-maxShrinks around the current
 * point) stays where it is; `info.isAccepted` is 0 for it.
 */
import * as tf from '@tensorflow/tfjs';
import { finiteOr, select, sumSquares } from '../../core/ops.js';
import { foldIn, normal, split, uniform, type Key } from '../../core/random.js';
import { readIfOnHost } from '../../core/readback.js';
import { checkInteger } from '../../core/validate.js';
import { checkTarget, logDensityOf, type Target } from '../../targets/target.js';
import type { ChainState, Kernel, StepInfo } from '../mcmc/kernel.js';
import { checkInitialState, checkParams, checkState, initialPosition } from '../mcmc/metropolis.js';

export type EllipticalSliceState = ChainState;

/**
 * The info of an elliptical slice step: also the rejected proposals per chain, `numShrinks` [n]; `isInvalid` marks
 * the chains that found no point on their slice within `maxShrinks` rounds (they stay where they are).
 */
export type EllipticalSliceInfo = StepInfo & {
  numShrinks: tf.Tensor1D;
};

export interface EllipticalSliceParams {
  /** Shrinking rounds before a chain gives up and stays (an integer >= 1; default 100). */
  maxShrinks?: number;
}

const TWO_PI = 2 * Math.PI;

/** log L(z) = log pi(z) + |z|^2 / 2 (the prior N(0, I) divided out). */
function logLikelihood(logDensity: tf.Tensor1D, z: tf.Tensor2D): tf.Tensor1D {
  return tf.add(logDensity, tf.mul(0.5, sumSquares(z, 1))) as tf.Tensor1D;
}

/** The elliptical slice kernel for `target` (prior N(0, I)); `info.numShrinks` [n] counts the rejected proposals. */
export function ellipticalSlice(target: Target): Kernel<EllipticalSliceState, EllipticalSliceParams, EllipticalSliceInfo> {
  const name = 'ellipticalSlice';
  checkTarget(name, target);
  return {
    name,
    target,
    async init(position: tf.Tensor2D): Promise<EllipticalSliceState> {
      const z = await initialPosition(`${name}.init`, target, position);
      return checkInitialState(`${name}.init`, { position: z, logDensity: tf.tidy(() => logDensityOf(target, z)) });
    },
    step(key: Key, state: EllipticalSliceState, params?: EllipticalSliceParams): { state: EllipticalSliceState; info: EllipticalSliceInfo } {
      const where = `${name}.step`;
      const n = checkState(where, target, state);
      if (params != null) checkParams(where, params, ['maxShrinks']);
      const maxShrinks = checkInteger(where, 'maxShrinks', params?.maxShrinks ?? 100, 1);
      const d = target.dim;
      const [kNu, kSlice, kTheta, kShrink] = split(key, 4);
      const { position, logDensity } = state;

      const start = tf.tidy(() => {
        const nu = normal(kNu, [n, d]) as tf.Tensor2D;
        const logY = tf.add(logLikelihood(logDensity, position), tf.log(uniform(kSlice, [n])));
        const theta = tf.mul(uniform(kTheta, [n]), TWO_PI);
        return { nu, logY, theta, thetaMin: tf.sub(theta, TWO_PI), thetaMax: theta };
      });
      const { nu, logY } = start;
      // Loop variables (each round replaces them; the old ones are disposed).
      let loop = {
        theta: start.theta as tf.Tensor1D,
        thetaMin: start.thetaMin as tf.Tensor1D,
        thetaMax: start.thetaMax as tf.Tensor1D,
        next: tf.clone(position) as tf.Tensor2D,
        nextLogDensity: tf.clone(logDensity) as tf.Tensor1D,
        looking: tf.ones([n]) as tf.Tensor1D,
        shrinks: tf.zeros([n]) as tf.Tensor1D,
      };
      for (let round = 0; round < maxShrinks; round++) {
        const previous = loop;
        loop = tf.tidy(() => {
          const { theta, thetaMin, thetaMax, looking } = previous;
          const proposal = tf.add(
            tf.mul(position, tf.expandDims(tf.cos(theta), 1)),
            tf.mul(nu, tf.expandDims(tf.sin(theta), 1)),
          ) as tf.Tensor2D;
          const proposalLogDensity = logDensityOf(target, proposal);
          // NaN log-likelihoods compare false: a rejection, and the bracket shrinks.
          // A log-density of +Infinity is rejected too (as at init), so the cached value matches the position.
          const onSlice = tf.mul(
            tf.cast(tf.greater(logLikelihood(proposalLogDensity, proposal), logY), 'float32'),
            tf.cast(tf.less(proposalLogDensity, Infinity), 'float32'),
          );
          const accepted = tf.mul(looking, onSlice) as tf.Tensor1D;
          const stillLooking = tf.sub(looking, accepted) as tf.Tensor1D;
          const next = select(tf.expandDims(accepted, 1), finiteOr(proposal, previous.next), previous.next) as tf.Tensor2D;
          const nextLogDensity = select(accepted, finiteOr(proposalLogDensity, 0), previous.nextLogDensity) as tf.Tensor1D;
          // Shrink the bracket of the chains still looking, then redraw their theta in it.
          const below = tf.cast(tf.less(theta, 0), 'float32');
          const newMin = select(tf.mul(stillLooking, below), theta, thetaMin) as tf.Tensor1D;
          const newMax = select(tf.mul(stillLooking, tf.sub(1, below)), theta, thetaMax) as tf.Tensor1D;
          const u = uniform(foldIn(kShrink, round), [n]);
          const redrawn = tf.add(newMin, tf.mul(u, tf.sub(newMax, newMin)));
          return {
            theta: select(stillLooking, redrawn, theta) as tf.Tensor1D,
            thetaMin: newMin,
            thetaMax: newMax,
            next,
            nextLogDensity,
            looking: stillLooking,
            shrinks: tf.add(previous.shrinks, stillLooking) as tf.Tensor1D,
          };
        });
        tf.dispose(Object.values(previous)); // every field of `loop` is new
        // Stop when every chain has found a point on its slice: one read per round where reads are host copies;
        // on a device backend every round runs (chains that are done are masked, so the law is the same).
        const numLooking = tf.sum(loop.looking);
        const done = readIfOnHost(numLooking)?.[0] === 0;
        numLooking.dispose();
        if (done) break;
      }
      tf.dispose([nu, logY]);
      const accepted = tf.tidy(() => tf.sub(1, loop.looking)) as tf.Tensor1D;
      tf.dispose([loop.theta, loop.thetaMin, loop.thetaMax]);
      return {
        state: { position: loop.next, logDensity: loop.nextLogDensity },
        info: { acceptanceRate: accepted, isAccepted: tf.clone(accepted), isInvalid: loop.looking, numShrinks: loop.shrinks },
      };
    },
  };
}
