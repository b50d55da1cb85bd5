/**
 * The aMC-BG experiments (lib/experiments/amcbg.ts): a tiny configuration runs A1 and A3 end to end and writes
 * well-formed figures and tables; the A1 metrics tell the exact (oracle) kernel from a wrong model; the A3 mass
 * estimate recovers a known mass; the registry entry exists; bad configurations fail clearly.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { perfectModel } from '../../lib/diffusion/forwardNoising.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import {
  amcbgConfig,
  amcbgPaper,
  benchmarkMixture,
  checkAmcbgConfig,
  learnedModeMass,
  runAmcbg,
  writeAmcbgFigures,
  type AmcbgConfig,
} from '../../lib/experiments/amcbg.js';
import { PAPERS } from '../../lib/experiments/registry.js';
import { twoModes } from '../../lib/targets/twoModes.js';
import { compileSpec } from '../../lib/viz/render.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

function tinyConfig(): AmcbgConfig {
  return {
    name: 'tiny',
    seed: 3,
    perfect: {
      dims: [2],
      numModes: [2, 3],
      separations: [3, 8],
      kernels: ['firstOrder', 'secondOrder', 'transport', 'mcmc'],
      sampler: { numParticles: 64, numLevels: 8, resampleThreshold: 0.5, mcmcSteps: 1 },
      seeds: 2,
    },
    learned: {
      dims: [2],
      numModes: [2],
      separations: [4],
      kernels: ['firstOrder', 'mcmc'],
      sampler: { numParticles: 64, numLevels: 8, resampleThreshold: 0.5, mcmcSteps: 1 },
      seeds: 2,
      training: { numTrainingSamples: 256, hidden: [8], steps: 5, batchSize: 32, learningRate: 1e-3 },
      ablation: { dim: 2, numModes: 2, separation: 6 },
    },
    blindness: {
      dim: 2, separation: 6, numTrainingSamples: 256, hidden: [8], steps: 5, batchSize: 32, learningRate: 1e-3,
      times: [0.05, 0.5], numEvaluationSamples: 64, seeds: 1,
    },
  };
}

test('a tiny configuration runs A1 and A3 end to end, writes figures and tables, and leaves no tensor behind', async () => {
  const config = tinyConfig();
  const before = tf.memory().numTensors;
  const messages: string[] = [];
  const results = await runAmcbg(config, { onProgress: (m) => messages.push(m) });
  assert.equal(tf.memory().numTensors, before, 'tensor count after runAmcbg');
  const p = results.perfect;
  assert.equal(p.runs.length, 1 * 2 * 2 * 4 * 2);
  assert.equal(p.summary.length, 1 * 2 * 2 * 4);
  for (const r of p.runs) {
    assert.ok(r.modeWeightError >= 0 && r.modeWeightError <= 1, `mode-weight error ${r.modeWeightError}`);
    assert.ok(Number.isFinite(r.absLogZError) && r.absLogZError >= 0);
    assert.ok(r.essFraction > 0 && r.essFraction <= 1 + 1e-9);
    assert.equal(r.targetEvaluations > 0, true);
    // Second-order and transport kernels use Hessians, the first-order ones never.
    assert.equal(r.hessianEvaluations > 0, r.kernel === 'secondOrder' || r.kernel === 'transport', r.kernel);
  }
  assert.ok(messages.some((m) => m.startsWith('A1 d = 2, K = 3')) && messages.some((m) => m.startsWith('A3 seed 0')), messages.join('\n'));
  const l = results.learned;
  assert.equal(l.runs.length, 2 * 2);
  assert.deepEqual(new Set(l.runs.map((r) => r.kernel)), new Set(['firstOrder', 'mcmc']));
  assert.ok(l.runs.every((r) => r.hessianEvaluations === 0 && r.modeWeightError >= 0 && r.modeWeightError <= 1));
  assert.equal(l.ablation.runs.length, 4 * 2);
  assert.deepEqual(l.ablation.summary.map((s) => s.combination), ['exact/exact', 'exact/learned', 'learned/exact', 'learned/learned']);
  assert.ok(messages.some((m) => m.startsWith('A2 ablation')), messages.join('\n'));
  assert.equal(results.blindness.runs.length, 2);
  for (const r of results.blindness.runs) assert.ok(r.learnedMass >= 0 && r.learnedMass <= 1 && r.exactMass >= 0 && r.exactMass <= 1);
  for (const spec of [p.specs.modeWeightError, p.specs.logZError, p.specs.ess, l.specs.modeWeightError, l.ablation.spec, results.blindness.spec]) await compileSpec(spec);

  const dir = mkdtempSync(join(tmpdir(), 'amcbg-'));
  try {
    const written = await writeAmcbgFigures(results, dir);
    for (const name of ['a1-mode-weight-error.svg', 'a1-mode-weight-error.png', 'a1-logz-error.csv', 'a1-ess.svg', 'a1-runs.csv', 'a1-kernels.csv', 'a2-mode-weight-error.svg', 'a2-ablation.png', 'a2-ablation-summary.csv', 'a3-mode-blindness.png', 'a3-summary.csv', 'run-info.json']) {
      assert.ok(existsSync(join(dir, name)), `${name} written`);
    }
    assert.ok(written.length >= 15);
    const kernels = readFileSync(join(dir, 'a1-kernels.csv'), 'utf8').trim().split('\n');
    assert.equal(kernels.length, 1 + 4);
    assert.match(kernels[0], /kernel,modeWeightErrorAll/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('same configuration and key give the same A1 numbers', async () => {
  const config = tinyConfig();
  config.perfect = { ...config.perfect, numModes: [2], separations: [5], kernels: ['firstOrder'], seeds: 1 };
  config.learned = { ...config.learned, kernels: ['firstOrder'], seeds: 1, training: { ...config.learned.training, steps: 1 } };
  config.blindness = { ...config.blindness, steps: 1, times: [0.5] };
  const a = await runAmcbg(config);
  const b = await runAmcbg(config);
  assert.deepEqual(a.perfect.runs.map((r) => [r.modeWeightError, r.absLogZError]), b.perfect.runs.map((r) => [r.modeWeightError, r.absLogZError]));
});

test('learnedModeMass: the exact model as the "learned" one recovers the exact mass; a tilted one moves it', async () => {
  const target = twoModes({ dim: 2, separation: 8 });
  const exact = perfectModel(target, vpSchedule());
  try {
    const n = 4000;
    const same = await learnedModeMass(exact, exact, key(7), 0.05, n);
    assert.ok(Math.abs(same.learnedMass - same.exactMass) < 1e-9, `${same.learnedMass} vs ${same.exactMass}`);
    // Monte Carlo tolerance: |mass - 2/3| < 4 sqrt(p (1 - p) / n).
    assert.ok(Math.abs(same.exactMass - 2 / 3) < 4 * Math.sqrt((2 / 9) / n), `exact mass ${same.exactMass}`);
    assert.ok(same.essFraction > 0.999);
    // q = p with mode 1 scaled by 1/2 (the first coordinate is < 0 there): mass 1/3 / (1/3 + 1/3) = 1/2.
    const tilted = {
      logDensity: (x: tf.Tensor2D, t: number) =>
        tf.tidy(() => tf.add(exact.logDensity(x, t), tf.mul(tf.cast(tf.less(tf.slice(x, [0, 0], [-1, 1]).reshape([-1]), 0), 'float32'), Math.log(0.5)))) as tf.Tensor1D,
    };
    const moved = await learnedModeMass(tilted, exact, key(7), 0.05, n);
    // SNIS with weights 1/2 and 1: sd of the ratio about sqrt(p(1-p)/n) / ESS fraction; z = 4.
    assert.ok(Math.abs(moved.learnedMass - 0.5) < 4 * Math.sqrt(0.25 / (n * moved.essFraction)), `tilted mass ${moved.learnedMass}`);
  } finally {
    exact.dispose();
    target.dispose();
  }
});

test('benchmarkMixture: two modes r apart with weights 2/3, 1/3; K modes on a polygon with neighbours r apart', () => {
  const two = benchmarkMixture({ dim: 4, numModes: 2, separation: 6 });
  const [m0, m1] = two.components.means;
  assert.ok(Math.abs(Math.hypot(...m0.map((v, i) => v - m1[i])) - 6) < 1e-12);
  assert.deepEqual(two.componentWeights.map((w) => +w.toFixed(12)), [+(2 / 3).toFixed(12), +(1 / 3).toFixed(12)]);
  const four = benchmarkMixture({ dim: 3, numModes: 4, separation: 5 });
  const m = four.components.means;
  assert.ok(Math.abs(Math.hypot(...m[0].map((v, i) => v - m[1][i])) - 5) < 1e-12);
  const w = four.componentWeights;
  assert.ok(Math.abs(w[0] / w[3] - 3) < 1e-12 && w[0] > w[1] && w[1] > w[2]);
  two.dispose();
  four.dispose();
  assert.throws(() => benchmarkMixture({ dim: 1, numModes: 3, separation: 5 }), /benchmarkMixture: option "dim" = 1, expected an integer >= 2 for numModes = 3/);
});

test('registry: the amcbg entry runs from PAPERS with both configurations described', () => {
  const entry = PAPERS.find((p) => p.id === 'amcbg');
  assert.equal(entry, amcbgPaper);
  assert.match(entry!.title, /annealed Boltzmann generators/);
  assert.ok(entry!.configs.quick.length > 0 && entry!.configs.full.length > 0);
});

test('bad configuration names and fields fail with the option, the value and the expectation', async () => {
  assert.throws(() => amcbgConfig('fast'), /amcbgConfig: option "name" = "fast", expected one of "quick", "full"/);
  await assert.rejects(runAmcbg('medium'), /amcbgConfig: option "name" = "medium", expected one of "quick", "full"/);
  const bad = (edit: (c: AmcbgConfig) => void) => {
    const c = tinyConfig();
    edit(c);
    return () => checkAmcbgConfig(c);
  };
  assert.throws(bad((c) => (c.perfect.kernels = ['secondOrder', 'ddpm' as never])), /option "perfect.kernels\[1\]" = "ddpm", expected one of "firstOrder"/);
  assert.throws(bad((c) => (c.perfect.sampler.numParticles = 1)), /option "perfect.sampler.numParticles" = 1, expected an integer >= 2/);
  assert.throws(bad((c) => (c.perfect.separations = [2, NaN])), /option "perfect.separations\[1\]" = NaN, expected a finite number > 0/);
  assert.throws(bad((c) => (c.learned.kernels = ['transport' as never])), /option "learned.kernels\[0\]" = "transport", expected one of "firstOrder", "mcmc"/);
  assert.throws(bad((c) => (c.learned.training.steps = 0)), /option "learned.training.steps" = 0, expected an integer >= 1/);
  assert.throws(bad((c) => (c.blindness.times = [0.5, 2])), /option "blindness.times" = \[0.5,2\], expected times in \(0, 1\]/);
  assert.throws(bad((c) => ((c as unknown as Record<string, unknown>).extra = 1)), /checkAmcbgConfig: option "extra" = 1, expected no such option/);
  // A checked quick configuration passes as is.
  assert.doesNotThrow(() => checkAmcbgConfig(amcbgConfig('quick')));
});
