/**
 * notebooks/reactive/mixtureExplorer.ts in Node (the browser page runs the same module; test/browser/reactive.test.ts
 * drives the page itself): the mixture's geometry and weights, the shape of a run's result for both samplers,
 * determinism, abort, bad options, and the tensor count.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { explorerMixture, polygonRadius, runExplorer, type ExplorerOptions } from '../../notebooks/reactive/mixtureExplorer.js';
import { useBackend } from '../helpers/backends.js';

const SMALL = { numSamples: 200, numSteps: 20, numMcmcSteps: 2 } as const;

before(async () => {
  await useBackend('wasm');
});

test('explorerMixture: means on a K-gon in coordinates (0, 1), neighbours `separation` apart, weights proportional to k + 1', () => {
  const target = explorerMixture(5, 3, 7);
  try {
    assert.equal(target.dim, 7);
    assert.equal(target.numComponents, 5);
    const { means } = target.components;
    for (let k = 0; k < 5; k++) {
      assert.ok(means[k].slice(2).every((v) => v === 0), 'coordinates 2.. are 0');
      assert.ok(Math.abs(Math.hypot(means[k][0], means[k][1]) - polygonRadius(5, 3)) < 1e-12);
      const next = means[(k + 1) % 5];
      assert.ok(Math.abs(Math.hypot(next[0] - means[k][0], next[1] - means[k][1]) - 3) < 1e-12, 'neighbour distance');
      assert.ok(Math.abs(target.componentWeights[k] - (k + 1) / 15) < 1e-15);
    }
    assert.ok(Math.abs(target.logZ - Math.log(15)) < 1e-12);
  } finally {
    target.dispose();
  }
});

for (const sampler of ['MALA', 'SMC'] as const) {
  test(`runExplorer ${sampler}: weights, projected points and means for the charts; same seed, same result`, async () => {
    const options: ExplorerOptions = { modes: 4, separation: 5, dim: 6, sampler, maxPoints: 150, ...SMALL };
    const a = await runExplorer(options);
    const b = await runExplorer(options);
    assert.equal(a.backend, 'wasm');
    a.trueWeights.forEach((w, k) => assert.ok(Math.abs(w - (k + 1) / 10) < 1e-12));
    assert.equal(a.recoveredWeights.length, 4);
    assert.ok(Math.abs(a.recoveredWeights.reduce((s, w) => s + w, 0) - 1) < 1e-9);
    assert.equal(a.points.length, 150);
    assert.ok(a.points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.mode >= 0 && p.mode < 4));
    assert.equal(a.means.length, 4);
    assert.ok(a.acceptanceRate > 0 && a.acceptanceRate <= 1, `acceptance ${a.acceptanceRate}`);
    if (sampler === 'SMC') {
      assert.ok(a.levels !== null && a.levels >= 1);
      assert.ok(Number.isFinite(a.logZ));
    } else {
      assert.equal(a.levels, null);
    }
    assert.deepEqual(b.recoveredWeights, a.recoveredWeights);
    assert.deepEqual(b.points, a.points);
  });
}

test('runExplorer: an aborted signal stops the run with an AbortError', async () => {
  for (const sampler of ['MALA', 'SMC'] as const) {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      runExplorer({ modes: 3, separation: 4, dim: 2, sampler, ...SMALL, numSteps: 200, signal: controller.signal }),
      (err: Error) => err.name === 'AbortError',
    );
  }
});

test('runExplorer: bad options name the option, the value and the expectation', async () => {
  const good: ExplorerOptions = { modes: 3, separation: 4, dim: 2, sampler: 'MALA' };
  const cases: [Partial<Record<keyof ExplorerOptions, unknown>>, RegExp][] = [
    [{ modes: 1 }, /option "modes" = 1, expected an integer in \[2, 8\]/],
    [{ modes: 2.5 }, /option "modes" = 2.5, expected an integer in \[2, 8\]/],
    [{ dim: 33 }, /option "dim" = 33, expected an integer in \[2, 32\]/],
    [{ separation: Number.NaN }, /option "separation" = NaN, expected a number in \[0.5, 16\]/],
    [{ separation: 20 }, /option "separation" = 20, expected a number in \[0.5, 16\]/],
    [{ sampler: 'HMC' }, /option "sampler" = "HMC", expected one of 'MALA', 'SMC'/],
    [{ numSamples: 1 }, /option "numSamples" = 1, expected an integer in \[2, 1000000\]/],
  ];
  for (const [change, message] of cases) {
    await assert.rejects(runExplorer({ ...good, ...change } as ExplorerOptions), message);
  }
});

test(
  'runExplorer: leaves no tensors behind',
  async () => {
    await runExplorer({ modes: 3, separation: 4, dim: 3, sampler: 'SMC', ...SMALL });
    const before = tf.memory().numTensors;
    await runExplorer({ modes: 3, separation: 4, dim: 3, sampler: 'SMC', ...SMALL });
    await runExplorer({ modes: 3, separation: 4, dim: 3, sampler: 'MALA', ...SMALL });
    assert.equal(tf.memory().numTensors, before);
  },
);
