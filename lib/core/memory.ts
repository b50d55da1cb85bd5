/**
 * Loop memory helpers: run N steps that each return a new state, keep the new state's tensors and
 * dispose the old ones, so that `tf.memory().numTensors` stays flat over a run (DESIGN.md section 4).
 */
import * as tf from '@tensorflow/tfjs';
import { invalidOption } from './validate.js';

/** Every tensor reachable from a state object (plain objects and arrays are walked, as tf.tidy does). */
export function tensorsIn(container: unknown, out: Set<tf.Tensor> = new Set()): Set<tf.Tensor> {
  if (container instanceof tf.Tensor) {
    out.add(container);
  } else if (Array.isArray(container)) {
    for (const item of container) tensorsIn(item, out);
  } else if (container != null && typeof container === 'object' && !ArrayBuffer.isView(container)) {
    for (const item of Object.values(container)) tensorsIn(item, out);
  }
  return out;
}

/** Dispose the tensors of `old` that do not also appear in `keep` (a step may pass a tensor through). */
export function disposeReplaced(old: unknown, keep: unknown): void {
  const kept = tensorsIn(keep);
  for (const t of tensorsIn(old)) {
    if (!kept.has(t) && !t.isDisposed) t.dispose();
  }
}

/**
 * One step of a loop: run `step` in a tidy scope (intermediates are freed), then dispose what the
 * old state held and the new one does not. The caller owns the returned state.
 */
export function advance<S extends tf.TensorContainer>(state: S, step: (state: S) => S): S {
  const next = tf.tidy(() => step(state));
  disposeReplaced(state, next);
  return next;
}

/**
 * Run `numSteps` steps of `step(state, i)`; the initial state is consumed (its tensors are disposed
 * unless the result still holds them). Intermediates of each step are freed.
 */
export function iterate<S extends tf.TensorContainer>(
  state: S,
  numSteps: number,
  step: (state: S, i: number) => S,
): S {
  if (!Number.isInteger(numSteps) || numSteps < 0) invalidOption('iterate', 'numSteps', numSteps, 'a non-negative integer');
  let current = state;
  for (let i = 0; i < numSteps; i++) {
    current = advance(current, (s) => step(s, i));
  }
  return current;
}

/**
 * Run `fn` and return its result together with how many tensors it left allocated
 * (`tf.memory().numTensors` after minus before). Used by the memory tests of kernels and trainers.
 */
export function countNewTensors<T>(fn: () => T): { result: T; leaked: number } {
  const before = tf.memory().numTensors;
  const result = fn();
  return { result, leaked: tf.memory().numTensors - before };
}
