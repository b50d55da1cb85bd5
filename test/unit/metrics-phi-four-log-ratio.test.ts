/**
 * The phi-four log mode ratio error (lib/metrics/phiFourLogRatio.ts): hand-counted sample sets, the sign convention
 * of `phiFourLaplace` (log r = log P(negative) / P(positive) > 0 for b > 0), weights, and bad input.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { phiFourLogModeRatio, phiFourLogRatioError } from '../../lib/metrics/phiFourLogRatio.js';
import { phiFour, type PhiFourTarget } from '../../lib/targets/phiFour.js';
import { useBackend } from '../helpers/backends.js';

const DIM = 16;
let target: PhiFourTarget;

before(async () => {
  await useBackend('wasm');
  target = phiFour({ dim: DIM, a: 0.1, b: 0.005, beta: 20 }); // log r = 1.667: P(negative) = 0.84
});

/** `negative` fields near -1 and `positive` near +1 (a small ripple so that rows differ). */
function fields(negative: number, positive: number): number[][] {
  const row = (sign: number, r: number) => Array.from({ length: DIM }, (_, i) => sign * (0.9 + 0.05 * Math.sin(i + r)));
  return [...Array.from({ length: negative }, (_, r) => row(-1, r)), ...Array.from({ length: positive }, (_, r) => row(1, r))];
}

test('log mode ratio of hand-counted samples, and the error against the Laplace reference (sign: b > 0 favours the negative mode)', async () => {
  assert.ok(target.laplace.logModeRatio > 0, 'b > 0: the negative mode is heavier, log r > 0');
  const samples = fields(30, 10);
  assert.ok(Math.abs(await phiFourLogModeRatio(samples, target) - Math.log(3)) < 1e-12);
  assert.ok(Math.abs(await phiFourLogRatioError(samples, target) - (Math.log(3) - target.laplace.logModeRatio)) < 1e-12);
  // A tensor input gives the same answer.
  const x = tf.tensor2d(samples);
  assert.ok(Math.abs(await phiFourLogModeRatio(x, target) - Math.log(3)) < 1e-12);
  x.dispose();
  // Samples in the Laplace proportions have zero error up to the rounding of the counts (a count off by at most
  // 1/2 moves log(k / (n - k)) by at most 0.5 / (n p (1 - p)) to first order); the opposite sign convention would
  // give an error of about -2 log r = -3.3.
  const [wNeg] = target.laplace.weights;
  const negative = Math.round(1000 * wNeg);
  const error = await phiFourLogRatioError(fields(negative, 1000 - negative), target);
  assert.ok(Math.abs(error) < 0.5 / (1000 * wNeg * (1 - wNeg)) + 1e-9, `error ${error} with ${negative} / 1000 negative fields`);
});

test('weights (AIS): the weighted fractions; one empty mode gives an infinite ratio', async () => {
  const samples = fields(3, 2);
  // weights 1, 1, 2 on the negative rows and 4, 4 on the positive ones: log(4 / 8).
  assert.ok(Math.abs(await phiFourLogModeRatio(samples, target, { weights: [1, 1, 2, 4, 4] }) - Math.log(0.5)) < 1e-12);
  assert.equal(await phiFourLogModeRatio(fields(5, 0), target), Infinity);
  assert.equal(await phiFourLogModeRatio(fields(0, 5), target), -Infinity);
  assert.equal(await phiFourLogRatioError(fields(0, 5), target), -Infinity);
});

test('bad input: errors name the option, the value and what was expected', async () => {
  await assert.rejects(() => phiFourLogRatioError(fields(2, 2), { dim: DIM } as unknown as PhiFourTarget), /phiFourLogRatioError: option "target" = .*expected a phi-four target/);
  await assert.rejects(() => phiFourLogModeRatio([[0, 1], [1, 0]], target), /phiFourLogModeRatio: option "samples" = samples with d = 2, expected the target's dim, 16/);
  const withNaN = fields(1, 1);
  withNaN[1][3] = NaN;
  await assert.rejects(() => phiFourLogModeRatio(withNaN, target), /option "samples" has a non-finite entry NaN at row 1, column 3/);
  await assert.rejects(() => phiFourLogModeRatio(fields(1, 1), target, { weights: [1] }), /modeWeights: option "weights" = \[1\], expected one weight per assignment \(2\), got 1/);
});
