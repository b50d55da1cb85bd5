/**
 * lib/diffusion/{timeEmbedding,scoreModels,dsm}.ts: structure and variable names, the Gaussian baseline (a network
 * with a zero last layer is exactly the perfect model of N(0, dataStd^2 I) data), score = -eps_hat / s and, for the
 * energy network, score = -grad E against central finite differences of E, one time vs one time per row, the
 * DSM loss (its value against a float64 recomputation, the energy form's parameter gradient -- a gradient of an
 * input-gradient -- against finite differences of the loss), fit with checkpoint / resume (bit-exact), save /
 * load round trips, determinism, a flat tensor count, bad inputs.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { key, normal, split, uniformArray } from '../../lib/core/random.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { saveWeights } from '../../lib/models/weights.js';
import { fit, resumeFit } from '../../lib/trainers/fit.js';
import { dsmLoss, dsmLossValue } from '../../lib/diffusion/dsm.js';
import { forwardNoise, perfectModel } from '../../lib/diffusion/forwardNoising.js';
import { diffusionNetworkFromWeights, energyNetwork, saveDiffusionNetwork, scoreNetwork, type LearnedDiffusionModel } from '../../lib/diffusion/scoreModels.js';
import { fourierTimeEmbedding } from '../../lib/diffusion/timeEmbedding.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { veSchedule } from '../../lib/diffusion/veSchedule.js';
import { useBackend } from '../helpers/backends.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Move every variable by `scale` times a N(0, 1) draw (so that tests do not run at the initial point only). */
function perturb(variables: tf.Variable[], seed: number, scale: number): void {
  const keys = split(key(seed), variables.length);
  variables.forEach((v, i) => tf.tidy(() => v.assign(tf.add(v, normal(keys[i], v.shape, 0, scale)))));
}

const TIMES = [0.01, 0.2, 0.55, 1];

describe('diffusion networks', () => {
  before(() => useBackend('wasm'));
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diffusion-networks-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('structure: phase then MLP variables, stable names, sizes; time embedding features', () => {
    const schedule = vpSchedule();
    const net = scoreNetwork(key(1), schedule, 3, { hidden: [16, 8], numFrequencies: 5 });
    assert.deepEqual(net.variables.map((v) => v.shape), [[1, 5], [13, 16], [16], [16, 8], [8], [8, 3], [3]]);
    const names = net.variables.map((v) => v.name.replace(/^scoreNetwork#\d+\//, ''));
    assert.deepEqual(names, ['time/phase', 'net/dense0/weight', 'net/dense0/bias', 'net/dense1/weight', 'net/dense1/bias', 'net/dense2/weight', 'net/dense2/bias']);
    const energy = energyNetwork(key(1), schedule, 3, { hidden: [16] });
    assert.deepEqual(energy.variables.at(-1)?.shape, [1], 'the energy network has one output');
    net.dispose();
    energy.dispose();
    const embedding = fourierTimeEmbedding(key(2), { numFrequencies: 3, minFrequency: 1, maxFrequency: 5, learnablePhase: false });
    const u = tf.tensor2d([[0.25], [0.5]]);
    const features = embedding.apply(u).arraySync();
    const expected = [0.25, 0.5].map((v) => [1, 3, 5].map((c) => Math.sin(c * v)).concat([1, 3, 5].map((c) => Math.cos(c * v))));
    assert.ok(maxAbsDiff(features.flat(), expected.flat()) < 1e-6);
    assert.equal(embedding.variables.length, 0);
    embedding.dispose();
    u.dispose();
  });

  test('a zero last layer gives the Gaussian baseline: the perfect model of N(0, dataStd^2 I) data (VP and VE, both kinds)', () => {
    for (const schedule of [vpSchedule({ scale: 1.4 }), veSchedule({ sigmaMax: 6 })]) {
      const dataStd = 0.7;
      const gaussian = gaussianMixture({ weights: [1], means: [[0, 0]], covariances: [dataStd * dataStd] });
      const perfect = perfectModel(gaussian, schedule);
      const x = normal(key(3), [7, 2], 0, 2) as tf.Tensor2D;
      for (const make of [scoreNetwork, energyNetwork]) {
        const net = make(key(4), schedule, 2, { dataStd, finalInitScale: 0 });
        for (const t of TIMES) {
          const expected = perfect.score(x, t);
          const got = net.score(x, t);
          assert.ok(maxAbsDiff(got.dataSync(), expected.dataSync()) < 1e-4 * (1 + maxAbs(expected.dataSync())), `${net.kind} ${schedule.kind} t = ${t}`);
          tf.dispose([expected, got]);
        }
        net.dispose();
      }
      tf.dispose(x);
      perfect.dispose();
      gaussian.dispose();
    }
  });

  test('score = -eps_hat / s; energy: score = -grad E (central differences), logDensity = -E; one time = per-row times', () => {
    const schedule = vpSchedule();
    const x = normal(key(5), [4, 2]) as tf.Tensor2D;
    for (const make of [scoreNetwork, energyNetwork]) {
      const net = make(key(6), schedule, 2, { hidden: [12, 12], timeInput: make === scoreNetwork ? 'time' : 'logSnr' });
      perturb(net.variables, 7, 0.1);
      for (const t of TIMES) {
        const score = net.score(x, t);
        const eps = net.noisePrediction(x, t);
        const s = schedule.noiseScale(t);
        assert.ok(maxAbsDiff(score.dataSync(), Array.from(eps.dataSync(), (e) => -e / s)) < 1e-4 * (1 + maxAbs(score.dataSync())));
        const perRow = net.score(x, [t, t, t, t]);
        assert.ok(maxAbsDiff(perRow.dataSync(), score.dataSync()) < 1e-5 * (1 + maxAbs(score.dataSync())), 'per-row times');
        if (net.kind === 'energy') {
          const energy = net as LearnedDiffusionModel & { energy: (x: tf.Tensor2D, t: number) => tf.Tensor1D; logDensity: (x: tf.Tensor2D, t: number) => tf.Tensor1D };
          const h = 1e-2;
          const sv = score.arraySync();
          const e0 = energy.energy(x, t);
          const lp = energy.logDensity(x, t);
          assert.ok(maxAbsDiff(lp.dataSync(), Array.from(e0.dataSync(), (v) => -v)) < 1e-6);
          for (let j = 0; j < 2; j++) {
            const shift = tf.tensor2d([j === 0 ? h : 0, j === 1 ? h : 0], [1, 2]);
            const plus = tf.add(x, shift) as tf.Tensor2D;
            const minus = tf.sub(x, shift) as tf.Tensor2D;
            const ep = energy.energy(plus, t).dataSync();
            const em = energy.energy(minus, t).dataSync();
            for (let r = 0; r < 4; r++) {
              const fd = -(ep[r] - em[r]) / (2 * h);
              assert.ok(Math.abs(fd - sv[r][j]) < 2e-3 * (1 + Math.abs(sv[r][j])) + (1e-6 * Math.abs(ep[r])) / h, `t ${t} row ${r} coord ${j}: ${sv[r][j]} vs ${fd}`);
            }
            tf.dispose([shift, plus, minus]);
          }
          tf.dispose([e0, lp]);
        }
        tf.dispose([score, eps, perRow]);
      }
      // rows with different times equal the rows computed one time at a time
      const mixed = net.score(x, TIMES);
      const rows = mixed.arraySync();
      TIMES.forEach((t, r) => {
        const single = net.score(x, t);
        assert.ok(maxAbsDiff(rows[r], single.arraySync()[r]) < 1e-5 * (1 + maxAbs(single.dataSync())), `mixed times row ${r}`);
        single.dispose();
      });
      mixed.dispose();
      net.dispose();
    }
    x.dispose();
  });

  test('DSM loss value = mean_i |eps_hat(x_t, t_i) - eps_i|^2 recomputed from the same keys', () => {
    const schedule = vpSchedule();
    const net = scoreNetwork(key(8), schedule, 2, { hidden: [8] });
    const x0 = normal(key(9), [16, 2]) as tf.Tensor2D;
    const k = key(10);
    const loss = dsmLossValue(net, k, x0, { tMin: 0.05, tMax: 0.9 });
    const [timeKey, noiseKey] = split(k);
    const times = uniformArray(timeKey, 16).map((u) => 0.05 + 0.85 * u);
    const { noised, noise } = forwardNoise(schedule, noiseKey, x0, times);
    const eps = net.noisePrediction(noised, times).dataSync();
    const nv = noise.dataSync();
    let sum = 0;
    for (let i = 0; i < eps.length; i++) sum += (eps[i] - nv[i]) ** 2;
    assert.ok(Math.abs(loss.dataSync()[0] - sum / 16) < 1e-5 * (sum / 16));
    tf.dispose([x0, loss, noised, noise]);
    net.dispose();
  });

  test('energy DSM: the parameter gradient (through grad_x E) matches central differences of the loss', () => {
    const schedule = vpSchedule();
    const net = energyNetwork(key(11), schedule, 2, { hidden: [10, 10] });
    perturb(net.variables, 12, 0.2);
    const x0 = normal(key(13), [32, 2]) as tf.Tensor2D;
    const k = key(14);
    const lossAt = () => dsmLossValue(net, k, x0, { tMin: 0.05 });
    const { value, grads } = tf.variableGrads(lossAt, net.variables);
    const directionKeys = split(key(15), net.variables.length);
    const directions = net.variables.map((v, i) => normal(directionKeys[i], v.shape));
    let analytic = 0;
    // the last bias shifts E by a constant: no effect on grad_x E, so tfjs returns no gradient for it (zero)
    assert.deepEqual(net.variables.filter((v) => grads[v.name] === undefined), [net.variables.at(-1)]);
    net.variables.forEach((v, i) => {
      if (grads[v.name] === undefined) return;
      const g = grads[v.name].dataSync();
      const dv = directions[i].dataSync();
      for (let j = 0; j < g.length; j++) analytic += g[j] * dv[j];
    });
    const h = 1e-3;
    const original = net.variables.map((v) => tf.clone(v));
    const shifted = (sign: number) => {
      net.variables.forEach((v, i) => v.assign(tf.tidy(() => tf.add(original[i], tf.mul(directions[i], sign * h)))));
      const l = lossAt();
      const out = l.dataSync()[0];
      l.dispose();
      return out;
    };
    const fd = (shifted(1) - shifted(-1)) / (2 * h);
    net.variables.forEach((v, i) => v.assign(original[i]));
    assert.ok(Math.abs(fd - analytic) < 5e-3 * Math.abs(analytic) + 1e-4, `directional derivative: autodiff ${analytic} vs finite differences ${fd}`);
    assert.ok(Number.isFinite(value.dataSync()[0]));
    tf.dispose([value, x0, ...Object.values(grads), ...directions, ...original]);
    net.dispose();
  });

  test('dsmLoss on fit: tensor data and a sampler; checkpoint + resume is bit-exact; tensor count flat', async () => {
    const schedule = vpSchedule();
    const mixture = gaussianMixture({ weights: [0.7, 0.3], means: [[-1, 0], [1.5, 1]], covariances: [0.2, 0.4] });
    const data = mixture.sample(key(16), 200);
    const make = () => energyNetwork(key(17), schedule, 2, { hidden: [8] });
    const common = { steps: 6, key: key(18), optimizer: { learningRate: 1e-2 }, chunkSize: 2 };
    const a = make();
    const continuous = await fit({ ...common, variables: a.variables, loss: dsmLoss(a, data, { batchSize: 16 }) });
    assert.ok(continuous.losses.every(Number.isFinite));
    const path = join(dir, 'fit', 'checkpoint.json');
    const b = make();
    await fit({ ...common, steps: 3, variables: b.variables, loss: dsmLoss(b, data, { batchSize: 16 }), checkpoint: { path, everySteps: 3 } });
    const c = make();
    const resumed = await resumeFit(path, { ...common, variables: c.variables, loss: dsmLoss(c, data, { batchSize: 16 }) });
    a.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), c.variables[i].dataSync(), `variable ${i}`));
    assert.deepEqual(Array.from(resumed.losses), Array.from(continuous.losses));
    // a sampler as data
    const sampled = scoreNetwork(key(19), schedule, 2, { hidden: [8] });
    const loss = dsmLoss(sampled, (k, n) => mixture.sample(k, n), { batchSize: 32 });
    const step = (i: number) => {
      const { value, grads } = tf.variableGrads(() => loss(key(i), i), sampled.variables);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 20; i++) step(i);
    assert.equal(tf.memory().numTensors, before);
    [a, b, c, sampled].forEach((m) => m.dispose());
    data.dispose();
    mixture.dispose();
  });

  test('save / load: the same outputs bit for bit, the same config and schedule; determinism by key', async () => {
    for (const make of [scoreNetwork, energyNetwork]) {
      const schedule = make === scoreNetwork ? vpSchedule({ betaMax: 10, scale: 1.2 }) : veSchedule({ sigmaMax: 7 });
      const net = make(key(20), schedule, 3, { hidden: [9, 7], timeInput: 'logSnr', numFrequencies: 4, dataStd: 1.3 });
      perturb(net.variables, 21, 0.3);
      const path = join(dir, `saved-${net.kind}`);
      await saveDiffusionNetwork(net, path, { metadata: { note: 'test' } });
      const loaded = await diffusionNetworkFromWeights(path);
      assert.equal(loaded.kind, net.kind);
      assert.deepEqual(loaded.config, net.config);
      assert.deepEqual(loaded.schedule.config, schedule.config);
      const x = normal(key(22), [5, 3]) as tf.Tensor2D;
      const a = net.score(x, 0.3);
      const b = loaded.score(x, 0.3);
      assert.deepEqual(a.dataSync(), b.dataSync());
      const twin = make(key(20), schedule, 3, { hidden: [9, 7], timeInput: 'logSnr', numFrequencies: 4, dataStd: 1.3 });
      const fresh = make(key(20), schedule, 3, { hidden: [9, 7], timeInput: 'logSnr', numFrequencies: 4, dataStd: 1.3 });
      twin.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), fresh.variables[i].dataSync(), 'same key, same weights'));
      tf.dispose([x, a, b]);
      [net, loaded, twin, fresh].forEach((m) => m.dispose());
    }
    await assert.rejects(diffusionNetworkFromWeights(join(dir, 'missing')), /cannot read|ENOENT|no such/i);
    const other = tf.variable(tf.zeros([2]), true, 'plain/weight');
    await saveWeights([other], join(dir, 'plain'));
    await assert.rejects(diffusionNetworkFromWeights(join(dir, 'plain')), /diffusionNetworkFromWeights: .* holds no diffusion network: "metadata.diffusionNetwork" = undefined, expected the config written by saveDiffusionNetwork/);
    await assert.rejects(saveDiffusionNetwork({} as never, join(dir, 'bad')), /saveDiffusionNetwork: option "model" = \{\}, expected a network from scoreNetwork or energyNetwork/);
    other.dispose();
  });

  test('bad inputs', () => {
    const schedule = vpSchedule();
    assert.throws(() => scoreNetwork(key(0), schedule, 0), /scoreNetwork: option "dim" = 0, expected an integer >= 1/);
    assert.throws(() => scoreNetwork(key(0), {} as never, 2), /scoreNetwork: option "schedule" = \{\}, expected a noise schedule/);
    assert.throws(() => energyNetwork(key(0), schedule, 2, { hidden: [4, 0] }), /energyNetwork: option "hidden\[1\]" = 0, expected an integer >= 1/);
    assert.throws(() => scoreNetwork(key(0), schedule, 2, { activation: 'gelu' as never }), /option "activation" = "gelu", expected one of "relu", "silu", "tanh", "elu"/);
    assert.throws(() => scoreNetwork(key(0), schedule, 2, { timeInput: 'sigma' as never }), /option "timeInput" = "sigma"/);
    assert.throws(() => scoreNetwork(key(0), schedule, 2, { dataStd: -1 }), /option "dataStd" = -1, expected a finite number > 0/);
    assert.throws(() => scoreNetwork(key(0), schedule, 2, { width: 3 } as never), /option "width" = 3, expected no such option/);
    const net = scoreNetwork(key(0), schedule, 2, { hidden: [4] });
    const x = tf.zeros([3, 2]) as tf.Tensor2D;
    assert.throws(() => net.score(x, 0), /scoreNetwork.score: option "t" = 0, expected a time with noise scale s\(t\) > 0/);
    assert.throws(() => net.score(x, [0.5, 0, 0.2]), /option "t\[1\]" = 0, expected a time with noise scale/);
    assert.throws(() => net.score(x, 3), /option "t" = 3, expected a time in \[0, 1\]/);
    assert.throws(() => net.score(tf.zeros([3, 4]) as tf.Tensor2D, 0.5), /scoreNetwork.score: option "x" = Tensor\(float32, \[3, 4\]\), expected a tensor of shape \[n, 2\]/);
    assert.throws(() => dsmLoss(net, x, { batchSize: 0 }), /dsmLoss: option "batchSize" = 0, expected an integer >= 1/);
    assert.throws(() => dsmLoss(net, x, { batchSize: 4, tMin: 0.5, tMax: 0.5 }), /dsmLoss: option "tMax" = 0.5, expected a time > tMin = 0.5/);
    assert.throws(() => dsmLoss(net, x, { batchSize: 4, tMin: 0 }), /dsmLoss: option "tMin" = 0, expected a time with noise scale s\(tMin\) > 0/);
    assert.throws(() => dsmLoss(net, tf.zeros([5, 3]) as tf.Tensor2D, { batchSize: 4 }), /dsmLoss: option "data" = Tensor\(float32, \[5, 3\]\), expected a tensor of shape \[n, 2\]/);
    assert.throws(() => dsmLoss({} as never, x, { batchSize: 4 }), /dsmLoss: option "model" = \{\}, expected a learned diffusion model/);
    const bad = dsmLoss(net, (k) => normal(k, [3, 2]) as tf.Tensor2D, { batchSize: 4 });
    assert.throws(() => bad(key(1), 0), /dsmLoss: option "data" = Tensor\(float32, \[3, 2\]\), expected a sampler returning tensors of shape \[4, 2\]/);
    assert.throws(() => dsmLossValue(net, key(0), x, { tMin: 2 }), /dsmLossValue: option "tMin" = 2, expected a time in \[0, 1\]/);
    assert.throws(() => fourierTimeEmbedding(key(0), { maxFrequency: 0.01 }), /option "maxFrequency" = 0.01, expected a number >= minFrequency = 0.1/);
    net.dispose();
    x.dispose();
  });
});
