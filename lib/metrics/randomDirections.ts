/**
 * Random unit directions for sliced metrics (sliced Wasserstein, sliced KS): normalised standard Gaussian
 * vectors, i.e. uniform on the unit sphere S^{d-1}, as SLIPS `torch.randn(L, d) / norm` — drawn from a `Key`,
 * in float64, so the same key gives the same directions on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { normalArray, type Key } from '../core/random.js';
import { readAll } from '../core/readback.js';
import { checkInteger, invalidOption } from '../core/validate.js';
import { toTensor, type SampleMatrix } from './samples.js';

/** `numDirections` unit vectors in R^dim, row-major `[numDirections, dim]` float64. */
export function randomUnitDirections(key: Key, numDirections: number, dim: number): Float64Array {
  const fn = 'randomUnitDirections';
  checkInteger(fn, 'numDirections', numDirections);
  checkInteger(fn, 'dim', dim);
  const u = normalArray(key, numDirections * dim);
  for (let k = 0; k < numDirections; k++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += u[k * dim + j] ** 2;
    norm = Math.sqrt(norm); // > 0 with probability 1 (polar-method normals are never all 0)
    for (let j = 0; j < dim; j++) u[k * dim + j] /= norm;
  }
  return u;
}

/**
 * Projections of one or more sample sets `[n_s, dim]` (float32 tensors) onto directions `[numDirections, dim]`,
 * in groups of directions: `visit(projections, first, count)` gets, for each set s, a float64 array whose entry
 * `k * n_s + i` is <direction first + k, sample i>. Computed as directions @ samples^T on the device (samples^T
 * materialised once, no transposed matmul), read back once per group (all sets in one round trip,
 * asynchronously); a group holds at most `maxEntries` projections per set, so memory stays bounded whatever
 * numDirections is.
 */
export async function forEachProjectionGroup(
  sampleSets: tf.Tensor2D[],
  directions: Float64Array,
  numDirections: number,
  visit: (projections: Float64Array[], firstDirection: number, count: number) => void,
  maxEntries = 2 ** 22,
): Promise<void> {
  const fn = 'forEachProjectionGroup';
  checkInteger(fn, 'numDirections', numDirections);
  checkInteger(fn, 'maxEntries', maxEntries);
  if (!Array.isArray(sampleSets) || sampleSets.length === 0) invalidOption(fn, 'sampleSets', sampleSets, 'a non-empty array of [n, d] tensors');
  const dim = sampleSets[0].shape[1];
  for (const s of sampleSets) {
    if (!(s instanceof tf.Tensor) || s.rank !== 2 || s.shape[1] !== dim) {
      invalidOption(fn, 'sampleSets', s, `rank-2 tensors [n, ${dim}] with the same d`);
    }
  }
  if (!(directions instanceof Float64Array) || directions.length !== numDirections * dim) {
    invalidOption(fn, 'directions', directions, `a Float64Array of numDirections * d = ${numDirections * dim} values`);
  }
  const largest = Math.max(...sampleSets.map((s) => s.shape[0]));
  const groupSize = Math.max(1, Math.floor(maxEntries / largest));
  const transposed = sampleSets.map((s) => tf.transpose(s));
  try {
    for (let first = 0; first < numDirections; first += groupSize) {
      const count = Math.min(groupSize, numDirections - first);
      const p = tf.tidy(() => {
        const u = tf.tensor2d(Float32Array.from(directions.subarray(first * dim, (first + count) * dim)), [count, dim]);
        return transposed.map((t) => tf.matMul(u, t));
      });
      const values = await readAll(p).finally(() => tf.dispose(p));
      visit(values.map((v) => Float64Array.from(v)), first, count);
    }
  } finally {
    tf.dispose(transposed);
  }
}

/**
 * The sum over `numDirections` random unit directions (drawn from `key`) of `statistic(a . u, b . u)`, the
 * projections of the two sample sets on direction u (float64 arrays of length a.n and b.n, free to sort in
 * place): the Monte Carlo core of the sliced metrics (sliced W2, sliced KS). The samples go to the device once.
 */
export async function sumOverRandomProjections(
  key: Key,
  a: SampleMatrix,
  b: SampleMatrix,
  numDirections: number,
  statistic: (projectedA: Float64Array, projectedB: Float64Array) => number,
): Promise<number> {
  const directions = randomUnitDirections(key, numDirections, a.dim);
  const at = toTensor(a);
  const bt = toTensor(b);
  let total = 0;
  try {
    await forEachProjectionGroup([at, bt], directions, numDirections, ([pa, pb], _first, count) => {
      for (let k = 0; k < count; k++) {
        total += statistic(pa.subarray(k * a.n, (k + 1) * a.n), pb.subarray(k * b.n, (k + 1) * b.n));
      }
    });
  } finally {
    at.dispose();
    bt.dispose();
  }
  return total;
}
