/**
 * The training loop (DESIGN.md section 3, "Trainers"): `fit({ variables, loss, steps, key, optimizer, ... })`
 * minimises `loss(key, step)` over `variables` with the fused Adam of ./adam.ts, asynchronously and in chunks,
 * so that progress callbacks, a terminal progress bar, an `AbortSignal` and checkpoints happen between chunks
 * while the steps themselves read nothing back except what Adam needs.
 *
 * - Step `i` (0-based, counted from the start of the original run) calls `loss(foldIn(key, i), i)`, so a
 *   resumed run needs no key history: 2N steps = N steps + checkpoint + resume N, bit for bit.
 * - Learning-rate schedule (nfmcmc spec section 1.8, torch's StepLR): step i uses
 *   `learningRate * gamma ** floor(i / every)`, a pure function of the step (nothing to save but the base rate).
 * - The loss values are read back once per chunk (one stacked read), into a float64 array.
 * - Non-finite values (`nonFinite`): every step also forms a probe `loss + 0 * sum of all gradient entries`,
 *   non-finite exactly when the loss or a gradient is. 'error' (default) checks the probes once per chunk; on a
 *   bad step it rolls the variables and the optimiser back to the start of that chunk and throws a
 *   `NonFiniteLossError` naming the step. 'skip' reads the probe after every step (one scalar sync per step) and
 *   does not apply that step's update (the optimiser's step count does not advance; the loss is recorded as is),
 *   in the spirit of the reference code filtering non-finite values.
 * - Early stop (`stopWhen`): called after each progress report (every `logEvery` steps, awaited, so it may read
 *   tensors back, e.g. a held-out loss); when it returns true the run ends there, like a run of that many steps
 *   (`result.stoppedEarly`, the checkpoint written as at the end). Where it stops depends on the values only.
 * - Abort: the run stops at the next chunk boundary and THROWS a `FitAbortedError` (`name === 'AbortError'`)
 *   whose `result` holds the partial result (`aborted: true`, the losses so far); the variables hold the values
 *   after `result.stepsDone` steps. A checkpoint, when configured, is written before throwing. (Same contract as
 *   `runChain`.)
 * - Checkpoints (`checkpoint: { path, everySteps }`): one JSON file written atomically (lib/core/checkpointFile.ts)
 *   at every multiple of `everySteps`, at the end and on abort, holding the variables' values, Adam's
 *   hyper-parameters and state, the step, the key, the base learning rate and schedule, the losses so far and the
 *   skipped steps. `resumeFit(path, options)` continues from it.
 * - The loss must be a function of (key, step) and the variables only for resume to be exact; a loss that keeps
 *   its own state between steps (persistent MCMC chains) must save and restore that state itself.
 */
import * as tf from '@tensorflow/tfjs';
import { AbortError } from '../core/abort.js';
import { foldIn, type Key } from '../core/random.js';
import { readScalar } from '../core/readback.js';
import { checkChoice, checkInteger, checkNumber, invalidOption, showValue } from '../core/validate.js';
import { formatProgressLine, writeStderr, yieldToEventLoop } from '../core/progress.js';
import {
  bytesToBase64,
  decodeFloat32,
  decodeFloat64,
  decodeTensorValues,
  encodeTensor,
  readJsonCheckpoint,
  writeJsonAtomic,
  type EncodedTensor,
} from '../core/checkpointFile.js';
import { Adam, type AdamOptions, type AdamState } from './adam.js';

// ---------------------------------------------------------------------------------------------------
// Types

/** The objective: a scalar tensor computed from the variables, with randomness from `key` only. */
export type LossFunction = (key: Key, step: number) => tf.Scalar;

/** StepLR: multiply the learning rate by `gamma` after every `every` steps. */
export interface StepSchedule {
  every: number;
  gamma: number;
}

export interface FitProgress {
  /** Steps done so far, counted from the start of the original run. */
  step: number;
  steps: number;
  /** Mean of the finite losses of the steps since the previous report (NaN if there were none). */
  loss: number;
  /** Learning rate used by the last step. */
  lr: number;
  /** Steps skipped so far for non-finite values (nonFinite: 'skip'). */
  skipped: number;
  /** Milliseconds since this call (fit or resumeFit) started. */
  elapsedMs: number;
}

export interface FitCheckpointOptions {
  /** File to write (its folder is created if needed). */
  path: string;
  /** Write after every multiple of this many steps, at the end of the run and on abort. */
  everySteps: number;
}

export interface FitOptions {
  /** The trainable tensors, in a fixed order (the checkpoint's order). Optional when `optimizer` is an Adam. */
  variables?: tf.Variable[];
  /** `(key, step) -> scalar`, differentiable in the variables. */
  loss: LossFunction;
  /** Total number of steps (>= 1). For `resumeFit`, still the total counted from the original start. */
  steps: number;
  /** Step i uses `foldIn(key, i)`. Optional for `resumeFit` (the checkpoint's key is used; a different one is an error). */
  key: Key;
  /** An Adam over the same variables, or its options. Default `{ learningRate: 1e-3 }`. */
  optimizer?: Adam | AdamOptions;
  /** Step decay of the learning rate (StepLR). Default none. */
  schedule?: StepSchedule;
  /** What a non-finite loss or gradient does: 'error' (default) or 'skip' (see the file comment). */
  nonFinite?: 'error' | 'skip';
  /** Steps between yields to the event loop (abort, checkpoint). Default 50. */
  chunkSize?: number;
  /** Steps between progress reports (callback and bar). Default `chunkSize`. */
  logEvery?: number;
  onProgress?: (report: FitProgress) => void;
  /** Early stopping: called after each progress report; true ends the run there (see the file comment). Default never. */
  stopWhen?: (report: FitProgress) => boolean | Promise<boolean>;
  signal?: AbortSignal;
  /** Print a one-line progress bar (rate, ETA, loss, lr) to stderr. Default false. */
  progressBar?: boolean;
  checkpoint?: FitCheckpointOptions;
}

export type ResumeFitOptions = Omit<FitOptions, 'key'> & { key?: Key };

export interface FitResult {
  /** Loss of every step done, float64 copies of the float32 values (non-finite at skipped steps). */
  losses: Float64Array;
  stepsDone: number;
  /** Steps whose update was not applied (nonFinite: 'skip'). */
  skippedSteps: number[];
  /** The optimiser (created from options when none was given); its learningRate is back at the base rate. */
  optimizer: Adam;
  /** True only on the `result` of a FitAbortedError or NonFiniteLossError. */
  aborted: boolean;
  /** True when `stopWhen` ended the run before `steps`. */
  stoppedEarly: boolean;
}

/** Thrown when the signal aborts a run; `result` holds what was done. */
export class FitAbortedError extends AbortError {
  readonly result: FitResult;
  constructor(result: FitResult) {
    super(`fit: aborted after ${result.stepsDone} steps (partial result in error.result)`);
    this.result = result;
  }
}

/** Thrown for a non-finite loss or gradient with nonFinite: 'error'; the variables are back at `result.stepsDone`. */
export class NonFiniteLossError extends Error {
  readonly step: number;
  readonly result: FitResult;
  constructor(message: string, step: number, result: FitResult) {
    super(message);
    this.name = 'NonFiniteLossError';
    this.step = step;
    this.result = result;
  }
}

// ---------------------------------------------------------------------------------------------------
// Validation

interface CheckedOptions {
  loss: LossFunction;
  steps: number;
  optimizer: Adam;
  variables: tf.Variable[];
  schedule?: StepSchedule;
  nonFinite: 'error' | 'skip';
  chunkSize: number;
  logEvery: number;
  onProgress?: (report: FitProgress) => void;
  stopWhen?: (report: FitProgress) => boolean | Promise<boolean>;
  signal?: AbortSignal;
  progressBar: boolean;
  checkpoint?: FitCheckpointOptions;
}

const KNOWN_OPTIONS = [
  'variables', 'loss', 'steps', 'key', 'optimizer', 'schedule', 'nonFinite', 'chunkSize', 'logEvery',
  'onProgress', 'stopWhen', 'signal', 'progressBar', 'checkpoint',
];

function checkKeyOption(where: string, key: unknown): Key {
  const isWord = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
  if (!Array.isArray(key) || key.length !== 2 || !isWord(key[0]) || !isWord(key[1])) {
    invalidOption(where, 'key', key, 'a Key: two uint32 words [hi, lo], as returned by key(seed), split or foldIn');
  }
  return key as unknown as Key;
}

function checkVariables(where: string, variables: unknown): tf.Variable[] {
  if (!Array.isArray(variables) || variables.length === 0 || !variables.every((v) => v instanceof tf.Variable)) {
    invalidOption(where, 'variables', variables, 'a non-empty array of tf.Variable (e.g. flow.variables)');
  }
  return variables;
}

function makeOptimizer(where: string, optimizer: unknown, variables: unknown): { optimizer: Adam; variables: tf.Variable[] } {
  if (optimizer instanceof Adam) {
    if (variables === undefined) return { optimizer, variables: optimizer.variables };
    const vars = checkVariables(where, variables);
    const same = vars.length === optimizer.variables.length && vars.every((v, i) => v === optimizer.variables[i]);
    if (!same) {
      invalidOption(where, 'optimizer', `an Adam over ${optimizer.variables.length} other variables`, `an Adam over the same "variables", in the same order`, String);
    }
    return { optimizer, variables: vars };
  }
  const vars = checkVariables(where, variables);
  const settings = optimizer ?? { learningRate: 1e-3 };
  if (settings === null || typeof settings !== 'object') {
    invalidOption(where, 'optimizer', optimizer, 'an Adam instance or Adam options { learningRate, beta1?, beta2?, epsilon?, weightDecay? }');
  }
  const options = settings as AdamOptions;
  checkNumber(where, 'optimizer.learningRate', options.learningRate, 'positive');
  return { optimizer: new Adam(vars, options), variables: vars };
}

function checkFitOptions(where: string, options: unknown, minSteps: number): CheckedOptions {
  if (options == null || typeof options !== 'object' || Array.isArray(options)) invalidOption(where, 'options', options, 'an options object');
  const o = options as FitOptions;
  for (const name of Object.keys(o)) {
    if (!KNOWN_OPTIONS.includes(name)) invalidOption(where, name, (o as unknown as Record<string, unknown>)[name], `no such option; known options: ${KNOWN_OPTIONS.join(', ')}`);
  }
  if (typeof o.loss !== 'function') invalidOption(where, 'loss', o.loss, 'a function (key, step) -> scalar tf.Tensor');
  const steps = checkInteger(where, 'steps', o.steps, minSteps);
  const chunkSize = checkInteger(where, 'chunkSize', o.chunkSize ?? 50, 1);
  const logEvery = checkInteger(where, 'logEvery', o.logEvery ?? chunkSize, 1);
  const nonFinite = checkChoice(where, 'nonFinite', o.nonFinite ?? 'error', ['error', 'skip'] as const);
  let schedule: StepSchedule | undefined;
  if (o.schedule !== undefined) {
    if (o.schedule === null || typeof o.schedule !== 'object') invalidOption(where, 'schedule', o.schedule, 'a step schedule { every, gamma }');
    const every = checkInteger(where, 'schedule.every', o.schedule.every, 1);
    const gamma = o.schedule.gamma;
    if (typeof gamma !== 'number' || !(gamma > 0 && gamma <= 1)) invalidOption(where, 'schedule.gamma', gamma, 'a number in (0, 1]');
    schedule = { every, gamma };
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') invalidOption(where, 'onProgress', o.onProgress, 'a function (report) -> void');
  if (o.stopWhen !== undefined && typeof o.stopWhen !== 'function') invalidOption(where, 'stopWhen', o.stopWhen, 'a function (report) -> boolean | Promise<boolean>');
  if (o.signal !== undefined && (o.signal == null || typeof o.signal.aborted !== 'boolean')) invalidOption(where, 'signal', o.signal, 'an AbortSignal');
  const checkpoint = o.checkpoint;
  if (checkpoint !== undefined) {
    if (checkpoint == null || typeof checkpoint.path !== 'string' || checkpoint.path.length === 0) {
      invalidOption(where, 'checkpoint.path', checkpoint?.path, 'a non-empty file path');
    }
    checkInteger(where, 'checkpoint.everySteps', checkpoint.everySteps, 1);
  }
  const { optimizer, variables } = makeOptimizer(where, o.optimizer, o.variables);
  return {
    loss: o.loss,
    steps,
    optimizer,
    variables,
    schedule,
    nonFinite,
    chunkSize,
    logEvery,
    onProgress: o.onProgress,
    stopWhen: o.stopWhen,
    signal: o.signal,
    progressBar: o.progressBar === true,
    checkpoint,
  };
}

// ---------------------------------------------------------------------------------------------------
// The loop

/** Everything a run carries between chunks (what a checkpoint saves, with the variables and Adam's state). */
interface FitContext {
  key: Key;
  /** Learning rate at step 0 (the schedule's base). */
  baseLearningRate: number;
  stepsDone: number;
  losses: Float64Array;
  skippedSteps: number[];
}

function learningRateAt(ctx: FitContext, schedule: StepSchedule | undefined, step: number): number {
  return schedule ? ctx.baseLearningRate * schedule.gamma ** Math.floor(step / schedule.every) : ctx.baseLearningRate;
}

function buildResult(ctx: FitContext, opts: CheckedOptions, aborted: boolean, stoppedEarly = false): FitResult {
  return {
    losses: ctx.losses.slice(0, ctx.stepsDone),
    stepsDone: ctx.stepsDone,
    skippedSteps: ctx.skippedSteps.slice(),
    optimizer: opts.optimizer,
    aborted,
    stoppedEarly,
  };
}

/** `loss + 0 * sum(gradients)`: equal to the loss when everything is finite, non-finite otherwise. */
function finiteProbe(value: tf.Scalar, grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (grads.length === 0) return tf.clone(value);
    const total = grads.length === 1 ? tf.sum(grads[0]) : tf.addN(grads.map((g) => tf.sum(g)));
    return tf.add(value, tf.mul(total, 0)) as tf.Scalar;
  });
}

/** Values of the variables and the optimiser state at a chunk start (for the rollback of nonFinite: 'error'). */
interface Snapshot {
  values: tf.Tensor[];
  optimizerState: AdamState;
}

async function takeSnapshot(opts: CheckedOptions): Promise<Snapshot> {
  return { values: opts.variables.map((v) => tf.clone(v)), optimizerState: await opts.optimizer.getState() };
}

function restoreSnapshot(opts: CheckedOptions, snapshot: Snapshot): void {
  opts.variables.forEach((v, i) => v.assign(snapshot.values[i]));
  opts.optimizer.setState(snapshot.optimizerState);
}

/** Stack scalars, read them back once, dispose them. */
async function readAndDispose(tensors: tf.Tensor[]): Promise<Float32Array> {
  if (tensors.length === 0) return new Float32Array(0);
  const stacked = tf.stack(tensors);
  tf.dispose(tensors);
  const values = (await stacked.data()) as Float32Array;
  stacked.dispose();
  return values;
}

function meanOfFinite(values: Float64Array): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      sum += v;
      count += 1;
    }
  }
  return count > 0 ? sum / count : NaN;
}

async function fitLoop(where: string, ctx: FitContext, opts: CheckedOptions): Promise<FitResult> {
  const started = performance.now();
  const startStep = ctx.stepsDone;
  const { optimizer, variables, schedule } = opts;
  const every = opts.checkpoint?.everySteps ?? Infinity;
  let lastReport = ctx.stepsDone;
  let lastWritten = -1;
  const saveCheckpoint = async () => {
    if (opts.checkpoint && lastWritten !== ctx.stepsDone) {
      await writeCheckpoint(opts.checkpoint.path, ctx, opts);
      lastWritten = ctx.stepsDone;
    }
  };
  // At the end (or on an error), Adam's moments move to the host: a device backend's memory is freed, and
  // getState() and a later fit with this optimizer still see them.
  const finish = async () => {
    optimizer.learningRate = ctx.baseLearningRate;
    if (opts.progressBar && ctx.stepsDone > startStep) writeStderr('\n');
    await optimizer.dispose();
  };
  if (ctx.losses.length < opts.steps) {
    const grown = new Float64Array(opts.steps);
    grown.set(ctx.losses.subarray(0, ctx.stepsDone));
    ctx.losses = grown;
  }
  const nextMultiple = (step: number, period: number) => (Number.isFinite(period) ? (Math.floor(step / period) + 1) * period : Infinity);

  /** One step: gradients, the probe, and (unless skipped) the Adam update. Returns the loss and the probe. */
  const runStep = async (i: number): Promise<{ value: tf.Scalar; probe: tf.Scalar }> => {
    optimizer.learningRate = learningRateAt(ctx, schedule, i);
    const stepKey = foldIn(ctx.key, i);
    const { value, grads } = tf.variableGrads(() => {
      const out = opts.loss(stepKey, i);
      if (!(out instanceof tf.Tensor) || out.rank !== 0) {
        throw new Error(`${where}: option "loss" returned ${showValue(out)} at step ${i}, expected a scalar tf.Tensor`);
      }
      return out as tf.Scalar;
    }, variables);
    const gradList = variables.map((v) => grads[v.name]);
    const probe = finiteProbe(value, gradList.filter((g): g is tf.Tensor => g !== undefined));
    if (opts.nonFinite === 'skip' && !Number.isFinite(await readScalar(probe))) {
      ctx.skippedSteps.push(i);
    } else {
      optimizer.applyGradients(gradList);
    }
    tf.dispose(grads);
    return { value, probe };
  };

  while (ctx.stepsDone < opts.steps) {
    if (opts.signal?.aborted) {
      await saveCheckpoint();
      await finish();
      throw new FitAbortedError(buildResult(ctx, opts, true));
    }
    const begin = ctx.stepsDone;
    const end = Math.min(begin + opts.chunkSize, opts.steps, nextMultiple(begin, every), nextMultiple(begin, opts.logEvery));
    const snapshot = opts.nonFinite === 'error' ? await takeSnapshot(opts) : undefined;
    const values: tf.Tensor[] = [];
    const probes: tf.Tensor[] = [];
    try {
      for (let i = begin; i < end; i++) {
        const { value, probe } = await runStep(i);
        values.push(value);
        if (opts.nonFinite === 'error') probes.push(probe);
        else probe.dispose();
      }
      // One read-back per chunk: the losses, then (nonFinite: 'error') the probes.
      const read = await readAndDispose([...values.splice(0), ...probes.splice(0)]);
      const count = end - begin;
      for (let j = 0; j < count; j++) ctx.losses[begin + j] = read[j];
      if (snapshot) {
        const bad = read.subarray(count).findIndex((p) => !Number.isFinite(p));
        if (bad >= 0) {
          restoreSnapshot(opts, snapshot);
          const step = begin + bad;
          const lossValue = read[bad];
          const what = Number.isFinite(lossValue) ? `a gradient at step ${step} is non-finite (loss ${lossValue})` : `the loss at step ${step} is ${lossValue}`;
          await finish();
          throw new NonFiniteLossError(
            `${where}: ${what}; the variables and the optimiser were rolled back to step ${begin} (the start of its chunk). ` +
              `Lower the learning rate, check the loss, or pass nonFinite: 'skip' to leave such steps out.`,
            step,
            buildResult(ctx, opts, true),
          );
        }
      }
      ctx.stepsDone = end;
    } catch (err) {
      tf.dispose(values);
      tf.dispose(probes);
      if (snapshot) tf.dispose(snapshot.values);
      if (!(err instanceof NonFiniteLossError)) await finish();
      throw err;
    }
    if (snapshot) tf.dispose(snapshot.values);
    let stop = false;
    if (end % opts.logEvery === 0 || end === opts.steps) {
      const loss = meanOfFinite(ctx.losses.subarray(lastReport, end));
      const lr = learningRateAt(ctx, schedule, end - 1);
      lastReport = end;
      const elapsedMs = performance.now() - started;
      const report: FitProgress = { step: end, steps: opts.steps, loss, lr, skipped: ctx.skippedSteps.length, elapsedMs };
      opts.onProgress?.(report);
      if (opts.progressBar) {
        const rate = ((end - startStep) / Math.max(elapsedMs, 1e-9)) * 1000;
        writeStderr(`\r${formatProgressLine(end, opts.steps, rate, `loss ${loss.toPrecision(5)}  lr ${lr.toExponential(2)}`)}`);
      }
      if (opts.stopWhen && end < opts.steps) {
        try {
          stop = (await opts.stopWhen(report)) === true;
        } catch (err) {
          await finish();
          throw err;
        }
      }
    }
    if (stop || end % every === 0 || end === opts.steps) await saveCheckpoint();
    if (stop) {
      await finish();
      return buildResult(ctx, opts, false, true);
    }
    await yieldToEventLoop();
  }
  await finish();
  return buildResult(ctx, opts, false);
}

/**
 * Minimise `options.loss` over `options.variables` for `options.steps` steps (see the file comment). The variables
 * are updated in place; the result holds the per-step losses. Throws `FitAbortedError` on abort and
 * `NonFiniteLossError` on a non-finite loss or gradient (nonFinite: 'error'), both carrying the partial result.
 */
export async function fit(options: FitOptions): Promise<FitResult> {
  const where = 'fit';
  const opts = checkFitOptions(where, options, 1);
  const key = checkKeyOption(where, options.key);
  const ctx: FitContext = {
    key,
    baseLearningRate: opts.optimizer.learningRate,
    stepsDone: 0,
    losses: new Float64Array(opts.steps),
    skippedSteps: [],
  };
  return fitLoop(where, ctx, opts);
}

/**
 * Continue a run from a checkpoint written by `fit` (or an earlier `resumeFit`): the variables and the optimiser
 * state are overwritten with the saved ones, and the run goes on to `options.steps` (the TOTAL counted from the
 * original start). The options must be those of the original run: the key (when given), the schedule and Adam's
 * hyper-parameters (learning rate, betas, epsilon, weight decay) are checked against the checkpoint.
 */
export async function resumeFit(path: string, options: ResumeFitOptions): Promise<FitResult> {
  const where = 'resumeFit';
  if (typeof path !== 'string' || path.length === 0) invalidOption(where, 'path', path, 'the path of a checkpoint file written by fit');
  const opts = checkFitOptions(where, options, 1);
  const saved = await readCheckpoint(path);
  if (options.key !== undefined) {
    const key = checkKeyOption(where, options.key);
    if (key[0] !== saved.key[0] || key[1] !== saved.key[1]) invalidOption(where, 'key', key, `the checkpoint's key [${saved.key.join(', ')}]`);
  }
  if (saved.step > opts.steps) invalidOption(where, 'steps', opts.steps, `the total number of steps, at least the ${saved.step} already done`);
  const savedSchedule = saved.schedule ?? undefined;
  if (JSON.stringify(savedSchedule) !== JSON.stringify(opts.schedule)) {
    invalidOption(where, 'schedule', opts.schedule, `the checkpoint's schedule ${showValue(savedSchedule)}`);
  }
  const hyper = optimizerSettings(opts.optimizer, opts.optimizer.learningRate);
  for (const [name, value] of Object.entries(saved.optimizer.settings)) {
    const mine = hyper[name as keyof typeof hyper];
    if (mine !== value) invalidOption(where, `optimizer.${name}`, mine, `the checkpoint's ${name}, ${value}`);
  }
  const { variables } = opts;
  if (saved.variables.length !== variables.length) {
    invalidOption(where, 'variables', `${variables.length} variables`, `the checkpoint's ${saved.variables.length} variables`, String);
  }
  saved.variables.forEach((encoded, i) => {
    if (encoded.shape.join() !== variables[i].shape.join() || encoded.dtype !== variables[i].dtype) {
      throw new Error(
        `${where}: option "variables" has variable ${i} of shape [${variables[i].shape.join(', ')}] (${variables[i].dtype}), ` +
          `expected [${encoded.shape.join(', ')}] (${encoded.dtype}) as in the checkpoint`,
      );
    }
  });
  saved.variables.forEach((encoded, i) => {
    const value = tf.tensor(decodeTensorValues(encoded), encoded.shape, encoded.dtype);
    variables[i].assign(value);
    value.dispose();
  });
  opts.optimizer.setState({
    step: saved.optimizer.step,
    m: saved.optimizer.m.map((text) => Array.from(decodeFloat32(text))),
    v: saved.optimizer.v.map((text) => Array.from(decodeFloat32(text))),
  });
  const ctx: FitContext = {
    key: [saved.key[0], saved.key[1]] as Key,
    baseLearningRate: saved.learningRate,
    stepsDone: saved.step,
    losses: decodeFloat64(saved.losses),
    skippedSteps: saved.skippedSteps.slice(),
  };
  return fitLoop(where, ctx, opts);
}

// ---------------------------------------------------------------------------------------------------
// Checkpoint files

interface OptimizerSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

interface FitCheckpointFile {
  format: 'sampling-lab/fit-checkpoint';
  version: 1;
  key: [number, number];
  step: number;
  /** Base learning rate (step 0) and the schedule applied to it. */
  learningRate: number;
  schedule: StepSchedule | null;
  variables: EncodedTensor[];
  optimizer: { type: 'adam'; settings: OptimizerSettings; step: number; m: string[]; v: string[] };
  /** float64 losses of steps 0 .. step-1, base64. */
  losses: string;
  skippedSteps: number[];
}

function optimizerSettings(optimizer: Adam, learningRate: number): OptimizerSettings {
  const { beta1, beta2, epsilon, weightDecay } = optimizer;
  return { learningRate, beta1, beta2, epsilon, weightDecay };
}

async function writeCheckpoint(path: string, ctx: FitContext, opts: CheckedOptions): Promise<void> {
  const variables: EncodedTensor[] = [];
  for (const [i, v] of opts.variables.entries()) variables.push(await encodeTensor(v, `fit checkpoint: variable ${i} ("${v.name}")`));
  const state = await opts.optimizer.getState();
  const file: FitCheckpointFile = {
    format: 'sampling-lab/fit-checkpoint',
    version: 1,
    key: [ctx.key[0], ctx.key[1]],
    step: ctx.stepsDone,
    learningRate: ctx.baseLearningRate,
    schedule: opts.schedule ?? null,
    variables,
    optimizer: {
      type: 'adam',
      settings: optimizerSettings(opts.optimizer, ctx.baseLearningRate),
      step: state.step,
      m: state.m.map((a) => bytesToBase64(Float32Array.from(a))),
      v: state.v.map((a) => bytesToBase64(Float32Array.from(a))),
    },
    losses: bytesToBase64(ctx.losses.subarray(0, ctx.stepsDone)),
    skippedSteps: ctx.skippedSteps,
  };
  await writeJsonAtomic('fit checkpoint', path, file);
}

function readCheckpoint(path: string): Promise<FitCheckpointFile> {
  return readJsonCheckpoint<FitCheckpointFile>('resumeFit', path, 'sampling-lab/fit-checkpoint', 1, 'fit');
}
