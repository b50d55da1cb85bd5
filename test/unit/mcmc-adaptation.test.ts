/**
 * The adaptation utilities as pure functions: dual averaging (Hoffman & Gelman 2014, Algorithm 5) against a
 * hand computation, the multiplicative rules (flow_mcmc shared, SLIPS and LRDS per chain) on crafted inputs,
 * the float64 Welford / Chan accumulator against a two-pass computation, Stan's regularisation, JSON round
 * trips and the errors at the boundary.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normalArray } from '../../lib/core/random.js';
import {
  adaptSharedStepSize,
  adaptStepSizePerChain,
  adaptStepSizePerChainLog,
  dualAveraging,
  FLOW_MCMC_RULE,
  LRDS_RULE,
  massMatrixAdaptation,
  SLIPS_RULE,
} from '../../lib/samplers/mcmc/index.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

test('dual averaging follows Algorithm 5 of Hoffman & Gelman (2014) step by step', () => {
  const h0 = 0.3;
  const delta = 0.65;
  let state = dualAveraging.init(h0, { targetAcceptance: delta });
  assert.ok(Math.abs(dualAveraging.stepSize(state) - h0) < 1e-15);
  assert.ok(Math.abs(dualAveraging.final(state) - h0) < 1e-15);
  // Reference recursion, written out independently: mu = log(10 h0), gamma 0.05, t0 10, kappa 0.75.
  const mu = Math.log(10 * h0);
  let hBar = 0;
  let logAvg = 0;
  const acceptances = [0.9, 0.2, 0.7, 1, 0, 0.5];
  acceptances.forEach((a, i) => {
    const m = i + 1;
    hBar = (1 - 1 / (m + 10)) * hBar + (delta - a) / (m + 10);
    const logH = mu - (Math.sqrt(m) / 0.05) * hBar;
    logAvg = m ** -0.75 * logH + (1 - m ** -0.75) * logAvg;
    state = dualAveraging.update(state, a);
    assert.ok(Math.abs(Math.log(dualAveraging.stepSize(state)) - logH) < 1e-12, `log h at m = ${m}`);
    assert.ok(Math.abs(Math.log(dualAveraging.final(state)) - logAvg) < 1e-12, `log hbar at m = ${m}`);
  });
  assert.deepEqual(JSON.parse(JSON.stringify(state)), state, 'the state is plain JSON');
});

test('dual averaging moves the step size the right way', () => {
  let high = dualAveraging.init(0.1);
  let low = dualAveraging.init(0.1);
  for (let i = 0; i < 5; i++) {
    high = dualAveraging.update(high, 1); // accepting everything: the step is too small
    low = dualAveraging.update(low, 0); // rejecting everything: too large
  }
  assert.ok(dualAveraging.stepSize(high) > 0.1 && dualAveraging.final(high) > 0.1);
  assert.ok(dualAveraging.stepSize(low) < 0.1 && dualAveraging.final(low) < 0.1);
});

test('dual averaging rejects bad inputs', () => {
  assert.throws(() => dualAveraging.init(0), /dualAveraging\.init: option "initialStepSize" = 0, expected a finite number > 0/);
  assert.throws(() => dualAveraging.init(NaN), /option "initialStepSize" = NaN/);
  assert.throws(() => dualAveraging.init(0.1, { targetAcceptance: 1 }), /option "targetAcceptance" = 1, expected a number in \(0, 1\)/);
  assert.throws(() => dualAveraging.init(0.1, { gamma: -1 }), /option "gamma" = -1, expected a finite number > 0/);
  assert.throws(() => dualAveraging.init(0.1, { kappa: 2 }), /option "kappa" = 2, expected a number in \(0, 1\]/);
  assert.throws(() => dualAveraging.init(0.1, { t0: -1 }), /option "t0" = -1, expected a finite number >= 0/);
  const s = dualAveraging.init(0.1);
  assert.throws(() => dualAveraging.update(s, NaN), /dualAveraging\.update: option "acceptanceRate" = NaN, expected a number in \[0, 1\]/);
  assert.throws(() => dualAveraging.update(s, 1.5), /option "acceptanceRate" = 1\.5/);
  assert.throws(() => dualAveraging.update({} as never, 0.5), /option "state" = \[object Object\], expected a state from dualAveraging/);
});

test('flow_mcmc shared rule: x1.05 above tau + 0.03, /1.05 below tau - 0.03, capped at 1 in the dead band', () => {
  assert.equal(adaptSharedStepSize(0.1, 0.9), 0.1 * 1.05);
  assert.equal(adaptSharedStepSize(0.1, 0.5), 0.1 / 1.05);
  assert.equal(adaptSharedStepSize(0.1, 0.76), 0.1);
  assert.equal(adaptSharedStepSize(3, 0.75), 1, 'capped in the dead band');
  assert.equal(adaptSharedStepSize(3, 0.95), 3 * 1.05, 'as in the reference, no cap while growing');
  assert.deepEqual({ ...FLOW_MCMC_RULE }, { targetAcceptance: 0.75, factor: 1.05, tolerance: 0.03, maxStepSize: 1 });
  assert.throws(() => adaptSharedStepSize(-1, 0.5), /adaptSharedStepSize: option "stepSize" = -1, expected a finite number > 0/);
  assert.throws(() => adaptSharedStepSize(0.1, NaN), /option "acceptanceFraction" = NaN, expected a number in \[0, 1\]/);
  assert.throws(() => adaptSharedStepSize(0.1, 0.5, { ...FLOW_MCMC_RULE, factor: 0.9 }), /option "rule.factor" = 0\.9, expected a finite number > 1/);
});

test('SLIPS per-chain rule: x1.03 if acc > 0.76, /1.03 if acc < 0.74 (NaN too), capped at 1', () => {
  const h = tf.tensor1d([0.1, 0.1, 0.1, 0.1, 0.99, 0.1]);
  const acc = tf.tensor1d([0.9, 0.5, 0.75, NaN, 1, 0.7401]);
  const next = adaptStepSizePerChain(h, acc).dataSync();
  const expected = [0.1 * 1.03, 0.1 / 1.03, 0.1, 0.1 / 1.03, 1, 0.1];
  expected.forEach((e, i) => assert.ok(Math.abs(next[i] - e) < 1e-7, `chain ${i}: ${next[i]} vs ${e}`));
  assert.deepEqual({ ...SLIPS_RULE }, { targetAcceptance: 0.75, factor: 1.03, tolerance: 0.01, maxStepSize: 1 });
  const wrong = tf.ones([4]);
  assert.throws(() => adaptStepSizePerChain(h, wrong as tf.Tensor1D), /adaptStepSizePerChain: option "acceptanceRate" = a float32 tensor of shape \[4\], expected a tensor of shape \[6\]/);
  assert.throws(() => adaptStepSizePerChain(0.1 as never, acc), /option "stepSize" = 0\.1, expected a float32 tensor \[n\]/);
  tf.dispose([h, acc, wrong]);
});

test('LRDS per-chain rule on the unclipped log alpha: x1.01 above log 0.75 + log 1.05, /1.01 below log 0.75 + log 0.95', () => {
  const upper = Math.log(0.75 * 1.05);
  const lower = Math.log(0.75 * 0.95);
  const h = tf.fill([6], 2) as tf.Tensor1D;
  const logAlpha = tf.tensor1d([upper + 0.01, lower - 0.01, (upper + lower) / 2, 3, NaN, -Infinity]);
  const next = adaptStepSizePerChainLog(h, logAlpha).dataSync();
  const expected = [2 * 1.01, 2 / 1.01, 2, 2 * 1.01, 2 / 1.01, 2 / 1.01]; // no cap; NaN and -inf shrink
  expected.forEach((e, i) => assert.ok(Math.abs(next[i] - e) < 1e-6, `chain ${i}: ${next[i]} vs ${e}`));
  assert.deepEqual({ ...LRDS_RULE }, { targetAcceptance: 0.75, factor: 1.01, tolerance: 0.05, maxStepSize: Infinity });
  assert.throws(() => adaptStepSizePerChainLog(h, logAlpha, { ...LRDS_RULE, tolerance: 1 }), /option "rule.tolerance" = 1, expected a number in \[0, 1\)/);
  tf.dispose([h, logAlpha]);
});

test('Welford/Chan accumulator equals a two-pass float64 variance, whatever the batching', async () => {
  const d = 4;
  const rows = 1000;
  const raw = normalArray(key(1), rows * d);
  const data = Float64Array.from(raw, (v, i) => 100 + (1 + (i % d)) * v); // large mean: tests cancellation
  const exactMean = new Array(d).fill(0);
  const exactVar = new Array(d).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) exactMean[j] += data[i * d + j] / rows;
  for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) exactVar[j] += (data[i * d + j] - exactMean[j]) ** 2 / (rows - 1);

  let oneBatch = massMatrixAdaptation.init(d);
  oneBatch = await massMatrixAdaptation.update(oneBatch, data);
  let uneven = massMatrixAdaptation.init(d);
  for (const [a, b] of [[0, 1], [1, 2], [2, 333], [333, 334], [334, 1000]]) {
    uneven = await massMatrixAdaptation.update(uneven, data.subarray(a * d, b * d));
  }
  for (const state of [oneBatch, uneven]) {
    assert.equal(state.count, rows);
    const v = massMatrixAdaptation.variance(state);
    v.forEach((x, j) => assert.ok(Math.abs(x - exactVar[j]) < 1e-11 * exactVar[j], `coordinate ${j}: ${x} vs ${exactVar[j]}`));
    state.mean.forEach((x, j) => assert.ok(Math.abs(x - exactMean[j]) < 1e-12 * 100));
  }
  assert.deepEqual(JSON.parse(JSON.stringify(uneven)), uneven, 'the state is plain JSON');

  // tensors of any rank [..., d] and rows of numbers give the same result
  const asTensor = tf.tensor3d(Float32Array.from(data), [10, 100, d]);
  const fromTensor = await massMatrixAdaptation.update(massMatrixAdaptation.init(d), asTensor);
  const fromF32 = await massMatrixAdaptation.update(massMatrixAdaptation.init(d), Float32Array.from(data));
  assert.deepEqual(fromTensor, fromF32);
  const fromRows = await massMatrixAdaptation.update(massMatrixAdaptation.init(2), [[1, 2], [3, 6]]);
  assert.deepEqual(massMatrixAdaptation.variance(fromRows), [2, 8]);
  asTensor.dispose();
});

test("Stan's regularisation: n / (n + 5) var + 1e-3 * 5 / (n + 5)", async () => {
  const state = await massMatrixAdaptation.update(massMatrixAdaptation.init(2), [[1, 2], [3, 6], [2, 4], [0, 0], [4, 8]]);
  const variance = massMatrixAdaptation.variance(state); // [2.5, 10]
  assert.deepEqual(variance, [2.5, 10]);
  const regularised = massMatrixAdaptation.final(state);
  [2.5, 10].forEach((v, j) => assert.ok(Math.abs(regularised[j] - ((5 / 10) * v + 1e-3 * (5 / 10))) < 1e-15));
  assert.deepEqual(massMatrixAdaptation.final(state, { regularise: false }), variance);
});

test('mass-matrix adaptation rejects bad inputs', async () => {
  assert.throws(() => massMatrixAdaptation.init(0), /massMatrixAdaptation\.init: option "dim" = 0, expected an integer >= 1/);
  const s = massMatrixAdaptation.init(3);
  const wrong = tf.zeros([4, 2]);
  await assert.rejects(() => massMatrixAdaptation.update(s, wrong), /massMatrixAdaptation\.update: option "draws" = a float32 tensor of shape \[4, 2\], expected a tensor of shape \[\.\.\., 3\]/);
  await assert.rejects(() => massMatrixAdaptation.update(s, [[1, 2]]), /option "draws\[0\]" = \[1, 2\], expected a row of d = 3 numbers/);
  await assert.rejects(() => massMatrixAdaptation.update(s, new Float64Array(4)), /option "draws" = a Float64Array of length 4, expected a length that is a multiple of d = 3/);
  await assert.rejects(() => massMatrixAdaptation.update(s, [[1, NaN, 2]]), /option "draws\[0\]\[1\]" = NaN, expected a finite number/);
  const oneDraw = await massMatrixAdaptation.update(s, [[1, 2, 3]]);
  assert.throws(() => massMatrixAdaptation.variance(oneDraw), /option "state.count" = 1, expected at least 2 draws/);
  assert.throws(() => massMatrixAdaptation.final({ count: 1.5 } as never), /option "state" = \[object Object\], expected a state from massMatrixAdaptation/);
  wrong.dispose();
});
