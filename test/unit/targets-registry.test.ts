import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { targets } from '../../lib/targets/registry.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

test('every registered name builds with its documented example options', () => {
  const examples: Record<string, Record<string, unknown>> = {
    gaussian: { mean: [1, -2], covariance: [[2, 0.5], [0.5, 1]] },
    mixture: { weights: [0.7, 0.3], means: [[0, 0], [3, 3]], covariances: [1, 0.5] },
    'two-modes': { dim: 8, separation: 3 },
    'two-modes-slips': { dim: 4 },
    'two-modes-lrds': { dim: 4, conditioning: 'medium' },
    'two-modes-full': { dim: 4, conditioning: 'hard' },
    'bracket-two-modes': { dim: 4 },
    checkerboard: {},
    'eight-gaussians': {},
    'many-modes': { numModes: 4, dim: 3 },
    rings: { radii: [1, 2], std: 0.1 },
    'rings-slips': {},
    'rings-lrds': {},
    funnel: { dim: 5 },
    banana: {},
    'phi-four': { dim: 8 },
    'logistic-regression': { dataset: 'ionosphere' },
  };
  assert.deepEqual([...targets.names()].sort(), Object.keys(examples).sort());
  for (const [name, options] of Object.entries(examples)) {
    const t = targets.get(name, options);
    const x = tf.zeros([3, t.dim]) as tf.Tensor2D;
    const lp = t.logDensity(x);
    assert.deepEqual(lp.shape, [3], name);
    assert.ok(Array.from(lp.dataSync()).every(Number.isFinite), `${name}: finite log-density at 0`);
    tf.dispose([x, lp]);
  }
});

test('the registry passes options through: two-modes separation sets the mode distance', () => {
  const t = targets.get('two-modes', { dim: 32, separation: 3 });
  assert.equal(t.dim, 32);
  assert.deepEqual(t.modes!.weights.length, 2);
});

test('unknown names and options get clear errors', () => {
  assert.throws(() => targets.get('two-mode', { dim: 2 }), /target "two-mode" is unknown, expected one of: .*two-modes/);
  assert.throws(() => targets.get('funnel', { dimension: 3 }), /option "dimension" is unknown, expected dim, scale/);
  assert.throws(() => targets.get('two-modes', { dim: 0, separation: 3 }), /dim/);
  assert.ok(targets.describe().every((d) => d.description.length > 0));
});
