/**
 * Errors about the user's own target (lib/targets/target.ts): the Target contract is checked where a target enters
 * (runChain, a kernel's init, smc), once; failures inside the user's logDensity or its autodiff gradient are
 * rethrown naming the target, what failed and how to fix it.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import { runChain } from '../../lib/samplers/runChain.js';
import { smc } from '../../lib/samplers/smc/smc.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { TargetError, logDensityAndGrad, type Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

before(async () => {
  await useBackend('wasm');
});

const standardNormal = (x: tf.Tensor2D) => tf.mul(-0.5, tf.sum(tf.square(x), 1)) as tf.Tensor1D;
const start = () => normal(key(1), [8, 2]) as tf.Tensor2D;
const smcOptions = (target: Target) => ({
  reference: gaussian([0, 0], 4), target, kernel: (t: Target) => mala(t), params: { stepSize: 0.3 }, numParticles: 64,
});

/** A user's target whose logDensity keeps the reduced axis: shape [n, 1] instead of [n]. */
const keepsAxis: Target = { name: 'my-posterior', dim: 2, logDensity: (x) => tf.sum(tf.square(x), 1, true) as unknown as tf.Tensor1D };

test('logDensity returning [n, 1] is caught at the boundary (mala init, runChain, smc) with the target name and the fix', async () => {
  const expected = /target "my-posterior": logDensity returned shape \[8, 1\] for x of shape \[8, 2\], expected a tensor of shape \[8\] \(one value per row of x: reduce the last axis with tf.sum\(\.\.\., 1\), or squeeze/;
  const x = start();
  await assert.rejects(mala(keepsAxis).init(x), expected);
  await assert.rejects(runChain(key(2), mala({ ...keepsAxis }), x, { numSteps: 3, params: { stepSize: 0.1 } }), expected);
  await assert.rejects(smc(key(3), smcOptions({ ...keepsAxis })), /target "my-posterior": logDensity returned shape \[64, 1\] for x of shape \[64, 2\], expected a tensor of shape \[64\]/);
  const badGrad: Target = { name: 'my-posterior', dim: 2, logDensity: standardNormal, gradLogDensity: (z) => tf.neg(tf.sum(z, 1)) as unknown as tf.Tensor2D };
  await assert.rejects(mala(badGrad).init(x), /target "my-posterior": its gradient returned shape \[8\] for x of shape \[8, 2\], expected a tensor of shape \[8, 2\]/);
  x.dispose();
});

test('a missing or bad dim, or a missing logDensity, is caught before anything runs', async () => {
  const x = start();
  const noDim = { name: 'no-dim', logDensity: standardNormal } as unknown as Target;
  // Kernels check the target when they are built, naming it.
  assert.throws(() => mala(noDim), /mala: target "no-dim" has "dim" = undefined, expected a positive integer: the number of coordinates/);
  // runChain checks the kernel's target at its entry (a kernel that did not check it itself).
  const unchecked = { ...mala({ name: 'normal', dim: 2, logDensity: standardNormal }), target: noDim };
  await assert.rejects(runChain(key(1), unchecked, x, { numSteps: 1, params: { stepSize: 0.1 } }), /runChain: target "no-dim" has "dim" = undefined, expected a positive integer: the number of coordinates/);
  await assert.rejects(smc(key(1), smcOptions({ name: 'half', dim: 1.5, logDensity: standardNormal })), /smc: target "half" has "dim" = 1.5, expected a positive integer/);
  await assert.rejects(smc(key(1), smcOptions({ name: 'no-density', dim: 2 } as never)), /smc: target "no-density" has "logDensity" = undefined, expected a function/);
  x.dispose();
});

/** A user's target with a comparison on the differentiated path (a clipped log-density). */
const clipped: Target = {
  name: 'clipped-normal',
  dim: 2,
  logDensity: (x) => tf.tidy(() => {
    const inside = tf.cast(tf.greater(tf.sum(x, 1), -100), 'float32'); // Greater has no gradient in tfjs
    return tf.mul(standardNormal(x), inside) as tf.Tensor1D;
  }),
};

test('a tfjs failure inside the autodiff gradient names the target, the op and how to supply gradLogDensity', async () => {
  const x = start();
  const check = (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, /target "clipped-normal": logDensity or its autodiff gradient failed: Cannot compute gradient: gradient function not found for Greater\. tfjs has no gradient for the op Greater/);
    assert.match(err.message, /comparison or tf\.where .*give the target gradLogDensity\(x\) -> \[n, dim\]/);
    return true;
  };
  await assert.rejects(mala(clipped).init(x), (err) => {
    assert.ok(err instanceof TargetError && err.cause instanceof Error, 'a TargetError whose cause is the original tfjs error');
    return check(err);
  });
  await assert.rejects(smc(key(4), smcOptions(clipped)), check); // smc adds the level it was at
  // The fix the hint names works: the same target with an analytic gradient runs.
  const fixed: Target = { ...clipped, gradLogDensity: (z) => tf.neg(z) };
  const state = await mala(fixed).init(x);
  tf.dispose([x, ...Object.values(state)]);
});

test('the contract is checked once: no evaluation added per step, and a target breaking it later is not re-checked', async () => {
  let calls = 0;
  let shape: 'good' | 'bad' = 'good';
  const counted: Target = {
    name: 'counted',
    dim: 2,
    logDensity: (x) => {
      calls++;
      return shape === 'good' ? standardNormal(x) : (tf.sum(x, 1, true) as unknown as tf.Tensor1D);
    },
    gradLogDensity: (x) => tf.neg(x),
  };
  const x = start();
  const run = await runChain(key(5), mala(counted), x, { numSteps: 10, params: { stepSize: 0.3 } });
  // One logDensity per step plus one at init: the contract check evaluates nothing of its own.
  assert.equal(calls, 11);
  tf.dispose(Object.values(run.state));
  // Checked already: a later call is not checked again (the check ran once, at the first use).
  shape = 'bad';
  const out = tf.tidy(() => logDensityAndGrad(counted, x));
  assert.deepEqual(out.logDensity.shape, [8, 1]);
  tf.dispose([x, out.logDensity, out.grad]);
});
