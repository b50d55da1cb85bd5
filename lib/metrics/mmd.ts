/**
 * Maximum mean discrepancy with a Gaussian kernel k(x, y) = exp(-|x - y|^2 / (2 h^2)) (Gretton et al. 2012),
 * as in LRDS `additions/mmd.py` (papers/slips-lrds-amcbg.md section 2.8):
 *
 *   unbiased  MMD^2 = sum_{i != j} k(x_i, x_j) / (n (n-1)) + sum_{i != j} k(y_i, y_j) / (m (m-1))
 *                     - 2 sum_{i, j} k(x_i, y_j) / (n m)
 *   biased    MMD^2 = sum_{i, j} k(x_i, x_j) / n^2 + sum_{i, j} k(y_i, y_j) / m^2 - 2 sum_{i, j} k(x_i, y_j) / (n m)
 *
 * The unbiased estimate can be negative (its expectation is the true MMD^2 >= 0); `mmd` reports LRDS's
 * sqrt(max(1e-20, MMD^2)).
 *
 * Median heuristic (LRDS): h^2 = the median of the pairwise squared distances of the POOLED sample z = [x; y]
 * over unordered pairs i < j (the upper triangles of XX and YY plus all of XY), the lower median for an even
 * count (torch.median). Hence h = the median pairwise distance. Exact (streamed selection, see
 * `orderStatistic.ts`), never a subsample.
 *
 * Cost: O((n + m)^2 d) flops as [blockSize, blockSize] matmul blocks on the device, O(blockSize^2) device memory
 * (plus about 40 MB on the JS side for the median's selection buffers);
 * the median heuristic adds two passes (usually) over the (n + m)^2 / 2 pooled distances (about 3 s for
 * 2 x 4096 points in 8-D on 2 busy CPU cores, wasm; the kernel sums take about 1.5 s).
 */
import * as tf from '@tensorflow/tfjs';
import { checkChoice, checkInteger, checkOptions, invalidOption } from '../core/validate.js';
import { pooledMean, readSamplePair, shifted, toTensor, type SampleInput } from './samples.js';
import { DEFAULT_BLOCK_SIZE, pairwiseKernelSum, upperTriangleSquaredDistances } from './pairwiseDistances.js';
import { kthSmallestStreamed } from './orderStatistic.js';

export interface MmdOptions {
  /** Kernel bandwidth h > 0, or 'median' for the median heuristic on the pooled sample (default 'median'). */
  bandwidth?: number | 'median';
  /** 'unbiased' (U-statistic, LRDS; default) or 'biased' (V-statistic, >= 0, 0 up to float32 rounding for identical sets). */
  estimator?: 'unbiased' | 'biased';
  /** Edge of the distance blocks computed at once (default 1024). */
  blockSize?: number;
}

const MMD_OPTIONS = ['bandwidth', 'estimator', 'blockSize'] as const;

interface PreparedPair {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  nx: number;
  ny: number;
}

/** Read both sets, centre them on the pooled mean (less float32 cancellation), upload them. */
async function preparePair(fn: string, xIn: SampleInput, yIn: SampleInput, minCount: number): Promise<PreparedPair> {
  const [xs, ys] = await readSamplePair(fn, ['x', 'y'], xIn, yIn, minCount);
  const mean = pooledMean(xs, ys);
  return { x: toTensor(shifted(xs, mean)), y: toTensor(shifted(ys, mean)), nx: xs.n, ny: ys.n };
}

async function lowerMedianBandwidth(x: tf.Tensor2D, y: tf.Tensor2D, blockSize: number): Promise<number> {
  const pooled = tf.concat([x, y], 0) as tf.Tensor2D;
  try {
    const n = pooled.shape[0];
    const numPairs = (n * (n - 1)) / 2;
    const medianSquared = await kthSmallestStreamed(upperTriangleSquaredDistances(pooled, blockSize), Math.floor((numPairs - 1) / 2));
    return Math.sqrt(medianSquared);
  } finally {
    pooled.dispose();
  }
}

/**
 * Median-heuristic bandwidth h of LRDS: the (lower) median of |z_i - z_j| over pairs i < j of the pooled sample
 * z = [x; y], so that the kernel is exp(-d^2 / (2 h^2)). Throws if it is 0 (over half the pairs coincide).
 */
export async function medianHeuristicBandwidth(x: SampleInput, y: SampleInput, options: { blockSize?: number } = {}): Promise<number> {
  const fn = 'medianHeuristicBandwidth';
  const opts = checkOptions<{ blockSize: number }>(fn, options, ['blockSize']);
  const blockSize = checkInteger(fn, 'blockSize', opts.blockSize ?? DEFAULT_BLOCK_SIZE);
  const p = await preparePair(fn, x, y, 1);
  try {
    return checkedBandwidth(fn, await lowerMedianBandwidth(p.x, p.y, blockSize));
  } finally {
    tf.dispose([p.x, p.y]);
  }
}

function checkedBandwidth(fn: string, h: number): number {
  if (!(h > 0)) {
    throw new Error(
      `${fn}: the median heuristic gives bandwidth ${h} (more than half of the pooled pairs coincide); ` +
        'pass option "bandwidth" explicitly',
    );
  }
  return h;
}

/** The MMD^2 estimate between samples x `[n, d]` and y `[m, d]` (tensors or arrays, see `samples.ts`). */
export async function mmdSquared(x: SampleInput, y: SampleInput, options: MmdOptions = {}): Promise<number> {
  return estimateMmdSquared('mmdSquared', x, y, options);
}

/** LRDS's reported MMD: sqrt(max(1e-20, MMD^2)) with the same options as `mmdSquared`. */
export async function mmd(x: SampleInput, y: SampleInput, options: MmdOptions = {}): Promise<number> {
  return Math.sqrt(Math.max(1e-20, await estimateMmdSquared('mmd', x, y, options)));
}

async function estimateMmdSquared(fn: string, x: SampleInput, y: SampleInput, options: MmdOptions): Promise<number> {
  const opts = checkOptions<MmdOptions>(fn, options, MMD_OPTIONS);
  const estimator = checkChoice(fn, 'estimator', opts.estimator ?? 'unbiased', ['unbiased', 'biased'] as const);
  const blockSize = checkInteger(fn, 'blockSize', opts.blockSize ?? DEFAULT_BLOCK_SIZE);
  const bandwidthOption = opts.bandwidth ?? 'median';
  if (bandwidthOption !== 'median' && !(typeof bandwidthOption === 'number' && Number.isFinite(bandwidthOption) && bandwidthOption > 0)) {
    invalidOption(fn, 'bandwidth', bandwidthOption, 'a finite number > 0 or "median"');
  }
  const p = await preparePair(fn, x, y, estimator === 'unbiased' ? 2 : 1);
  try {
    const h = bandwidthOption === 'median' ? checkedBandwidth(fn, await lowerMedianBandwidth(p.x, p.y, blockSize)) : bandwidthOption;
    const gaussian = (d2: tf.Tensor2D) => tf.exp(tf.mul(d2, -1 / (2 * h * h)));
    // Off-diagonal sums (i != j); the diagonal terms are k(x, x) = 1.
    const sumXX = await pairwiseKernelSum(p.x, null, blockSize, gaussian);
    const sumYY = await pairwiseKernelSum(p.y, null, blockSize, gaussian);
    const sumXY = await pairwiseKernelSum(p.x, p.y, blockSize, gaussian);
    const { nx: n, ny: m } = p;
    const cross = (2 * sumXY) / (n * m);
    if (estimator === 'unbiased') return sumXX / (n * (n - 1)) + sumYY / (m * (m - 1)) - cross;
    return (sumXX + n) / (n * n) + (sumYY + m) / (m * m) - cross;
  } finally {
    tf.dispose([p.x, p.y]);
  }
}
