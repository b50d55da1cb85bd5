/**
 * lib/models/weights.ts: save / load through tf.io weight manifests. Round trips reproduce a perturbed RealNVP's
 * outputs bit for bit (restoreWeights into another instance, flowFromWeights from the stored config); the files
 * are a tf.io manifest plus metadata; mismatched, missing and corrupt files give clear errors and change nothing.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { mlp } from '../../lib/models/mlp.js';
import { realNvp } from '../../lib/models/realnvp.js';
import {
  flowFromWeights,
  loadWeights,
  restoreWeights,
  saveFlow,
  saveWeights,
  stableWeightName,
  WEIGHTS_FORMAT,
} from '../../lib/models/weights.js';
import { useBackend } from '../helpers/backends.js';
import { perturbedRealNvp } from './flows-fixtures.js';

describe('model weights', () => {
  let root: string;
  before(async () => {
    await useBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'flows-weights-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  const options = { dim: 3, numBlocks: 2, hiddenDim: 8, maskType: 'checkerboard' as const, activation: 'silu' as const };

  test('saveFlow + flowFromWeights and restoreWeights reproduce forward / inverse outputs bit for bit', async () => {
    const flow = perturbedRealNvp(options, 301);
    const dir = join(root, 'roundtrip');
    const { names } = await saveFlow(flow, dir, { metadata: { step: 42, note: 'test' } });
    assert.equal(names.length, flow.variables.length);
    assert.equal(names[0], 'block0/coupling0/scale/dense0/weight');

    const z = normal(key(302), [64, 3]) as tf.Tensor2D;
    const want = flow.forward(z);
    const wantInv = flow.inverse(z);

    const rebuilt = await flowFromWeights(dir);
    assert.deepEqual(rebuilt.config, flow.config);
    const other = realNvp(key(999), options); // different initial weights
    const { name, metadata } = await restoreWeights(other.variables, dir);
    assert.equal(name, 'realnvp');
    assert.equal(metadata.step, 42);
    assert.deepEqual(metadata.flow, { kind: 'realnvp', config: { ...flow.config } });
    for (const copy of [rebuilt, other]) {
      const got = copy.forward(z);
      const gotInv = copy.inverse(z);
      assert.deepEqual(got.value.dataSync(), want.value.dataSync());
      assert.deepEqual(got.logDet.dataSync(), want.logDet.dataSync());
      assert.deepEqual(gotInv.value.dataSync(), wantInv.value.dataSync());
      copy.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), flow.variables[i].dataSync()));
      tf.dispose([got.value, got.logDet, gotInv.value, gotInv.logDet]);
    }
    tf.dispose([z, want.value, want.logDet, wantInv.value, wantInv.logDet]);
    for (const f of [flow, rebuilt, other]) f.dispose();
  });

  test('file format: a tf.io weights manifest (decodable by tf.io.decodeWeights) plus name and metadata', async () => {
    const net = mlp(key(303), [2, 4, 1], { activation: 'tanh' });
    const dir = join(root, 'format');
    await saveWeights(net.variables, dir, { name: 'critic', metadata: { lr: 1e-3 } });
    const model = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    assert.equal(model.format, WEIGHTS_FORMAT);
    assert.equal(model.name, 'critic');
    assert.deepEqual(model.metadata, { lr: 1e-3 });
    assert.deepEqual(model.weightsManifest[0].paths, ['weights.bin']);
    assert.deepEqual(
      model.weightsManifest[0].weights.map((w: { name: string; shape: number[] }) => [w.name, w.shape]),
      [['dense0/weight', [2, 4]], ['dense0/bias', [4]], ['dense1/weight', [4, 1]], ['dense1/bias', [1]]],
    );
    const bin = await readFile(join(dir, 'weights.bin'));
    const decoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), model.weightsManifest[0].weights);
    assert.deepEqual(decoded['dense0/weight'].dataSync(), net.weights[0].dataSync());
    const loaded = await loadWeights(dir);
    assert.deepEqual(loaded.names, ['dense0/weight', 'dense0/bias', 'dense1/weight', 'dense1/bias']);
    assert.deepEqual(loaded.tensors['dense1/weight'].dataSync(), net.weights[1].dataSync());
    tf.dispose([...Object.values(decoded), ...Object.values(loaded.tensors)]);
    net.dispose();
  });

  test('stable names drop the unique scope; explicit names work for unscoped variables', async () => {
    const net = mlp(key(304), [2, 2], { activation: 'relu' });
    assert.equal(stableWeightName(net.variables[0]), 'dense0/weight');
    const plain = tf.variable(tf.tensor1d([1, 2, 3]));
    assert.equal(stableWeightName(plain), plain.name);
    const dir = join(root, 'explicit');
    await saveWeights([plain], dir, { names: ['counts'] });
    const target = tf.variable(tf.zeros([3]));
    await restoreWeights([target], dir, { names: ['counts'] });
    assert.deepEqual(Array.from(target.dataSync()), [1, 2, 3]);
    tf.dispose([plain, target]);
    net.dispose();
  });

  test('memory: save, load, restore and flowFromWeights leave no tensors behind', async () => {
    const flow = perturbedRealNvp(options, 305);
    const dir = join(root, 'memory');
    const start = tf.memory().numTensors;
    await saveFlow(flow, dir);
    await restoreWeights(flow.variables, dir);
    const rebuilt = await flowFromWeights(dir);
    rebuilt.dispose();
    const loaded = await loadWeights(dir);
    tf.dispose(Object.values(loaded.tensors));
    assert.equal(tf.memory().numTensors, start);
    flow.dispose();
  });

  test('mismatches: other shapes or names are rejected before anything is assigned', async () => {
    const flow = perturbedRealNvp(options, 306);
    const dir = join(root, 'mismatch');
    await saveFlow(flow, dir);
    const wider = realNvp(key(307), { ...options, hiddenDim: 9 });
    const before = wider.variables.map((v) => v.dataSync().slice());
    await assert.rejects(
      restoreWeights(wider.variables, dir),
      /restoreWeights: entry "block0\/coupling0\/scale\/dense0\/weight" in .* has shape \[3, 8\] \(float32\), expected \[3, 9\] \(float32\)/,
    );
    wider.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), before[i], 'unchanged after a failed restore'));
    const deeper = realNvp(key(308), { ...options, numBlocks: 3 });
    await assert.rejects(restoreWeights(deeper.variables, dir), /restoreWeights: the weights in .* do not match the 48 variables given; missing from the file: block2\/coupling0\/scale\/dense0\/weight/);
    const net = mlp(key(309), [3, 8, 3], { activation: 'relu' });
    await assert.rejects(restoreWeights(net.variables, dir), /missing from the file: dense0\/weight, .*in the file but not among the variables: block0\/coupling0\/scale\/dense0\/weight/);
    // weights without a flow description
    const plainDir = join(root, 'no-config');
    await saveWeights(flow.variables, plainDir);
    await assert.rejects(flowFromWeights(plainDir), /flowFromWeights: .*model.json has no RealNVP description: "metadata.flow" = undefined, expected \{ kind: "realnvp", config \}/);
    for (const f of [flow, wider, deeper, net]) f.dispose();
  });

  test('missing and corrupt files give clear errors', async () => {
    const flow = perturbedRealNvp(options, 310);
    await assert.rejects(loadWeights(join(root, 'does-not-exist')), /loadWeights: cannot read .*does-not-exist\/model.json \(ENOENT\); expected a directory written by saveWeights/);
    await assert.rejects(flowFromWeights(join(root, 'does-not-exist')), /cannot read .*model.json \(ENOENT\)/);

    const corrupt = join(root, 'corrupt-json');
    await saveFlow(flow, corrupt);
    await writeFile(join(corrupt, 'model.json'), '{"format": "sampling-lab-weights", ');
    await assert.rejects(loadWeights(corrupt), /loadWeights: .*model.json is not a sampling-lab weight file: invalid JSON/);

    const foreign = join(root, 'foreign');
    await saveFlow(flow, foreign);
    await writeFile(join(foreign, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
    await assert.rejects(loadWeights(foreign), /not a sampling-lab weight file: "format" = undefined, expected "sampling-lab-weights"/);

    const truncated = join(root, 'truncated');
    await saveFlow(flow, truncated);
    await truncate(join(truncated, 'weights.bin'), 100);
    await assert.rejects(restoreWeights(flow.variables, truncated), /loadWeights: .*weights.bin holds 100 bytes, but the manifest in .* expects \d+ \(the files are truncated or do not belong together\)/);

    const noBin = join(root, 'no-bin');
    await saveFlow(flow, noBin);
    await rm(join(noBin, 'weights.bin'));
    await assert.rejects(loadWeights(noBin), /cannot read weight file .*weights.bin listed in .*model.json \(ENOENT\)/);

    const badConfig = join(root, 'bad-config');
    await saveFlow(flow, badConfig);
    const model = JSON.parse(await readFile(join(badConfig, 'model.json'), 'utf8'));
    model.metadata.flow.config.maskType = 'inter';
    await writeFile(join(badConfig, 'model.json'), JSON.stringify(model));
    await assert.rejects(flowFromWeights(badConfig), /flowFromWeights \(stored config\): option "maskType" = "inter", expected one of "half", "checkerboard"/);
    flow.dispose();
  });

  test('bad arguments throw errors naming the option, the value and what was expected', async () => {
    const net = mlp(key(311), [2, 2], { activation: 'relu' });
    await assert.rejects(saveWeights([], root), /saveWeights: option "variables" = \[\], expected a non-empty array of tf.Variable/);
    await assert.rejects(saveWeights([tf.zeros([2]) as unknown as tf.Variable], root), /saveWeights: option "variables\[0\]" = .*expected a tf.Variable/);
    await assert.rejects(saveWeights(net.variables, ''), /saveWeights: option "dir" = "", expected a directory path/);
    await assert.rejects(saveWeights(net.variables, root, { metadata: [1] as never }), /option "metadata" = \[1\], expected a plain object/);
    await assert.rejects(saveWeights(net.variables, root, { names: ['a'] }), /option "names" = \["a"\], expected an array of 2 names/);
    await assert.rejects(saveWeights(net.variables, root, { names: ['a', 'a'] }), /option "names" = "a", expected unique entry names/);
    await assert.rejects(saveWeights(net.variables, root, { format: 'x' } as never), /option "format" = "x", expected no such option/);
    await assert.rejects(saveFlow(net as never, root), /saveFlow: option "flow" = .*expected a RealNVP created by realNvp\(\)/);
    await assert.rejects(loadWeights(42 as unknown as string), /loadWeights: option "dir" = 42, expected a directory path/);
    net.dispose();
  });
});
