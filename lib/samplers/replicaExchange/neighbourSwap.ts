/**
 * The exchange move of replica exchange (parallel tempering; nfmcmc spec section 3.3, LRDS `re_step`,
 * `make_re_pairings`): levels k and k + 1 of the same chain index trade positions with probability min(1, α),
 *   log α = log π_k(x_{k+1}) + log π_{k+1}(x_k) − log π_k(x_k) − log π_{k+1}(x_{k+1}).
 * On the geometric path log π_β = log π₀ + β ℓ, ℓ = log γ − log π₀, the reference terms cancel exactly:
 *   log α = (β_{k+1} − β_k) (ℓ(x_k) − ℓ(x_{k+1})),
 * which is what is computed (no 0 · ∞ at β = 0). The pairs alternate: parity 0 swaps (0, 1), (2, 3), ...;
 * parity 1 swaps (1, 2), (3, 4), ... . All chains and pairs at once, on device: the result is a row permutation
 * (`source`: new row r takes old row source[r]) to gather every per-row tensor with.
 * Rows are level-major: row k·n + c is chain c at level k.
 */
import * as tf from '@tensorflow/tfjs';
import { uniform, type Key } from '../../core/random.js';
import { acceptanceProbability } from '../mcmc/metropolis.js';

/** The lower levels k of the pairs (k, k + 1) swapped at this parity (0: even pairs, 1: odd pairs). */
export function swapPairs(numLevels: number, parity: 0 | 1): number[] {
  const lower: number[] = [];
  for (let k = parity; k + 1 < numLevels; k += 2) lower.push(k);
  return lower;
}

export interface NeighbourSwap {
  /** int32 [K·n]: new row r is old row source[r]. */
  source: tf.Tensor1D;
  /** min(1, α) per pair and chain, [P, n] (P = number of pairs; NaN log α counts as 0). */
  acceptanceRate: tf.Tensor2D;
  /** 1 where the pair swapped, [P, n]. */
  isAccepted: tf.Tensor2D;
}

/**
 * One round of swaps of the pairs of `parity`, given ℓ per row ([K·n], level-major) and the K temperatures.
 * Needs at least one pair (K >= 2, and K >= 3 for parity 1). Call inside a tidy scope.
 */
export function neighbourSwap(key: Key, logRatio: tf.Tensor1D, betas: ArrayLike<number>, numChains: number, parity: 0 | 1): NeighbourSwap {
  const numLevels = betas.length;
  const n = numChains;
  if (logRatio.shape[0] !== numLevels * n) {
    throw new Error(`neighbourSwap: logRatio has ${logRatio.shape[0]} rows, expected ${numLevels} levels × ${n} chains = ${numLevels * n}`);
  }
  const lower = swapPairs(numLevels, parity);
  if (lower.length === 0) throw new Error(`neighbourSwap: no pairs of parity ${parity} among ${numLevels} levels`);
  const numPairs = lower.length;
  const byLevel = tf.reshape(logRatio, [numLevels, n]);
  const lowerRatio = tf.gather(byLevel, lower);
  const upperRatio = tf.gather(byLevel, lower.map((k) => k + 1));
  const gaps = tf.tensor2d(lower.map((k) => betas[k + 1] - betas[k]), [numPairs, 1], 'float32');
  const logAcceptance = tf.mul(gaps, tf.sub(lowerRatio, upperRatio)) as tf.Tensor2D;
  const logU = tf.log(uniform(key, [numPairs, n]));
  const isAccepted = tf.cast(tf.less(logU, logAcceptance), 'float32') as tf.Tensor2D;
  const acceptanceRate = tf.reshape(acceptanceProbability(tf.reshape(logAcceptance, [-1]) as tf.Tensor1D), [numPairs, n]) as tf.Tensor2D;
  // Per level: the accept flag of its pair (0 for a level in no pair: the extra zero row) and the level offset to
  // its partner (+1 for the lower level of a pair, −1 for the upper, 0 otherwise).
  const pairOfLevel = new Array<number>(numLevels).fill(numPairs);
  const offset = new Float32Array(numLevels);
  lower.forEach((k, j) => {
    pairOfLevel[k] = j;
    pairOfLevel[k + 1] = j;
    offset[k] = 1;
    offset[k + 1] = -1;
  });
  const acceptedByLevel = tf.gather(tf.concat([isAccepted, tf.zeros([1, n])], 0), pairOfLevel);
  const shift = tf.mul(acceptedByLevel, tf.mul(n, tf.tensor2d(offset, [numLevels, 1])));
  const rows = tf.reshape(tf.range(0, numLevels * n, 1, 'float32'), [numLevels, n]);
  const source = tf.cast(tf.reshape(tf.add(rows, shift), [-1]), 'int32') as tf.Tensor1D;
  return { source, acceptanceRate, isAccepted };
}
