/**
 * Geometric tempering: the tempered target's log-density and gradient, the end points, schedules and their
 * checks, and the adaptive next temperature (bisection on the conditional ESS).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal, normalArray } from '../../lib/core/random.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { logDensityAndGrad, type Target } from '../../lib/targets/target.js';
import {
  checkSchedule,
  linearSchedule,
  logDensityRatio,
  nextTemperature,
  powerSchedule,
  temperedTarget,
} from '../../lib/samplers/smc/tempering.js';
import { conditionalEss } from '../../lib/samplers/smc/weights.js';
import { useBackend } from '../helpers/backends.js';

before(async () => {
  await useBackend('wasm');
});

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

test('log pi_beta = (1 - beta) log pi_0 + beta log gamma, gradient = autodiff of it', () => {
  const reference = gaussian([0, 0], 4);
  const target = gaussianMixture({ weights: [3, 1], means: [[-1, 2], [2, -1]], covariances: [0.5, [0.3, 0.9]] });
  const x = normal(key(1), [32, 2], 0, 2) as tf.Tensor2D;
  const beta = 0.3;
  const tempered = temperedTarget(reference, target, beta);
  const expected = tf.tidy(() => tf.add(tf.mul(0.7, reference.logDensity(x)), tf.mul(0.3, target.logDensity(x))));
  const { logDensity, grad } = logDensityAndGrad(tempered, x);
  assert.ok(maxAbsDiff(logDensity, expected) < 1e-4);
  assert.ok(maxAbsDiff(tempered.logDensity(x), expected) < 1e-4);
  // Autodiff of the blended density (a target with logDensity only).
  const autodiff = logDensityAndGrad({ name: 'blend', dim: 2, logDensity: tempered.logDensity }, x);
  assert.ok(maxAbsDiff(grad, autodiff.grad) < 1e-4);
  assert.ok(maxAbsDiff(tempered.gradLogDensity!(x), autodiff.grad) < 1e-4);
  assert.equal(tempered.dim, 2);
  tf.dispose([x, expected, logDensity, grad, autodiff.logDensity, autodiff.grad]);
  reference.dispose();
  target.dispose();
});

test('end points evaluate one density only, so a -Infinity target gives no NaN at beta = 0', () => {
  const reference = gaussian([0], 1);
  // Zero density on x < 0.
  const halfLine: Target = {
    name: 'half-line',
    dim: 1,
    logDensity: (x) => tf.tidy(() => tf.log(tf.cast(tf.greater(tf.squeeze(x, [1]), 0), 'float32')) as tf.Tensor1D),
  };
  const x = tf.tensor2d([[-1], [0.5]]);
  const atZero = temperedTarget(reference, halfLine, 0).logDensity(x);
  const direct = reference.logDensity(x);
  assert.deepEqual(atZero.arraySync(), direct.arraySync());
  const atOne = temperedTarget(reference, halfLine, 1).logDensity(x).arraySync();
  assert.deepEqual(atOne, [-Infinity, 0]);
  // The log-ratio reads back in float64 (-Infinity where gamma = 0, NaN mapped to -Infinity too).
  return logDensityRatio(reference, halfLine, x).then((ratio) => {
    assert.equal(ratio[0], -Infinity);
    assert.ok(Math.abs(ratio[1] - (0 - direct.arraySync()[1])) < 1e-6);
    tf.dispose([x, atZero, direct]);
    reference.dispose();
  });
});

test('schedules: linear, power, and their checks', () => {
  assert.deepEqual(Array.from(linearSchedule(4)), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(Array.from(powerSchedule(2, 2)), [0, 0.25, 1]);
  assert.deepEqual(Array.from(checkSchedule('smc', [0, 0.1, 1])), [0, 0.1, 1]);
  assert.throws(() => checkSchedule('smc', [0, 0.5, 0.5, 1]), /smc: option "schedule" is not strictly increasing: entry 2 = 0.5 after 0.5, expected strictly increasing/);
  assert.throws(() => checkSchedule('smc', [0, 0.6, 0.4, 1]), /not strictly increasing: entry 2 = 0.4 after 0.6/);
  assert.throws(() => checkSchedule('smc', [0, NaN, 1]), /not strictly increasing: entry 1 = NaN/);
  assert.throws(() => checkSchedule('smc', [0.1, 1]), /option "schedule" = \[0.1, 1\], expected a schedule that starts at 0 and ends at 1/);
  assert.throws(() => checkSchedule('smc', [0, 0.5]), /starts at 0 and ends at 1/);
  assert.throws(() => checkSchedule('smc', [0]), /expected at least two temperatures/);
  assert.throws(() => linearSchedule(0), /linearSchedule: option "numLevels" = 0, expected an integer >= 1/);
  assert.throws(() => powerSchedule(3, -1), /powerSchedule: option "power" = -1, expected a finite number > 0/);
});

test('nextTemperature: the conditional ESS of the chosen step is the requested fraction', () => {
  const n = 500;
  const ratio = normalArray(key(2), n).map((z) => 40 * z - 100); // a strongly informative target
  const uniform = new Float64Array(n);
  const skewed = normalArray(key(3), n).map((z) => 0.5 * z);
  for (const current of [uniform, skewed]) {
    for (const fraction of [0.3, 0.5, 0.9]) {
      const beta = nextTemperature(0.2, ratio, current, { essFraction: fraction });
      assert.ok(beta > 0.2 && beta < 1);
      const increments = ratio.map((l) => (beta - 0.2) * l);
      const cess = conditionalEss(current, increments);
      assert.ok(Math.abs(cess / n - fraction) < 1e-6, `CESS/N ${cess / n}, expected ${fraction}`);
    }
  }
  // Higher ESS targets give smaller steps.
  const small = nextTemperature(0, ratio, uniform, { essFraction: 0.9 });
  const large = nextTemperature(0, ratio, uniform, { essFraction: 0.3 });
  assert.ok(small < large);
  // A flat ratio (target proportional to the reference): jump to 1.
  assert.equal(nextTemperature(0.5, new Float64Array(n).fill(3), uniform, { essFraction: 0.5 }), 1);
});

test('tempering bad inputs give clear errors', () => {
  const a = gaussian([0, 0], 1);
  const b = gaussian([0, 0, 0], 1);
  assert.throws(() => temperedTarget(a, a, 1.5), /temperedTarget: option "beta" = 1.5, expected a number in \[0, 1\]/);
  assert.throws(() => temperedTarget(a, a, NaN), /option "beta" = NaN/);
  assert.throws(() => temperedTarget(b, a, 0.5), /option "reference" has dim 3, expected the target's dim 2/);
  assert.throws(() => nextTemperature(0, [1, 2], [0, 0], { essFraction: 1 }), /nextTemperature: option "essFraction" = 1, expected a number in \(0, 1\)/);
  a.dispose();
  b.dispose();
});
