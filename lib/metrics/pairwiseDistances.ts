/**
 * Pairwise squared Euclidean distances between two sample sets, computed on the device in blocks as matmuls
 * (DESIGN.md section 4: |a|^2 + |b|^2 - 2 a.b^T, never an [n, m, d] broadcast), so that 2 x 4096 points need
 * a few [blockSize, blockSize] tensors at a time instead of an [n, m] matrix.
 *
 * Float32 guard: the matmul form loses about eps32 * (|a|^2 + |b|^2) to cancellation, so squared distances
 * below `FLOAT32_NOISE_FLOOR * (|a|^2 + |b|^2)` (32 float32 ulps, relative) are set to exactly 0: an identical
 * pair gives distance 0, not sqrt(rounding noise). Callers centre the points first (pooled mean) to keep
 * |a|^2 small. Sums over blocks are accumulated in float64 on the JS side from per-row block sums (each a
 * float32 sum of at most `blockSize` terms).
 */
import * as tf from '@tensorflow/tfjs';
import type { ValueStream } from './orderStatistic.js';
import { readValues, type HostValues } from '../core/readback.js';
import { checkInteger, invalidOption } from '../core/validate.js';

/** Relative threshold under which a squared distance is float32 cancellation noise (32 ulps). */
export const FLOAT32_NOISE_FLOOR = 32 * 2 ** -23;

/** Default block edge: [1024, 1024] float32 blocks, 4 MB each. */
export const DEFAULT_BLOCK_SIZE = 1024;

/** Where a block lies in the [n, m] distance matrix. */
export interface BlockPosition {
  rowStart: number;
  colStart: number;
  rows: number;
  cols: number;
  /** A self-distance block on the diagonal (rowStart === colStart, `b` omitted). */
  onDiagonal: boolean;
}

export interface DistanceBlock extends BlockPosition {
  /** Squared distances `[rows, cols]`: entry (i, j) is |a[rowStart + i] - b[colStart + j]|^2. */
  d2: tf.Tensor2D;
}

/** Block results read back but not yet visited, at most: the device computes the next blocks meanwhile. */
const READS_IN_FLIGHT = 4;

/**
 * Visit the squared distances between the rows of `a` `[n, d]` and `b` `[m, d]` block by block. With
 * `b === null` (distances within `a`), only the blocks on or above the diagonal are visited. `reduce(block)` runs
 * inside `tf.tidy` and returns the tensor to read (the block itself, its row sums...): the block and whatever else
 * `reduce` creates are freed when it returns. Each result is read back asynchronously, once, and handed to
 * `visit(values, position)` in block order; up to 4 reads are queued before the oldest is awaited.
 */
export async function forEachDistanceBlock(
  a: tf.Tensor2D,
  b: tf.Tensor2D | null,
  blockSize: number,
  reduce: (block: DistanceBlock) => tf.Tensor,
  visit: (values: HostValues, position: BlockPosition) => void,
): Promise<void> {
  const fn = 'forEachDistanceBlock';
  checkInteger(fn, 'blockSize', blockSize);
  if (!(a instanceof tf.Tensor) || a.rank !== 2) invalidOption(fn, 'a', a, 'a rank-2 tensor [n, d]');
  if (b !== null && (!(b instanceof tf.Tensor) || b.rank !== 2 || b.shape[1] !== a.shape[1])) {
    invalidOption(fn, 'b', b, `null or a rank-2 tensor [m, ${a.shape[1]}] (the same d as "a")`);
  }
  const self = b === null;
  const other = b ?? a;
  const [n, d] = a.shape;
  const m = other.shape[0];
  const columnBlocks = tf.tidy(() => {
    const otherT = tf.transpose(other); // materialised once; no transposed matmul (DESIGN.md trap 1)
    const otherNorms = tf.reshape(tf.sum(tf.square(other), 1), [1, m]);
    const blocks: { t: tf.Tensor2D; norms: tf.Tensor2D; start: number; cols: number }[] = [];
    for (let start = 0; start < m; start += blockSize) {
      const cols = Math.min(blockSize, m - start);
      blocks.push({
        t: tf.slice(otherT, [0, start], [d, cols]) as tf.Tensor2D,
        norms: tf.slice(otherNorms, [0, start], [1, cols]) as tf.Tensor2D,
        start,
        cols,
      });
    }
    return blocks;
  });
  const pending: { result: tf.Tensor; values: Promise<HostValues>; position: BlockPosition }[] = [];
  const visitOldest = async (keep: number) => {
    while (pending.length > keep) {
      const { result, values, position } = pending[0];
      try {
        visit(await values, position);
      } finally {
        pending.shift();
        result.dispose();
      }
    }
  };
  try {
    for (let rowStart = 0; rowStart < n; rowStart += blockSize) {
      const rows = Math.min(blockSize, n - rowStart);
      const rowBlock = tf.tidy(() => {
        const x = tf.slice(a, [rowStart, 0], [rows, d]) as tf.Tensor2D;
        return { x, norms: tf.sum(tf.square(x), 1, true) as tf.Tensor2D };
      });
      try {
        for (const col of columnBlocks) {
          if (self && col.start < rowStart) continue;
          const position = { rowStart, colStart: col.start, rows, cols: col.cols, onDiagonal: self && col.start === rowStart };
          const result = tf.tidy(() => {
            const normSum = tf.add(rowBlock.norms, col.norms);
            const raw = tf.sub(normSum, tf.mul(tf.matMul(rowBlock.x, col.t), 2));
            const isSignal = tf.step(tf.sub(raw, tf.mul(normSum, FLOAT32_NOISE_FLOOR)));
            return reduce({ d2: tf.mul(raw, isSignal) as tf.Tensor2D, ...position });
          });
          pending.push({ result, values: readValues(result), position });
          await visitOldest(READS_IN_FLIGHT - 1);
        }
      } finally {
        tf.dispose(rowBlock);
      }
    }
    await visitOldest(0);
  } finally {
    // After an error: let the queued reads settle before their tensors are freed.
    await Promise.allSettled(pending.map((p) => p.values));
    tf.dispose(pending.map((p) => p.result));
    tf.dispose(columnBlocks.flatMap((c) => [c.t, c.norms]));
  }
}

/**
 * Sum of `kernel(|a_i - b_j|^2)` over all pairs (i, j); with `b === null`, over all ordered pairs i != j of
 * `a` (twice the sum over i < j). `kernel` maps a squared-distance block to a same-shape block. float64, from the
 * per-row sums of each block (read back asynchronously).
 */
export async function pairwiseKernelSum(
  a: tf.Tensor2D,
  b: tf.Tensor2D | null,
  blockSize: number,
  kernel: (d2: tf.Tensor2D) => tf.Tensor,
): Promise<number> {
  let total = 0;
  await forEachDistanceBlock(
    a,
    b,
    blockSize,
    ({ d2, rows, onDiagonal }) => {
      let values = kernel(d2);
      if (onDiagonal) values = tf.mul(values, tf.sub(1, tf.eye(rows))); // drop i == j exactly
      return tf.sum(values, 1);
    },
    (rowSums, { onDiagonal }) => {
      let blockTotal = 0;
      for (let i = 0; i < rowSums.length; i++) blockTotal += rowSums[i];
      // Off-diagonal self blocks stand for both (i, j) and (j, i).
      total += b === null && !onDiagonal ? 2 * blockTotal : blockTotal;
    },
  );
  return total;
}

/**
 * The squared distances |a_i - a_j|^2 for i < j (each unordered pair once), as a reproducible stream for
 * `kthSmallestStreamed`: every call recomputes the blocks and hands them over one by one.
 */
export function upperTriangleSquaredDistances(a: tf.Tensor2D, blockSize: number): ValueStream {
  return (visitValues) =>
    forEachDistanceBlock(a, null, blockSize, ({ d2 }) => d2, (values, { rows, cols, onDiagonal }) => {
      if (!onDiagonal) {
        visitValues(values);
        return;
      }
      const upper = new Float32Array((rows * (rows - 1)) / 2);
      let k = 0;
      for (let i = 0; i < rows; i++) for (let j = i + 1; j < cols; j++) upper[k++] = values[i * cols + j];
      visitValues(upper);
    });
}
