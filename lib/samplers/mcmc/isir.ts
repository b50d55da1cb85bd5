/**
 * Iterated sampling importance resampling, i-SIR (Andrieu, Lee & Vihola 2018; the global move of Ex2MCMC,
 * Samsonov et al. 2022; nfmcmc spec section 1.3 "i-SIR"). Per chain and step:
 *   1. N candidates: the current state y_0 = x and N - 1 fresh draws y_1..y_{N-1} ~ lambda;
 *   2. log w_j = log pi(y_j) - log lambda(y_j); NaN weights (and those of a +Infinity log pi) count as 0, a row
 *      with no positive weight is uniform; a +Infinity weight (finite log pi, lambda(y_j) = 0) takes the whole
 *      mass (shared equally among the +Infinity weights of its row: the limit of dominating weights);
 *   3. j ~ Categorical(w / sum w), x <- y_j.
 * The kernel leaves pi invariant for any N >= 2. `info.isAccepted` is 1 where j != 0 (the spec's "acceptance",
 * averaged over chains), `info.acceptanceRate` = 1 - w_0 / sum w (its conditional expectation), `info.ess` the
 * importance ESS 1 / sum_j wbar_j^2 in [1, N] (experiments report ess / N).
 */
import * as tf from '@tensorflow/tfjs';
import { finiteOr, logSumExp, select } from '../../core/ops.js';
import { categorical, split, type Key } from '../../core/random.js';
import { checkTarget, logDensityOf, type Target } from '../../targets/target.js';
import type { Kernel, StepInfo } from './kernel.js';
import { checkParams, checkState, invalid } from './metropolis.js';
import {
  checkProposal,
  drawProposals,
  initialProposalState,
  withProposalDensity,
  type ImhState,
  type IndependentProposal,
} from './imh.js';

export type IsirState = ImhState;

export interface IsirParams {
  /** N, the number of candidates per chain including the current state (an integer >= 2). */
  numParticles: number;
}

/**
 * The info of an i-SIR step: also the importance ESS of each chain's candidates in [1, N] and the index of the
 * chosen one (0: the current state), [n]; `isInvalid` marks chains whose candidates were all invalid (they stay).
 */
export type IsirInfo = StepInfo & {
  ess: tf.Tensor1D;
  selectedIndex: tf.Tensor1D;
};

/** Log-weights of invalid candidates (NaN, infinite): far below any real log-weight, yet finite. */
const INVALID_LOG_WEIGHT = -1e30;

/** Rows [n, 1] and [n, m, ...] stacked into candidates [n * (m + 1), ...] (current state first in each chain). */
function stackCandidates(current: tf.Tensor, fresh: tf.Tensor, n: number, m: number): tf.Tensor {
  const tail = current.shape.slice(1);
  const stacked = tf.concat([tf.expandDims(current, 1), tf.reshape(fresh, [n, m, ...tail])], 1);
  return tf.reshape(stacked, [n * (m + 1), ...tail]);
}

/** The i-SIR kernel for `target` with proposal `proposal`. */
export function isir(target: Target, proposal: IndependentProposal): Kernel<IsirState, IsirParams, IsirInfo> {
  const name = 'isir';
  checkTarget(name, target);
  checkProposal(name, proposal);
  return {
    name,
    target,
    init(position: tf.Tensor2D): Promise<IsirState> {
      return initialProposalState(`${name}.init`, target, proposal, position);
    },
    step(key: Key, state: IsirState, params: IsirParams): { state: IsirState; info: IsirInfo } {
      const where = `${name}.step`;
      const n = checkState(where, target, state);
      const numParticles = checkParams(where, params, ['numParticles']).numParticles;
      if (typeof numParticles !== 'number' || !Number.isInteger(numParticles) || numParticles < 2) {
        invalid(where, 'numParticles', numParticles, 'an integer >= 2 (the current state plus at least one proposal)');
      }
      const N = numParticles;
      const m = N - 1;
      return tf.tidy(() => {
        const [kProposal, kSelect] = split(key, 2);
        const current = withProposalDensity(state, proposal);
        const fresh = drawProposals(where, proposal, kProposal, n * m, target.dim);
        const freshLogDensity = logDensityOf(target, fresh);
        const freshLogProposal = proposal.logDensity(fresh);

        const positions = stackCandidates(current.position, fresh, n, m); // [n N, d]
        const logDensities = stackCandidates(current.logDensity, freshLogDensity, n, m); // [n N]
        const logProposals = stackCandidates(current.logProposalDensity, freshLogProposal, n, m); // [n N]
        const rawLogWeights = tf.reshape(tf.sub(logDensities, logProposals), [n, N]);
        // A weight of +Infinity (finite target log-density where the proposal's density is 0) is the limit of a
        // weight that dominates every finite one: it gets the whole mass, shared with any other +Infinity weight
        // of its row. A +Infinity target log-density (rejected as at init) or a NaN weight stays invalid.
        const infinite = tf.cast(
          tf.logicalAnd(tf.equal(rawLogWeights, Infinity), tf.isFinite(tf.reshape(logDensities, [n, N]))),
          'float32',
        );
        const rowHasInfinite = tf.mul(tf.max(infinite, 1, true), tf.onesLike(infinite)); // [n, N], no broadcast
        const valid = tf.maximum(tf.cast(tf.isFinite(rawLogWeights), 'float32'), infinite);
        const logWeights = select(
          rowHasInfinite,
          tf.mul(tf.sub(infinite, 1), -INVALID_LOG_WEIGHT), // 0 at the +Infinity weights, INVALID_LOG_WEIGHT elsewhere
          finiteOr(rawLogWeights, INVALID_LOG_WEIGHT),
        );
        // Shift by the row maximum: a row of invalid weights becomes all zeros, i.e. uniform (spec step 2).
        const shifted = tf.sub(logWeights, tf.max(logWeights, 1, true));
        const chosen = categorical(kSelect, shifted); // int32 [n]
        const flatIndex = tf.add(chosen, tf.range(0, n * N, N, 'int32')); // row c starts at c N

        // Only a row with no valid candidate can pick an invalid one; then the chain stays where it is. A valid
        // pick keeps its values exactly (its proposal log-density is -Infinity when its weight is +Infinity).
        const chosenValid = tf.gather(tf.reshape(valid, [n * N]), flatIndex) as tf.Tensor1D;
        const keep = (picked: tf.Tensor, old: tf.Tensor, rank: number) =>
          rank === 2 ? select(tf.expandDims(chosenValid, 1), finiteOr(picked, old), old) : select(chosenValid, picked, old);
        const next: IsirState = {
          position: keep(tf.gather(positions, flatIndex), current.position, 2) as tf.Tensor2D,
          logDensity: keep(tf.gather(logDensities, flatIndex), current.logDensity, 1) as tf.Tensor1D,
          logProposalDensity: keep(tf.gather(logProposals, flatIndex), current.logProposalDensity, 1) as tf.Tensor1D,
        };

        const logNormalised = tf.sub(shifted, logSumExp(shifted, 1, true));
        const normalised = tf.exp(logNormalised);
        const currentWeight = tf.reshape(tf.slice(normalised, [0, 0], [n, 1]), [n]);
        const info: IsirInfo = {
          acceptanceRate: tf.sub(1, currentWeight) as tf.Tensor1D,
          isAccepted: tf.mul(tf.cast(tf.notEqual(chosen, 0), 'float32'), chosenValid) as tf.Tensor1D,
          isInvalid: tf.sub(1, chosenValid) as tf.Tensor1D,
          ess: tf.div(1, tf.sum(tf.square(normalised), 1)) as tf.Tensor1D,
          selectedIndex: chosen as tf.Tensor1D,
        };
        return { state: next, info };
      });
    },
  };
}
