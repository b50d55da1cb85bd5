/**
 * lib/models/mlp.ts: structure and variable order, initialisation statistics (within 4 standard errors), the
 * forward pass against float64 for every activation, exact first and second derivatives (ELU against its closed
 * form; tanh / SiLU networks' Hessian-vector products against finite differences of the gradient), determinism,
 * memory and bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { activationFunction, mlp, MLP_ACTIVATIONS, type Activation } from '../../lib/models/mlp.js';
import { useBackend } from '../helpers/backends.js';
import { maxAbs, maxAbsDiff, perturb } from './flows-fixtures.js';

const Z = 4;

const ACTIVATIONS_64: Record<Activation, (x: number) => number> = {
  relu: (x) => Math.max(x, 0),
  silu: (x) => x / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
};

describe('mlp', () => {
  before(() => useBackend('wasm'));

  test('structure: W_l [n_l, n_l+1] and b_l in the order W0, b0, W1, b1, ...; names <scope>/dense<l>/{weight,bias}', () => {
    const net = mlp(key(1), [3, 5, 4, 2], { activation: 'relu' });
    assert.deepEqual(net.sizes, [3, 5, 4, 2]);
    assert.deepEqual(net.variables.map((v) => v.shape), [[3, 5], [5], [5, 4], [4], [4, 2], [2]]);
    assert.deepEqual(net.variables, [net.weights[0], net.biases[0], net.weights[1], net.biases[1], net.weights[2], net.biases[2]]);
    const names = net.variables.map((v) => v.name);
    assert.match(names[0], /^mlp#\d+\/dense0\/weight$/);
    assert.deepEqual(names.map((n) => n.replace(/^mlp#\d+\//, '')), ['dense0/weight', 'dense0/bias', 'dense1/weight', 'dense1/bias', 'dense2/weight', 'dense2/bias']);
    for (const b of net.biases) assert.equal(maxAbs(b.dataSync()), 0);
    const scoped = mlp(key(1), [2, 2], { activation: 'tanh', scope: 'my/net' });
    assert.equal(scoped.variables[0].name, 'my/net/dense0/weight');
    net.dispose();
    scoped.dispose();
  });

  test('initialisation: W_l ~ N(0, (scale / sqrt(fan_in))^2), last layer with finalInitScale (mean and variance within 4 SE)', () => {
    const net = mlp(key(2), [64, 256, 8], { activation: 'silu', initScale: 2, finalInitScale: 0.5 });
    const expectedSd = [2 / Math.sqrt(64), 0.5 / Math.sqrt(256)];
    net.weights.forEach((w, l) => {
      const v = Array.from(w.dataSync());
      const n = v.length;
      const mean = v.reduce((a, b) => a + b, 0) / n;
      const variance = v.reduce((a, b) => a + b * b, 0) / n; // around the known mean 0
      const sd = expectedSd[l];
      assert.ok(Math.abs(mean) < (Z * sd) / Math.sqrt(n), `layer ${l}: mean ${mean}`);
      // Var of the mean of x^2 for x ~ N(0, sd^2) is 2 sd^4 / n
      assert.ok(Math.abs(variance - sd * sd) < Z * sd * sd * Math.sqrt(2 / n), `layer ${l}: variance ${variance} vs ${sd * sd}`);
    });
    net.dispose();
    const zero = mlp(key(3), [4, 4, 4], { activation: 'relu', initScale: 1, finalInitScale: 0 });
    assert.ok(maxAbs(zero.weights[0].dataSync()) > 0);
    assert.equal(maxAbs(zero.weights[1].dataSync()), 0, 'finalInitScale 0 gives a zero last layer');
    const out = zero.apply(tf.ones([2, 4]) as tf.Tensor2D);
    assert.equal(maxAbs(out.dataSync()), 0);
    tf.dispose(out);
    zero.dispose();
  });

  test('forward pass equals float64 for every activation (biases perturbed too)', () => {
    for (const activation of MLP_ACTIVATIONS) {
      const net = mlp(key(4), [3, 6, 5, 2], { activation });
      perturb(net.variables, 5, 0.8);
      const x = normal(key(6), [10, 3], 0, 2) as tf.Tensor2D;
      const got = net.apply(x).arraySync();
      const f = ACTIVATIONS_64[activation];
      x.arraySync().forEach((row, r) => {
        let h = row;
        net.weights.forEach((w, l) => {
          const [rows, cols] = w.shape;
          const wv = w.dataSync();
          const bv = net.biases[l].dataSync();
          const next = Array.from({ length: cols }, (_, j) => h.reduce((a, hi, i) => a + hi * wv[i * cols + j], bv[j]));
          h = l < net.weights.length - 1 ? next.map(f) : next;
          assert.equal(rows, net.sizes[l]);
        });
        assert.ok(maxAbsDiff(got[r], h) < 1e-5 * (1 + maxAbs(h)), `${activation} row ${r}: ${got[r]} vs ${h}`);
      });
      x.dispose();
      net.dispose();
    }
  });

  test('ELU: first and second derivatives equal the closed forms (exp(x) below 0; 1 and 0 above)', () => {
    const elu = activationFunction('elu');
    const points = [-3, -1.2, -0.3, -0.01, 0.02, 0.7, 2.5];
    const x = tf.tensor1d(points);
    const d1 = tf.grad((t: tf.Tensor) => tf.sum(elu(t)))(x).dataSync();
    const d2 = tf.grad((t: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(elu(u)))(t)))(x).dataSync();
    const values = elu(x).dataSync();
    points.forEach((p, i) => {
      assert.ok(Math.abs(values[i] - (p > 0 ? p : Math.expm1(p))) < 1e-6, `elu(${p}) = ${values[i]}`);
      assert.ok(Math.abs(d1[i] - (p > 0 ? 1 : Math.exp(p))) < 1e-6, `elu'(${p}) = ${d1[i]}`);
      assert.ok(Math.abs(d2[i] - (p > 0 ? 0 : Math.exp(p))) < 1e-6, `elu''(${p}) = ${d2[i]}`);
    });
    x.dispose();
  });

  test('second order: the Hessian-vector product of sum(mlp(x)) matches finite differences of its gradient (tanh, silu)', () => {
    for (const activation of ['tanh', 'silu'] as const) {
      const net = mlp(key(7), [2, 8, 8, 1], { activation, initScale: 1.5 });
      perturb(net.biases as tf.Variable[], 8, 0.5);
      const x = normal(key(9), [6, 2]) as tf.Tensor2D;
      const v = tf.tensor2d([[0.6, -0.8]]);
      const gradient = (t: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(net.apply(u as tf.Tensor2D)))(t);
      const hv = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gradient(t), v)))(x).dataSync();
      const eps = 1e-2;
      const gp = gradient(tf.add(x, tf.mul(eps, v))).dataSync();
      const gm = gradient(tf.sub(x, tf.mul(eps, v))).dataSync();
      const fd = Array.from(gp, (a, i) => (a - gm[i]) / (2 * eps));
      // central-difference bias eps^2 / 6 * (third derivative) ~ 1e-4; float32 gradient noise / (2 eps) ~ 1e-5
      assert.ok(maxAbs(hv) > 0.05, `${activation}: the Hessian should not vanish (max ${maxAbs(hv)})`);
      assert.ok(maxAbsDiff(hv, fd) < 1e-3 * (1 + maxAbs(hv)), `${activation}: Hv ${Array.from(hv)} vs ${fd}`);
      tf.dispose([x, v]);
      net.dispose();
    }
  });

  test('determinism, and memory: apply adds only its output; the count is flat over repeated calls and gradients', () => {
    const a = mlp(key(10), [4, 16, 4], { activation: 'elu' });
    const b = mlp(key(10), [4, 16, 4], { activation: 'elu' });
    a.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), b.variables[i].dataSync()));
    b.dispose();
    const x = normal(key(11), [32, 4]) as tf.Tensor2D;
    const start = tf.memory().numTensors;
    const y = a.apply(x);
    assert.equal(tf.memory().numTensors, start + 1);
    y.dispose();
    for (let i = 0; i < 50; i++) {
      tf.tidy(() => {
        a.apply(x);
      });
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(a.apply(x))) as tf.Scalar, a.variables);
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.equal(tf.memory().numTensors, start);
    x.dispose();
    a.dispose();
  });

  test('bad inputs throw errors naming the option, the value and what was expected', () => {
    const k = key(0);
    assert.throws(() => mlp(k, [3], { activation: 'relu' }), /mlp: option "sizes" = \[3\], expected an array of at least 2 layer sizes/);
    assert.throws(() => mlp(k, [3, 0], { activation: 'relu' }), /mlp: option "sizes\[1\]" = 0, expected an integer >= 1/);
    assert.throws(() => mlp(k, 'abc' as unknown as number[], { activation: 'relu' }), /option "sizes" = "abc"/);
    assert.throws(() => mlp(k, [2, 2], {} as { activation: Activation }), /mlp: option "activation" = undefined, expected one of "relu", "silu", "tanh", "elu"/);
    assert.throws(() => mlp(k, [2, 2], { activation: 'gelu' as Activation }), /option "activation" = "gelu", expected one of/);
    assert.throws(() => mlp(k, [2, 2], { activation: 'relu', initScale: -1 }), /option "initScale" = -1, expected a finite number >= 0/);
    assert.throws(() => mlp(k, [2, 2], { activation: 'relu', finalInitScale: NaN }), /option "finalInitScale" = NaN, expected a finite number >= 0/);
    assert.throws(() => mlp(k, [2, 2], { activation: 'relu', widths: 3 } as never), /option "widths" = 3, expected no such option/);
    const net = mlp(k, [3, 2], { activation: 'relu', scope: 'taken' });
    const before = tf.memory().numTensors;
    assert.throws(() => mlp(k, [3, 2], { activation: 'relu', scope: 'taken' }), /mlp: could not create the variables of scope "taken" \(Variable with name taken\/dense0\/weight was already registered\)/);
    assert.equal(tf.memory().numTensors, before, 'nothing leaks from a failed construction');
    const wrong = tf.zeros([4, 2]) as tf.Tensor2D;
    assert.throws(() => net.apply(wrong), /mlp.apply: option "x" = Tensor\(float32, \[4, 2\]\), expected a tensor of shape \[n, 3\]/);
    wrong.dispose();
    net.dispose();
  });
});
