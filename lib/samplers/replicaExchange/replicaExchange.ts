/**
 * Replica exchange (parallel tempering) on the geometric path π_β ∝ π₀^{1−β} γ^β (nfmcmc spec section 3.3;
 * slips spec section 2.5, LRDS `re_sampler`): K levels β_0 < ... < β_{K−1} = 1, n chains per level, MALA moves on
 * every level, and every `swapFrequency` steps a round of neighbour swaps (./neighbourSwap.ts), alternating the
 * even pairs (0, 1), (2, 3), ... and the odd pairs (1, 2), (3, 4), ... . The β = 1 level's draws after warm-up
 * are the output.
 *
 * All K·n chains are one [K·n, d] batch (level-major: row k·n + c is chain c at level k), so a MALA step is one
 * `malaStep` call on the per-row tempered density (./temperedRows.ts) with one step size per row. Step sizes stay
 * with their row (level, chain) when positions swap. During warm-up the step sizes follow the LRDS per-chain rule
 * (stepSizeAdaptation.ts: on the unclipped MALA log α towards τ = 0.75, ×/÷ 1.01 outside a 5 % band; the τ of
 * the reference settings); after warm-up they are frozen, so the kept steps leave every level's law invariant.
 *
 * A swap round evaluates both ends of the path with their gradients once at the current positions (one gradient
 * evaluation of the target per row), decides the swaps from ℓ = log γ − log π₀, gathers the rows, and re-blends
 * the parts at each row's β: the moved states' log-densities and gradients come without a second evaluation.
 * Nothing is read back inside a chunk: the kept draws and the acceptance statistics are read once per chunk.
 */
import * as tf from '@tensorflow/tfjs';
import { throwIfAborted } from '../../core/abort.js';
import { advance } from '../../core/memory.js';
import { yieldToEventLoop } from '../../core/progress.js';
import { foldIn, split, type Key } from '../../core/random.js';
import { readAll } from '../../core/readback.js';
import { checkInteger, checkNumber, invalidOption } from '../../core/validate.js';
import { checkPositions, checkTarget, type Target } from '../../targets/target.js';
import type { MalaState } from '../mcmc/mala.js';
import { malaStep } from '../mcmc/langevin.js';
import { checkInitialState, invalid } from '../mcmc/metropolis.js';
import { adaptStepSizePerChainLog, LRDS_RULE, type MultiplicativeRule } from '../mcmc/stepSizeAdaptation.js';
import { blendParts, logRatioOf, pathParts, temperedRowsTarget } from './temperedRows.js';
import { neighbourSwap, swapPairs } from './neighbourSwap.js';

export interface ReplicaExchangeOptions {
  /** π₀: the β = 0 end of the path (its `sample` gives the default start). */
  reference: Target;
  /** γ: the β = 1 end, unnormalised. */
  target: Target;
  /** Temperatures, strictly increasing in [0, 1], ending at 1 (at least two). */
  schedule: ArrayLike<number>;
  /** Chains per level, n. */
  numChains: number;
  /** Steps kept after warm-up (the β = 1 level's positions after each). */
  numSteps: number;
  /** Steps first, with step-size adaptation, not kept. Default 0. */
  numWarmup?: number;
  /** A swap round after every this many steps (alternating even and odd pairs). Default 8. */
  swapFrequency?: number;
  /** Initial MALA step size h₀, all levels. Default 1e-4 (the LRDS reference settings). */
  stepSize?: number;
  /** The per-chain warm-up rule (default LRDS: τ = 0.75, factor 1.01, tolerance 5 %), or false for a fixed step. */
  adaptation?: MultiplicativeRule | false;
  /** Start positions [K·n, d], level-major; default K·n draws of `reference.sample`. */
  initialPositions?: tf.Tensor2D;
  /** Steps between read-backs, progress and abort checks. Default 50. */
  chunkSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ReplicaExchangeProgress) => void;
}

export interface ReplicaExchangeProgress {
  step: number;
  numSteps: number;
  /** Mean MALA acceptance over all levels and the steps of the run so far. */
  mcmcAcceptance: number;
  /** Mean swap acceptance over all pairs and rounds so far (NaN before the first round). */
  swapAcceptance: number;
}

export interface ReplicaExchangeResult {
  /** The β = 1 level's positions after each kept step, [numSteps · n, d] (step-major); the caller owns it. */
  draws: tf.Tensor2D;
  /** Every level's final positions, [K·n, d], level-major; the caller owns it. */
  finalPositions: tf.Tensor2D;
  betas: Float64Array;
  /** Mean min(1, α) of the swaps of pair (k, k + 1), over chains and rounds, [K − 1] (NaN: never attempted). */
  swapAcceptance: Float64Array;
  /** Swap rounds that included pair (k, k + 1), [K − 1]. */
  swapRounds: Float64Array;
  /** Mean MALA acceptance per level, over chains and all steps, [K]. */
  mcmcAcceptance: Float64Array;
  /** Mean step size per level at the end (after warm-up: the frozen values), [K]. */
  stepSizes: Float64Array;
  /** Total steps (warm-up + kept). */
  steps: number;
}

const WHERE = 'replicaExchange';

function checkBetas(schedule: ArrayLike<number>): Float64Array {
  const invalidSchedule = (expected: string): never => invalidOption(WHERE, 'schedule', Array.from(schedule ?? []), expected);
  if (schedule == null || typeof schedule.length !== 'number') invalidSchedule('an array of temperatures');
  const betas = Float64Array.from(schedule);
  if (betas.length < 2) invalidSchedule('at least two temperatures (levels)');
  if (betas[betas.length - 1] !== 1) invalidSchedule('a last temperature of 1 (the target level)');
  for (let k = 0; k < betas.length; k++) {
    if (!(betas[k] >= 0 && betas[k] <= 1)) invalidSchedule(`temperatures in [0, 1] (entry ${k} is ${betas[k]})`);
    if (k > 0 && !(betas[k] > betas[k - 1])) invalidSchedule(`strictly increasing temperatures (entry ${k} = ${betas[k]} after ${betas[k - 1]})`);
  }
  return betas;
}

interface Carry {
  state: MalaState;
  stepSize: tf.Tensor1D;
}

/** Run replica exchange; see the file header. */
export async function replicaExchange(key: Key, options: ReplicaExchangeOptions): Promise<ReplicaExchangeResult> {
  if (options == null || typeof options !== 'object') invalidOption(WHERE, 'options', options, 'an options object');
  const { reference, target, signal, onProgress } = options;
  checkTarget(WHERE, reference, 'reference');
  checkTarget(WHERE, target, 'target');
  if (reference.dim !== target.dim) invalidOption(WHERE, 'reference', `a target of dim ${reference.dim}`, `the target's dim ${target.dim}`);
  const betas = checkBetas(options.schedule);
  const numLevels = betas.length;
  const n = checkInteger(WHERE, 'numChains', options.numChains);
  const numSteps = checkInteger(WHERE, 'numSteps', options.numSteps);
  const numWarmup = checkInteger(WHERE, 'numWarmup', options.numWarmup ?? 0, 0);
  const swapFrequency = checkInteger(WHERE, 'swapFrequency', options.swapFrequency ?? 8);
  const h0 = checkNumber(WHERE, 'stepSize', options.stepSize ?? 1e-4, 'positive');
  const chunkSize = checkInteger(WHERE, 'chunkSize', options.chunkSize ?? 50);
  const rule = options.adaptation ?? LRDS_RULE;
  if (rule !== false && (rule == null || typeof rule !== 'object')) {
    invalidOption(WHERE, 'adaptation', rule, 'a MultiplicativeRule { targetAcceptance, factor, tolerance, maxStepSize } or false');
  }
  const d = target.dim;
  const rows = numLevels * n;
  const [kInit, kRun] = split(key, 2);

  let start: tf.Tensor2D;
  if (options.initialPositions !== undefined) {
    checkPositions(WHERE, options.initialPositions, d, 'initialPositions');
    if (options.initialPositions.shape[0] !== rows) {
      invalid(WHERE, 'initialPositions', options.initialPositions, `shape [${rows}, ${d}] (${numLevels} levels × ${n} chains, level-major)`);
    }
    start = tf.clone(options.initialPositions);
  } else {
    if (typeof reference.sample !== 'function') {
      invalidOption(WHERE, 'initialPositions', undefined, 'start positions [K·n, d], since the reference has no sample()');
    }
    start = reference.sample(kInit, rows);
  }

  const betaRows = tf.tidy(() => tf.reshape(tf.tile(tf.tensor2d(Float32Array.from(betas), [numLevels, 1]), [1, n]), [rows]) as tf.Tensor1D);
  const path = temperedRowsTarget(reference, target, betaRows);
  let carry: Carry;
  try {
    const { logDensity, grad } = tf.tidy(() => path.logDensityAndGrad!(start));
    carry = { state: await checkInitialState(WHERE, { position: start, logDensity, grad }), stepSize: tf.fill([rows], h0) as tf.Tensor1D };
  } catch (err) {
    start.dispose();
    betaRows.dispose();
    throw err;
  }

  const total = numWarmup + numSteps;
  const drawsData = new Float32Array(numSteps * n * d);
  const mcmcSum = new Float64Array(numLevels);
  const swapSum = new Float64Array(numLevels - 1);
  const swapRounds = new Float64Array(numLevels - 1);
  let swapRound = 0;

  /** One swap round of `parity` on the state: gather the rows, re-blend at each row's β. */
  const swap = (k: Key, state: MalaState, parity: 0 | 1) => {
    const parts = pathParts(reference, target, state.position);
    const s = neighbourSwap(k, logRatioOf(parts), betas, n, parity);
    const moved = {
      referenceLogDensity: tf.gather(parts.referenceLogDensity, s.source) as tf.Tensor1D,
      referenceGrad: tf.gather(parts.referenceGrad, s.source) as tf.Tensor2D,
      targetLogDensity: tf.gather(parts.targetLogDensity, s.source) as tf.Tensor1D,
      targetGrad: tf.gather(parts.targetGrad, s.source) as tf.Tensor2D,
    };
    const { logDensity, grad } = blendParts(moved, betaRows);
    return { state: { position: tf.gather(state.position, s.source) as tf.Tensor2D, logDensity, grad }, pairAcceptance: tf.mean(s.acceptanceRate, 1) };
  };

  try {
    for (let begin = 0; begin < total; begin += chunkSize) {
      throwIfAborted(signal, WHERE, ` at step ${begin} of ${total}`);
      const end = Math.min(begin + chunkSize, total);
      const kept: tf.Tensor[] = [];
      const levelAcceptance: tf.Tensor[] = [];
      const pairAcceptance: { parity: 0 | 1; value: tf.Tensor }[] = [];
      try {
        for (let i = begin; i < end; i++) {
          carry = advance(carry as unknown as tf.TensorContainer, (c) => {
            const { state, stepSize } = c as unknown as Carry;
            const [kMove, kSwap] = split(foldIn(kRun, i), 2);
            const moved = malaStep(kMove, path, state, stepSize);
            levelAcceptance.push(tf.keep(tf.mean(tf.reshape(moved.info.acceptanceRate, [numLevels, n]), 1)));
            const nextStep = i < numWarmup && rule !== false ? adaptStepSizePerChainLog(stepSize, moved.info.logAcceptance, rule) : stepSize;
            let next = moved.state;
            if ((i + 1) % swapFrequency === 0) {
              const parity = (swapRound++ % 2) as 0 | 1;
              if (swapPairs(numLevels, parity).length > 0) {
                const swapped = swap(kSwap, next, parity);
                next = swapped.state;
                pairAcceptance.push({ parity, value: tf.keep(swapped.pairAcceptance) });
              }
            }
            if (i >= numWarmup) kept.push(tf.keep(tf.slice(next.position, [(numLevels - 1) * n, 0], [n, d])));
            return { state: next, stepSize: nextStep } as unknown as tf.TensorContainer;
          }) as unknown as Carry;
        }
        // One read-back per chunk: kept draws, per-level MALA acceptance, per-pair swap acceptance.
        const values = await readAll([...kept, ...levelAcceptance, ...pairAcceptance.map((p) => p.value)]);
        const firstKept = Math.max(begin, numWarmup) - numWarmup;
        kept.forEach((_, j) => drawsData.set(values[j], (firstKept + j) * n * d));
        levelAcceptance.forEach((_, j) => values[kept.length + j].forEach((a, k) => (mcmcSum[k] += a)));
        pairAcceptance.forEach(({ parity }, j) => {
          const v = values[kept.length + levelAcceptance.length + j];
          swapPairs(numLevels, parity).forEach((k, p) => {
            swapSum[k] += v[p];
            swapRounds[k] += 1;
          });
        });
      } finally {
        tf.dispose([...kept, ...levelAcceptance, ...pairAcceptance.map((p) => p.value)]);
      }
      if (onProgress) {
        const rounds = swapRounds.reduce((a, b) => a + b, 0);
        onProgress({
          step: end,
          numSteps: total,
          mcmcAcceptance: mcmcSum.reduce((a, b) => a + b, 0) / (numLevels * end),
          swapAcceptance: rounds > 0 ? swapSum.reduce((a, b) => a + b, 0) / rounds : NaN,
        });
      }
      await yieldToEventLoop();
    }
    const levelStepSizes = tf.tidy(() => tf.mean(tf.reshape(carry.stepSize, [numLevels, n]), 1));
    const stepSizes = Float64Array.from(await levelStepSizes.data());
    levelStepSizes.dispose();
    return {
      draws: tf.tensor2d(drawsData, [numSteps * n, d]),
      finalPositions: tf.clone(carry.state.position),
      betas,
      swapAcceptance: swapSum.map((s, k) => s / swapRounds[k]),
      swapRounds,
      mcmcAcceptance: mcmcSum.map((s) => s / total),
      stepSizes,
      steps: total,
    };
  } finally {
    tf.dispose([carry.state.position, carry.state.logDensity, carry.state.grad, carry.stepSize, betaRows]);
  }
}
