import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, uniformArray } from '../../lib/core/random.js';
import { kthSmallestStreamed, type ValueStream } from '../../lib/metrics/orderStatistic.js';
import { forEachDistanceBlock, upperTriangleSquaredDistances } from '../../lib/metrics/pairwiseDistances.js';
import { useBackend } from '../helpers/backends.js';
import { gaussianRows, squaredDistance } from './metrics-fixtures.js';

before(async () => {
  await useBackend('wasm');
});

/** Stream `values` in chunks of `chunk`, counting the passes. */
function chunked(values: Float64Array, chunk: number): { stream: ValueStream; passes: () => number } {
  let passes = 0;
  return {
    stream: (visit) => {
      passes++;
      for (let i = 0; i < values.length; i += chunk) visit(values.subarray(i, i + chunk));
    },
    passes: () => passes,
  };
}

test('k-th smallest of a stream equals sorting, for every path (direct, bracket, histogram fallback, ties)', async () => {
  const continuous = Float64Array.from(uniformArray(key(61), 20000), (u) => Math.exp(6 * u)); // skewed
  const ties = Float64Array.from(uniformArray(key(62), 20000), (u) => Math.floor(5 * u)); // 5 distinct values
  for (const values of [continuous, ties]) {
    const sorted = Float64Array.from(values).sort();
    for (const k of [0, 1, 9999, 10000, 15000, 19999]) {
      for (const maxBuffer of [64, 1000, 1 << 15]) {
        assert.equal(await kthSmallestStreamed(chunked(values, 777).stream, k, maxBuffer), sorted[k], `k ${k}, maxBuffer ${maxBuffer}`);
      }
    }
  }
  // The usual case takes two passes: subsample, then the bracket around rank k.
  const median = chunked(continuous, 1000);
  await kthSmallestStreamed(median.stream, 9999, 4096);
  assert.equal(median.passes(), 2);
});

test('k-th smallest: bad k and non-reproducible streams are reported', async () => {
  const values = Float64Array.from({ length: 100 }, (_, i) => i);
  await assert.rejects(() => kthSmallestStreamed(chunked(values, 10).stream, 100), /option "k" = 100, expected an integer < the number of streamed values \(100\)/);
  await assert.rejects(() => kthSmallestStreamed(chunked(values, 10).stream, -1), /option "k" = -1, expected an integer >= 0/);
  await assert.rejects(() => kthSmallestStreamed(chunked(values, 10).stream, 5, 1), /option "maxBuffer" = 1, expected an integer >= 2/);
  let call = 0;
  const changing: ValueStream = (visit) => visit(call++ === 0 ? values : values.subarray(0, 10));
  await assert.rejects(() => kthSmallestStreamed(changing, 50, 8), /stream changed between passes|must be reproducible/);
  await assert.rejects(() => kthSmallestStreamed((visit) => visit([1, NaN]), 0), /the stream produced NaN/);
});

test('blocked squared distances: every pair once, equal to float64 brute force; cross blocks cover [n, m]', async () => {
  const x = gaussianRows(key(63), 45, [1, -1, 0], [1, 2, 0.5]);
  const y = gaussianRows(key(64), 30, [0, 0, 0], [1, 1, 1]);
  const xt = tf.tensor2d(x);
  const yt = tf.tensor2d(y);
  const before = tf.memory().numTensors;
  const streamed: number[] = [];
  await upperTriangleSquaredDistances(xt, 8)((values) => streamed.push(...Array.from(values)));
  const expected: number[] = [];
  for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) expected.push(squaredDistance(x[i], x[j]));
  streamed.sort((a, b) => a - b);
  expected.sort((a, b) => a - b);
  assert.equal(streamed.length, (45 * 44) / 2);
  streamed.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5 * (1 + expected[i])));
  const seen = new Float64Array(45 * 30);
  await forEachDistanceBlock(xt, yt, 7, ({ d2 }) => d2, (v, { rowStart, colStart, rows, cols, onDiagonal }) => {
    assert.equal(onDiagonal, false);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        seen[(rowStart + i) * 30 + colStart + j]++;
        assert.ok(Math.abs(v[i * cols + j] - squaredDistance(x[rowStart + i], y[colStart + j])) < 1e-5);
      }
    }
  });
  assert.ok(seen.every((c) => c === 1), 'each (i, j) exactly once');
  const wholeBlock = ({ d2 }: { d2: tf.Tensor2D }) => d2;
  await assert.rejects(() => forEachDistanceBlock(xt, yt, 0, wholeBlock, () => {}), /forEachDistanceBlock: option "blockSize" = 0, expected an integer >= 1/);
  const wrongDim = tf.zeros([4, 2]) as tf.Tensor2D;
  await assert.rejects(() => forEachDistanceBlock(xt, wrongDim, 8, wholeBlock, () => {}),
    /option "b" = Tensor\(float32, \[4, 2\]\), expected null or a rank-2 tensor \[m, 3\] \(the same d as "a"\)/);
  wrongDim.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([xt, yt]);
});
