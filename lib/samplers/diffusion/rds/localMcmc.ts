/**
 * Local MCMC around known modes: the data from which LRDS fits its reference (spec slips-lrds-amcbg.md section 2.3,
 * step 1; the reference's `benchmark_utils.mcmc_sample`):
 *   - `chainsPerMode` chains (default 4) start at each mode location, so every mode gets the same number of chains
 *     and the data have about EQUAL mode weights whatever the target's weights are (the reference fitted to them
 *     does not know the weights; the RDS has to correct them);
 *   - MALA with one step size per chain, initial 1e-3, adapted after EVERY step by the LRDS rule
 *     (stepSizeAdaptation.ts `adaptStepSizePerChainLog`: x/÷ 1.01 on the unclipped log-acceptance towards 0.75, a 5 %
 *     band), as the reference does; `adaptAfterWarmup: false` freezes the step sizes after warm-up instead;
 *   - `numWarmup` steps (default 512) are dropped, then every chain's position after each of `numSteps` steps is kept.
 * The result is step-major ([numSteps * numChains, d], chain c of step s at row s * numChains + c), not shuffled: the
 * GMM fit by EM does not depend on the order. Nothing is read back inside a chunk; the kept draws, one read per chunk.
 */
import * as tf from '@tensorflow/tfjs';
import { throwIfAborted } from '../../../core/abort.js';
import { advance } from '../../../core/memory.js';
import { yieldToEventLoop } from '../../../core/progress.js';
import { foldIn, type Key } from '../../../core/random.js';
import { readAll } from '../../../core/readback.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions, invalidOption } from '../../../core/validate.js';
import { checkTarget, logDensityAndGrad, type Target } from '../../../targets/target.js';
import { malaStep, type LangevinState } from '../../mcmc/langevin.js';
import { checkInitialState } from '../../mcmc/metropolis.js';
import { adaptStepSizePerChainLog, LRDS_RULE } from '../../mcmc/stepSizeAdaptation.js';

export interface LocalMcmcOptions {
  /** The known mode locations, one array of length d each. */
  modes: readonly (readonly number[])[];
  /** Chains started at each mode; default 4. */
  chainsPerMode?: number;
  /** Steps dropped first; default 512. */
  numWarmup?: number;
  /** Steps kept after warm-up (every chain's position after each). */
  numSteps: number;
  /** Initial per-chain MALA step size; default 1e-3. */
  stepSize?: number;
  /** Keep adapting after warm-up (the reference does); default true. */
  adaptAfterWarmup?: boolean;
  /** Steps between read-backs, progress and abort checks; default 100. */
  chunkSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: { step: number; numSteps: number; acceptance: number }) => void;
}

export interface LocalMcmcResult {
  /** The kept positions, [numSteps * numChains, d], step-major; the caller owns it. */
  samples: tf.Tensor2D;
  /** Mode index of each chain (chain c started at modes[modeOfChain[c]]). */
  modeOfChain: Int32Array;
  /** Mean MALA acceptance over chains and all steps. */
  acceptance: number;
  /** Per-chain step sizes at the end. */
  stepSizes: Float64Array;
}

interface Carry {
  state: LangevinState;
  stepSize: tf.Tensor1D;
}

/** Run the local MALA chains; see the file header. */
export async function localMcmc(key: Key, target: Target, options: LocalMcmcOptions): Promise<LocalMcmcResult> {
  const fn = 'localMcmc';
  checkTarget(fn, target);
  const opts = checkOptions<LocalMcmcOptions>(fn, options, [
    'modes', 'chainsPerMode', 'numWarmup', 'numSteps', 'stepSize', 'adaptAfterWarmup', 'chunkSize', 'signal', 'onProgress',
  ]);
  const d = target.dim;
  const modes = opts.modes;
  if (!Array.isArray(modes) || modes.length === 0 || modes.some((m) => !Array.isArray(m) || m.length !== d || m.some((v) => !Number.isFinite(v)))) {
    invalidOption(fn, 'modes', modes, `a non-empty array of mode locations, each ${d} finite numbers`);
  }
  const perMode = checkInteger(fn, 'chainsPerMode', opts.chainsPerMode ?? 4);
  const numWarmup = checkInteger(fn, 'numWarmup', opts.numWarmup ?? 512, 0);
  const numSteps = checkInteger(fn, 'numSteps', opts.numSteps);
  const h0 = checkNumber(fn, 'stepSize', opts.stepSize ?? 1e-3, 'positive');
  const adaptAfterWarmup = checkBoolean(fn, 'adaptAfterWarmup', opts.adaptAfterWarmup ?? true);
  const chunkSize = checkInteger(fn, 'chunkSize', opts.chunkSize ?? 100);
  const n = modes.length * perMode;
  const modeOfChain = Int32Array.from({ length: n }, (_, c) => Math.floor(c / perMode));
  const start = tf.tensor2d(Array.from(modeOfChain, (m) => modes[m] as number[]), [n, d], 'float32');
  let carry: Carry;
  try {
    const { logDensity, grad } = tf.tidy(() => logDensityAndGrad(target, start));
    carry = { state: await checkInitialState(fn, { position: start, logDensity, grad }), stepSize: tf.fill([n], h0) as tf.Tensor1D };
  } catch (err) {
    start.dispose();
    throw err;
  }
  const total = numWarmup + numSteps;
  const data = new Float32Array(numSteps * n * d);
  let acceptanceSum = 0;
  try {
    for (let begin = 0; begin < total; begin += chunkSize) {
      throwIfAborted(opts.signal, fn, ` at step ${begin} of ${total}`);
      const end = Math.min(begin + chunkSize, total);
      const kept: tf.Tensor[] = [];
      const accepted: tf.Tensor[] = [];
      try {
        for (let i = begin; i < end; i++) {
          carry = advance(carry as unknown as tf.TensorContainer, (c) => {
            const { state, stepSize } = c as unknown as Carry;
            const moved = malaStep(foldIn(key, i), target, state, stepSize);
            accepted.push(tf.keep(tf.mean(moved.info.acceptanceRate)));
            const adapt = i < numWarmup || adaptAfterWarmup;
            if (i >= numWarmup) kept.push(tf.keep(tf.clone(moved.state.position)));
            return { state: moved.state, stepSize: adapt ? adaptStepSizePerChainLog(stepSize, moved.info.logAcceptance, LRDS_RULE) : stepSize } as unknown as tf.TensorContainer;
          }) as unknown as Carry;
        }
        const values = await readAll([...kept, ...accepted]);
        const firstKept = Math.max(begin, numWarmup) - numWarmup;
        kept.forEach((_, j) => data.set(values[j], (firstKept + j) * n * d));
        accepted.forEach((_, j) => (acceptanceSum += values[kept.length + j][0]));
      } finally {
        tf.dispose([...kept, ...accepted]);
      }
      opts.onProgress?.({ step: end, numSteps: total, acceptance: acceptanceSum / end });
      await yieldToEventLoop();
    }
    const stepSizes = Float64Array.from(await carry.stepSize.data());
    return { samples: tf.tensor2d(data, [numSteps * n, d]), modeOfChain, acceptance: acceptanceSum / total, stepSizes };
  } finally {
    tf.dispose([carry.state.position, carry.state.logDensity, carry.state.grad, carry.stepSize]);
  }
}
