/**
 * What every Metropolis-Hastings kernel in this folder shares: the checks of positions, states and step sizes
 * at the boundary, and the batched accept / reject of a proposal (all chains at once, float masks, no tf.where:
 * DESIGN.md section 1, trap 8).
 */
import * as tf from '@tensorflow/tfjs';
import { finiteOr, select } from '../../core/ops.js';
import { readAll } from '../../core/readback.js';
import { uniform, type Key } from '../../core/random.js';
import { describeValue, invalidOption } from '../../core/validate.js';
import { checkFinite, checkPositions, logDensityAndGrad, type Target } from '../../targets/target.js';
import { stateFields, type ChainState, type MetropolisInfo, type StepSize } from './kernel.js';

/**
 * Throw `where: option "option" = value, expected ...` (the error format of DESIGN.md section 3), the value in
 * prose (`describeValue`: tensors by dtype and shape), as every MCMC kernel and adaptation rule reports it.
 */
export function invalid(where: string, option: string, value: unknown, expected: string): never {
  return invalidOption(where, option, value, expected, describeValue);
}

/**
 * Positions given as rows of numbers (`[[0, 1], [2, 3]]`: n rows of d numbers) as a float32 tensor [n, d], or an
 * error naming the first row that is not an array of `dim` numbers.
 */
export function positionsFromRows(where: string, rows: unknown[], dim: number): tf.Tensor2D {
  if (rows.length < 1) invalid(where, 'position', rows, `at least one row of ${dim} numbers`);
  rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== dim || !row.every((v) => typeof v === 'number')) {
      invalid(where, `position[${i}]`, row, `an array of ${dim} numbers (positions are [n, ${dim}]: a tf.Tensor2D or n rows of ${dim} numbers)`);
    }
  });
  return tf.tensor2d(rows as number[][], [rows.length, dim], 'float32');
}

/**
 * Check an initial position ([n, d] float tensor with finite entries; one read-back, at the boundary only) and
 * return a clone that the new state owns, so that disposing the state never disposes the caller's tensor.
 */
export async function initialPosition(where: string, target: Target, position: unknown): Promise<tf.Tensor2D> {
  if (Array.isArray(position)) {
    const x = positionsFromRows(where, position, target.dim);
    try {
      await checkFinite(where, x);
    } catch (err) {
      x.dispose();
      throw err;
    }
    return x;
  }
  checkPositions(where, position, target.dim);
  if (position.dtype !== 'float32') invalid(where, 'position', position, 'a float32 tensor');
  if (position.shape[0] < 1) invalid(where, 'position', position, `at least one chain, shape [n >= 1, ${target.dim}]`);
  await checkFinite(where, position);
  return tf.clone(position);
}

/**
 * Check the target's values at the initial positions (one async read-back, at the boundary only) and return the
 * state: a NaN or +Infinity log-density, or a non-finite gradient, would leave that chain stuck forever (every
 * log-acceptance NaN), so it is an error here, and the state's tensors are freed. A log-density of -Infinity
 * (outside the support) is allowed: such chains accept any move.
 */
export async function checkInitialState<S extends ChainState>(where: string, state: S): Promise<S> {
  const fields = stateFields(state);
  const fail = (message: string): never => {
    tf.dispose(Object.values(fields));
    throw new Error(`${where}: ${message}`);
  };
  const grad = fields.grad;
  // One round trip for both reads.
  const [values, g] = await readAll(grad ? [state.logDensity, grad] : [state.logDensity]);
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i]) || values[i] === Infinity) {
      fail(`the target's logDensity at option "position" row ${i} is ${values[i]}, expected a finite number or -Infinity`);
    }
  }
  if (grad) {
    const d = grad.shape[1] ?? 1;
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) {
        const row = Math.floor(i / d);
        fail(`the target's gradient at option "position" row ${row} is ${g[i]} (coordinate ${i % d}), expected finite values`);
      }
    }
  }
  return state;
}

/**
 * The initial state of a gradient-based kernel (MALA, HMC): the checked position with its log-density and
 * gradient (one evaluation), checked by `checkInitialState`.
 */
export async function initialGradientState(
  where: string,
  target: Target,
  position: unknown,
): Promise<ChainState & { grad: tf.Tensor2D }> {
  const x = await initialPosition(where, target, position);
  const { logDensity, grad } = tf.tidy(() => logDensityAndGrad(target, x));
  return checkInitialState(where, { position: x, logDensity, grad });
}

/**
 * Check that `state` is a chain state for `target` holding the listed per-chain fields (shapes only: no
 * read-back). Returns the number of chains.
 */
export function checkState(where: string, target: Target, state: unknown, fields: readonly string[] = []): number {
  if (state == null || typeof state !== 'object') {
    invalid(where, 'state', state, 'a chain state object { position, logDensity, ... } from init or step');
  }
  const s = state as Record<string, unknown>;
  checkPositions(where, s.position, target.dim, 'state.position');
  const n = s.position.shape[0];
  for (const field of ['logDensity', ...fields]) {
    const value = s[field];
    if (!(value instanceof tf.Tensor) || value.isDisposed) {
      invalid(where, `state.${field}`, value, `a live tf.Tensor (state from this kernel's init or step)`);
    }
    if (value.shape[0] !== n) {
      invalid(where, `state.${field}`, value, `a tensor with ${n} rows (one per chain, as state.position)`);
    }
  }
  return n;
}

/**
 * Check a step size: a finite number > 0 shared by all chains, or a float32 tensor [numChains] with one per chain.
 * The values of a per-chain tensor are not read back (no read-backs in `step`); a non-positive or non-finite
 * entry gives that chain non-finite proposals, which are rejected, so the chain stays where it is.
 */
export function checkStepSize(where: string, stepSize: unknown, numChains: number, option = 'stepSize'): StepSize {
  if (typeof stepSize === 'number') {
    if (!Number.isFinite(stepSize) || !(stepSize > 0)) {
      invalid(where, option, stepSize, `a finite number > 0 (or a tf.Tensor1D of ${numChains} per-chain step sizes)`);
    }
    return stepSize;
  }
  if (stepSize instanceof tf.Tensor) {
    if (stepSize.rank !== 1 || stepSize.shape[0] !== numChains || stepSize.dtype !== 'float32') {
      invalid(where, option, stepSize, `a float32 tensor of shape [${numChains}] (one step size per chain) or a number`);
    }
    return stepSize as tf.Tensor1D;
  }
  return invalid(where, option, stepSize, `a finite number > 0 or a tf.Tensor1D of ${numChains} per-chain step sizes`);
}

/**
 * Check that `params` is an object (kernels read named options from it) holding only the `known` keys: a
 * misspelt key (`stepsize` for `stepSize`) would otherwise be ignored silently. The error names the key that
 * matches up to case, when there is one.
 */
export function checkParams(where: string, params: unknown, known: readonly string[]): Record<string, unknown> {
  if (params == null || typeof params !== 'object' || params instanceof tf.Tensor) {
    invalid(where, 'params', params, `an options object, e.g. { ${known[0] ?? 'stepSize'}: ... }`);
  }
  for (const name of Object.keys(params)) {
    if (known.includes(name)) continue;
    const near = known.find((k) => k.toLowerCase() === name.toLowerCase());
    const hint = near ? `did you mean "${near}"? ` : '';
    const list = known.length > 0 ? `known parameters: ${known.join(', ')}` : 'this kernel takes no parameters';
    invalid(where, `params.${name}`, (params as Record<string, unknown>)[name], `no such parameter; ${hint}${list}`);
  }
  return params as Record<string, unknown>;
}

/**
 * The checks that open `step` in the kernels driven by a step size (RWMH, MALA, HMC): the state (holding the
 * per-chain `fields`), the params object (only the `known` keys) and its `stepSize`. Returns the number of chains
 * n, the params and the step size.
 */
export function checkStepInputs(
  where: string,
  target: Target,
  state: unknown,
  params: unknown,
  fields: readonly string[] = [],
  known: readonly string[] = ['stepSize'],
): { n: number; options: Record<string, unknown>; stepSize: StepSize } {
  const n = checkState(where, target, state, fields);
  const options = checkParams(where, params, known);
  return { n, options, stepSize: checkStepSize(where, options.stepSize, n) };
}

/** A step size broadcast against per-chain rows: a number stays a number, a [n] tensor becomes [n, 1]. */
export function perChainColumn(stepSize: StepSize): number | tf.Tensor2D {
  return typeof stepSize === 'number' ? stepSize : (tf.expandDims(stepSize, 1) as tf.Tensor2D);
}

/** A per-chain mask [n] reshaped to broadcast against a tensor of the given rank ([n], [n, d], [n, k, d], ...). */
function maskFor(mask: tf.Tensor1D, rank: number): tf.Tensor {
  return rank <= 1 ? mask : tf.reshape(mask, [mask.shape[0], ...new Array<number>(rank - 1).fill(1)]);
}

/** 1 where the log-acceptance is a number, 0 where it is NaN (a rejection), float32 [n]. */
function notNaNMask(logAcceptance: tf.Tensor1D): tf.Tensor1D {
  return tf.cast(tf.logicalNot(tf.isNaN(logAcceptance)), 'float32') as tf.Tensor1D;
}

/**
 * The acceptance probability min(1, exp(logAcceptance)) per chain, with NaN counted as 0 (a rejection).
 * Written so that it holds whether or not `minimum` propagates NaN on the backend.
 */
export function acceptanceProbability(logAcceptance: tf.Tensor1D, notNaN: tf.Tensor1D = notNaNMask(logAcceptance)): tf.Tensor1D {
  const clipped = finiteOr(tf.exp(tf.minimum(logAcceptance, 0)), 0);
  return tf.mul(notNaN, clipped) as tf.Tensor1D;
}

/**
 * Metropolis-Hastings accept / reject for all chains at once: chain i moves to the proposal iff
 * log u_i < logAcceptance_i with u_i ~ U[0, 1) (so a NaN log-acceptance is a rejection). Every field of
 * `proposal` is blended with the same field of `current`; non-finite proposal entries are replaced by the current
 * values first, so a NaN in a rejected proposal never reaches the kept state. A proposal whose log-density is
 * +Infinity or NaN is always rejected (acceptance rate 0); one at -Infinity is rejected by its log-acceptance, and
 * a chain at -Infinity (outside the support) moves to the first proposal with a finite log-density (its
 * log-acceptance is +Infinity; `select` keeps the accepted value exactly). Returns the new state (fields of
 * `proposal`) and the info `{ acceptanceRate, isAccepted, isInvalid, logAcceptance }`, `isInvalid` marking the
 * proposals rejected as invalid (NaN or +Infinity log-density, NaN log-acceptance).
 * Call inside a tidy scope (kernels' `step` do).
 */
export function metropolisAccept<S extends ChainState>(
  key: Key,
  logAcceptance: tf.Tensor1D,
  proposal: S,
  current: ChainState,
): { state: S; info: MetropolisInfo } {
  const n = logAcceptance.shape[0];
  const logU = tf.log(uniform(key, [n]));
  // A proposal whose log-density is +Infinity or NaN is rejected (as at init, checkInitialState): accepting it
  // would leave a cached log-density that does not match the position. `x < Infinity` is false for both.
  const admissible = tf.cast(tf.less(proposal.logDensity, Infinity), 'float32') as tf.Tensor1D;
  const isAccepted = tf.mul(tf.cast(tf.less(logU, logAcceptance), 'float32'), admissible) as tf.Tensor1D;
  const notNaN = notNaNMask(logAcceptance);
  const isInvalid = tf.sub(1, tf.mul(admissible, notNaN)) as tf.Tensor1D;
  const keptFields = stateFields(current);
  const state: Record<string, tf.Tensor> = {};
  for (const [field, proposed] of Object.entries(stateFields(proposal))) {
    const kept = keptFields[field];
    if (!kept) throw new Error(`metropolisAccept: the current state has no field "${field}" to blend with`);
    state[field] = select(maskFor(isAccepted, proposed.rank), finiteOr(proposed, kept), kept);
  }
  return {
    state: state as S,
    info: { acceptanceRate: tf.mul(acceptanceProbability(logAcceptance, notNaN), admissible) as tf.Tensor1D, isAccepted, isInvalid, logAcceptance },
  };
}
