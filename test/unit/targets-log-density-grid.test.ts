/**
 * logDensityOnGrid (lib/targets/logDensityGrid.ts): a 2-D target, or a 2-D slice of a d-dimensional one, on a grid,
 * against the log-density written out by hand in float64.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gaussian } from '../../lib/targets/gaussian.js';
import { gridAxis, logDensityOnGrid } from '../../lib/targets/logDensityGrid.js';
import { useBackend } from '../helpers/backends.js';

before(async () => {
  await useBackend('wasm');
});

const MEAN = [1, -2, 0.5, 3];
const VAR = [1, 2, 0.5, 4];
/** log N(p; MEAN, diag(VAR)) up to the constant, in float64. */
const byHand = (p: number[]) => p.reduce((s, v, k) => s - (0.5 * (v - MEAN[k]) ** 2) / VAR[k], 0);

test('a 2-D slice of a 4-D target: coordinates `axes` from the grid, the others from `at` (default: the mean)', async () => {
  const target = gaussian(MEAN, VAR);
  const x = gridAxis(-2, 2, 5);
  const y = gridAxis(-1, 3, 4);
  const at = [0.3, -1, 2, 1.5];
  const grid = await logDensityOnGrid(target, x, y, { axes: [3, 1], at });
  const atMean = await logDensityOnGrid(target, x, y, { axes: [3, 1] });
  const offset = (p: number[]) => grid.logDensity[0] - byHand(p); // the normalising constant, the same everywhere
  const c = offset([at[0], y[0], at[2], x[0]]);
  const cMean = atMean.logDensity[0] - byHand([MEAN[0], y[0], MEAN[2], x[0]]);
  for (let j = 0; j < y.length; j++) {
    for (let i = 0; i < x.length; i++) {
      const value = grid.logDensity[j * x.length + i];
      assert.ok(Math.abs(value - c - byHand([at[0], y[j], at[2], x[i]])) < 1e-4, `slice at (${i}, ${j})`);
      assert.ok(Math.abs(atMean.logDensity[j * x.length + i] - cMean - byHand([MEAN[0], y[j], MEAN[2], x[i]])) < 1e-4, `slice through the mean at (${i}, ${j})`);
    }
  }
  target.dispose();
});

test('a 2-D target and the same density as a function give the same grid; a function in d > 2 is sliced through `at`', async () => {
  const target = gaussian([1, -2], [1, 2]);
  const x = gridAxis(-3, 3, 7);
  const asTarget = await logDensityOnGrid(target, x);
  const asFunction = await logDensityOnGrid((p) => target.logDensity(p), x);
  assert.deepEqual(asTarget.logDensity, asFunction.logDensity);
  const seen: number[][] = [];
  await logDensityOnGrid((p) => {
    seen.push(p.shape);
    return tf.sum(p, 1) as tf.Tensor1D;
  }, x, x, { at: [0, 0, 7] });
  assert.deepEqual(seen, [[49, 3]]);
  target.dispose();
});

test('bad slices name the option, the value and what was expected', async () => {
  const target = gaussian(MEAN, VAR);
  const x = gridAxis(0, 1, 3);
  await assert.rejects(logDensityOnGrid(target, x, x, { axes: [1, 1] }), /logDensityOnGrid: option "axes" = \[1,1\], expected two different coordinate indices in \[0, 3\]/);
  await assert.rejects(logDensityOnGrid(target, x, x, { axes: [0, 4] }), /option "axes" = \[0,4\], expected two different coordinate indices in \[0, 3\]/);
  await assert.rejects(logDensityOnGrid(target, x, x, { at: [1, 2] }), /option "at" = \[1,2\], expected 4 numbers \(a point of R\^4\)/);
  await assert.rejects(logDensityOnGrid(target, [0, 1] as never), /option "x" = \[0,1\], expected grid coordinates, a non-empty Float64Array/);
  await assert.rejects(logDensityOnGrid({ name: 'bad', dim: 2, logDensity: (p: tf.Tensor2D) => tf.sum(p, 1, true) } as never, x), /target "bad": logDensity returned shape \[9, 1\]/);
  target.dispose();
});
