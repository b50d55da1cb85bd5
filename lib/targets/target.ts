/**
 * The `Target` contract (DESIGN.md section 3): an unnormalised log-density on R^d, batch-first, with whatever
 * ground truth is known living next to it (log Z, exact sampler, modes and their weights, moments).
 */
import * as tf from '@tensorflow/tfjs';
import type { Key } from '../core/random.js';
import { readValues } from '../core/readback.js';
import { invalidOption, showValue, verbatim } from '../core/validate.js';

export interface Modes {
  /** True mode weights (sum to 1). */
  weights: number[];
  /** Index of the mode each row of x belongs to (int32, length n), read back once, asynchronously. */
  assign(x: tf.Tensor2D): Promise<Int32Array>;
}

export interface Target {
  name: string;
  dim: number;
  /** Unnormalised log-density, x [n, d] -> [n]. */
  logDensity(x: tf.Tensor2D): tf.Tensor1D;
  /** Analytic gradient of logDensity, [n, d] -> [n, d]; autodiff is used when absent. */
  gradLogDensity?(x: tf.Tensor2D): tf.Tensor2D;
  /** Both at once when that is cheaper than two calls (mixtures share the responsibilities). */
  logDensityAndGrad?(x: tf.Tensor2D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D };
  /** log of the normalising constant of exp(logDensity), when known. */
  logZ?: number;
  /** Exact samples, [n, d]. */
  sample?(key: Key, n: number): tf.Tensor2D;
  modes?: Modes;
  /** Exact mean and per-coordinate variance, when known (used by tests and metrics). */
  mean?: number[];
  variance?: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// The contract, checked at the boundary, and errors about the user's own target

/** An error about a user's target: it names the target, what failed and how to fix it (`cause`: the original error). */
export class TargetError extends Error {
  override name = 'TargetError';
}

const targetName = (target: { name?: unknown }) => (typeof target.name === 'string' ? target.name : 'unnamed');

/**
 * The structure of a target (no evaluation): an object with a positive integer `dim`, a `logDensity` function and,
 * when present, function-valued `gradLogDensity` / `logDensityAndGrad`. Cheap; samplers call it at their entry.
 */
export function checkTarget(where: string, target: unknown, option = 'target'): asserts target is Target {
  if (target == null || typeof target !== 'object') invalidOption(where, option, target, 'a Target { name, dim, logDensity }');
  const t = target as Record<string, unknown>;
  const fail = (field: string, expected: string): never => {
    throw new TargetError(`${where}: target "${targetName(t)}" has "${field}" = ${showValue(t[field])}, expected ${expected}`);
  };
  if (!Number.isSafeInteger(t.dim) || (t.dim as number) < 1) {
    fail('dim', 'a positive integer: the number of coordinates (logDensity takes x of shape [n, dim])');
  }
  if (typeof t.logDensity !== 'function') fail('logDensity', 'a function (x [n, dim]) -> tf.Tensor1D [n]');
  for (const field of ['gradLogDensity', 'logDensityAndGrad']) {
    if (t[field] !== undefined && typeof t[field] !== 'function') fail(field, 'a function of x [n, dim], or no such field');
  }
}

/** Hints for tfjs failures inside a user's functions, keyed on the message. */
const HINTS: readonly (readonly [RegExp, (match: RegExpMatchArray) => string])[] = [
  [
    /gradient function not found for (\w+)/i,
    (m) =>
      `tfjs has no gradient for the op ${m[1]}: logDensity is differentiated by autodiff and uses a comparison or tf.where ` +
      '(tf.greater, tf.less, tf.equal, ...) or another op without a gradient on the path to its value. Write that part with ' +
      'differentiable ops (tf.relu, tf.abs, tf.maximum, a mask multiplied in), or give the target ' +
      'gradLogDensity(x) -> [n, dim] (or logDensityAndGrad(x) -> { logDensity, grad }) so that autodiff is not used',
  ],
  [
    /Size\(\d+\) must match the product of shape/,
    () => 'a shape does not fit: logDensity takes x of shape [n, dim] and must return shape [n] (reduce the last axis with tf.sum(..., 1), or squeeze a [n, 1] result)',
  ],
  [
    /disposed/i,
    () => 'a tensor the target holds was disposed: create the tensors logDensity captures outside tf.tidy (or tf.keep them) and dispose them after sampling',
  ],
  [
    /Inner dimensions|must match|broadcast/i,
    () => 'a shape does not fit: x is a batch of shape [n, dim] (one row per chain or particle), so matmuls and broadcasts must treat its first axis as the batch',
  ],
];

/** Run one of the target's own functions; a failure inside it is rethrown naming the target, with a hint. */
export function callTarget<T>(target: Target, part: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof TargetError) throw err;
    const message = (err instanceof Error ? err.message : String(err)).replace(/\.+$/, '');
    const hint = HINTS.map(([pattern, text]) => {
      const m = message.match(pattern);
      return m ? text(m) : undefined;
    }).find((h) => h !== undefined);
    throw new TargetError(`target "${targetName(target)}": ${part} failed: ${message}${hint ? `. ${hint}` : ''}`, { cause: err });
  }
}

/** Targets whose outputs have been checked, by what was checked ('logDensity', 'grad'): the contract is checked once. */
const checkedTargets = new WeakMap<Target, Set<string>>();

function firstUse(target: Target, part: string): boolean {
  const parts = checkedTargets.get(target);
  return !(parts?.has(part) ?? false);
}

function markChecked(target: Target, part: string): void {
  const parts = checkedTargets.get(target) ?? new Set<string>();
  parts.add(part);
  checkedTargets.set(target, parts);
}

/** Throw (disposing `outputs`) unless `value` is a tensor of shape `expected`. */
function checkOutputShape(target: Target, fn: string, value: unknown, x: tf.Tensor2D, expected: number[], fix: string, outputs: tf.Tensor[]): void {
  if (value instanceof tf.Tensor && value.shape.join() === expected.join()) return;
  tf.dispose(outputs);
  const got = value instanceof tf.Tensor ? `shape [${value.shape.join(', ')}]` : showValue(value);
  throw new TargetError(
    `target "${targetName(target)}": ${fn} returned ${got} for x of shape [${x.shape.join(', ')}], expected a tensor of shape [${expected.join(', ')}] (${fix})`,
  );
}

const ONE_PER_ROW = 'one value per row of x: reduce the last axis with tf.sum(..., 1), or squeeze a [n, 1] result';

/**
 * The target's log-density at x [n, d], [n]. The first call for a target checks the contract (its structure and
 * the shape of what logDensity returns); every call rethrows a failure inside the user's code naming the target.
 */
export function logDensityOf(target: Target, x: tf.Tensor2D): tf.Tensor1D {
  const first = firstUse(target, 'logDensity');
  if (first) checkTarget('logDensity', target);
  const value = callTarget(target, 'logDensity', () => target.logDensity(x));
  if (first) {
    checkOutputShape(target, 'logDensity', value, x, [x.shape[0]], ONE_PER_ROW, [value]);
    markChecked(target, 'logDensity');
  }
  return value;
}

/**
 * log-density and its gradient for any target: the analytic forms when the target has them, otherwise
 * autodiff of the summed log-density (per-chain gradients, since chains do not interact). The first call for a
 * target checks the contract (shapes [n] and [n, d]); failures inside the user's code name the target, with a hint.
 */
export function logDensityAndGrad(target: Target, x: tf.Tensor2D): { logDensity: tf.Tensor1D; grad: tf.Tensor2D } {
  const first = firstUse(target, 'grad');
  if (first) checkTarget('logDensityAndGrad', target);
  const out = callTarget(target, target.logDensityAndGrad || target.gradLogDensity ? 'logDensityAndGrad' : 'logDensity or its autodiff gradient', () => {
    if (target.logDensityAndGrad) return target.logDensityAndGrad(x);
    if (target.gradLogDensity) return { logDensity: target.logDensity(x), grad: target.gradLogDensity(x) };
    return tf.tidy(() => {
      const { value, grad } = tf.valueAndGrad((xi: tf.Tensor) => tf.sum(target.logDensity(xi as tf.Tensor2D)))(x);
      value.dispose();
      // valueAndGrad only returns the sum; recompute the per-chain values (cheap next to the gradient).
      return { logDensity: target.logDensity(x), grad: grad as tf.Tensor2D };
    });
  });
  if (first) {
    const outputs = [out.logDensity, out.grad].filter((t) => t instanceof tf.Tensor);
    checkOutputShape(target, 'logDensity', out.logDensity, x, [x.shape[0]], ONE_PER_ROW, outputs);
    checkOutputShape(target, 'its gradient', out.grad, x, [...x.shape], 'the gradient of each row\'s log-density, the shape of x', outputs);
    markChecked(target, 'grad');
  }
  return out;
}

/** Throw a clear error unless x is a rank-2 float tensor with `dim` columns. */
export function checkPositions(where: string, x: unknown, dim: number, option = 'position'): asserts x is tf.Tensor2D {
  if (!Number.isSafeInteger(dim) || dim < 1) {
    throw new TargetError(`${where}: the target's "dim" = ${showValue(dim)}, expected a positive integer (the number of coordinates; a Target is { name, dim, logDensity })`);
  }
  if (!(x instanceof tf.Tensor)) {
    invalidOption(where, option, x, `a tf.Tensor of shape [n, ${dim}]`, verbatim);
  }
  if (x.rank !== 2 || x.shape[1] !== dim) {
    throw new Error(`${where}: option "${option}" has shape [${x.shape.join(', ')}], expected [n, ${dim}]`);
  }
}

/** Throw a clear error if x holds NaN or infinite entries (one async read-back: use at boundaries, not in loops). */
export async function checkFinite(where: string, x: tf.Tensor, option = 'position'): Promise<void> {
  const values = await readValues(x);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`${where}: option "${option}" has a non-finite entry ${values[i]} at flat index ${i}, expected finite values`);
    }
  }
}
