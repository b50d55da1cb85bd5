/**
 * Replica exchange mechanics (lib/samplers/replicaExchange/; the statistical checks of the swap acceptance, the
 * invariance of every level and the recovery of mode weights are in test/stats/replica-exchange.test.ts): the
 * even/odd pairings, the swap permutation, the per-row tempered density, determinism by key, a flat tensor count,
 * abort, bad options, and the cost counted through the registry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { AbortError } from '../../lib/core/abort.js';
import { key } from '../../lib/core/random.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import { neighbourSwap, swapPairs } from '../../lib/samplers/replicaExchange/neighbourSwap.js';
import { replicaExchange, type ReplicaExchangeOptions } from '../../lib/samplers/replicaExchange/replicaExchange.js';
import { temperedRowsTarget } from '../../lib/samplers/replicaExchange/temperedRows.js';
import { temperedTarget } from '../../lib/samplers/smc/tempering.js';
import { samplers } from '../../lib/samplers/samplerRegistry.js';
import { useBackend } from '../helpers/backends.js';

let reference: GaussianTarget;
let target: GaussianTarget;
before(async () => {
  await useBackend('wasm');
  reference = gaussian([0, 0], 4);
  target = gaussian([1, -0.5], [0.3, 0.6]);
});
after(() => {
  reference.dispose();
  target.dispose();
});

const options = (extra: Partial<ReplicaExchangeOptions> = {}): ReplicaExchangeOptions => ({
  reference, target, schedule: [0, 0.3, 0.6, 1], numChains: 8, numSteps: 6, numWarmup: 4, swapFrequency: 2, stepSize: 0.05, chunkSize: 3, ...extra,
});

test('pairs alternate: even pairs (0,1),(2,3),... then odd pairs (1,2),(3,4),...', () => {
  assert.deepEqual(swapPairs(5, 0), [0, 2]);
  assert.deepEqual(swapPairs(5, 1), [1, 3]);
  assert.deepEqual(swapPairs(2, 0), [0]);
  assert.deepEqual(swapPairs(2, 1), []);
});

test('a swap exchanges the rows of the accepted pairs only, and log alpha has the sign of the path', async () => {
  // 3 levels x 2 chains, level-major. beta gaps 0.5; log alpha = gap (l(x_k) - l(x_{k+1})).
  const betas = [0, 0.5, 1];
  // pair (0,1): chain 0 has l(x_0) - l(x_1) = +200 (always swaps), chain 1 has -200 (never swaps).
  const logRatio = tf.tensor1d([100, -100, -100, 100, 7, 7]);
  const s = neighbourSwap(key(0), logRatio, betas, 2, 0);
  assert.deepEqual(Array.from(await s.source.data()), [2, 1, 0, 3, 4, 5]);
  assert.deepEqual(Array.from(await s.isAccepted.data()), [1, 0]);
  const rates = await s.acceptanceRate.data();
  assert.equal(rates[0], 1);
  assert.ok(rates[1] < 1e-30);
  // parity 1: pair (1, 2); chain 0 has l(x_1) - l(x_2) = -107 (never), chain 1: 93 (always).
  const odd = neighbourSwap(key(0), logRatio, betas, 2, 1);
  assert.deepEqual(Array.from(await odd.source.data()), [0, 1, 2, 5, 4, 3]);
  tf.dispose([logRatio, s.source, s.isAccepted, s.acceptanceRate, odd.source, odd.isAccepted, odd.acceptanceRate]);
});

test('the per-row tempered density equals temperedTarget at each row\'s beta (values and gradients)', async () => {
  const betaValues = [0, 0.3, 1];
  const betas = tf.tensor1d(betaValues);
  const x = tf.tensor2d([[0.2, -1], [1.5, 0.3], [-0.7, 2]]);
  const rows = temperedRowsTarget(reference, target, betas);
  const both = rows.logDensityAndGrad!(x);
  const values = await both.logDensity.data();
  const grads = await both.grad.data();
  for (let i = 0; i < 3; i++) {
    const one = temperedTarget(reference, target, betaValues[i]);
    const xi = tf.slice(x, [i, 0], [1, 2]);
    const expected = one.logDensityAndGrad!(xi);
    assert.ok(Math.abs(values[i] - (await expected.logDensity.data())[0]) < 1e-4, `row ${i} log-density`);
    const g = await expected.grad.data();
    for (let j = 0; j < 2; j++) assert.ok(Math.abs(grads[2 * i + j] - g[j]) < 1e-4, `row ${i} gradient ${j}`);
    tf.dispose([xi, expected.logDensity, expected.grad]);
  }
  assert.throws(() => rows.logDensity(tf.zeros([2, 2]) as tf.Tensor2D), /x has 2 rows, expected 3/);
  tf.dispose([betas, x, both.logDensity, both.grad]);
});

test('deterministic by key; another key gives other draws; the run shapes', async () => {
  const a = await replicaExchange(key(5), options());
  const b = await replicaExchange(key(5), options());
  const c = await replicaExchange(key(6), options());
  assert.deepEqual(a.draws.shape, [6 * 8, 2]);
  assert.deepEqual(a.finalPositions.shape, [4 * 8, 2]);
  assert.deepEqual(Array.from(await a.draws.data()), Array.from(await b.draws.data()));
  assert.deepEqual(Array.from(a.swapAcceptance), Array.from(b.swapAcceptance));
  assert.notDeepEqual(Array.from(await a.draws.data()), Array.from(await c.draws.data()));
  // 10 steps, a round every 2: rounds 0, 2, 4 even (pairs (0,1), (2,3)), rounds 1, 3 odd (pair (1,2)).
  assert.deepEqual(Array.from(a.swapRounds), [3, 2, 3]);
  assert.equal(a.mcmcAcceptance.length, 4);
  for (const v of [...a.swapAcceptance, ...a.mcmcAcceptance]) assert.ok(v >= 0 && v <= 1, `rate ${v}`);
  // the warm-up adapted the per-chain step sizes away from h0 = 0.05
  assert.ok(a.stepSizes.some((h) => Math.abs(h - 0.05) > 1e-6), `step sizes ${Array.from(a.stepSizes)}`);
  tf.dispose([a.draws, a.finalPositions, b.draws, b.finalPositions, c.draws, c.finalPositions]);
});

test('the kept draws are the beta = 1 rows: the last kept step equals the final positions of the top level', async () => {
  const run = await replicaExchange(key(7), options({ numSteps: 3 }));
  const draws = await run.draws.data();
  const final = await run.finalPositions.data();
  assert.deepEqual(Array.from(draws.slice(2 * 8 * 2)), Array.from(final.slice(3 * 8 * 2)));
  tf.dispose([run.draws, run.finalPositions]);
});

test('flat tensor count: runs of different lengths leave nothing behind', async () => {
  const before = tf.memory().numTensors;
  for (const numSteps of [2, 9]) {
    const atChunks: number[] = [];
    const run = await replicaExchange(key(8), options({ numSteps, onProgress: () => atChunks.push(tf.memory().numTensors) }));
    tf.dispose([run.draws, run.finalPositions]);
    assert.equal(tf.memory().numTensors, before, `numSteps ${numSteps}`);
    assert.ok(atChunks.length >= 2 && atChunks.every((count) => count === atChunks[0]), `the same count at every chunk boundary: ${atChunks}`);
  }
});

test('abort throws an AbortError and frees the run', async () => {
  const controller = new AbortController();
  const before = tf.memory().numTensors;
  let steps = 0;
  await assert.rejects(
    replicaExchange(key(9), options({ numSteps: 30, onProgress: (p) => { steps = p.step; controller.abort(); }, signal: controller.signal })),
    (err: unknown) => err instanceof AbortError && /replicaExchange: aborted at step 3 of 34/.test(err.message),
  );
  assert.equal(steps, 3);
  assert.equal(tf.memory().numTensors, before);
});

test('bad options get errors that name the option, the value and what was expected', async () => {
  const before = tf.memory().numTensors;
  const cases: [Partial<ReplicaExchangeOptions>, RegExp][] = [
    [{ schedule: [0, 0.5] }, /option "schedule" = \[0,0\.5\], expected a last temperature of 1/],
    [{ schedule: [0, 0.6, 0.5, 1] }, /"schedule".*strictly increasing temperatures \(entry 2 = 0\.5 after 0\.6\)/],
    [{ schedule: [1] }, /"schedule".*at least two temperatures/],
    [{ schedule: [-0.5, 1] }, /"schedule".*temperatures in \[0, 1\] \(entry 0 is -0\.5\)/],
    [{ numChains: 0 }, /option "numChains" = 0, expected an integer >= 1/],
    [{ swapFrequency: 1.5 }, /option "swapFrequency" = 1\.5, expected an integer >= 1/],
    [{ stepSize: -1 }, /option "stepSize" = -1, expected a finite number > 0/],
    [{ numWarmup: -2 }, /option "numWarmup" = -2, expected an integer >= 0/],
    [{ initialPositions: tf.zeros([5, 2]) as tf.Tensor2D }, /option "initialPositions" = a float32 tensor of shape \[5, 2\], expected shape \[32, 2\] \(4 levels × 8 chains, level-major\)/],
    [{ adaptation: 'lrds' as never }, /option "adaptation" = "lrds", expected a MultiplicativeRule/],
  ];
  for (const [extra, pattern] of cases) {
    await assert.rejects(replicaExchange(key(1), options(extra)), pattern);
    if (extra.initialPositions) extra.initialPositions.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor left by a rejected call');
  await assert.rejects(samplers.get('replica-exchange')(key(1), target, { numChains: 4, numSteps: 2, referenceScale: 1 } as never), /option "schedule" = undefined, expected either a schedule of temperatures or numLevels/);
  await assert.rejects(samplers.get('replica-exchange')(key(1), target, { numLevels: 3, numChains: 4, numSteps: 2, referenceScale: 1, swapFrequncy: 2 } as never), /option "swapFrequncy" = 2, expected no such option/);
});

test('registry: a ParticleRun of the beta = 1 draws, cost counted one way (target gradients only)', async () => {
  const run = await samplers.get('replica-exchange')(key(3), target, {
    numLevels: 4, numChains: 16, numSteps: 5, numWarmup: 3, swapFrequency: 2, stepSize: 0.05, referenceScale: 2,
  });
  assert.equal(run.sampler, 'replica-exchange');
  assert.deepEqual(run.particles.shape, [5 * 16, 2]);
  // 64 rows: the initial state, one MALA proposal per step (8), one swap round per 2 steps (4): all gradients.
  assert.deepEqual(run.cost, { densityEvaluations: 0, gradientEvaluations: 64 * (1 + 8 + 4), modelDensityEvaluations: 0, modelScoreEvaluations: 0, hessianEvaluations: 0 });
  const details = run.details as { betas: Float64Array; swapAcceptance: Float64Array };
  assert.deepEqual(Array.from(details.betas), [0, 1 / 3, 2 / 3, 1]);
  assert.equal(details.swapAcceptance.length, 3);
  run.particles.dispose();
});
