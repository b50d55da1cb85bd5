/**
 * Sample sets as the metrics read them: `n` points in `d` dimensions, copied once to a float64 row-major
 * array (the boundary where shapes and finiteness are checked; a tensor is read back once, asynchronously, so
 * every metric that takes samples is async), and uploaded to the device as float32 when a metric needs matmuls.
 *
 * Accepted inputs (`SampleInput`):
 *   - a rank-2 tensor `[n, d]`, or a rank-1 tensor `[n]` (read as `[n, 1]`);
 *   - an array of `n` rows, each an array (or typed array) of `d` numbers;
 *   - a flat `number[]` / `Float64Array` / `Float32Array` of `n` numbers (read as `[n, 1]`, 1-D samples);
 *   - runChain's trace `{ shape: [numDraws, numChains, d], data }` (lib/core/trace.ts), read as its pooled
 *     draws `[numDraws * numChains, d]`; `{ shape: [n, d] or [n], data }` as `[n, d]` or `[n, 1]`.
 */
import * as tf from '@tensorflow/tfjs';
import { readFloat64 } from '../core/readback.js';
import { invalidOption, showValue } from '../core/validate.js';
import { isTrace, type Trace } from '../core/trace.js';

/** `n` points in `dim` dimensions; point `i`, coordinate `j` is `data[i * dim + j]`. */
export interface SampleMatrix {
  n: number;
  dim: number;
  data: Float64Array;
}

export type SampleInput = tf.Tensor | ArrayLike<number> | ArrayLike<ArrayLike<number>> | Trace<Float32Array | Float64Array>;

const EXPECTED = 'samples [n, d]: a rank-2 tensor, an array of n rows of d numbers, or a flat array of n numbers';

function isNumericArray(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

/**
 * Read and check a sample set: rank, ragged rows, non-finite entries, and at least `minCount` points (a tensor
 * is read back once, asynchronously). The error names the function, the option (`x`, `y`, `reference`...), the
 * value and what was expected.
 */
export async function readSamples(fn: string, option: string, input: unknown, minCount = 1): Promise<SampleMatrix> {
  let n: number;
  let dim: number;
  let data: Float64Array;
  if (input instanceof tf.Tensor) {
    if (input.rank !== 1 && input.rank !== 2) invalidOption(fn, option, input, EXPECTED);
    if (input.isDisposed) invalidOption(fn, option, input, 'a live tensor (this one is disposed)');
    n = input.shape[0];
    dim = input.rank === 2 ? input.shape[1] : 1;
    data = await readFloat64(input);
  } else if (isTrace(input)) {
    const { shape } = input;
    if (shape.length < 1 || shape.length > 3 || input.data.length !== shape.reduce((a, b) => a * b, 1)) {
      invalidOption(fn, option, input, `${EXPECTED}, or a trace { shape: [numDraws, numChains, d], data } whose data has the shape's size`);
    }
    dim = shape.length === 1 ? 1 : shape[shape.length - 1];
    n = input.data.length / Math.max(dim, 1);
    data = Float64Array.from(input.data);
  } else if (isNumericArray(input)) {
    n = input.length;
    const first = n > 0 ? input[0] : undefined;
    if (n === 0 || typeof first === 'number') {
      dim = 1;
      data = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = input[i];
        if (typeof v !== 'number') invalidOption(fn, option, input, `${EXPECTED} (entry [${i}] is ${showValue(v)})`);
        data[i] = v;
      }
    } else {
      if (!isNumericArray(first)) invalidOption(fn, option, input, `${EXPECTED} (row 0 is ${showValue(first)})`);
      dim = first.length;
      data = new Float64Array(n * dim);
      for (let i = 0; i < n; i++) {
        const row = input[i];
        if (!isNumericArray(row) || row.length !== dim) {
          invalidOption(fn, option, input, `${EXPECTED}; row ${i} is ${showValue(row)} but row 0 has ${dim} entries`);
        }
        for (let j = 0; j < dim; j++) {
          const v = row[j];
          if (typeof v !== 'number') invalidOption(fn, option, input, `${EXPECTED} (entry [${i}][${j}] is ${showValue(v)})`);
          data[i * dim + j] = v;
        }
      }
    }
  } else {
    invalidOption(fn, option, input, EXPECTED);
  }
  if (dim === 0) invalidOption(fn, option, input, 'samples with d >= 1 coordinates (got d = 0)');
  if (n < minCount) invalidOption(fn, option, input, `at least ${minCount} sample${minCount === 1 ? '' : 's'} (got n = ${n})`);
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      const i = Math.floor(k / dim);
      throw new Error(
        `${fn}: option "${option}" has a non-finite entry ${data[k]} at row ${i}, column ${k - i * dim}; ` +
          'expected finite samples',
      );
    }
  }
  return { n, dim, data };
}

/**
 * Read two sample sets (their reads queued together) and check that they have the same dimension: the inputs
 * of the two-sample metrics, `names` being their option names.
 */
export async function readSamplePair(
  fn: string,
  names: readonly [string, string],
  a: unknown,
  b: unknown,
  minCount = 1,
): Promise<[SampleMatrix, SampleMatrix]> {
  const [as, bs] = await Promise.all([readSamples(fn, names[0], a, minCount), readSamples(fn, names[1], b, minCount)]);
  checkSameDim(fn, as, names[0], bs, names[1]);
  return [as, bs];
}

/** Throw unless both sample sets have the same dimension. */
export function checkSameDim(fn: string, a: SampleMatrix, aName: string, b: SampleMatrix, bName: string): number {
  if (a.dim !== b.dim) {
    throw new Error(
      `${fn}: option "${bName}" has d = ${b.dim} coordinates but "${aName}" has d = ${a.dim}; ` +
        'expected both sample sets in the same dimension',
    );
  }
  return a.dim;
}

/** Coordinate-wise mean (float64) of one or more sample sets pooled together. */
export function pooledMean(...sets: SampleMatrix[]): Float64Array {
  const dim = sets[0].dim;
  const mean = new Float64Array(dim);
  let count = 0;
  for (const s of sets) {
    for (let i = 0; i < s.n; i++) for (let j = 0; j < dim; j++) mean[j] += s.data[i * dim + j];
    count += s.n;
  }
  for (let j = 0; j < dim; j++) mean[j] /= count;
  return mean;
}

/** A copy of `s` with `shift` subtracted from every point. */
export function shifted(s: SampleMatrix, shift: Float64Array): SampleMatrix {
  const data = new Float64Array(s.data.length);
  for (let i = 0; i < s.n; i++) for (let j = 0; j < s.dim; j++) data[i * s.dim + j] = s.data[i * s.dim + j] - shift[j];
  return { n: s.n, dim: s.dim, data };
}

/** Coordinate `j` of every point, as a float64 array of length n. */
export function column(s: SampleMatrix, j: number): Float64Array {
  const out = new Float64Array(s.n);
  for (let i = 0; i < s.n; i++) out[i] = s.data[i * s.dim + j];
  return out;
}

/** The samples as a float32 `[n, d]` tensor (the caller disposes it). */
export function toTensor(s: SampleMatrix): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(s.data), [s.n, s.dim]);
}
