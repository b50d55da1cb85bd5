import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forgottenModes, modeEntropy, modeWeightError, modeWeights } from '../../lib/metrics/modeWeights.js';
import { useBackend } from '../helpers/backends.js';

before(async () => {
  await useBackend('wasm');
});

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('modeWeights: exact fractions of the counts (Int32Array, plain array; a tensor is read by the caller), empty modes included', async () => {
  const assignments = Int32Array.from([0, 2, 2, 1, 2, 0, 2, 2]); // counts 2, 1, 5, 0
  assert.deepEqual(modeWeights(assignments, 4), [2 / 8, 1 / 8, 5 / 8, 0]);
  assert.deepEqual(modeWeights([1, 1, 0], 2), [1 / 3, 2 / 3]);
  const t = tf.tensor1d([0, 2, 2, 1, 2, 0, 2, 2], 'int32');
  assert.deepEqual(modeWeights(await t.data(), 4), modeWeights(assignments, 4));
  assert.throws(() => modeWeights(t as never, 4), /modeWeights: option "assignments" = Tensor\(int32, \[8\]\), expected an array of numbers \(for a tensor x, pass await x.data\(\)\)/);
  t.dispose();
});

test('modeWeights with importance weights: the weighted fractions', () => {
  // mode 0 gets 1 + 3 = 4, mode 1 gets 2 + 2 = 4, mode 2 gets 2, of a total 10.
  const w = modeWeights([0, 1, 0, 1, 2], 3, [1, 2, 3, 2, 2]);
  [0.4, 0.4, 0.2].forEach((expected, k) => close(w[k], expected));
});

test('modeWeightError: first-mode error (SLIPS |w1 - 2/3|), L1 (LRDS TV_weights), TV = L1 / 2, KL(w || h)', () => {
  const truth = [2 / 3, 1 / 3];
  const estimated = [0.5, 0.5];
  const e = modeWeightError(estimated, truth);
  close(e.firstModeAbsError, 1 / 6);
  close(e.l1, 1 / 3);
  close(e.totalVariation, 1 / 6);
  close(e.klTruthToEstimate, (2 / 3) * Math.log(2 / 3 / 0.5) + (1 / 3) * Math.log(1 / 3 / 0.5));
  // A forgotten mode makes KL(w || h) infinite; the other errors stay finite.
  const missing = modeWeightError([1, 0, 0], [0.5, 0.3, 0.2]);
  assert.equal(missing.klTruthToEstimate, Infinity);
  close(missing.l1, 1);
  const exact = modeWeightError(truth, truth);
  assert.deepEqual(exact, { firstModeAbsError: 0, l1: 0, totalVariation: 0, klTruthToEstimate: 0 });
});

test('forgottenModes: fraction of modes below threshold * min true weight; modeEntropy normalised to [0, 1]', () => {
  const truth = [0.4, 0.3, 0.2, 0.1];
  // cutoff 0.05 * 0.1 = 0.005: modes with 0.004 and 0 are forgotten.
  assert.equal(forgottenModes([0.6, 0.39, 0.006, 0.004], truth), 0.25);
  assert.equal(forgottenModes([0.7, 0.296, 0.004, 0], truth), 0.5);
  assert.equal(forgottenModes([0.7, 0.296, 0.004, 0], truth, { threshold: 0.01 }), 0.25);
  close(modeEntropy([0.25, 0.25, 0.25, 0.25]), 1);
  assert.equal(modeEntropy([1, 0, 0]), 0);
  close(modeEntropy([0.5, 0.5, 0]), Math.log(2) / Math.log(3));
});

test('bad inputs throw errors naming the option, the value and what was expected', () => {
  assert.throws(() => modeWeights([0, 3], 3), /modeWeights: option "assignments" has entry \[1\] = 3, expected an integer mode index in \[0, 3\)/);
  assert.throws(() => modeWeights([0, 1.5], 3), /entry \[1\] = 1.5, expected an integer mode index/);
  assert.throws(() => modeWeights([0, 1], 0), /option "numModes" = 0, expected an integer >= 1/);
  assert.throws(() => modeWeights([], 2), /option "assignments" = \[\], expected at least 1 entry/);
  assert.throws(() => modeWeights([0, 1], 2, [1]), /option "weights" = \[1\], expected one weight per assignment \(2\), got 1/);
  assert.throws(() => modeWeights([0, 1], 2, [1, -1]), /option "weights" has entry \[1\] = -1, expected weights >= 0/);
  assert.throws(() => modeWeights([0, 1], 2, [0, 0]), /option "weights" = \[0,0\], expected weights with a positive sum/);
  assert.throws(() => modeWeights([0, NaN], 2), /option "assignments" has entry \[1\] = NaN, expected finite numbers/);
  assert.throws(() => modeWeightError([0.5, 0.5], [0.2, 0.3, 0.5]), /modeWeightError: option "estimated" = \[0.5,0.5\], expected as many modes as "truth" \(3\), got 2/);
  assert.throws(() => modeWeightError([0.5, 0.6], [0.5, 0.5]), /option "estimated" = \[0.5,0.6\], expected probabilities summing to 1 \(the sum is 1.1\)/);
  assert.throws(() => modeWeightError([1.5, -0.5], [0.5, 0.5]), /option "estimated" has entry \[1\] = -0.5, expected probabilities >= 0/);
  assert.throws(() => forgottenModes([1, 0], [0.5, 0.5], { threshold: -1 }), /forgottenModes: option "threshold" = -1, expected a finite number > 0/);
  assert.throws(() => modeEntropy([1]), /modeEntropy: option "estimated" = \[1\], expected at least 2 modes/);
});
