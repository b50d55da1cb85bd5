/**
 * The SLIPS experiments (lib/experiments/slips.ts): a tiny configuration runs every figure end to end with
 * well-formed tables, specs and files and no tensor left; the budgets the baselines get match what SLIPS spends;
 * the perfect-score path reproduces the mode weights; the registry entry exists; bad configurations, names and an
 * abort fail clearly.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import {
  checkSlipsExperimentConfig,
  concatPanels,
  exactMixtureDenoiser,
  geometricPathBudgetFor,
  phiFourSpec,
  rdmcStepsFor,
  runBaseline,
  runCostPerParticle,
  runSlips,
  runSlipsExperiments,
  runSweetSpot,
  scheduleOf,
  slipsExperimentConfig,
  slipsGradientEvaluations,
  slipsPaper,
  summariseOverSeeds,
  summariseValues,
  twoModesProblem,
  writeSlipsFigures,
  type BenchmarkRun,
  type PhiFourRow,
  type SlipsExperimentConfig,
  type SlipsSettings,
} from '../../lib/experiments/slips.js';
import { PAPERS } from '../../lib/experiments/registry.js';
import { modeWeights } from '../../lib/metrics/modeWeights.js';
import { countingTarget } from '../../lib/samplers/countingTarget.js';
import { zeroCost } from '../../lib/samplers/particleSampler.js';
import { compileSpec } from '../../lib/viz/render.js';
import { sweepCurves } from '../../lib/viz/sweepCurves.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

/** A fresh geometric (1, 1) schedule choice (tests mutate configurations). */
const geometric = () => ({ schedule: { kind: 'geometric' as const } });

function tinySlips(): SlipsSettings {
  return { numParticles: 32, numSteps: 6, numMcmcSteps: 2, numChains: 2, adaptationMultiplier: 2, numInitSteps: 2 };
}

/** A configuration that runs every code path (all four figures, both budgets, batched replicates) in seconds. */
function tinyConfig(): SlipsExperimentConfig {
  const rdmc = () => ({ terminalTime: 0.2, numProposals: 8, numWarmupSteps: 2, numInitSteps: 2 });
  return {
    name: 'tiny',
    seed: 3,
    dimensionSweep: { dims: [2, 4], slips: tinySlips(), epsilons: [0.2, 0.3], schedule: geometric(), budget: 'gradients', baselines: { smcMcmcSteps: 2, rdmc: rdmc() }, numDirections: 16, seeds: 2 },
    sweetSpot: {
      dim: 3,
      slips: tinySlips(),
      schedules: [{ ...geometric(), epsilons: [0.1, 0.3] }, { schedule: { kind: 'classic' }, horizon: 150, epsilons: [0.2, 0.5] }],
      sigmaFactors: [0.5, 1],
      replicates: 2,
      batchReplicates: true,
      perfectScore: true,
    },
    eightGaussians: { slips: tinySlips(), sigma: 5, epsilon: 0.35, schedule: geometric(), budget: 'paper', baselines: { smcMcmcSteps: 2, rdmc: rdmc() }, seeds: 2, gridSize: 12 },
    phiFour: { dim: 8, tilts: [0, 0.05], slips: tinySlips(), epsilon: 0.35, epsilonEnd: 3.32e-3, schedule: geometric(), budget: 'paper', baselines: { smcMcmcSteps: 2, rdmc: null }, seeds: 1 },
  };
}

describe('runSlipsExperiments on a tiny configuration', () => {
  test('every figure runs end to end: tables of the right shape, valid specs, progress, files, no tensor left', async () => {
    const config = tinyConfig();
    const messages: string[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const results = await runSlipsExperiments(config, { key: key(11), onProgress: (m) => messages.push(m) });
    assert.equal(tf.memory().numTensors, tensorsBefore, 'tensor count after the run');

    // S1: one row per (dim, seed, series): 2 SLIPS start times + SMC, AIS, RDMC.
    const s1 = results.dimensionSweep.runs.objects() as Record<string, number | string | null>[];
    assert.equal(s1.length, 2 * 2 * 5);
    assert.deepEqual(new Set(s1.map((r) => r.series)), new Set(['SLIPS ε=0.2', 'SLIPS ε=0.3', 'SMC', 'AIS', 'RDMC']));
    for (const r of s1) {
      const w = r.modeWeight as number;
      assert.ok(w >= 0 && w <= 1, `${r.series}: mode weight ${w}`);
      assert.ok(Math.abs((r.modeWeightError as number) - Math.abs(w - (r.trueModeWeight as number))) < 1e-12);
      assert.ok((r.slicedW2 as number) >= 0 && (r.slicedW2GaussianApprox as number) >= 0);
      assert.ok((r.gradientEvaluationsPerParticle as number) > 0);
      assert.equal(r.epsilon === null, !String(r.series).startsWith('SLIPS'));
    }
    assert.equal(results.dimensionSweep.summary.numRows(), 2 * 5, 'one summary row per (series, dim)');

    // S2: (2 schedules x 2 epsilons) x 2 sigma factors x 2 denoisers x 2 replicates.
    const s2 = results.sweetSpot.runs.objects() as { denoiser: string; bias: number; modeWeightError: number; acceptanceRate: number; replicate: number }[];
    assert.equal(s2.length, 4 * 2 * 2 * 2);
    for (const r of s2) {
      assert.ok(Math.abs(r.modeWeightError - Math.abs(r.bias)) < 1e-12);
      assert.equal(Number.isNaN(r.acceptanceRate), r.denoiser === 'perfect', 'only the MCMC denoiser has an acceptance rate');
      assert.ok(r.replicate === 0 || r.replicate === 1);
    }
    assert.equal(results.sweetSpot.summary.numRows(), 4 * 2 * 2);

    // S3: exact + SLIPS + 3 baselines per seed; seed 0's points of every method for the scatter.
    assert.equal(results.eightGaussians.runs.numRows(), 2 * 5);
    assert.deepEqual(Object.keys(results.eightGaussians.points), ['exact', 'SLIPS', 'SMC', 'AIS', 'RDMC']);
    for (const pts of Object.values(results.eightGaussians.points)) assert.equal(pts.length, 32);
    for (const r of results.eightGaussians.runs.objects() as { w2: number; modeWeightTv: number }[]) {
      assert.ok(r.w2 > 0 && r.modeWeightTv >= 0 && r.modeWeightTv <= 1);
    }

    // S4: SLIPS, SMC, AIS (RDMC off) per tilt; the Laplace reference is 0 at b = 0 and positive for b > 0.
    const s4 = results.phiFour!.runs.objects() as { tilt: number; laplaceLogRatio: number; method: string }[];
    assert.equal(s4.length, 2 * 3);
    assert.ok(s4.every((r) => (r.tilt === 0 ? Math.abs(r.laplaceLogRatio) < 1e-9 : r.laplaceLogRatio > 0)));

    for (const spec of [results.dimensionSweep.spec, results.sweetSpot.spec, results.eightGaussians.spec, results.phiFour!.spec]) {
      const { warnings } = await compileSpec(spec);
      assert.deepEqual(warnings, [], 'the spec compiles without warnings');
    }
    for (const prefix of ['S1 d=2', 'S2 classic', 'S3 seed 1', 'S4 b=0.05']) assert.ok(messages.some((m) => m.startsWith(prefix)), `a progress line starting "${prefix}"`);

    const dir = mkdtempSync(join(tmpdir(), 'slips-'));
    try {
      const written = await writeSlipsFigures(results, dir);
      for (const name of ['s1-dimension-sweep.svg', 's1-dimension-sweep.png', 's2-sweet-spot.svg', 's3-eight-gaussians.png', 's4-phi-four.svg', 's1-dimension-sweep-runs.csv', 'run-info.json']) {
        assert.ok(existsSync(join(dir, name)), `${name} written`);
      }
      assert.ok(written.every((p) => existsSync(p)));
      const info = JSON.parse(readFileSync(join(dir, 'run-info.json'), 'utf8'));
      assert.equal(info.config.name, 'tiny');
      const csv = readFileSync(join(dir, 's2-sweet-spot-runs.csv'), 'utf8').trim().split('\n');
      assert.equal(csv.length, 1 + s2.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the same key gives the same numbers; batched and separate replicates both give `replicates` rows per cell', async () => {
    const config = tinyConfig().sweetSpot;
    const a = await runSweetSpot(config, key(3));
    const b = await runSweetSpot(config, key(3));
    assert.deepEqual(a.runs.array('modeWeight'), b.runs.array('modeWeight'));
    const separate = await runSweetSpot({ ...config, batchReplicates: false, schedules: config.schedules.slice(0, 1), perfectScore: false }, key(3));
    assert.equal(separate.runs.numRows(), 2 * 2 * 2);
  });
});

describe('budgets', () => {
  test("SLIPS's gradient count matches its run; the baselines at 'gradients' spend no more and at most one level or step less", async () => {
    const settings: SlipsSettings = { numParticles: 16, numSteps: 7, numMcmcSteps: 3, numChains: 2, adaptationMultiplier: 4, numInitSteps: 3 };
    const problem = twoModesProblem(3);
    // Every run's reported cost is the target evaluations it makes (counted by a wrapper around the target).
    const counted = zeroCost();
    const measured = { ...problem, target: countingTarget(problem.target, counted) };
    const checkedRun = async (run: () => Promise<BenchmarkRun>) => {
      Object.assign(counted, zeroCost());
      const r = await run();
      assert.deepEqual(r.cost, counted, `${r.sampler}: reported cost = evaluations made`);
      return r;
    };
    const rdmc = { terminalTime: 0.3, numProposals: 4, numWarmupSteps: 5, numInitSteps: 2 };
    const baselines = { smcMcmcSteps: 4, rdmc };
    try {
      // (numInitSteps + K + adaptationMultiplier) M steps and numInitSteps + K chain starts, per chain.
      const expected = 2 * ((3 + 7 + 4) * 3 + 3 + 7);
      assert.equal(slipsGradientEvaluations(settings), expected);
      const run = await checkedRun(() => runSlips(key(1), measured, settings, geometric(), { epsilon: 0.2 }));
      run.particles.dispose();
      assert.equal(run.sampler, 'slips');
      assert.deepEqual(run.cost, { ...zeroCost(), gradientEvaluations: expected * settings.numParticles }, "the run's own count (diagnostics)");
      assert.equal(runCostPerParticle(run).gradientEvaluationsPerParticle, expected);

      for (const method of ['SMC', 'AIS'] as const) {
        const r = await checkedRun(() => runBaseline(method, key(2), measured, settings, 'gradients', baselines));
        r.particles.dispose();
        const spent = runCostPerParticle(r).gradientEvaluationsPerParticle;
        assert.ok(spent <= expected && spent > expected - (baselines.smcMcmcSteps + 1), `${method}: ${spent} of ${expected}`);
        assert.equal(r.logWeights !== undefined, method === 'AIS', 'weighted: AIS only (SMC resamples at every level)');
        const paper = await checkedRun(() => runBaseline(method, key(2), measured, settings, 'paper', baselines));
        paper.particles.dispose();
        // The paper's count: K M MALA steps (+ one re-evaluation per level in the exact count reported here).
        const levels = Math.floor((7 * 3) / baselines.smcMcmcSteps);
        assert.equal(runCostPerParticle(paper).gradientEvaluationsPerParticle, levels * (baselines.smcMcmcSteps + 1));
        assert.equal(runCostPerParticle(paper).densityEvaluationsPerParticle, levels, 'one incremental weight per level');
      }
      assert.deepEqual(geometricPathBudgetFor('paper', settings), { budget: 21, convention: 'slips' });

      const r = await checkedRun(() => runBaseline('RDMC', key(3), measured, settings, 'gradients', baselines));
      r.particles.dispose();
      const perStep = settings.numChains * (settings.numMcmcSteps + 1);
      const spent = runCostPerParticle(r).gradientEvaluationsPerParticle;
      assert.ok(spent <= expected && spent > expected - perStep, `RDMC: ${spent} of ${expected}`);
      assert.equal(rdmcStepsFor('paper', settings, rdmc), settings.numSteps);
    } finally {
      problem.target.dispose();
    }
  });
});

describe('the perfect-score path', () => {
  test('SLIPS with the exact denoiser and a small start time reproduces the mode weights (2/3, 1/3)', async () => {
    // twoModesSlips(4): the exact denoiser removes the MCMC error, and at ε = 0.05 p_{t0} is close to Gaussian, so
    // the Gaussian start + Langevin is accurate: the particles are i.i.d. with P(heavy mode) = w1, and the share
    // ŵ1 of N = 600 must be within 4 sqrt(w1 (1 - w1) / N) = 0.077 of w1. A wrong noise level in the denoiser
    // (e.g. s = σ t instead of σ √t) biases it far beyond that.
    const problem = twoModesProblem(4);
    const settings: SlipsSettings = { numParticles: 600, numSteps: 48, numMcmcSteps: 1, numChains: 1, adaptationMultiplier: 0, numInitSteps: 10 };
    const { schedule } = scheduleOf(geometric());
    try {
      const run = await runSlips(key(21), problem, settings, geometric(), { epsilon: 0.05, denoiser: exactMixtureDenoiser(problem.target, schedule, problem.sigma) });
      const w = modeWeights(await problem.target.modes.assign(run.particles), 2)[0];
      run.particles.dispose();
      const w1 = problem.target.modes.weights[0];
      const tolerance = 4 * Math.sqrt((w1 * (1 - w1)) / settings.numParticles);
      assert.ok(Math.abs(w - w1) < tolerance, `ŵ1 = ${w}, w1 = ${w1}, tolerance ${tolerance}`);
      // The exact denoiser evaluates no target gradient: one model evaluation per particle and denoiser call.
      assert.deepEqual(run.cost, { ...zeroCost(), modelScoreEvaluations: (settings.numInitSteps + settings.numSteps) * settings.numParticles });
    } finally {
      problem.target.dispose();
    }
  });
});

describe('figure helpers', () => {
  test('summariseValues ignores non-finite values; concatPanels renames tables and stores shared ones once', async () => {
    assert.deepEqual(summariseValues([1, 3, Infinity, NaN]), { mean: 2, min: 1, max: 3, sd: Math.SQRT2, count: 2 });
    assert.deepEqual(summariseValues([NaN]), { mean: null, min: null, max: null, sd: null, count: 0 });
    const a = sweepCurves({ rows: [{ x: 1, y: 2 }, { x: 2, y: 3 }] });
    const b = sweepCurves({ rows: [{ x: 1, y: 5 }, { x: 2, y: 1 }] });
    const same = sweepCurves({ rows: [{ x: 1, y: 2 }, { x: 2, y: 3 }] });
    const spec = concatPanels([{ name: 'left', spec: a }, { name: 'right', spec: b }], { title: 'two' }) as unknown as { datasets: Record<string, unknown[]>; concat: { data: { name: string } }[] };
    assert.deepEqual(Object.keys(spec.datasets), ['left', 'right']);
    assert.deepEqual(spec.concat.map((v) => v.data.name), ['left', 'right']);
    const shared = concatPanels([{ name: 'left', spec: a }, { name: 'twin', spec: same }], { title: 'shared' }) as unknown as { datasets: Record<string, unknown[]> };
    assert.deepEqual(Object.keys(shared.datasets), ['shared_curves']);
    assert.deepEqual((await compileSpec(spec as never)).warnings, []);
    assert.throws(() => concatPanels([{ name: 'a b', spec: a }], { title: 'x' }), /concatPanels: panel name "a b" must be unique and made of letters, digits and _/);
    assert.throws(() => concatPanels([{ name: 'p', spec: a }, { name: 'p', spec: b }], { title: 'x' }), /panel name "p" must be unique/);
  });

  test('S4 draws log ratios beyond ±(1 + max(log N, Laplace)) at that bound and says so; empty modes are left out', () => {
    const config = slipsExperimentConfig('quick').phiFour!;
    const laplace = 7.8;
    const row = (method: string, seed: number, logRatio: number): PhiFourRow => ({ tilt: 0.025, seed, method, logRatio, laplaceLogRatio: laplace, error: logRatio - laplace, gradientEvaluationsPerParticle: 1, seconds: 0 });
    const rows = [row('SLIPS', 0, 0.2), row('SLIPS', 1, 0.1), row('AIS', 0, -203), row('AIS', 1, 45), row('SMC', 0, Infinity), row('SMC', 1, Infinity)];
    const summary = summariseOverSeeds(rows, ['method', 'tilt'], ['logRatio', 'error']);
    const spec = phiFourSpec(config, rows, summary) as unknown as { datasets: Record<string, { series: string; y: number | null; lo: number | null; hi: number | null }[]>; title: { subtitle: string | string[] } };
    const curves = Object.values(spec.datasets)[0];
    const ais = curves.find((r) => r.series === 'AIS')!;
    assert.deepEqual([ais.y, ais.lo, ais.hi], [-9, -9, 9], 'bound ceil(1 + max(log 256, 7.8)) = 9');
    const slips = curves.find((r) => r.series === 'SLIPS')!;
    assert.ok(Math.abs(slips.y! - 0.15) < 1e-12 && slips.lo === 0.1 && slips.hi === 0.2, 'values inside the bound are drawn as they are');
    assert.equal(curves.find((r) => r.series === 'Laplace')!.y, laplace);
    const subtitle = [spec.title.subtitle].flat().join(' ');
    assert.match(subtitle, /2 runs with an empty mode \(infinite ratio\) left out; 2 weighted runs beyond ±9 \(degenerate weights\) drawn at ±9/);
  });
});

describe('registry and bad input', () => {
  test('the paper is registered with both configurations, and both are valid', () => {
    const entry = PAPERS.find((p) => p.id === 'slips');
    assert.ok(entry, 'PAPERS has a "slips" entry');
    assert.equal(entry, slipsPaper);
    assert.match(entry.title, /Stochastic Localization via Iterative Posterior Sampling/);
    assert.ok(entry.configs.quick.length > 0 && entry.configs.full.length > 0);
    for (const name of ['quick', 'full']) {
      const config = checkSlipsExperimentConfig(slipsExperimentConfig(name));
      assert.equal(config.name, name);
      assert.ok(config.dimensionSweep.seeds >= 3 && config.sweetSpot.replicates >= 3 && config.eightGaussians.seeds >= 3, `${name}: at least 3 seeds`);
    }
    const s4 = slipsExperimentConfig('quick').phiFour;
    assert.ok(s4 !== null && s4.dim === 100 && s4.tilts.includes(0) && s4.tilts.includes(0.025), "the quick configuration runs S4 in the paper's d = 100, at b = 0 and the spec's first tilt");
  });

  test('an unknown configuration name fails with the known names', async () => {
    assert.throws(() => slipsExperimentConfig('fast'), /slipsExperimentConfig: option "config" = "fast", expected one of "quick", "full"/);
    await assert.rejects(() => runSlipsExperiments('huge'), /option "config" = "huge", expected one of "quick", "full"/);
    const dir = mkdtempSync(join(tmpdir(), 'slips-bad-'));
    try {
      await assert.rejects(() => slipsPaper.run({ config: 'medium' as never, outDir: dir }), /option "config" = "medium"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a malformed configuration names the field, the value and what was expected', () => {
    const cases: [(c: SlipsExperimentConfig) => void, RegExp][] = [
      [(c) => (c.dimensionSweep.dims = []), /option "dimensionSweep.dims" = \[\], expected a non-empty array of integers >= 1/],
      [(c) => (c.dimensionSweep.slips.numSteps = 1), /option "dimensionSweep.slips.numSteps" = 1, expected an integer >= 2/],
      [(c) => (c.dimensionSweep.budget = 'equal' as never), /option "dimensionSweep.budget" = "equal", expected "paper" or "gradients"/],
      [(c) => (c.sweetSpot.schedules[0].epsilons = [0.1, -1]), /option "sweetSpot.schedules\[0\].epsilons\[1\]" = -1, expected a finite number > 0/],
      [(c) => (c.sweetSpot.schedules[1].horizon = undefined), /option "sweetSpot.schedules\[1\].horizon" = undefined, expected a horizon T > 0 for the infinite-time classic schedule/],
      [(c) => (c.sweetSpot.batchReplicates = 1 as never), /option "sweetSpot.batchReplicates" = 1, expected true or false/],
      [(c) => (c.eightGaussians.sigma = NaN), /option "eightGaussians.sigma" = NaN, expected a finite number > 0/],
      [(c) => (c.eightGaussians.baselines.rdmc!.numProposals = 0), /option "eightGaussians.baselines.rdmc.numProposals" = 0, expected an integer >= 1/],
      [(c) => (c.phiFour!.tilts = [-0.1]), /option "phiFour.tilts\[0\]" = -0.1, expected a finite number >= 0/],
      [(c) => ((c.eightGaussians.schedule.schedule as { kind: string }).kind = 'cosine'), /option "eightGaussians.schedule.schedule.kind" = "cosine", expected one of "classic"/],
    ];
    for (const [spoil, message] of cases) {
      const config = tinyConfig();
      spoil(config);
      assert.throws(() => checkSlipsExperimentConfig(config), message);
    }
    assert.throws(() => checkSlipsExperimentConfig(null as never), /option "config" = null, expected a configuration object or one of "quick", "full"/);
  });

  test('an abort stops the run with an AbortError and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const already = new AbortController();
    already.abort();
    await assert.rejects(() => runSlipsExperiments(tinyConfig(), { signal: already.signal }), { name: 'AbortError' });
    const midway = new AbortController();
    let seen = 0;
    await assert.rejects(
      () => runSlipsExperiments(tinyConfig(), { signal: midway.signal, onProgress: () => (++seen === 3 ? midway.abort() : undefined) }),
      { name: 'AbortError' },
    );
    assert.equal(tf.memory().numTensors, before, 'no tensor left after the aborts');
  });
});
