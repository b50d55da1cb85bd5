/**
 * The run driver (DESIGN.md section 3): `runChain(key, kernel, initialState, options)` runs any `Kernel` for
 * `numSteps` steps, asynchronously and in chunks, so that progress callbacks, a terminal progress bar, an
 * `AbortSignal` and checkpoints happen between chunks while the steps themselves stay free of read-backs.
 *
 * - Step `i` (0-based, counted from the start of the original run) uses the key `foldIn(key, i)`, so a
 *   resumed run needs no key history and a run of 2N steps equals N steps + checkpoint + resume, bit for bit.
 * - Each step goes through `advance` (lib/core/memory.ts): the tensor count is the same at every chunk boundary.
 * - Kept values (`transform(state)` after every `thin`-th step) are read back once per chunk into one
 *   Float32Array; `samples` is the one trace format of lib/core/trace.ts, `{ shape: [numKept, numChains, d],
 *   data }` for positions (`[numKept, ...transformShape]` with a transform), which the diagnostics and metrics
 *   read as they are (cuts: `afterWarmup`, `thinTrace`, `flattenDraws`, `chainsOf`).
 * - Abort: the run stops at the next chunk boundary and THROWS a `RunAbortedError` (`name === 'AbortError'`)
 *   whose `result` holds the partial result (state, samples so far, `aborted: true`); the caller owns and must
 *   dispose `result.state`. A checkpoint, when configured, is written before throwing.
 * - Checkpoints (`checkpoint: { path, everySteps }`) are one JSON file, written atomically (temporary file,
 *   then rename), holding the state tensors (name, dtype, shape, base64 bytes), the last step's info tensors,
 *   the params function's `adaptation` field (any JSON-serialisable value), the key, the step, the kept samples
 *   and the per-step acceptance so far. `resumeChain(path, kernel, options)` continues from it.
 */
import * as tf from '@tensorflow/tfjs';
import { AbortError } from '../core/abort.js';
import { foldIn, type Key } from '../core/random.js';
import { advance, disposeReplaced } from '../core/memory.js';
import { checkInteger, invalidOption, showValue } from '../core/validate.js';
import { formatProgressLine, writeStderr, yieldToEventLoop } from '../core/progress.js';
import {
  bytesToBase64,
  decodeFloat32,
  decodeFloat64,
  decodeTensor,
  encodeTensor,
  readJsonCheckpoint,
  writeJsonAtomic,
  type EncodedTensor,
} from '../core/checkpointFile.js';
import { checkPositions, checkTarget } from '../targets/target.js';
import type { ChainState, Kernel, StepInfo } from './mcmc/kernel.js';
import type { Trace } from '../core/trace.js';

// ---------------------------------------------------------------------------------------------------
// Types

/**
 * Step-dependent params: called before every step with the global step index, the current state and the
 * previous step's info (undefined before the very first step of a run). The tensors passed in belong to the
 * driver and are valid during the call only; tensors created inside the call are freed after the step.
 * A JSON-serialisable `adaptation` field, when present, is saved in checkpoints and assigned back on resume.
 */
export type ParamsSchedule<S extends ChainState, P> = ((step: number, state: S, lastInfo: StepInfo | undefined) => P) & {
  adaptation?: unknown;
};

export type { Trace } from '../core/trace.js';

export interface ProgressReport {
  /** Steps done so far, counted from the start of the original run. */
  step: number;
  numSteps: number;
  /** Mean acceptance rate over chains and over the steps of the chunk just finished. */
  acceptanceRate: number;
  /**
   * Proposals rejected as invalid so far in the run, over all chains and steps (`info.isInvalid`: a NaN or
   * +Infinity log-density, a NaN log-acceptance). Rejected silently by design, so counted here.
   */
  numInvalid: number;
  /** Milliseconds since this call (runChain or resumeChain) started. */
  elapsedMs: number;
}

export interface ChunkSummary {
  startStep: number;
  endStep: number;
  acceptanceRate: number;
  /** Proposals rejected as invalid in this chunk (0 for kernels whose info has no `isInvalid`). */
  numInvalid: number;
}

export interface RunInfos {
  /** Mean acceptance rate over chains, one value per step done (float64 copy of the float32 means). */
  acceptanceRate: Float64Array;
  /** Proposals rejected as invalid over the run, all chains (the sum of the chunks' `numInvalid`). */
  numInvalid: number;
  /** One entry per chunk run (chunk boundaries depend on chunkSize and checkpoints; the per-step values do not). */
  chunks: ChunkSummary[];
}

export interface CheckpointOptions {
  /** File to write (its folder is created if needed). */
  path: string;
  /** Write after every multiple of this many steps, at the end of the run and on abort. */
  everySteps: number;
}

export interface RunChainOptions<S extends ChainState, P> {
  /** Total number of steps. For `resumeChain`, still the total counted from the original start. */
  numSteps: number;
  /** Kernel params, or a function of (step, state, lastInfo) returning them (adaptation). */
  params: P | ParamsSchedule<S, P>;
  /** What to keep after each kept step (default: the position). Must give the same shape at every step. */
  transform?: (state: S) => tf.Tensor;
  /** Keep the value after step i (0-based) when (i + 1) % thin === 0. Default 1. */
  thin?: number;
  /** Steps between yields to the event loop (progress, abort, checkpoint). Default 50. */
  chunkSize?: number;
  onProgress?: (report: ProgressReport) => void;
  signal?: AbortSignal;
  /** Print a one-line progress bar (rate, ETA) to stderr. Default false. */
  progressBar?: boolean;
  checkpoint?: CheckpointOptions;
}

export interface RunChainResult<S extends ChainState> {
  /** Final state; the caller owns it (dispose it when done). */
  state: S;
  samples: Trace;
  infos: RunInfos;
  stepsDone: number;
  /** True only on the `result` of a RunAbortedError. */
  aborted: boolean;
}

/** Thrown when the signal aborts a run; `result` holds what was done (the caller owns `result.state`). */
export class RunAbortedError<S extends ChainState = ChainState> extends AbortError {
  readonly result: RunChainResult<S>;
  constructor(result: RunChainResult<S>) {
    super(`runChain: aborted after ${result.stepsDone} steps (partial result in error.result)`);
    this.result = result;
  }
}

// ---------------------------------------------------------------------------------------------------
// Validation

interface CheckedOptions<S extends ChainState, P> {
  numSteps: number;
  params: P | ParamsSchedule<S, P>;
  transform: (state: S) => tf.Tensor;
  thin: number;
  chunkSize: number;
  onProgress?: (report: ProgressReport) => void;
  signal?: AbortSignal;
  progressBar: boolean;
  checkpoint?: CheckpointOptions;
}

function checkOptions<S extends ChainState, P>(where: string, options: RunChainOptions<S, P>): CheckedOptions<S, P> {
  if (options == null || typeof options !== 'object') invalidOption(where, 'options', options, 'an options object');
  const numSteps = checkInteger(where, 'numSteps', options.numSteps, 0);
  if (options.params === undefined) {
    invalidOption(where, 'params', undefined, 'kernel params (e.g. { stepSize: 0.1 }) or a function (step, state, lastInfo) -> params');
  }
  const thin = checkInteger(where, 'thin', options.thin ?? 1, 1);
  const chunkSize = checkInteger(where, 'chunkSize', options.chunkSize ?? 50, 1);
  if (options.transform !== undefined && typeof options.transform !== 'function') {
    invalidOption(where, 'transform', options.transform, 'a function (state) -> tf.Tensor');
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    invalidOption(where, 'onProgress', options.onProgress, 'a function (report) -> void');
  }
  if (options.signal !== undefined && (options.signal == null || typeof options.signal.aborted !== 'boolean')) {
    invalidOption(where, 'signal', options.signal, 'an AbortSignal');
  }
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined) {
    if (checkpoint == null || typeof checkpoint.path !== 'string' || checkpoint.path.length === 0) {
      invalidOption(where, 'checkpoint.path', checkpoint?.path, 'a non-empty file path');
    }
    checkInteger(where, 'checkpoint.everySteps', checkpoint.everySteps, 1);
  }
  return {
    numSteps,
    params: options.params,
    transform: options.transform ?? ((s: S) => s.position),
    thin,
    chunkSize,
    onProgress: options.onProgress,
    signal: options.signal,
    progressBar: options.progressBar === true,
    checkpoint,
  };
}

function checkKernel(where: string, kernel: unknown): void {
  const k = kernel as Kernel | null;
  if (k == null || typeof k.init !== 'function' || typeof k.step !== 'function' || k.target == null) {
    invalidOption(where, 'kernel', kernel, 'a Kernel { name, target, init(position), step(key, state, params) }');
  }
  checkTarget(where, k!.target, 'kernel.target');
}

// ---------------------------------------------------------------------------------------------------
// Shared helpers

/** Re-exported from lib/core/progress.ts (SMC and older callers import it from here). */
export { yieldToEventLoop };

/** A copy of a state object whose tensors are new handles on the same data (cheap; the original stays the caller's). */
function cloneTensors<T extends object>(container: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(container)) out[name] = value instanceof tf.Tensor ? tf.clone(value) : value;
  return out as T;
}

/**
 * One line: `[#####-----]  50% 500/1000  123.4 it/s  ETA 00:04  acc 0.57`, and `invalid 12` when proposals were
 * rejected as invalid (no newline).
 */
export function formatProgressBar(step: number, numSteps: number, stepsPerSecond: number, acceptanceRate: number, width = 30, numInvalid = 0): string {
  const invalid = numInvalid > 0 ? `  invalid ${numInvalid}` : '';
  return formatProgressLine(step, numSteps, stepsPerSecond, `acc ${acceptanceRate.toFixed(3)}${invalid}`, width);
}

/** Proposals rejected as invalid over a run's chunks (a checkpoint from before the count has none: 0). */
function totalInvalid(chunks: readonly ChunkSummary[]): number {
  return chunks.reduce((sum, c) => sum + (c.numInvalid ?? 0), 0);
}

// ---------------------------------------------------------------------------------------------------
// The loop

/** Everything a run carries between chunks (what a checkpoint saves). */
interface RunContext<S extends ChainState> {
  key: Key;
  kernelName: string;
  state: S;
  lastInfo: StepInfo | undefined;
  stepsDone: number;
  /** Kept values so far: shape of one kept value, and the values (length numKept * size). */
  sampleShape: number[] | undefined;
  samples: Float32Array;
  numKept: number;
  acceptanceRate: Float64Array;
  chunks: ChunkSummary[];
}

type Carry<S extends ChainState> = { state: S; info: StepInfo | undefined };

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function buildResult<S extends ChainState>(ctx: RunContext<S>, aborted: boolean): RunChainResult<S> {
  const shape = ctx.sampleShape ?? [];
  return {
    state: ctx.state,
    samples: {
      shape: [ctx.numKept, ...shape],
      data: ctx.samples.slice(0, ctx.numKept * sizeOf(shape)),
    },
    infos: { acceptanceRate: ctx.acceptanceRate.slice(0, ctx.stepsDone), numInvalid: totalInvalid(ctx.chunks), chunks: ctx.chunks.slice() },
    stepsDone: ctx.stepsDone,
    aborted,
  };
}

/** Room for `extra` more floats in the sample buffer (grows geometrically; resumed runs start from the file's size). */
function reserve(ctx: RunContext<ChainState>, needed: number): void {
  if (ctx.samples.length >= needed) return;
  const grown = new Float32Array(Math.max(needed, 2 * ctx.samples.length));
  grown.set(ctx.samples);
  ctx.samples = grown;
}

async function runLoop<S extends ChainState, P>(
  where: string,
  kernel: Kernel<S, P>,
  ctx: RunContext<S>,
  opts: CheckedOptions<S, P>,
): Promise<RunChainResult<S>> {
  const started = performance.now();
  const startStep = ctx.stepsDone;
  const every = opts.checkpoint?.everySteps ?? Infinity;
  const paramsFn = typeof opts.params === 'function' ? (opts.params as ParamsSchedule<S, P>) : undefined;
  let lastWritten = -1;
  const saveCheckpoint = async () => {
    if (opts.checkpoint && lastWritten !== ctx.stepsDone) {
      await writeCheckpoint(opts.checkpoint.path, ctx, paramsFn?.adaptation, opts.thin);
      lastWritten = ctx.stepsDone;
    }
  };
  if (ctx.acceptanceRate.length < opts.numSteps) {
    const grown = new Float64Array(opts.numSteps);
    grown.set(ctx.acceptanceRate.subarray(0, ctx.stepsDone));
    ctx.acceptanceRate = grown;
  }
  const releaseLastInfo = () => {
    if (ctx.lastInfo) disposeReplaced(ctx.lastInfo, ctx.state);
    ctx.lastInfo = undefined;
  };
  const abort = async (): Promise<never> => {
    await saveCheckpoint();
    if (opts.progressBar) writeStderr('\n');
    releaseLastInfo();
    throw new RunAbortedError(buildResult(ctx, true));
  };

  while (ctx.stepsDone < opts.numSteps) {
    if (opts.signal?.aborted) await abort();
    const begin = ctx.stepsDone;
    const nextCheckpoint = Number.isFinite(every) ? (Math.floor(begin / every) + 1) * every : Infinity;
    const end = Math.min(begin + opts.chunkSize, opts.numSteps, nextCheckpoint);
    const kept: tf.Tensor[] = [];
    const accepts: tf.Tensor[] = [];
    const invalids: tf.Tensor[] = [];
    let carry: Carry<S> = { state: ctx.state, info: ctx.lastInfo };
    try {
      for (let i = begin; i < end; i++) {
        carry = advance(carry as unknown as tf.TensorContainer, (c) => {
          const { state, info } = c as unknown as Carry<S>;
          const params = paramsFn ? paramsFn(i, state, info) : (opts.params as P);
          const out = kernel.step(foldIn(ctx.key, i), state, params);
          accepts.push(tf.keep(tf.mean(out.info.acceptanceRate)));
          // Kernels written before the isInvalid field count nothing.
          if (out.info.isInvalid instanceof tf.Tensor) invalids.push(tf.keep(tf.sum(out.info.isInvalid)));
          if ((i + 1) % opts.thin === 0) {
            const value = opts.transform(out.state);
            if (!(value instanceof tf.Tensor)) invalidOption(where, 'transform', value, 'a function returning a tf.Tensor');
            if (ctx.sampleShape === undefined) ctx.sampleShape = value.shape.slice();
            else if (value.shape.join() !== ctx.sampleShape.join()) {
              invalidOption(where, 'transform', `shape [${value.shape.join(', ')}] at step ${i}`, `the same shape at every step, [${ctx.sampleShape.join(', ')}]`);
            }
            // A clone: the transform may return a tensor of the state, which the next step disposes.
            kept.push(tf.keep(tf.clone(value.dtype === 'float32' ? value : tf.cast(value, 'float32'))));
          }
          return { state: out.state, info: out.info } as unknown as tf.TensorContainer;
        }) as unknown as Carry<S>;
        ctx.state = carry.state;
        ctx.lastInfo = carry.info;
        ctx.stepsDone = i + 1;
      }
      // One read-back per chunk: acceptance means with invalid counts, and kept values.
      const numAccepts = accepts.length;
      const packed = numAccepts > 0 ? await readAndDispose([...accepts, ...invalids]) : new Float32Array(0);
      const acc = packed.subarray(0, numAccepts);
      let numInvalid = 0;
      for (let j = numAccepts; j < packed.length; j++) numInvalid += packed[j];
      ctx.acceptanceRate.set(acc, begin);
      if (kept.length > 0) {
        const values = await readAndDispose(kept);
        reserve(ctx as unknown as RunContext<ChainState>, (ctx.numKept + kept.length) * sizeOf(ctx.sampleShape ?? []));
        ctx.samples.set(values, ctx.numKept * sizeOf(ctx.sampleShape ?? []));
        ctx.numKept += kept.length;
      }
      let chunkMean = 0;
      for (const a of acc) chunkMean += a;
      chunkMean /= Math.max(acc.length, 1);
      ctx.chunks.push({ startStep: begin, endStep: end, acceptanceRate: chunkMean, numInvalid });
      const elapsedMs = performance.now() - started;
      const runInvalid = totalInvalid(ctx.chunks);
      opts.onProgress?.({ step: end, numSteps: opts.numSteps, acceptanceRate: chunkMean, numInvalid: runInvalid, elapsedMs });
      if (opts.progressBar) {
        const rate = ((end - startStep) / Math.max(elapsedMs, 1e-9)) * 1000;
        writeStderr(`\r${formatProgressBar(end, opts.numSteps, rate, chunkMean, undefined, runInvalid)}`);
      }
    } catch (err) {
      // Leave nothing allocated behind a failed step (the state is the driver's copy; the caller keeps its own).
      tf.dispose(kept);
      tf.dispose(accepts);
      tf.dispose(invalids);
      releaseLastInfo();
      disposeReplaced(ctx.state, {});
      throw err;
    }
    if (end % every === 0 || end === opts.numSteps) await saveCheckpoint();
    await yieldToEventLoop();
  }
  if (opts.progressBar) writeStderr('\n');
  releaseLastInfo();
  return buildResult(ctx, false);
}

/** Stack scalars or same-shape tensors, read them back once, dispose them. */
async function readAndDispose(tensors: tf.Tensor[]): Promise<Float32Array> {
  const stacked = tf.stack(tensors);
  tf.dispose(tensors);
  const values = (await stacked.data()) as Float32Array;
  stacked.dispose();
  return values;
}

/**
 * Run `kernel` from `initialState` (a state from `kernel.init`, or positions [n, d] that are passed to it) for
 * `options.numSteps` steps. The initial state stays the caller's (it is not disposed); the returned state is new.
 */
export async function runChain<S extends ChainState, P>(
  key: Key,
  kernel: Kernel<S, P>,
  initialState: S | tf.Tensor2D | number[][],
  options: RunChainOptions<S, P>,
): Promise<RunChainResult<S>> {
  const where = 'runChain';
  checkKernel(where, kernel);
  const opts = checkOptions(where, options);
  if (!Array.isArray(key) || key.length !== 2) invalidOption(where, 'key', key, 'a Key from key(seed), split or foldIn');
  let state: S;
  if (Array.isArray(initialState)) {
    // Positions as rows of numbers: the kernel's init converts and checks them (and owns the tensor it makes).
    state = await kernel.init(initialState as number[][]);
  } else if (initialState instanceof tf.Tensor) {
    checkPositions(where, initialState, kernel.target.dim, 'initialState');
    const position = initialState;
    // The clone keeps the caller's position tensor out of our disposals (a kernel's state may hold it as is).
    const initial = await kernel.init(position);
    state = cloneTensors(initial);
    disposeReplaced(initial, position);
  } else {
    if (initialState == null || typeof initialState !== 'object') {
      invalidOption(where, 'initialState', initialState, 'a chain state from kernel.init(position), or positions [n, d]');
    }
    checkPositions(where, (initialState as S).position, kernel.target.dim, 'initialState.position');
    state = cloneTensors(initialState as S);
  }
  const ctx: RunContext<S> = {
    key,
    kernelName: kernel.name,
    state,
    lastInfo: undefined,
    stepsDone: 0,
    sampleShape: undefined,
    samples: new Float32Array(0),
    numKept: 0,
    acceptanceRate: new Float64Array(0),
    chunks: [],
  };
  return runLoop(where, kernel, ctx, opts);
}

/**
 * Continue a run from a checkpoint written by `runChain` (or an earlier `resumeChain`). `options.numSteps` is the
 * TOTAL number of steps counted from the original start; `params`, `transform` and `thin` must be those of the
 * original run for the continuation to equal an uninterrupted run (thin and the kernel's name are checked). When
 * `params` is a function with an `adaptation` field, the saved adaptation state is assigned back to it first.
 */
export async function resumeChain<S extends ChainState, P>(
  path: string,
  kernel: Kernel<S, P>,
  options: RunChainOptions<S, P>,
): Promise<RunChainResult<S>> {
  const where = 'resumeChain';
  checkKernel(where, kernel);
  const opts = checkOptions(where, options);
  if (typeof path !== 'string' || path.length === 0) invalidOption(where, 'path', path, 'the path of a checkpoint file');
  const saved = await readCheckpoint(path);
  if (saved.kernel !== kernel.name) {
    invalidOption(where, 'kernel', kernel.name, `the kernel the checkpoint was written with, "${saved.kernel}"`);
  }
  if (saved.thin !== opts.thin) invalidOption(where, 'thin', opts.thin, `the checkpoint's thin, ${saved.thin}`);
  if (saved.step > opts.numSteps) {
    invalidOption(where, 'numSteps', opts.numSteps, `the total number of steps, at least the ${saved.step} already done`);
  }
  const state = decodeTensors(saved.state) as unknown as S;
  checkPositions(where, state.position, kernel.target.dim, 'checkpoint state.position');
  if (saved.adaptation !== undefined && typeof opts.params === 'function') {
    (opts.params as ParamsSchedule<S, P>).adaptation = saved.adaptation;
  }
  const samples = decodeFloat32(saved.samples.data);
  const ctx: RunContext<S> = {
    key: [saved.key[0], saved.key[1]] as Key,
    kernelName: kernel.name,
    state,
    lastInfo: saved.lastInfo ? (decodeTensors(saved.lastInfo) as unknown as StepInfo) : undefined,
    stepsDone: saved.step,
    sampleShape: saved.samples.shape.length > 0 ? saved.samples.shape.slice(1) : undefined,
    samples,
    numKept: saved.samples.shape[0] ?? 0,
    acceptanceRate: decodeFloat64(saved.infos.acceptanceRate),
    chunks: saved.infos.chunks,
  };
  return runLoop(where, kernel, ctx, opts);
}

// ---------------------------------------------------------------------------------------------------
// Checkpoint files

interface CheckpointFile {
  format: 'sampling-lab/run-chain-checkpoint';
  version: 1;
  kernel: string;
  key: [number, number];
  step: number;
  thin: number;
  state: Record<string, EncodedTensor>;
  lastInfo: Record<string, EncodedTensor> | null;
  adaptation?: unknown;
  samples: { shape: number[]; data: string };
  infos: { acceptanceRate: string; chunks: ChunkSummary[] };
}

async function encodeTensors(container: object): Promise<Record<string, EncodedTensor>> {
  const out: Record<string, EncodedTensor> = {};
  for (const [name, value] of Object.entries(container)) {
    if (!(value instanceof tf.Tensor)) {
      throw new Error(`runChain checkpoint: state field "${name}" = ${showValue(value)}, expected a tf.Tensor (kernel states hold tensors only)`);
    }
    out[name] = await encodeTensor(value, `runChain checkpoint: state field "${name}"`);
  }
  return out;
}

function decodeTensors(encoded: Record<string, EncodedTensor>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, value] of Object.entries(encoded)) out[name] = decodeTensor(value);
  return out;
}

async function writeCheckpoint(path: string, ctx: RunContext<ChainState>, adaptation: unknown, thin: number): Promise<void> {
  const file: CheckpointFile = {
    format: 'sampling-lab/run-chain-checkpoint',
    version: 1,
    kernel: ctx.kernelName,
    key: [ctx.key[0], ctx.key[1]],
    step: ctx.stepsDone,
    thin,
    state: await encodeTensors(ctx.state),
    lastInfo: ctx.lastInfo ? await encodeTensors(ctx.lastInfo) : null,
    adaptation,
    samples: {
      shape: ctx.sampleShape ? [ctx.numKept, ...ctx.sampleShape] : [],
      data: bytesToBase64(ctx.samples.subarray(0, ctx.numKept * sizeOf(ctx.sampleShape ?? []))),
    },
    infos: { acceptanceRate: bytesToBase64(ctx.acceptanceRate.subarray(0, ctx.stepsDone)), chunks: ctx.chunks },
  };
  // Atomic: a kill during the write leaves the previous checkpoint intact.
  await writeJsonAtomic("runChain checkpoint (the params function's \"adaptation\" field must be JSON-serialisable)", path, file);
}

async function readCheckpoint(path: string): Promise<CheckpointFile> {
  return readJsonCheckpoint<CheckpointFile>('resumeChain', path, 'sampling-lab/run-chain-checkpoint', 1, 'runChain');
}
