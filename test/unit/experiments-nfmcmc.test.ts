/**
 * The NF-MCMC experiments (lib/experiments/nfmcmc.ts): a tiny configuration runs end to end and returns well-formed
 * tables and Vega-Lite specs; the F1.1 score (sliced KS) tells a bad sampler from a good one; the registry entry
 * exists; bad configurations, sampler names and an abort fail clearly, with no tensor left behind.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { slicedKs } from '../../lib/metrics/marginalKs.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import {
  checkNfmcmcConfig,
  drawsTensor,
  nfmcmcConfig,
  nfmcmcPaper,
  rotatedGaussian,
  rotatedGaussianFlow,
  runFlowQualityGrid,
  runNfmcmc,
  runSampler,
  SAMPLERS,
  trainFlow,
  writeNfmcmcFigures,
  type FlowTraining,
  type NfmcmcConfig,
  type SamplerSettings,
} from '../../lib/experiments/nfmcmc.js';
import { PAPERS } from '../../lib/experiments/registry.js';
import { compileSpec } from '../../lib/viz/render.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

/** A configuration that runs every code path in a few seconds. */
function tinyConfig(): NfmcmcConfig {
  const budget = {
    numChains: 4,
    numWarmup: 4,
    isirParticles: 4,
    flex2Particles: 4,
    flex2LocalSteps: 2,
    initialStepSize: 0.01,
  };
  const flow = { numBlocks: 1, hiddenDim: 4, hiddenDepth: 2, steps: 3, batch: 32, learningRate: 1e-3, weightDecay: 0 };
  return {
    name: 'tiny',
    seed: 5,
    heatmaps: {
      gaussian: { dims: [2, 4], qualities: [0.5, 0.9], numSteps: [12, 12], isSamples: [48, 48], ...budget },
      funnel: { dims: [3], qualities: [1, 4], numSteps: [12], isSamples: [48], ...budget },
      numDirections: 8,
      referenceFactor: 1,
      seeds: 1,
    },
    modeWeights: {
      dims: [2],
      flows: [{ ...flow, schedule: { every: 2, gamma: 0.99 }, heldOutSamples: 64, untilOffPlateau: { fraction: 0.5, checkEvery: 1 } }],
      numChains: 4,
      numSteps: [10],
      numWarmup: 3,
      isirParticles: [4],
      flex2Particles: [4],
      flex2LocalSteps: 2,
      isSamples: [40],
      initialStepSize: 0.01,
      seeds: 1,
    },
    illustration: {
      flow: { ...flow },
      numChains: 2,
      numSteps: 5,
      numWarmup: 3,
      isirParticles: 4,
      initialStepSize: 0.01,
      chainsShown: 1,
      gridSize: 8,
    },
  };
}

describe('runNfmcmc on a tiny configuration', () => {
  test('every figure runs end to end: tables of the right shape, valid specs, progress, files, no tensor left', async () => {
    const config = tinyConfig();
    const messages: string[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const results = await runNfmcmc(config, { key: key(11), onProgress: (m) => messages.push(m) });
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensor count after the run');

    // F1.1: one row per (dim, quality, seed, sampler); scores are KS distances in [0, 1].
    const g = results.flowQuality.gaussian;
    assert.equal(g.runs.numRows(), 2 * 2 * 1 * SAMPLERS.length);
    assert.equal(results.flowQuality.funnel.runs.numRows(), 1 * 2 * 1 * SAMPLERS.length);
    for (const r of g.runs.objects() as { slicedKs: number; sampler: string; exact: boolean; quality: number }[]) {
      assert.ok(r.slicedKs >= 0 && r.slicedKs <= 1, `${r.sampler}: sliced KS ${r.slicedKs}`);
      assert.equal(r.exact, r.quality === 0.5);
    }
    assert.deepEqual(new Set(g.runs.array('sampler') as string[]), new Set(SAMPLERS));
    assert.equal(g.cells.numRows(), 2 * 2 * SAMPLERS.length, 'one summary cell per (dim, quality, sampler)');

    // F1.2: per chain, a sorted histogram of 4 fractions summing to 1; IS is one pseudo-chain per seed.
    const m = results.modeWeights;
    const rows = m.histograms.objects() as { sampler: string; chain: number; rank: number; fraction: number }[];
    const chains = new Map<string, number[]>();
    for (const r of rows) chains.set(`${r.sampler}/${r.chain}`, [...(chains.get(`${r.sampler}/${r.chain}`) ?? []), r.fraction]);
    assert.equal(chains.size, (SAMPLERS.length - 1) * 4 + 1);
    for (const [id, h] of chains) {
      assert.equal(h.length, 4, id);
      assert.ok(Math.abs(h.reduce((a, b) => a + b, 0) - 1) < 1e-9, `${id} sums to 1`);
      assert.deepEqual(h, h.slice().sort((a, b) => a - b), `${id} is sorted`);
    }
    assert.equal(m.summary.numRows(), SAMPLERS.length);
    assert.equal(m.flows.numRows(), 1);
    const f = m.flows.object(0) as { trainingSteps: number; maxTrainingSteps: number; heldOutKlAtStart: number; heldOutKl: number; heldOutKlStandardError: number; leftPlateau: boolean };
    assert.ok(f.trainingSteps >= 1 && f.trainingSteps <= f.maxTrainingSteps && f.maxTrainingSteps === 3);
    assert.ok(Number.isFinite(f.heldOutKlAtStart) && Number.isFinite(f.heldOutKl) && f.heldOutKlStandardError > 0);
    assert.equal(f.leftPlateau, f.heldOutKl <= 0.5 * f.heldOutKlAtStart, 'leftPlateau is the rule applied to the final KL');
    if (f.trainingSteps < f.maxTrainingSteps) assert.equal(f.leftPlateau, true, 'an early stop means the flow left the plateau');

    // F1.3: trajectories start at the initial points (step 0) for both samplers; barriers are finite.
    const il = results.illustration;
    assert.equal(il.trajectories.numRows(), 2 * 2 * (5 + 1));
    const starts = (il.trajectories.objects() as { sampler: string; chain: number; step: number; x1: number; x2: number }[]).filter((r) => r.step === 0);
    const bySampler = (s: string) => starts.filter((r) => r.sampler === s).map((r) => [r.x1, r.x2]);
    assert.deepEqual(bySampler('i-SIR'), bySampler('NeuTra-MALA'), 'both samplers start from the same points');
    for (const b of il.barriers.objects() as { dataBarrier: number; latentBarrier: number }[]) {
      assert.ok(Number.isFinite(b.dataBarrier) && b.dataBarrier > 0, 'pi dips between its modes');
      assert.ok(Number.isFinite(b.latentBarrier));
    }

    for (const spec of [g.spec, results.flowQuality.funnel.spec, m.spec, il.spec]) {
      const { warnings } = await compileSpec(spec);
      assert.deepEqual(warnings, [], 'the spec compiles without warnings');
    }
    assert.ok(messages.some((s) => s.startsWith('F1.1 gaussian')) && messages.some((s) => s.startsWith('F1.2')) && messages.some((s) => s.startsWith('F1.3')));

    const dir = mkdtempSync(join(tmpdir(), 'nfmcmc-'));
    try {
      const written = await writeNfmcmcFigures(results, dir);
      for (const name of ['f1-1-gaussian.svg', 'f1-1-funnel.png', 'f1-2-mode-weights.svg', 'f1-3-illustration.png', 'f1-1-gaussian-runs.csv', 'run-info.json']) {
        assert.ok(existsSync(join(dir, name)), `${name} written`);
      }
      assert.ok(written.every((p) => existsSync(p)));
      const info = JSON.parse(readFileSync(join(dir, 'run-info.json'), 'utf8'));
      assert.equal(info.config.name, 'tiny');
      const csv = readFileSync(join(dir, 'f1-1-gaussian-runs.csv'), 'utf8').trim().split('\n');
      assert.equal(csv.length, 1 + g.runs.numRows());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the same key gives the same numbers', async () => {
    const config = tinyConfig();
    const a = await runFlowQualityGrid('funnel', config.heatmaps, key(3));
    const b = await runFlowQualityGrid('funnel', config.heatmaps, key(3));
    assert.deepEqual(a.runs.array('slicedKs'), b.runs.array('slicedKs'));
  });
});

describe('the F1.1 score', () => {
  test('sliced KS ranks IMH with a badly wrong flow and few steps below IMH with the exact flow', async () => {
    // Rotated Gaussian in d = 8. The exact flow (t = 0.5) makes IMH accept every proposal: its draws are i.i.d. from
    // pi, so its score sits at the i.i.d. noise level (a fresh exact set against the reference). The flow at t = 0.05
    // is close to N(0, 0.1 I), far too narrow: a few IMH steps cannot correct it.
    const dim = 8;
    const target = rotatedGaussian(dim);
    const settings: SamplerSettings = {
      numChains: 8,
      numSteps: 50,
      numWarmup: 0,
      isirParticles: 2,
      flex2Particles: 2,
      flex2LocalSteps: 0,
      isSamples: 1,
      initialStepSize: 0.01,
    };
    const latent = normal(key(1), [settings.numChains, dim]) as tf.Tensor2D;
    const reference = target.sample(key(2), 400);
    const iid = target.sample(key(3), 400);
    const score = async (t: number) => {
      const flow = rotatedGaussianFlow(dim, t);
      const start = tf.tidy(() => flow.forward(latent).value);
      const run = await runSampler('IMH', key(4), { target, flow }, start, settings);
      tf.dispose([start]);
      flow.dispose();
      const { x } = drawsTensor(run.draws);
      const s = await slicedKs(reference, x, { key: key(5), numDirections: 32 });
      x.dispose();
      return { s, acceptance: run.acceptanceRate };
    };
    const exact = await score(0.5);
    const bad = await score(0.05);
    const noise = await slicedKs(reference, iid, { key: key(5), numDirections: 32 });
    tf.dispose([latent, reference, iid]);
    target.dispose();
    assert.ok(exact.acceptance > 0.999, `exact flow: IMH acceptance ${exact.acceptance}`);
    assert.ok(exact.s < 2 * noise, `exact flow scores ${exact.s}, i.i.d. noise level ${noise}`);
    assert.ok(bad.s > exact.s + 0.1 && bad.s > 2 * exact.s, `bad flow ${bad.s} should score clearly worse than the exact one ${exact.s}`);
  });
});

describe('registry and bad input', () => {
  test('the paper is registered with both configurations', () => {
    const entry = PAPERS.find((p) => p.id === 'nfmcmc');
    assert.ok(entry, 'PAPERS has an "nfmcmc" entry');
    assert.equal(entry, nfmcmcPaper);
    assert.match(entry.title, /approximate transport maps/);
    assert.ok(entry.configs.quick.length > 0 && entry.configs.full.length > 0);
    assert.equal(typeof entry.run, 'function');
    for (const name of ['quick', 'full']) assert.equal(checkNfmcmcConfig(nfmcmcConfig(name)).name, name);
  });

  test('an unknown configuration name fails with the known names', async () => {
    assert.throws(() => nfmcmcConfig('fast'), /nfmcmcConfig: option "config" = "fast", expected one of "quick", "full"/);
    await assert.rejects(() => runNfmcmc('huge'), /option "config" = "huge", expected one of "quick", "full"/);
    const dir = mkdtempSync(join(tmpdir(), 'nfmcmc-bad-'));
    try {
      await assert.rejects(() => nfmcmcPaper.run({ config: 'medium' as never, outDir: dir }), /option "config" = "medium"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a malformed configuration names the field, the value and what was expected', () => {
    const wrongLength = tinyConfig();
    wrongLength.heatmaps.gaussian.numSteps = [12];
    assert.throws(() => checkNfmcmcConfig(wrongLength), /option "heatmaps.gaussian.numSteps" = \[12\], expected an array of 2 integers, one per dimension/);
    const oddDim = tinyConfig();
    oddDim.modeWeights.dims = [3];
    assert.throws(() => checkNfmcmcConfig(oddDim), /option "modeWeights.dims\[0\]" = 3, expected an even dimension/);
    const badT = tinyConfig();
    badT.heatmaps.gaussian.qualities = [1.5];
    assert.throws(() => checkNfmcmcConfig(badT), /option "heatmaps.gaussian.qualities\[0\]" = 1.5, expected a value t in \[0, 1\]/);
    const badRate = tinyConfig();
    badRate.illustration.flow.learningRate = NaN;
    assert.throws(() => checkNfmcmcConfig(badRate), /option "illustration.flow.learningRate" = NaN, expected a finite number > 0/);
    const badDecay = tinyConfig();
    badDecay.modeWeights.flows[0].schedule = { every: 10, gamma: 1.5 };
    assert.throws(() => checkNfmcmcConfig(badDecay), /option "modeWeights.flows\[0\].schedule.gamma" = 1.5, expected a number in \(0, 1\]/);
    const noHeldOut = tinyConfig();
    noHeldOut.modeWeights.flows[0].heldOutSamples = undefined;
    assert.throws(() => checkNfmcmcConfig(noHeldOut), /option "modeWeights.flows\[0\].heldOutSamples" = undefined, expected an integer >= 2 \(the held-out draws that untilOffPlateau checks\)/);
    const badFraction = tinyConfig();
    badFraction.modeWeights.flows[0] = { ...badFraction.modeWeights.flows[0], heldOutSamples: 64, untilOffPlateau: { fraction: 1, checkEvery: 5 } };
    assert.throws(() => checkNfmcmcConfig(badFraction), /option "modeWeights.flows\[0\].untilOffPlateau.fraction" = 1, expected a number in \(0, 1\)/);
  });

  test("trainFlow: the held-out KL at step 0 is the base's (analytic for Gaussians); the plateau rule stops at its first check at or below the threshold", async () => {
    // pi = N(0, 2 I_4), base N(0, I_4): the near-identity flow at step 0 has KL(pi || base) = (d / 2)(2 - 1 - log 2).
    const d = 4;
    const tensorsBefore = tf.memory().numTensors;
    const target = gaussian(new Array<number>(d).fill(0), 2);
    const analytic = (d / 2) * (1 - Math.log(2));
    const settings: FlowTraining = { numBlocks: 1, hiddenDim: 4, hiddenDepth: 2, steps: 400, batch: 64, learningRate: 3e-3, weightDecay: 0, heldOutSamples: 2048 };
    const rule = { fraction: 0.5, checkEvery: 5 };
    const stopped = await trainFlow(key(4), target, { ...settings, untilOffPlateau: rule }, undefined, 'test');
    const held = stopped.heldOut!;
    assert.ok(Math.abs(held.atStart.kl - analytic) < 4 * held.atStart.standardError, `KL at step 0 ${held.atStart.kl} ± ${held.atStart.standardError}, analytic ${analytic}`);
    assert.ok(held.atStart.standardError > 0 && held.atStart.standardError < 0.1);
    const threshold = rule.fraction * held.atStart.kl;
    assert.equal(held.leftPlateau, true);
    assert.ok(stopped.steps < settings.steps && stopped.steps % rule.checkEvery === 0, `stopped at step ${stopped.steps}, a check before the cap`);
    assert.equal(stopped.losses.length, stopped.steps);
    assert.ok(held.atEnd.kl <= threshold, `KL at the stop ${held.atEnd.kl} <= ${threshold}`);
    // The same key without the rule: the same flow at that step (the held-out draws do not touch training), and the
    // check before it was still above the threshold.
    for (const [steps, above] of [[stopped.steps, false], [stopped.steps - rule.checkEvery, true]] as const) {
      const plain = await trainFlow(key(4), target, { ...settings, steps }, undefined, 'test');
      const kl = plain.heldOut!.atEnd.kl;
      assert.equal(plain.heldOut!.leftPlateau, undefined);
      if (above) assert.ok(kl > threshold, `at step ${steps}: KL ${kl} > ${threshold}`);
      else assert.equal(kl, held.atEnd.kl, 'same flow, same held-out draws, same KL');
      plain.flow.dispose();
    }
    stopped.flow.dispose();
    target.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor left');
    const noLogZ = { ...gaussian([0, 0], 1), logZ: undefined };
    await assert.rejects(trainFlow(key(1), noLogZ, { ...settings, steps: 1 }, undefined, 'test'), /trainFlow: option "heldOutSamples" needs a target with a known logZ/);
  });

  test('runSampler rejects an unknown sampler and a start of the wrong shape', async () => {
    const target = rotatedGaussian(2);
    const flow = rotatedGaussianFlow(2, 0.5);
    const settings: SamplerSettings = { numChains: 2, numSteps: 3, numWarmup: 0, isirParticles: 2, flex2Particles: 2, flex2LocalSteps: 1, isSamples: 4, initialStepSize: 0.01 };
    const start = tf.zeros([2, 2]) as tf.Tensor2D;
    const wrong = tf.zeros([3, 2]) as tf.Tensor2D;
    try {
      await assert.rejects(() => runSampler('HMC' as never, key(1), { target, flow }, start, settings), /option "sampler" = "HMC", expected one of "IMH"/);
      await assert.rejects(() => runSampler('MALA', key(1), { target, flow }, wrong, settings), /option "start" has shape \[3, 2\], expected \[2, 2\]/);
    } finally {
      tf.dispose([start, wrong]);
      flow.dispose();
      target.dispose();
    }
  });

  test('an abort stops the run with an AbortError and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const already = new AbortController();
    already.abort();
    await assert.rejects(() => runNfmcmc(tinyConfig(), { signal: already.signal }), { name: 'AbortError' });
    const midway = new AbortController();
    let seen = 0;
    await assert.rejects(
      () => runNfmcmc(tinyConfig(), { signal: midway.signal, onProgress: () => (++seen === 2 ? midway.abort() : undefined) }),
      { name: 'AbortError' },
    );
    assert.equal(seen, 2, 'no progress after the abort');
    assert.equal(tf.memory().numTensors, before);
  });
});
