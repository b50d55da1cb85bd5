/**
 * Contracts of the LRDS pipeline pieces (the statistical check is test/stats/lrds-pipeline.test.ts):
 * sigmaOpt on hand-computed data; localMcmc's layout (chains per mode, step-major draws), abort and bad options;
 * trainRdsControl: a run stopped and resumed from its checkpoint gives the same losses and weights as one run,
 * the KL loss trains too, the tensor count stays flat, and bad options name the option.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { fourierMlp } from '../../lib/models/fourierMlp.js';
import { localMcmc } from '../../lib/samplers/diffusion/rds/localMcmc.js';
import { vpSde } from '../../lib/samplers/diffusion/rds/noisingSde.js';
import { rdsTimeGrid } from '../../lib/samplers/diffusion/rds/rdsTimeGrid.js';
import { mixtureReference } from '../../lib/samplers/diffusion/rds/referenceMarginal.js';
import { baselineScale, sigmaOpt } from '../../lib/samplers/diffusion/rds/sigmaOpt.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { twoModesLrds } from '../../lib/targets/twoModes.js';
import { trainRdsControl, rdsTrainingLoss } from '../../lib/trainers/rdsTraining.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

test('sigmaOpt: sqrt of the per-coordinate second moment (mean^2 + unbiased variance); PIS gets sigma / sqrt(T)', async () => {
  const data = tf.tensor2d([[1, 2], [3, 4], [5, 9]]);
  const s = await sigmaOpt(data);
  data.dispose();
  // means 3, 5; variances (4 + 0 + 4)/2 = 4, (9 + 1 + 16)/2 = 13
  assert.deepEqual(Array.from(s.mean), [3, 5]);
  assert.deepEqual(Array.from(s.variance), [4, 13]);
  assert.ok(Math.abs(s.sigma - Math.sqrt((9 + 25 + 4 + 13) / 2)) < 1e-12);
  assert.equal(baselineScale('vp', 2, 1), 2);
  assert.ok(Math.abs(baselineScale('pbm', 2, 5) - 2 / Math.sqrt(5)) < 1e-15);
  await assert.rejects(() => sigmaOpt(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D), /sigmaOpt: option "data"/);
});

test('localMcmc: chainsPerMode chains start at each mode and stay there; step-major draws; abort; bad modes', async () => {
  const target = twoModesLrds(3);
  const modes = [[-1, -1, -1], [1, 1, 1]];
  const before = tf.memory().numTensors;
  const run = await localMcmc(key(3), target, { modes, chainsPerMode: 3, numWarmup: 20, numSteps: 30, chunkSize: 7 });
  assert.deepEqual(run.samples.shape, [30 * 6, 3]);
  assert.deepEqual(Array.from(run.modeOfChain), [0, 0, 0, 1, 1, 1]);
  const x = await run.samples.array();
  // step-major: row s * 6 + c is chain c; chains 0-2 near -1, 3-5 near +1 (modes 8.9 sds apart per coordinate)
  x.forEach((row, i) => assert.equal(Math.sign(row[0]), i % 6 < 3 ? -1 : 1, `row ${i}`));
  assert.ok(run.acceptance > 0.3 && run.acceptance <= 1, `acceptance ${run.acceptance}`);
  assert.equal(run.stepSizes.length, 6);
  run.samples.dispose();
  assert.equal(tf.memory().numTensors, before);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(() => localMcmc(key(3), target, { modes, numSteps: 5, signal: controller.signal }), { name: 'AbortError' });
  await assert.rejects(() => localMcmc(key(3), target, { modes: [[0, 0]], numSteps: 5 }), /localMcmc: option "modes"/);
  await assert.rejects(() => localMcmc(key(3), target, { modes, numSteps: 5, stepSize: -1 }), /localMcmc: option "stepSize"/);
  assert.equal(tf.memory().numTensors, before);
  target.dispose();
});

function tinyProblem() {
  const target = twoModesLrds(2);
  const sde = vpSde();
  const gmm = gaussianMixture({ weights: [0.5, 0.5], means: [[-1, -1], [1, 1]], covariances: [0.05, 0.05] });
  const reference = mixtureReference(sde, gmm);
  const grid = rdsTimeGrid(sde, 5);
  return { target, sde, gmm, reference, grid, dispose: () => { target.dispose(); gmm.dispose(); } };
}

test('trainRdsControl: stopped at a checkpoint and resumed = one run (losses and weights, bit for bit); KL trains; no leak', async () => {
  const p = tinyProblem();
  const dir = mkdtempSync(join(tmpdir(), 'lrds-train-'));
  try {
    const common = { sde: p.sde, reference: p.reference, target: p.target, grid: p.grid, batchSize: 16, key: key(7), optimizer: { learningRate: 1e-2 } };
    const one = fourierMlp(key(5), { dim: 2, numLayers: 2, channels: 8 });
    const before = tf.memory().numTensors;
    const whole = await trainRdsControl({ ...common, control: one.asControl(), variables: one.variables, steps: 6 });
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind by training');
    const two = fourierMlp(key(5), { dim: 2, numLayers: 2, channels: 8 });
    const checkpoint = { path: join(dir, 'ckpt.json'), everySteps: 3 };
    await trainRdsControl({ ...common, control: two.asControl(), variables: two.variables, steps: 3, checkpoint });
    const three = fourierMlp(key(6), { dim: 2, numLayers: 2, channels: 8 }); // other init: the checkpoint overwrites it
    const resumed = await trainRdsControl({ ...common, control: three.asControl(), variables: three.variables, steps: 6, checkpoint, resume: true });
    assert.deepEqual(Array.from(resumed.losses), Array.from(whole.losses));
    for (let i = 0; i < one.variables.length; i++) {
      assert.deepEqual(Array.from(await three.variables[i].data()), Array.from(await one.variables[i].data()), one.variables[i].name);
    }
    const kl = await trainRdsControl({ ...common, control: two.asControl(), variables: two.variables, steps: 2, loss: 'kl' });
    assert.ok(kl.losses.every(Number.isFinite));
    assert.ok(whole.losses.every((l) => Number.isFinite(l) && l >= 0), 'LV losses are variances');
    for (const net of [one, two, three]) net.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    p.dispose();
  }
});

test('trainRdsControl / rdsTrainingLoss: bad options name the option', async () => {
  const p = tinyProblem();
  const net = fourierMlp(key(5), { dim: 2, numLayers: 2, channels: 8 });
  const base = { sde: p.sde, reference: p.reference, target: p.target, grid: p.grid, control: net.asControl(), variables: net.variables, key: key(1), steps: 1 };
  try {
    await assert.rejects(() => trainRdsControl({ ...base, batchSize: 1 }), /rdsTrainingLoss: option "batchSize"/);
    await assert.rejects(() => trainRdsControl({ ...base, batchSize: 8, loss: 'mse' as 'lv' }), /rdsTrainingLoss: option "loss"/);
    await assert.rejects(() => trainRdsControl({ ...base, batchSize: 8, resume: true }), /trainRdsControl: option "resume"/);
    assert.throws(() => rdsTrainingLoss({ ...base, batchSize: 8, control: 3 as never }), /rdsTrainingLoss: option "control"/);
  } finally {
    net.dispose();
    p.dispose();
  }
});
