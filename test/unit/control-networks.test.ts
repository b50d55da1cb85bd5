/**
 * lib/models/{fourierMlp,scoreControl,gelu}.ts: the LRDS control networks (spec slips-lrds-amcbg.md 2.4). The
 * FourierMLP forward pass against a float64 re-implementation of the spec's architecture (perturbed weights); the
 * Fourier features exactly at known t; the near-zero initial output; gradients reaching every variable; ScoreCtrl
 * against its formula with every clip active (a target whose score is ~1e6); determinism by key; a weight-file round
 * trip; the control plugged into simulateRds; bad options; no leaked tensors.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { countNewTensors } from '../../lib/core/memory.js';
import { key, normal } from '../../lib/core/random.js';
import { CONTROL_MAX_FREQUENCY, CONTROL_MIN_FREQUENCY, fourierMlp, OUTPUT_INIT_GAIN, timeNet } from '../../lib/models/fourierMlp.js';
import { gelu } from '../../lib/models/gelu.js';
import { SCORE_CONTROL_CLIP, scoreControl } from '../../lib/models/scoreControl.js';
import { restoreWeights, saveWeights } from '../../lib/models/weights.js';
import { simulateRds } from '../../lib/samplers/diffusion/rds/controlledSde.js';
import { vpSde } from '../../lib/samplers/diffusion/rds/noisingSde.js';
import { defaultReference } from '../../lib/samplers/diffusion/rds/referenceMarginal.js';
import { rdsTimeGrid } from '../../lib/samplers/diffusion/rds/rdsTimeGrid.js';
import type { Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';
import { maxAbs, maxAbsDiff, perturb } from './flows-fixtures.js';

before(() => useBackend('wasm'));

const gelu64 = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const frequency = (i: number, C: number) => CONTROL_MIN_FREQUENCY + ((CONTROL_MAX_FREQUENCY - CONTROL_MIN_FREQUENCY) * i) / (C - 1);

/** Row vector h times W [in, out] plus b, in float64. */
function affine(h: number[], W: tf.Variable, b: tf.Variable): number[] {
  const [nIn, nOut] = W.shape;
  const w = W.dataSync();
  const bias = b.dataSync();
  return Array.from({ length: nOut }, (_, j) => h.reduce((s, hi, i) => s + hi * w[i * nOut + j], bias[j]));
}

function features64(t: number, phase: tf.Variable): number[] {
  const phi = Array.from(phase.dataSync());
  const C = phi.length;
  return [...phi.map((p, i) => Math.sin(frequency(i, C) * t + p)), ...phi.map((p, i) => Math.cos(frequency(i, C) * t + p))];
}

/** The spec's FourierMLP in float64 from the variables (order: inputEmbed, timeEmbed phase + 2 layers, the rest). */
function fourierMlp64(vars: tf.Variable[], t: number, x: number[]): number[] {
  const [wIn, bIn, phase, wT0, bT0, wT1, bT1, ...rest] = vars;
  const embT = affine(affine(features64(t, phase), wT0, bT0).map(gelu64), wT1, bT1);
  let h = affine(x, wIn, bIn).map((v, j) => v + embT[j]);
  for (let l = 0; l < rest.length; l += 2) h = affine(h.map(gelu64), rest[l], rest[l + 1]);
  return h;
}

test('FourierMLP: shapes and names; forward pass equals the float64 spec architecture (perturbed weights)', () => {
  const net = fourierMlp(key(1), { dim: 3, numLayers: 4, channels: 8 });
  assert.deepEqual(net.variables.map((v) => v.shape), [[3, 8], [8], [1, 8], [16, 8], [8], [8, 8], [8], [8, 8], [8], [8, 8], [8], [8, 3], [3]]);
  assert.deepEqual(
    net.variables.map((v) => v.name.replace(/^fourierMlp#\d+\//, '')),
    ['inputEmbed/weight', 'inputEmbed/bias', 'timeEmbed/features/phase', 'timeEmbed/dense0/weight', 'timeEmbed/dense0/bias', 'timeEmbed/dense1/weight',
      'timeEmbed/dense1/bias', 'dense0/weight', 'dense0/bias', 'dense1/weight', 'dense1/bias', 'dense2/weight', 'dense2/bias'],
  );
  perturb(net.variables, 7, 0.5);
  const x = normal(key(2), [5, 3]) as tf.Tensor2D;
  const xs = x.arraySync() as number[][];
  for (const t of [0, 0.013, 0.7]) {
    const out = net.apply(t, x);
    assert.deepEqual(out.shape, [5, 3]);
    const got = out.arraySync() as number[][];
    const err = Math.max(...xs.map((row, i) => maxAbsDiff(got[i], fourierMlp64(net.variables, t, row))));
    const scale = Math.max(...xs.map((row) => maxAbs(fourierMlp64(net.variables, t, row))));
    assert.ok(err < 1e-5 * Math.max(1, scale), `t = ${t}: max error ${err} (output scale ${scale})`);
    out.dispose();
  }
  x.dispose();
  net.dispose();
});

test('time features are exactly [sin(c t + phi), cos(c t + phi)] with c = linspace(0.1, 100, C)', () => {
  const net = timeNet(key(3), { out: 1, channels: 64 });
  const phase = net.variables[0];
  assert.deepEqual(phase.shape, [1, 64]);
  assert.equal(frequency(0, 64), 0.1);
  assert.equal(frequency(63, 64), 100);
  for (const t of [0, 0.25, 1]) {
    const u = tf.tensor2d([[t]]);
    const f = net.features.apply(u);
    assert.deepEqual(f.shape, [1, 128]);
    const err = maxAbsDiff(f.dataSync(), features64(t, phase));
    assert.ok(err < 2e-5, `t = ${t}: max error ${err}`);
    tf.dispose([u, f]);
  }
  net.dispose();
});

test('GELU (tanh form) equals its float64 formula and is within 5e-4 of the erf form', () => {
  const xs = Array.from({ length: 81 }, (_, i) => -8 + 0.2 * i);
  const x = tf.tensor1d(xs);
  const y = gelu(x).dataSync();
  assert.ok(maxAbsDiff(y, xs.map(gelu64)) < 1e-6);
  // erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7)
  const erf = (z: number) => {
    const a = Math.abs(z);
    const k = 1 / (1 + 0.3275911 * a);
    const poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))));
    return Math.sign(z) * (1 - poly * Math.exp(-a * a));
  };
  const erfGap = maxAbsDiff(y, xs.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))));
  assert.ok(erfGap < 5e-4 && erfGap > 1e-4, `tanh vs erf form: ${erfGap}`);
  x.dispose();
});

test('near-zero initialisation: |u| < 1e-4 for random inputs (FourierMLP and ScoreCtrl), last layer within the 1e-6 bounds', () => {
  const net = fourierMlp(key(4), { dim: 5 });
  const x = tf.mul(normal(key(5), [64, 5]), 3) as tf.Tensor2D;
  for (const t of [0, 0.3, 1]) {
    const out = net.apply(t, x);
    assert.ok(maxAbs(out.dataSync()) < 1e-4, `t = ${t}: max |u| = ${maxAbs(out.dataSync())}`);
    out.dispose();
  }
  const [wLast, bLast] = net.variables.slice(-2);
  assert.ok(maxAbs(wLast.dataSync()) <= OUTPUT_INIT_GAIN * Math.sqrt(3 / 64));
  assert.ok(maxAbs(bLast.dataSync()) <= OUTPUT_INIT_GAIN / 8);
  // the other layers keep nn.Linear's U(+-1/sqrt(fan_in)) and fill it
  const w0 = maxAbs(net.variables[0].dataSync());
  assert.ok(w0 <= 1 / Math.sqrt(5) && w0 > 0.8 / Math.sqrt(5), `inputEmbed max |W| = ${w0}`);
  const gamma: Target = { name: 'wide', dim: 5, logDensity: (y) => tf.mul(-0.5, tf.sum(tf.square(y), 1)) as tf.Tensor1D };
  const ctrl = scoreControl(key(6), { target: gamma });
  const u = ctrl.apply(0.5, x);
  assert.ok(maxAbs(u.dataSync()) < 1e-4, `ScoreCtrl max |u| = ${maxAbs(u.dataSync())}`);
  tf.dispose([x, u]);
  net.dispose();
  ctrl.dispose();
});

test('gradients reach every variable (after one SGD step of a regression loss)', () => {
  const gamma: Target = { name: 'g', dim: 2, logDensity: (y) => tf.mul(-0.5, tf.sum(tf.square(tf.sub(y, 1)), 1)) as tf.Tensor1D };
  const ctrl = scoreControl(key(7), { target: gamma, numLayers: 3, channels: 16, timeLayers: 3, timeChannels: 16 });
  const x = normal(key(8), [32, 2]) as tf.Tensor2D;
  const y = normal(key(9), [32, 2]);
  const sgd = tf.train.sgd(0.1);
  const grads = () =>
    tf.variableGrads(() => tf.mean(tf.square(tf.sub(ctrl.apply(0.4, x), y))) as tf.Scalar, ctrl.variables);
  const first = grads();
  sgd.applyGradients(first.grads);
  tf.dispose([first.value, ...Object.values(first.grads)]);
  const second = grads();
  assert.equal(Object.keys(second.grads).length, ctrl.variables.length);
  for (const v of ctrl.variables) {
    const g = second.grads[v.name].dataSync();
    assert.ok(g.every(Number.isFinite), `${v.name}: non-finite gradient`);
    assert.ok(maxAbs(g) > 0, `${v.name}: zero gradient`);
  }
  tf.dispose([second.value, ...Object.values(second.grads), x, y]);
  sgd.dispose();
  ctrl.dispose();
});

test('ScoreCtrl = clip(FourierMLP) + clip(timeNet) * clip(grad log gamma), each clip at 1e4 active', () => {
  const s = 1e6; // grad log gamma = -s x: ~1e6 (clipped) for |x| ~ 1, ~10 (not clipped) for |x| ~ 1e-5
  const gamma: Target = {
    name: 'steep',
    dim: 2,
    logDensity: (y) => tf.mul(-0.5 * s, tf.sum(tf.square(y), 1)) as tf.Tensor1D,
    gradLogDensity: (y) => tf.mul(-s, y) as tf.Tensor2D,
  };
  const ctrl = scoreControl(key(10), { target: gamma, channels: 8, timeChannels: 8 });
  perturb(ctrl.variables, 11, 0.5);
  // push the network's first output coordinate past the clip, and give the time net a known-size output
  const netBias = ctrl.network.variables[ctrl.network.variables.length - 1];
  netBias.assign(tf.tensor1d([3e4, 0.2]));
  const x = tf.tensor2d([[1, -2], [1e-5, -3e-6], [0.5, 2e-5]]);
  for (const [t, timeBias] of [[0.3, 0.6], [0.9, 2e4]]) {
    const tb = ctrl.timeNetwork.variables[ctrl.timeNetwork.variables.length - 1];
    tb.assign(tf.tensor1d([timeBias]));
    const u = ctrl.apply(t, x).arraySync() as number[][];
    const net = ctrl.network.apply(t, x).arraySync() as number[][];
    const time = ctrl.timeNetwork.apply(t).dataSync()[0];
    assert.equal(timeBias > SCORE_CONTROL_CLIP ? time > SCORE_CONTROL_CLIP : Math.abs(time) < SCORE_CONTROL_CLIP, true);
    const clip = (v: number) => Math.min(Math.max(v, -SCORE_CONTROL_CLIP), SCORE_CONTROL_CLIP);
    const xs = x.arraySync();
    const expected = xs.map((row, i) => row.map((xi, j) => clip(net[i][j]) + clip(time) * clip(-s * xi)));
    assert.equal(net[0][0] > SCORE_CONTROL_CLIP, true);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        const tol = 1e-5 * Math.max(1, Math.abs(expected[i][j]));
        assert.ok(Math.abs(u[i][j] - expected[i][j]) <= tol, `t = ${t}, u[${i}][${j}] = ${u[i][j]}, expected ${expected[i][j]}`);
      }
    }
  }
  x.dispose();
  ctrl.dispose();
});

test('determinism by key, and a weight-file round trip into a network made from another key', async () => {
  const x = normal(key(12), [4, 2]) as tf.Tensor2D;
  const a = fourierMlp(key(13), { dim: 2, channels: 8 });
  const b = fourierMlp(key(13), { dim: 2, channels: 8 });
  const c = fourierMlp(key(14), { dim: 2, channels: 8 });
  a.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), b.variables[i].dataSync()));
  assert.ok(maxAbsDiff(a.variables[0].dataSync(), c.variables[0].dataSync()) > 0);
  perturb(a.variables, 15, 0.5);
  const dir = await mkdtemp(join(tmpdir(), 'control-net-'));
  try {
    await saveWeights(a.variables, dir);
    await restoreWeights(c.variables, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const ya = a.apply(0.5, x);
  const yc = c.apply(0.5, x);
  assert.deepEqual(ya.dataSync(), yc.dataSync());
  tf.dispose([x, ya, yc]);
  for (const n of [a, b, c]) n.dispose();
});

test('asControl plugs into simulateRds: the zero-initialised control reproduces the reference process', () => {
  const sde = vpSde();
  const reference = defaultReference(sde, 2);
  const gamma: Target = { name: 'g', dim: 2, logDensity: (y) => tf.mul(-0.5, tf.sum(tf.square(tf.sub(y, 1)), 1)) as tf.Tensor1D };
  const grid = rdsTimeGrid(sde, 10);
  const net = fourierMlp(key(16), { dim: 2, channels: 16 });
  const run = (control?: (t: number, y: tf.Tensor2D) => tf.Tensor2D) => {
    const out = simulateRds(key(17), { sde, reference, target: gamma, control, grid, numParticles: 64 });
    const result = { samples: out.samples.dataSync(), rnd: out.rnd.dataSync() };
    tf.dispose([out.samples, out.start, out.rnd]);
    return result;
  };
  const controlled = run(net.asControl());
  const free = run();
  assert.ok(maxAbsDiff(controlled.samples, free.samples) < 1e-4, `samples differ by ${maxAbsDiff(controlled.samples, free.samples)}`);
  assert.ok(maxAbsDiff(controlled.rnd, free.rnd) < 1e-3, `rnd differs by ${maxAbsDiff(controlled.rnd, free.rnd)}`);
  net.dispose();
});

test('bad options and inputs give clear errors', () => {
  const gamma: Target = { name: 'g', dim: 2, logDensity: (y) => tf.mul(-0.5, tf.sum(tf.square(y), 1)) as tf.Tensor1D };
  assert.throws(() => fourierMlp(key(1), { dim: 0 }), /fourierMlp: option "dim" = 0, expected an integer >= 1/);
  assert.throws(() => fourierMlp(key(1), { dim: 2, numLayers: 1 }), /option "numLayers" = 1, expected an integer >= 2/);
  assert.throws(() => fourierMlp(key(1), { dim: 2, channels: 2.5 }), /option "channels" = 2.5/);
  assert.throws(() => fourierMlp(key(1), { dim: 2, width: 3 } as never), /option "width" = 3, expected no such option/);
  assert.throws(() => timeNet(key(1), {} as never), /timeNet: option "out"/);
  assert.throws(() => scoreControl(key(1), {} as never), /scoreControl/);
  assert.throws(() => scoreControl(key(1), { target: gamma, dim: 3 }), /option "dim" = 3, expected the target's dimension 2/);
  const net = fourierMlp(key(1), { dim: 2, channels: 4 });
  const x3 = tf.zeros([2, 3]) as tf.Tensor2D;
  const x2 = tf.zeros([2, 2]) as tf.Tensor2D;
  assert.throws(() => net.apply(0.5, x3), /fourierMlp.apply: option "x" .*expected a float32 tensor of shape \[n, 2\]/);
  assert.throws(() => net.apply(Number.NaN, x2), /fourierMlp.apply: option "t" = NaN, expected a finite number/);
  const scope = net.variables[0].name.split('/')[0];
  assert.throws(() => fourierMlp(key(1), { dim: 2, channels: 4, scope }), new RegExp(`could not create the variables of scope "${scope}"`));
  tf.dispose([x2, x3]);
  net.dispose();
});

test('no tensors leak: repeated calls, gradients, and create + dispose', () => {
  const gamma: Target = { name: 'g', dim: 2, logDensity: (y) => tf.mul(-0.5, tf.sum(tf.square(y), 1)) as tf.Tensor1D };
  const x = normal(key(18), [8, 2]) as tf.Tensor2D;
  const before0 = tf.memory().numTensors;
  const ctrl = scoreControl(key(19), { target: gamma, channels: 8, timeChannels: 8 });
  const u0 = ctrl.apply(0.1, x); // first call: the target contract check
  u0.dispose();
  const { leaked } = countNewTensors(() => {
    for (let k = 0; k < 5; k++) {
      ctrl.apply(0.1 * k, x).dispose();
      const { value, grads } = tf.variableGrads(() => tf.sum(ctrl.apply(0.2, x)) as tf.Scalar, ctrl.variables);
      tf.dispose([value, ...Object.values(grads)]);
    }
  });
  assert.equal(leaked, 0);
  ctrl.dispose();
  assert.equal(tf.memory().numTensors, before0);
  x.dispose();
});
