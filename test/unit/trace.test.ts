/**
 * The one trace format (lib/core/trace.ts): runChain's samples go as they are into the diagnostics and the
 * metrics; the cuts (afterWarmup, thinTrace, flattenDraws, chainsOf) agree with the layout and with runChain's thin.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import { runChain } from '../../lib/samplers/runChain.js';
import { afterWarmup, chainsOf, flattenDraws, thinTrace, traceDims } from '../../lib/core/trace.js';
import { effectiveSampleSize, splitRHat, type ChainTrace } from '../../lib/metrics/mcmcDiagnostics.js';
import { bulkEss, rankNormalizedRHat, tailEss } from '../../lib/metrics/rankDiagnostics.js';
import { maxMarginalKs } from '../../lib/metrics/marginalKs.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { useBackend } from '../helpers/backends.js';

before(async () => {
  await useBackend('wasm');
});

/** A trace [4, 3, 2] whose value encodes its position: 100 t + 10 c + j. */
const labelled = () => ({
  shape: [4, 3, 2],
  data: Float32Array.from({ length: 24 }, (_, k) => 100 * Math.floor(k / 6) + 10 * (Math.floor(k / 2) % 3) + (k % 2)),
});

test('the cuts follow the layout [numDraws, numChains, dim]', () => {
  const trace = labelled();
  assert.deepEqual(traceDims('t', trace), { numDraws: 4, numChains: 3, dim: 2 });
  const warm = afterWarmup(trace, 1);
  assert.deepEqual(warm.shape, [3, 3, 2]);
  assert.equal(warm.data[0], 100);
  assert.ok(warm.data instanceof Float32Array);
  const thin = thinTrace(trace, 2); // draws 1 and 3
  assert.deepEqual(thin.shape, [2, 3, 2]);
  assert.deepEqual(Array.from(thin.data.subarray(0, 2)), [100, 101]);
  assert.deepEqual(Array.from(thin.data.subarray(6, 8)), [300, 301]);
  const flat = flattenDraws(trace);
  assert.deepEqual(flat.shape, [12, 2]);
  assert.equal(flat.data[2 * 4 + 1], 100 + 10 + 1); // row t * numChains + c = 1 * 3 + 1
  assert.deepEqual(chainsOf(trace, 1, [2]).map((c) => Array.from(c)), [[21, 121, 221, 321]]);
  assert.equal(trace.data[0], 0, 'the input is left as it was');
});

test('bad cuts name the function, the option, the value and what was expected', () => {
  assert.throws(() => afterWarmup(labelled(), 5), /afterWarmup: option "numWarmup" = 5, expected an integer in \[0, 4\]/);
  assert.throws(() => thinTrace(labelled(), 0), /thinTrace: option "every" = 0, expected an integer >= 1/);
  assert.throws(() => flattenDraws({ shape: [4, 3, 2, 1], data: new Float32Array(24) }), /flattenDraws: option "trace.shape" = \[4,3,2,1\], expected \[numDraws, numChains, dim\]/);
  assert.throws(() => chainsOf(labelled(), 2), /chainsOf: option "j" = 2, expected a coordinate index in \[0, 1\]/);
  assert.throws(() => flattenDraws({ shape: [4, 3], data: [1, 2] } as never), /flattenDraws: option "trace" = .*expected a trace \{ shape/);
});

test('runChain samples go as they are into the diagnostics and metrics; thinTrace of a run equals the run with thin', async () => {
  const target = gaussian([1, -2], [[1, 0.3], [0.3, 0.5]]);
  const start = normal(key(4), [8, 2]) as tf.Tensor2D;
  const full = await runChain(key(5), mala(target), start, { numSteps: 60, params: { stepSize: 0.5 } });
  const thinned = await runChain(key(5), mala(target), start, { numSteps: 60, params: { stepSize: 0.5 }, thin: 3 });
  assert.deepEqual(thinTrace(full.samples, 3), thinned.samples);
  const kept = afterWarmup(full.samples, 20);
  // The same numbers as the ChainTrace layout the diagnostics took before.
  const asChainTrace: ChainTrace = { values: Float64Array.from(kept.data), numDraws: 40, numChains: 8, dim: 2 };
  assert.deepEqual(await splitRHat(kept), await splitRHat(asChainTrace));
  assert.deepEqual(await effectiveSampleSize(kept), await effectiveSampleSize(asChainTrace));
  for (const diagnostic of [rankNormalizedRHat, bulkEss, tailEss]) assert.equal((await diagnostic(kept)).length, 2);
  // Metrics read a trace as its pooled draws.
  const pooled = tf.tensor2d(kept.data, [320, 2]);
  assert.equal(await maxMarginalKs(kept, start), await maxMarginalKs(pooled, start));
  tf.dispose([start, pooled, ...Object.values(full.state), ...Object.values(thinned.state)]);
});
