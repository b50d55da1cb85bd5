/**
 * The analytic "imperfect" flows (lib/samplers/transport/imperfectFlows.ts) against the `Flow` contract and their
 * closed forms: inverse(forward(z)) = z; forward logDet = -inverse logDet at the same pair; logDet = log|det J| with
 * J from autodiff; the perfect members push N(0, I) forward to the target exactly (log-densities compared with the
 * targets'); the imperfect members have the closed-form push-forward the file header states (funnel: x_0 ~ N(0, s^2),
 * x_i | x_0 ~ N(0, e^{x_0} / beta); "three flows" ends: N(0, 0.1 I) and N(0, 10 I)); push-forward densities integrate
 * to 1 on a grid in 1-D and 2-D; bad options throw errors that name the option.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { flowDistribution } from '../../lib/models/flowTarget.js';
import type { Flow } from '../../lib/models/flow.js';
import { affineFlow, funnelFlow, gaussianFlow, linearInterpolationFlow } from '../../lib/samplers/transport/imperfectFlows.js';
import { funnel } from '../../lib/targets/funnel.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

const MEAN = [1, -2, 0.5];
const COV = [
  [2.0, 0.6, 0.2],
  [0.6, 1.0, -0.3],
  [0.2, -0.3, 0.5],
];

/** log|det| of a small matrix (rows) by Gaussian elimination with partial pivoting, float64. */
function logAbsDet(rows: number[][]): number {
  const a = rows.map((r) => r.slice());
  const d = a.length;
  let s = 0;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    s += Math.log(Math.abs(a[c][c]));
    for (let r = c + 1; r < d; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k < d; k++) a[r][k] -= f * a[c][k];
    }
  }
  return s;
}

/** Per-row Jacobians dT/dz by autodiff (row j of J_i = grad of x_ij; rows of the batch are independent). */
function jacobians(flow: Flow, z: tf.Tensor2D): number[][][] {
  const n = z.shape[0];
  const d = z.shape[1];
  const rowsOfJ = Array.from({ length: d }, (_, j) =>
    tf.tidy(() => tf.grad((zi: tf.Tensor) => tf.sum(tf.slice(flow.forward(zi as tf.Tensor2D).value, [0, j], [-1, 1])))(z).arraySync() as number[][]),
  );
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => rowsOfJ[j][i]));
}

const FLOWS: { name: string; make: () => Flow }[] = [
  {
    name: 'affineFlow (general lower triangular, negative diagonal entry)',
    make: () => affineFlow([0.5, -1, 2], [[1.5, 0, 0], [0.3, -0.7, 0], [-0.2, 0.4, 2.0]]),
  },
  { name: 'gaussianFlow (scale 1.3, shifted)', make: () => gaussianFlow(MEAN, COV, { scale: 1.3, shift: [0.3, -0.2, 0.1] }) },
  { name: 'linearInterpolationFlow t = 0.2', make: () => linearInterpolationFlow(COV, 0.2, { mean: MEAN }) },
  { name: 'linearInterpolationFlow t = 0.9', make: () => linearInterpolationFlow(COV, 0.9) },
  { name: 'funnelFlow (dim 3, beta 0.4)', make: () => funnelFlow({ dim: 3, beta: 0.4 }) },
];

for (const c of FLOWS) {
  describe(c.name, () => {
    test('inverse(forward(z)) = z, logDets opposite, logDet = log|det J| (autodiff)', () => {
      const flow = c.make();
      const z = normal(key(5), [16, 3]) as tf.Tensor2D;
      const fwd = flow.forward(z);
      const inv = flow.inverse(fwd.value);
      const zs = z.arraySync();
      const back = inv.value.arraySync();
      zs.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(back[i][j] - v) < 1e-4 * (1 + Math.abs(v)), `z[${i}][${j}] ${back[i][j]} vs ${v}`)));
      const lf = fwd.logDet.arraySync();
      const li = inv.logDet.arraySync();
      const jac = jacobians(flow, z);
      lf.forEach((v, i) => {
        assert.ok(Math.abs(v + li[i]) < 1e-4 * (1 + Math.abs(v)), `row ${i}: forward ${v} vs inverse ${li[i]}`);
        const exact = logAbsDet(jac[i]);
        assert.ok(Math.abs(v - exact) < 1e-4 * (1 + Math.abs(exact)), `row ${i}: logDet ${v} vs log|det J| ${exact}`);
      });
      assert.deepEqual(flow.variables, []);
      tf.dispose([z, fwd.value, fwd.logDet, inv.value, inv.logDet]);
      flow.dispose();
    });
  });
}

test('perfect members push N(0, I) forward to the target exactly', () => {
  const x = tf.tidy(() => tf.add(tf.mul(normal(key(8), [64, 3]), 2), tf.tensor1d(MEAN))) as tf.Tensor2D;
  const target = gaussian(MEAN, COV);
  const funnel3 = funnel({ dim: 3, scale: Math.sqrt(3) });
  const xf = tf.tidy(() => tf.mul(normal(key(9), [64, 3]), tf.tensor1d([2, 1, 1]))) as tf.Tensor2D;
  const cases: [string, Flow, { logDensity(x: tf.Tensor2D): tf.Tensor1D }, tf.Tensor2D][] = [
    ['gaussianFlow', gaussianFlow(MEAN, COV), target, x],
    ['linearInterpolationFlow t = 1/2', linearInterpolationFlow(COV, 0.5, { mean: MEAN }), target, x],
    ['funnelFlow beta = 1', funnelFlow({ dim: 3 }), funnel3, xf],
  ];
  for (const [name, flow, exact, points] of cases) {
    const q = flowDistribution(flow).logDensity(points).arraySync();
    const p = exact.logDensity(points).arraySync();
    q.forEach((v, i) => assert.ok(Math.abs(v - p[i]) < 1e-4 * (1 + Math.abs(p[i])), `${name} row ${i}: ${v} vs target ${p[i]}`));
    flow.dispose();
  }
  tf.dispose([x, xf]);
  target.dispose();
});

test('imperfect members have the closed-form push-forward densities', () => {
  // Funnel flow, beta = 0.4: x_0 ~ N(0, 3), x_i | x_0 ~ N(0, e^{x_0} / beta).
  const beta = 0.4;
  const flow = funnelFlow({ dim: 3, beta });
  const x = tf.tidy(() => tf.mul(normal(key(10), [32, 3]), tf.tensor1d([2, 1.5, 1.5]))) as tf.Tensor2D;
  const q = flowDistribution(flow).logDensity(x).arraySync();
  x.arraySync().forEach((row, i) => {
    const logNormal = (v: number, variance: number) => -0.5 * Math.log(2 * Math.PI * variance) - (v * v) / (2 * variance);
    const exact = logNormal(row[0], 3) + logNormal(row[1], Math.exp(row[0]) / beta) + logNormal(row[2], Math.exp(row[0]) / beta);
    assert.ok(Math.abs(q[i] - exact) < 1e-4 * (1 + Math.abs(exact)), `funnel row ${i}: ${q[i]} vs ${exact}`);
  });
  // The "three flows" end points are N(0, 0.1 I) (t = 0) and N(0, 10 I) (t = 1).
  for (const [t, variance] of [[0, 0.1], [1, 10]]) {
    const ends = linearInterpolationFlow(COV, t);
    const lp = flowDistribution(ends).logDensity(x).arraySync();
    const exact = gaussian([0, 0, 0], variance).logDensity(x).arraySync();
    lp.forEach((v, i) => assert.ok(Math.abs(v - exact[i]) < 1e-4 * (1 + Math.abs(exact[i])), `t = ${t} row ${i}: ${v} vs ${exact[i]}`));
    ends.dispose();
  }
  x.dispose();
});

test('push-forward densities integrate to 1 on a grid (1-D and 2-D)', () => {
  // 1-D: x = 0.7 + 1.8 z; grid [-12, 14], step 0.01 (Riemann sum; the tails beyond hold < 1e-9).
  const flow1 = gaussianFlow([0.5], [[1.5]], { scale: 1.47, shift: 0.2 });
  const h1 = 0.01;
  const grid1 = tf.tidy(() => tf.reshape(tf.range(-12, 14, h1), [-1, 1])) as tf.Tensor2D;
  const mass1 = tf.tidy(() => tf.sum(tf.exp(flowDistribution(flow1).logDensity(grid1))).dataSync()[0] * h1);
  assert.ok(Math.abs(mass1 - 1) < 1e-3, `1-D mass ${mass1}`);
  // 2-D: an affine map with a shear; grid [-10, 10]^2, step 0.05.
  const flow2 = affineFlow([0.3, -0.4], [[1.2, 0], [0.9, 0.6]]);
  const h2 = 0.05;
  const mass2 = tf.tidy(() => {
    const axis = tf.range(-10, 10, h2);
    const m = axis.shape[0];
    const xs = tf.reshape(tf.tile(tf.reshape(axis, [-1, 1]), [1, m]), [-1, 1]);
    const ys = tf.reshape(tf.tile(tf.reshape(axis, [1, -1]), [m, 1]), [-1, 1]);
    const grid = tf.concat([xs, ys], 1) as tf.Tensor2D;
    return tf.sum(tf.exp(flowDistribution(flow2).logDensity(grid))).dataSync()[0] * h2 * h2;
  });
  assert.ok(Math.abs(mass2 - 1) < 1e-3, `2-D mass ${mass2}`);
  grid1.dispose();
  flow1.dispose();
  flow2.dispose();
});

test('bad options and inputs throw errors naming the option, the value and what was expected', () => {
  assert.throws(() => affineFlow([0, 0], [[1, 0.5], [0, 1]]), /affineFlow: option "scaleMatrix\[0\]\[1\]" = 0.5, expected 0 above the diagonal/);
  assert.throws(() => affineFlow([0, 0], [[1, 0], [0.5, 0]]), /affineFlow: option "scaleMatrix\[1\]\[1\]" = 0, expected a non-zero diagonal entry/);
  assert.throws(() => affineFlow([0, 0], [[1, 0]]), /affineFlow: option "scaleMatrix" = \[\[1,0\]\], expected a 2 x 2 lower-triangular matrix/);
  assert.throws(() => affineFlow([0, NaN], [[1, 0], [0, 1]]), /affineFlow: option "shift\[1\]" = NaN, expected a finite number/);
  assert.throws(() => gaussianFlow(MEAN, COV, { scale: -1 }), /gaussianFlow: option "scale" = -1, expected a finite number > 0/);
  assert.throws(() => gaussianFlow(MEAN, COV, { shift: [1, 2] }), /gaussianFlow: option "shift" = \[1,2\], expected an array of length 3/);
  assert.throws(() => gaussianFlow(MEAN, [[1, 2], [2, 1]]), /gaussianFlow: option "covariance"/);
  assert.throws(() => linearInterpolationFlow(COV, 1.5), /linearInterpolationFlow: option "t" = 1.5, expected a number in \[0, 1\]/);
  assert.throws(() => linearInterpolationFlow(COV, 0.5, { lowVariance: 0 }), /linearInterpolationFlow: option "lowVariance" = 0, expected a finite number > 0/);
  assert.throws(() => funnelFlow({ dim: 1 }), /funnelFlow: option "dim" = 1, expected an integer >= 2/);
  assert.throws(() => funnelFlow({ beta: NaN }), /funnelFlow: option "beta" = NaN, expected a finite number > 0/);
  const flow = gaussianFlow(MEAN, COV);
  const wrong = tf.zeros([4, 2]) as tf.Tensor2D;
  assert.throws(() => flow.forward(wrong), /option "z" has shape \[4, 2\], expected \[n, 3\]/);
  assert.throws(() => flow.inverse(wrong), /option "x" has shape \[4, 2\], expected \[n, 3\]/);
  flow.dispose();
  assert.throws(() => flow.forward(tf.zeros([1, 3]) as tf.Tensor2D), /the flow was disposed/);
  wrong.dispose();
});
