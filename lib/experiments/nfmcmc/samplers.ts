/**
 * The sampler families the NF-MCMC paper compares (spec papers/nfmcmc-nfebm-multimodal-eval.md sections 1.3 and 1.8),
 * each built from the library and run under one budget so that the figures compare like with like:
 *
 *   IMH          independent Metropolis-Hastings with the flow as proposal   (lib/samplers/transport/flowProposals)
 *   i-SIR        iterated sampling-importance-resampling, N candidates       (idem)
 *   IS           neural importance sampling, N proposals, resampled          (lib/samplers/transport/neuralImportanceSampling)
 *   MALA         MALA in data space (the flow only gives the initial points)
 *   NeuTra-MALA  MALA on the pulled-back target pi_T(z) = pi(T z) |det J_T(z)| (lib/samplers/transport/neutra)
 *   FlEx2        one i-SIR step then L MALA steps per cycle                  (lib/samplers/transport/globalLocal)
 *
 * Budget: B chains, a warm-up of W steps (discarded), then S recorded steps per chain. As in the reference, every
 * move of FlEx2 is recorded (a cycle of 1 + L moves gives 1 + L draws; S draws are kept). IS gets N proposals and
 * is resampled (multinomial) to B x S equally weighted draws, one pseudo-chain.
 *
 * Step sizes (spec section 1.9, pitfall 4): MALA's shared step size starts at h0 and follows flow_mcmc's rule
 * (target acceptance 0.75, factor 1.05) during the warm-up ONLY; the sampling phase keeps it fixed, so the recorded
 * chains are Markov. FlEx2 warms up as the reference's GlobalLocal does, with its local sampler alone: it starts
 * the recorded cycles from the state and step size of a MALA warm-up.
 */
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../core/memory.js';
import { readScalar } from '../../core/readback.js';
import { foldIn, split, type Key } from '../../core/random.js';
import type { Flow } from '../../models/flow.js';
import type { FlowBase } from '../../models/flowTarget.js';
import { imh } from '../../samplers/mcmc/imh.js';
import { isir } from '../../samplers/mcmc/isir.js';
import type { ChainState, Kernel } from '../../samplers/mcmc/kernel.js';
import { mala, type MalaParams } from '../../samplers/mcmc/mala.js';
import { adaptSharedStepSize } from '../../samplers/mcmc/stepSizeAdaptation.js';
import { RunAbortedError, runChain, type RunChainOptions, type RunChainResult } from '../../samplers/runChain.js';
import { flowProposal } from '../../samplers/transport/flowProposals.js';
import { flex2mcmc, type GlobalLocalState } from '../../samplers/transport/globalLocal.js';
import { neuralImportanceSampling } from '../../samplers/transport/neuralImportanceSampling.js';
import { neutra, type NeutraState } from '../../samplers/transport/neutra.js';
import { throwIfAborted } from '../progress.js';
import type { Target } from '../../targets/target.js';

export const SAMPLERS = ['IMH', 'i-SIR', 'IS', 'MALA', 'NeuTra-MALA', 'FlEx2'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** The samplers that draw proposals from the flow (the paper's "flow-MCMC" and neural IS). */
export const FLOW_PROPOSAL_SAMPLERS: readonly SamplerName[] = ['IMH', 'i-SIR', 'IS', 'FlEx2'];

export interface SamplerSettings {
  numChains: number;
  numSteps: number;
  numWarmup: number;
  isirParticles: number;
  flex2Particles: number;
  flex2LocalSteps: number;
  isSamples: number;
  initialStepSize: number;
}

/** A target and the (approximate) transport map T: latent -> data, with its base (default N(0, I)). */
export interface TransportProblem {
  target: Target;
  flow: Flow;
  base?: FlowBase;
}

/** Recorded draws, step-major: data[(draw * numChains + chain) * dim + j]. */
export interface Draws {
  data: Float32Array;
  numDraws: number;
  numChains: number;
  dim: number;
}

export interface SamplerRun {
  sampler: SamplerName;
  draws: Draws;
  /** Mean acceptance over chains and recorded steps (IS: the ESS fraction ESS / N). */
  acceptanceRate: number;
  /** MALA step size after the warm-up (NeuTra-MALA: in latent space; FlEx2: its local MALA), else null. */
  stepSize: number | null;
  seconds: number;
}

export interface RunSamplerOptions {
  signal?: AbortSignal;
  /**
   * Start the recorded steps from `start` again after the warm-up (only the tuned step size is kept), so that
   * trajectories begin where the caller put them (the 2-D illustration). Default false.
   */
  restartAfterWarmup?: boolean;
}

/** runChain that frees the partial state of an aborted run before passing the abort on. */
async function run<S extends ChainState, P>(
  key: Key,
  kernel: Kernel<S, P>,
  start: S | tf.Tensor2D,
  options: RunChainOptions<S, P>,
): Promise<RunChainResult<S>> {
  try {
    return await runChain(key, kernel, start, options);
  } catch (err) {
    if (err instanceof RunAbortedError) tf.dispose(Object.values(err.result.state as ChainState));
    throw err;
  }
}

function disposeState(state: ChainState): void {
  tf.dispose(Object.values(state));
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length > 0 ? s / values.length : NaN;
}

/**
 * W warm-up steps of a MALA-type kernel with flow_mcmc's shared step-size rule, driven by the fraction of chains
 * that accepted the previous step. Returns the final state (the caller owns it) and step size.
 */
async function warmUpStepSize<S extends ChainState>(
  key: Key,
  kernel: Kernel<S, MalaParams>,
  start: tf.Tensor2D,
  numWarmup: number,
  initialStepSize: number,
  signal: AbortSignal | undefined,
): Promise<{ state: S; stepSize: number }> {
  let stepSize = initialStepSize;
  let state = await kernel.init(start);
  const last: { fraction: tf.Tensor | null } = { fraction: null }; // the previous step's acceptance fraction
  try {
    for (let i = 0; i < numWarmup; i++) {
      throwIfAborted(signal, 'nfmcmc');
      // The rule needs the previous step's acceptance fraction on the host: one scalar read per warm-up step
      // (warm-up only; the sampling steps after it read once per chunk). Step keys as runChain's: foldIn(key, i).
      if (last.fraction !== null) {
        stepSize = adaptSharedStepSize(stepSize, await readScalar(last.fraction));
        last.fraction.dispose();
        last.fraction = null;
      }
      state = advance(state, (s) => {
        const out = kernel.step(foldIn(key, i), s, { stepSize });
        last.fraction = tf.keep(tf.mean(out.info.isAccepted));
        return out.state;
      });
    }
  } catch (err) {
    disposeState(state);
    throw err;
  } finally {
    last.fraction?.dispose();
  }
  return { state, stepSize };
}

/** A runChain trace [numKept, numChains, d] as Draws. */
function drawsFromTrace(result: RunChainResult<ChainState>, numChains: number, dim: number): Draws {
  return { data: result.samples.data, numDraws: result.samples.shape[0], numChains, dim };
}

/** A FlEx2 trace [cycles, numChains, K, d] (every sub-step) as the first `numDraws` moves, step-major. */
function drawsFromCycles(result: RunChainResult<ChainState>, numChains: number, dim: number, numDraws: number): Draws {
  const [cycles, , substeps] = result.samples.shape;
  const src = result.samples.data;
  const out = new Float32Array(numDraws * numChains * dim);
  for (let draw = 0; draw < numDraws; draw++) {
    const cycle = Math.floor(draw / substeps);
    const k = draw % substeps;
    if (cycle >= cycles) throw new Error(`runSampler: FlEx2 recorded ${cycles * substeps} moves, fewer than the ${numDraws} asked for`);
    for (let c = 0; c < numChains; c++) {
      const from = ((cycle * numChains + c) * substeps + k) * dim;
      out.set(src.subarray(from, from + dim), (draw * numChains + c) * dim);
    }
  }
  return { data: out, numDraws, numChains, dim };
}

/**
 * Run one sampler family on `problem` from the data-space positions `start` [numChains, d] (not disposed), under
 * the budget of `settings` (see the file header). Everything random comes from `key`.
 */
export async function runSampler(
  sampler: SamplerName,
  key: Key,
  problem: TransportProblem,
  start: tf.Tensor2D,
  settings: SamplerSettings,
  options: RunSamplerOptions = {},
): Promise<SamplerRun> {
  const { target, flow, base } = problem;
  const { numChains, numSteps, numWarmup, initialStepSize } = settings;
  const dim = target.dim;
  const signal = options.signal;
  const restart = options.restartAfterWarmup === true;
  if (start.shape[0] !== numChains || start.shape[1] !== dim) {
    throw new Error(`runSampler: option "start" has shape [${start.shape.join(', ')}], expected [${numChains}, ${dim}] (numChains x dim)`);
  }
  const [kWarm, kRun] = split(key, 2);
  const began = performance.now();
  const done = (draws: Draws, acceptanceRate: number, stepSize: number | null): SamplerRun => ({
    sampler,
    draws,
    acceptanceRate,
    stepSize,
    seconds: (performance.now() - began) / 1000,
  });

  switch (sampler) {
    case 'IMH':
    case 'i-SIR': {
      const proposal = flowProposal(flow, base);
      try {
        const kernel = sampler === 'IMH' ? imh(target, proposal) : isir(target, proposal);
        const params = (sampler === 'IMH' ? {} : { numParticles: settings.isirParticles }) as never;
        let from: ChainState | tf.Tensor2D = start;
        if (!restart && numWarmup > 0) {
          from = (await run(kWarm, kernel as Kernel<ChainState, never>, start, { numSteps: numWarmup, params, thin: numWarmup, signal })).state;
        }
        try {
          const result = await run(kRun, kernel as Kernel<ChainState, never>, from, { numSteps, params, signal });
          disposeState(result.state);
          return done(drawsFromTrace(result, numChains, dim), mean(result.infos.acceptanceRate), null);
        } finally {
          if (!(from instanceof tf.Tensor)) disposeState(from);
        }
      } finally {
        proposal.dispose();
      }
    }
    case 'IS': {
      const proposal = flowProposal(flow, base);
      const numDraws = numChains * numSteps;
      const result = await neuralImportanceSampling(kRun, target, proposal, { numSamples: settings.isSamples, numResampled: numDraws });
      try {
        const data = (await result.resampled!.data()) as Float32Array;
        return done({ data, numDraws, numChains: 1, dim }, result.ess / settings.isSamples, null);
      } finally {
        result.dispose();
        proposal.dispose();
      }
    }
    case 'MALA':
    case 'NeuTra-MALA': {
      const kernel =
        sampler === 'MALA'
          ? (mala(target) as unknown as Kernel<ChainState, MalaParams>)
          : (neutra((latent) => mala(latent), flow, target) as unknown as Kernel<ChainState, MalaParams>);
      const transform = sampler === 'MALA' ? undefined : (s: ChainState) => (s as NeutraState).dataPosition;
      const warm = await warmUpStepSize(kWarm, kernel, start, numWarmup, initialStepSize, signal);
      let from: ChainState | tf.Tensor2D = warm.state;
      if (restart) {
        disposeState(warm.state);
        from = start;
      }
      try {
        const result = await run(kRun, kernel, from, { numSteps, params: { stepSize: warm.stepSize }, transform, signal });
        disposeState(result.state);
        return done(drawsFromTrace(result, numChains, dim), mean(result.infos.acceptanceRate), warm.stepSize);
      } finally {
        if (!(from instanceof tf.Tensor)) disposeState(from);
      }
    }
    case 'FlEx2': {
      const local = mala(target) as unknown as Kernel<ChainState, MalaParams>;
      const warm = await warmUpStepSize(kWarm, local, start, numWarmup, initialStepSize, signal);
      let from: ChainState | tf.Tensor2D = warm.state;
      if (restart) {
        disposeState(warm.state);
        from = start;
      }
      const proposal = flowProposal(flow, base);
      try {
        const kernel = flex2mcmc(target, proposal, { numLocalSteps: settings.flex2LocalSteps, recordSubsteps: true });
        const movesPerCycle = 1 + settings.flex2LocalSteps;
        const result = await run(kRun, kernel as unknown as Kernel<ChainState, never>, from, {
          numSteps: Math.ceil(numSteps / movesPerCycle),
          params: { global: { numParticles: settings.flex2Particles }, local: { stepSize: warm.stepSize } } as never,
          transform: (s) => (s as GlobalLocalState).substeps as tf.Tensor3D,
          signal,
        });
        disposeState(result.state);
        return done(drawsFromCycles(result, numChains, dim, numSteps), mean(result.infos.acceptanceRate), warm.stepSize);
      } finally {
        proposal.dispose();
        if (!(from instanceof tf.Tensor)) disposeState(from);
      }
    }
    default:
      throw new Error(`runSampler: option "sampler" = ${JSON.stringify(sampler)}, expected one of ${SAMPLERS.map((s) => JSON.stringify(s)).join(', ')}`);
  }
}

/** The draws of chain c, [numDraws, dim] row-major. */
export function chainDraws(draws: Draws, chain: number): Float32Array {
  const { numDraws, numChains, dim, data } = draws;
  const out = new Float32Array(numDraws * dim);
  for (let t = 0; t < numDraws; t++) out.set(data.subarray((t * numChains + chain) * dim, (t * numChains + chain + 1) * dim), t * dim);
  return out;
}

/** All draws as a [numDraws * numChains, dim] tensor (the caller disposes it), non-finite rows dropped. */
export function drawsTensor(draws: Draws): { x: tf.Tensor2D; numNonFinite: number } {
  const { data, dim } = draws;
  const rows = data.length / dim;
  const keep: number[] = [];
  for (let r = 0; r < rows; r++) {
    let ok = true;
    for (let j = 0; j < dim && ok; j++) ok = Number.isFinite(data[r * dim + j]);
    if (ok) keep.push(r);
  }
  if (keep.length === rows) return { x: tf.tensor2d(data, [rows, dim]), numNonFinite: 0 };
  const out = new Float32Array(keep.length * dim);
  keep.forEach((r, i) => out.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
  return { x: tf.tensor2d(out, [keep.length, dim]), numNonFinite: rows - keep.length };
}
