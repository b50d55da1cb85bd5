/**
 * The LRDS experiments (lib/experiments/lrds.ts): a tiny configuration runs L1, L2 and L3 end to end and writes
 * well-formed figures and tables without leaking tensors; L1 and L2 share their common rows (same cell, same key,
 * same numbers); the same configuration gives the same numbers; the registry entry exists; bad configurations fail
 * clearly.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  checkLrdsExperimentConfig,
  lrdsExperimentConfig,
  lrdsPaper,
  runLrdsExperiments,
  writeLrdsFigures,
  type LrdsExperimentConfig,
} from '../../lib/experiments/lrds.js';
import { PAPERS } from '../../lib/experiments/registry.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

function tinyConfig(): LrdsExperimentConfig {
  const c = lrdsExperimentConfig('quick');
  c.name = 'tiny';
  c.seeds = 1;
  c.mcmc = { chainsPerMode: 2, numWarmup: 5, numSteps: 10 };
  c.train = { ...c.train, numTimeSteps: 4, numLayers: 2, channels: 8, steps: 2, batchSize: 16, numEvalParticles: 64 };
  c.sigmaSensitivity = { dim: 2, sigmaFactors: [1, 3], referenceWeights: [0.2] };
  c.modeWeightTable = { dims: [2], methods: ['gmm-lrds', 'lv-dds', 'lv-pis', 'smc'], smc: { numParticles: 32, numLevels: 3, numMcmcSteps: 1, stepSize: 0.01 } };
  c.rings = { pointsPerRing: 4, mcmc: { chainsPerMode: 1, numWarmup: 5, numSteps: 5 }, numComponents: 3, methods: ['gmm-lrds'] };
  return c;
}

test('a tiny configuration runs L1, L2 and L3, L1 and L2 share their common rows, figures and tables are written, no tensor is left behind', async () => {
  const before = tf.memory().numTensors;
  const results = await runLrdsExperiments(tinyConfig());
  assert.equal(tf.memory().numTensors, before);
  const l1 = results.sigmaSensitivity.runs.objects() as Record<string, unknown>[];
  const l2 = results.modeWeightTable.runs.objects() as Record<string, unknown>[];
  assert.equal(l1.length, 2 + 1 + 1 + 1, 'LV-DDS x 2 sigma factors, GMM-LRDS in both panels, GMM-RDS at w_ref 0.2');
  assert.equal(l2.length, 4);
  const l3 = results.rings!.runs.objects() as Record<string, unknown>[];
  assert.deepEqual(l3.map((r) => r.method), ['exact samples', 'GMM-LRDS']);
  const exact = l3[0];
  assert.ok(Math.abs(Number(exact.radialRms) - 0.1) < 0.01, `exact ring thickness ${exact.radialRms}`);
  assert.ok(Number(exact.ringWeightTv) < 0.05, `exact ring weights TV ${exact.ringWeightTv}`);
  const dds1 = l1.find((r) => r.series === 'LV-DDS' && r.x === 1)!;
  const dds2 = l2.find((r) => r.method === 'LV-DDS')!;
  assert.equal(dds1.modeWeight, dds2.modeWeight, 'L2 reuses the L1 row of LV-DDS at sigma_opt');
  for (const r of [...l1, ...l2]) {
    assert.ok(Number(r.modeWeight) >= 0 && Number(r.modeWeight) <= 1, `mode weight ${r.modeWeight}`);
    assert.ok(Math.abs(Number(r.modeWeightError) - 100 * Math.abs(Number(r.modeWeight) - 2 / 3)) < 1e-6, `error ${r.modeWeightError} for weight ${r.modeWeight}`);
  }
  assert.equal(l1.find((r) => r.referenceWeight === 0.2)!.usedReferenceWeight, 0.2, 'w_ref is the reference weight used');
  const dir = mkdtempSync(join(tmpdir(), 'lrds-fig-'));
  try {
    const written = await writeLrdsFigures(results, dir);
    for (const name of ['l1-sigma-sensitivity.svg', 'l1-sigma-sensitivity.png', 'l1-sigma-sensitivity-runs.csv', 'l2-mode-weight-table.svg', 'l2-mode-weight-table-summary.csv', 'l3-rings.svg', 'l3-rings-runs.csv', 'run-info.json']) {
      assert.ok(existsSync(join(dir, name)) && written.includes(join(dir, name)), name);
    }
    const info = JSON.parse(readFileSync(join(dir, 'run-info.json'), 'utf8'));
    assert.equal(info.config.name, 'tiny');
    assert.ok(!readFileSync(join(dir, 'l2-mode-weight-table-runs.csv'), 'utf8').includes('Seconds'), 'timings stay out of the CSVs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('same configuration and key give the same numbers', async () => {
  const c = tinyConfig();
  c.modeWeightTable.methods = ['gmm-lrds'];
  c.sigmaSensitivity.sigmaFactors = [1];
  c.sigmaSensitivity.referenceWeights = [0.7];
  c.rings = null;
  const a = (await runLrdsExperiments(c)).modeWeightTable.runs.objects();
  const b = (await runLrdsExperiments(c)).modeWeightTable.runs.objects();
  const strip = (rows: object[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !/seconds/i.test(k))));
  assert.deepEqual(strip(a), strip(b));
});

test('registry: the lrds entry is in PAPERS with both configurations described', () => {
  const entry = PAPERS.find((p) => p.id === 'lrds');
  assert.ok(entry === lrdsPaper);
  assert.ok(entry!.configs.quick.length > 0 && entry!.configs.full.length > 0);
});

test('bad configuration names and fields fail with the option, the value and the expectation', () => {
  for (const name of ['quick', 'full']) assert.equal(checkLrdsExperimentConfig(lrdsExperimentConfig(name)).name, name);
  assert.throws(() => lrdsExperimentConfig('medium'), /lrdsExperimentConfig: option "name"/);
  const bad = (edit: (c: LrdsExperimentConfig) => void, pattern: RegExp) => {
    const c = tinyConfig();
    edit(c);
    assert.throws(() => checkLrdsExperimentConfig(c), pattern);
  };
  bad((c) => (c.seeds = 0), /option "seeds"/);
  bad((c) => (c.train.batchSize = 1), /option "train.batchSize"/);
  bad((c) => (c.sigmaSensitivity.referenceWeights = [1.5]), /option "sigmaSensitivity.referenceWeights\[0\]"/);
  bad((c) => (c.sigmaSensitivity.sigmaFactors = []), /option "sigmaSensitivity.sigmaFactors"/);
  bad((c) => (c.modeWeightTable.methods = ['dis' as 'smc']), /option "modeWeightTable.methods\[0\]"/);
  bad((c) => (c.mcmc.numSteps = 0), /option "mcmc.numSteps"/);
  bad((c) => (c.rings!.methods = ['smc' as 'lv-dds']), /option "rings.methods\[0\]"/);
});
