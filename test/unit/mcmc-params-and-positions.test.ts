/**
 * Issue 13, errors about the user's own input to the kernels: unknown `params` keys are rejected with the key
 * that was probably meant, and positions may be given as rows of numbers (or get an error naming the bad row).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { hmc, imh, isir, mala, rwmh } from '../../lib/samplers/mcmc/index.js';
import { ellipticalSlice } from '../../lib/samplers/transport/ellipticalSlice.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

const proposal = {
  sample: (k: readonly [number, number], n: number) => tf.randomNormal([n, 2], 0, 1, 'float32', k[0]) as tf.Tensor2D,
  logDensity: (x: tf.Tensor2D) => tf.tidy(() => tf.mul(-0.5, tf.sum(tf.square(x), 1))) as tf.Tensor1D,
};

test('a misspelt params key is an error that names it and the key meant', async () => {
  const target = gaussian([1, -1], 2);
  const cases = [
    { kernel: rwmh(target), params: { stepsize: 0.1 }, message: /rwmh\.step: option "params\.stepsize" = 0\.1, expected no such parameter; did you mean "stepSize"\? known parameters: stepSize/ },
    { kernel: mala(target), params: { stepSize: 0.1, setpSize: 1 }, message: /mala\.step: option "params\.setpSize" = 1, expected no such parameter; known parameters: stepSize/ },
    { kernel: hmc(target), params: { stepSize: 0.1, numIntegrationSteps: 3, numintegrationsteps: 4 }, message: /did you mean "numIntegrationSteps"\?/ },
    { kernel: isir(target, proposal), params: { numparticles: 4 }, message: /isir\.step: option "params\.numparticles" = 4, .*did you mean "numParticles"/ },
    { kernel: imh(target, proposal), params: { stepSize: 1 }, message: /imh\.step: option "params\.stepSize" = 1, expected no such parameter; this kernel takes no parameters/ },
    { kernel: ellipticalSlice(target), params: { maxshrinks: 3 }, message: /did you mean "maxShrinks"/ },
  ];
  for (const { kernel, params, message } of cases) {
    const state = await kernel.init(tf.zeros([4, 2]) as tf.Tensor2D);
    assert.throws(() => kernel.step(key(1), state as never, params as never), message, kernel.name);
    tf.dispose(Object.values(state));
  }
  target.dispose();
});

test('positions given as rows of numbers start the chain; malformed rows get a clear error', async () => {
  const target = gaussian([1, -1], 2);
  const kernel = mala(target);
  const fromRows = await kernel.init([[0, 1], [2, 3], [-1, 0.5]]);
  const fromTensor = await kernel.init(tf.tensor2d([[0, 1], [2, 3], [-1, 0.5]]));
  assert.deepEqual(fromRows.position.shape, [3, 2]);
  assert.deepEqual(Array.from(await fromRows.logDensity.data()), Array.from(await fromTensor.logDensity.data()));
  tf.dispose([...Object.values(fromRows), ...Object.values(fromTensor)]);
  const before = tf.memory().numTensors;
  await assert.rejects(kernel.init([[0, 1], [2]]), /mala\.init: option "position\[1\]" = \[2\], expected an array of 2 numbers/);
  await assert.rejects(kernel.init([[0, 1], [2, '3']] as never), /option "position\[1\]"/);
  await assert.rejects(kernel.init([]), /mala\.init: option "position" = \[\], expected at least one row of 2 numbers/);
  await assert.rejects(kernel.init([[0, NaN]]), /mala\.init: option "position" has a non-finite entry NaN/);
  assert.equal(tf.memory().numTensors, before, 'a rejected position leaks nothing');
  target.dispose();
});
