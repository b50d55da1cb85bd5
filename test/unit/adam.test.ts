import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { adam } from '../../lib/trainers/adam.js';
import { onBackends } from '../helpers/backends.js';

/** A small regression problem with two parameter tensors; returns the variables and the loss. */
function problem(seed: number) {
  const W = tf.variable(tf.randomNormal([3, 2], 0, 1, 'float32', seed));
  const b = tf.variable(tf.tensor1d([0.5, -0.25]));
  const x = tf.randomNormal([16, 3], 0, 1, 'float32', seed + 1);
  const y = tf.randomNormal([16, 2], 0, 1, 'float32', seed + 2);
  const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, W), b), y))) as tf.Scalar;
  return { vars: [W, b], loss, dispose: () => tf.dispose([W, b, x, y]) };
}

onBackends(['cpu', 'wasm'], () => {
  test('follows tf.train.adam step for step (same formula, float32)', async () => {
    const ours = problem(7);
    const ref = problem(7);
    const opt = adam(ours.vars, { learningRate: 0.05 });
    const refOpt = tf.train.adam(0.05, 0.9, 0.999, 1e-8);
    for (let i = 0; i < 30; i++) {
      opt.minimize(ours.loss).dispose();
      refOpt.minimize(ref.loss, false, ref.vars)?.dispose();
    }
    ours.vars.forEach((v, i) => {
      const a = v.dataSync();
      const r = ref.vars[i].dataSync();
      for (let j = 0; j < a.length; j++) assert.ok(Math.abs(a[j] - r[j]) < 2e-5 * (1 + Math.abs(r[j])), `var ${i}[${j}]: ${a[j]} vs ${r[j]}`);
    });
    // and it really optimised: the loss went down
    const l0 = problem(7);
    const start = l0.loss().dataSync()[0];
    const end = ours.loss().dataSync()[0];
    assert.ok(end < start, `loss ${end} should be below the start ${start}`);
    [ours, ref, l0].forEach((p) => p.dispose());
    await opt.dispose();
    refOpt.dispose();
  });

  test('the device placement (used on webgpu / tensorflow) gives the same trajectory as the host one', async () => {
    const h = problem(5);
    const d = problem(5);
    const optH = adam(h.vars, { learningRate: 0.02, placement: 'host' });
    const optD = adam(d.vars, { learningRate: 0.02, placement: 'device' });
    for (let i = 0; i < 15; i++) {
      optH.minimize(h.loss).dispose();
      optD.minimize(d.loss).dispose();
    }
    h.vars.forEach((v, i) => {
      const a = v.dataSync();
      const r = d.vars[i].dataSync();
      for (let j = 0; j < a.length; j++) assert.ok(Math.abs(a[j] - r[j]) < 1e-5 * (1 + Math.abs(r[j])), `var ${i}[${j}]`);
    });
    assert.deepEqual((await optD.getState()).step, 15);
    await optD.dispose();
    [h, d].forEach((p) => p.dispose());
  });

  test('the device placement leaves no tensor behind when its steps run outside a tidy (as in fit)', async () => {
    const p = problem(9);
    const before = tf.memory().numTensors;
    const opt = adam(p.vars, { learningRate: 0.02, placement: 'device' });
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(p.loss, p.vars);
      opt.applyGradients(p.vars.map((v) => grads[v.name]));
      tf.dispose([value, grads]);
    }
    await opt.dispose();
    assert.equal(tf.memory().numTensors, before, 'the moments and their initial values are freed');
    p.dispose();
  });

  test('state round trip resumes bit-exactly, and the tensor count stays flat', async () => {
    const a = problem(3);
    const b = problem(3);
    const optA = adam(a.vars, { learningRate: 0.01 });
    for (let i = 0; i < 5; i++) optA.minimize(a.loss).dispose();
    // b: copy parameters and optimiser state, as a checkpoint would
    b.vars.forEach((v, i) => v.assign(a.vars[i]));
    const optB = adam(b.vars, { learningRate: 0.01 });
    optB.setState(JSON.parse(JSON.stringify(await optA.getState())));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      optA.minimize(a.loss).dispose();
      optB.minimize(b.loss).dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    a.vars.forEach((v, i) => assert.deepEqual(Array.from(v.dataSync()), Array.from(b.vars[i].dataSync())));
    [a, b].forEach((p) => p.dispose());
  });
});

describe('bad input', () => {
  before(() => tf.setBackend('cpu'));
  test('options and state are checked with clear errors', () => {
    const p = problem(1);
    assert.throws(() => adam(p.vars, { learningRate: -1 }), /option "learningRate" = -1, expected a finite number > 0/);
    assert.throws(() => adam(p.vars, { learningRate: 0.1, beta1: 1 }), /option "beta1" = 1, expected a number in \[0, 1\)/);
    assert.throws(() => adam([], { learningRate: 0.1 }), /non-empty array of tf.Variable/);
    const opt = adam(p.vars, { learningRate: 0.1 });
    assert.throws(() => opt.setState({ step: 1, m: [[0]], v: [[0]] }), /does not match 2 variables/);
    assert.throws(() => opt.applyGradients([tf.zeros([2, 3]), undefined]), /gradient 0 has shape \[2,3\], expected \[3,2\]/);
    p.dispose();
  });
});

describe('native Adam kernel (wasm with the OpenBLAS addon)', () => {
  const native = async () => (await import('../../lib/core/nativeAdam.js'));
  before(async () => {
    const { initBackend } = await import('../../lib/core/backend.js');
    await initBackend({ force: 'wasm' });
  });

  test('gives the same parameters and moments as the JavaScript loop, bit for bit (with weight decay)', async (t) => {
    const { ADAM_KERNEL, disableNativeAdam } = await native();
    if (tf.getKernel(ADAM_KERNEL, 'wasm') == null) return t.skip('the addon is not built');
    const run = async () => {
      const vars = [tf.variable(tf.tensor2d([[0.3, -1.2], [2.5, 0.01]])), tf.variable(tf.tensor1d([0.5, -0.25, 4]))];
      const opt = adam(vars, { learningRate: 0.05, weightDecay: 1e-2 });
      for (let s = 0; s < 25; s++) {
        opt.minimize(() => tf.add(tf.sum(tf.pow(tf.sub(vars[0], 1.5), 4)), tf.sum(tf.mul(tf.sin(vars[1]), vars[1]))) as tf.Scalar).dispose();
      }
      const out = { params: vars.map((v) => Array.from(v.dataSync())), state: await opt.getState() };
      vars.forEach((v) => v.dispose());
      return out;
    };
    const kernel = tf.getKernel(ADAM_KERNEL, 'wasm')!;
    const counted = { calls: 0 };
    tf.unregisterKernel(ADAM_KERNEL, 'wasm');
    tf.registerKernel({ ...kernel, kernelFunc: (args) => (counted.calls++, kernel.kernelFunc(args)) });
    const withKernel = await run();
    assert.equal(counted.calls, 25, 'one native call per step');
    assert.ok(disableNativeAdam());
    let withLoop: Awaited<ReturnType<typeof run>>;
    try {
      withLoop = await run();
    } finally {
      tf.registerKernel(kernel);
    }
    assert.deepEqual(withKernel, withLoop);
    assert.ok(withKernel.params[0][0] !== 0.3, 'the parameters moved');
  });
});
