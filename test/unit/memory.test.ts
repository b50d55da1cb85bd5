import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { iterate, advance, tensorsIn, disposeReplaced, countNewTensors } from '../../lib/core/memory.js';
import { useBackend } from '../helpers/backends.js';

before(async () => {
  await useBackend('wasm');
});

test('iterate keeps numTensors flat over 200 steps and returns the right value', () => {
  const scale = tf.scalar(0.5); // a tensor the state passes through unchanged
  const start = { x: tf.ones([64, 8]), scale, count: 0 };
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const end = iterate(start, 200, (s, i) => {
    counts.push(tf.memory().numTensors);
    // x <- x * scale + 1: converges to 2; intermediates must be freed by the tidy scope.
    const x = tf.add(tf.mul(s.x, s.scale), tf.onesLike(s.x));
    return { x, scale: s.scale, count: i + 1 };
  });
  assert.equal(end.count, 200);
  assert.ok(!end.scale.isDisposed, 'a passed-through tensor must survive');
  assert.ok(start.x.isDisposed, 'the initial state is consumed');
  assert.equal(Math.max(...counts) - Math.min(...counts), 0, 'tensor count must be flat');
  assert.equal(tf.memory().numTensors, before, 'one x replaced by one x');
  const v = end.x.dataSync();
  assert.ok(Math.abs(v[0] - 2) < 1e-6);
  tf.dispose([end.x, scale]);
});

test('a leaky step would be detected: without advance the count grows', () => {
  let x = tf.zeros([4]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 10; i++) x = tf.add(x, 1); // the old x is never disposed
  assert.equal(tf.memory().numTensors - before, 10);
  x.dispose();
});

test('advance disposes only replaced tensors, nested containers included', () => {
  const keep = tf.scalar(1);
  const old = { a: [tf.scalar(2), keep], m: { k: tf.scalar(3) } };
  const next = advance(old, (s) => ({ a: [tf.add(s.a[0], 1) as tf.Scalar, s.a[1]], m: { k: tf.scalar(4) } }));
  assert.ok(old.a[0].isDisposed && old.m.k.isDisposed);
  assert.ok(!keep.isDisposed);
  assert.equal(tensorsIn(next).size, 3);
  disposeReplaced(next, {});
  assert.ok(keep.isDisposed);
});

test('countNewTensors reports allocations', () => {
  const { result, leaked } = countNewTensors(() => tf.zeros([3]));
  assert.equal(leaked, 1);
  result.dispose();
});

test('iterate rejects a bad numSteps with a clear error', () => {
  assert.throws(() => iterate({}, -1, (s) => s), /option "numSteps" = -1, expected a non-negative integer/);
  assert.throws(() => iterate({}, 1.5, (s) => s), /numSteps/);
});
