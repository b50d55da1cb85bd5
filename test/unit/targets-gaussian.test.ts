/**
 * lib/targets/gaussian.ts: the full-covariance Gaussian target against float64 closed forms (log-density,
 * gradient), its normalisation by 2-D grid quadrature, exact samples by moments and a KS test on a projection
 * (tolerances from Monte Carlo standard errors, z = 4), determinism, memory and bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { choleskySolve, gaussianLogDensity, matrix } from '../../lib/core/linalg.js';
import { key, normalArray } from '../../lib/core/random.js';
import { normalCdf } from '../../lib/core/special.js';
import { ksOneSample } from '../../lib/metrics/ks.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { logDensityAndGrad } from '../../lib/targets/target.js';
import { onBackends, TEST_BACKENDS, useBackend } from '../helpers/backends.js';

const Z = 4; // |estimate - truth| < Z * sd / sqrt(n)

// An asymmetric 3-D case: nonzero mean, unequal variances, correlations of both signs.
const MEAN3 = [1.5, -2, 0.25];
const COV3 = [
  [2.0, 0.6, -0.3],
  [0.6, 1.0, 0.2],
  [-0.3, 0.2, 0.5],
];

function points(seed: number, n: number, d: number, scale = 2): number[][] {
  const z = normalArray(key(seed), n * d);
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => scale * z[i * d + j] + MEAN3[j % 3]));
}

describe('gaussian target', () => {
  before(() => useBackend('wasm'));

  test('logDensity equals the float64 normalised log N(x; mean, cov) (so logZ = 0)', () => {
    const g = gaussian(MEAN3, COV3);
    const xs = points(1, 64, 3);
    const got = g.logDensity(tf.tensor2d(xs)).arraySync();
    const want = gaussianLogDensity(matrix(64, 3, xs), MEAN3, matrix(3, 3, COV3));
    for (let i = 0; i < xs.length; i++) {
      assert.ok(Math.abs(got[i] - want[i]) < 1e-4 * (1 + Math.abs(want[i])), `row ${i}: ${got[i]} vs ${want[i]}`);
    }
    assert.equal(g.logZ, 0);
    assert.deepEqual(g.mean, MEAN3);
    assert.deepEqual(g.variance, [2, 1, 0.5]);
    g.dispose();
  });

  test('2-D: exp(logDensity) integrates to exp(logZ) = 1 (trapezoid grid, spacing std/20)', () => {
    const mean = [1, -2];
    const cov = [
      [2, 0.9],
      [0.9, 1],
    ];
    const g = gaussian(mean, cov);
    const h = 0.05;
    const half = [8 * Math.sqrt(2), 8];
    const nx = Math.round((2 * half[0]) / h) + 1;
    const ny = Math.round((2 * half[1]) / h) + 1;
    const grid = new Float32Array(nx * ny * 2);
    for (let i = 0; i < nx; i++) {
      for (let j = 0; j < ny; j++) {
        grid[2 * (i * ny + j)] = mean[0] - half[0] + i * h;
        grid[2 * (i * ny + j) + 1] = mean[1] - half[1] + j * h;
      }
    }
    const x = tf.tensor2d(grid, [nx * ny, 2]);
    const ld = g.logDensity(x).dataSync();
    let sum = 0;
    for (const v of ld) sum += Math.exp(v);
    // The trapezoid rule is spectrally accurate for a Gaussian on a grid this fine; the 8-std box loses < 1e-13.
    // The residual is float32 rounding of the log-density (~1e-6 relative).
    assert.ok(Math.abs(Math.log(sum * h * h) - g.logZ) < 1e-4, `log integral ${Math.log(sum * h * h)}`);
    tf.dispose(x);
    g.dispose();
  });

  test('exact samples: mean and covariance within 4 Monte Carlo standard errors, KS on a projection', () => {
    const g = gaussian(MEAN3, COV3);
    const n = 40000;
    const xs = g.sample(key(3), n);
    assert.deepEqual(xs.shape, [n, 3]);
    const v = xs.dataSync();
    const m = [0, 0, 0];
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) m[j] += v[3 * i + j] / n;
    for (let j = 0; j < 3; j++) {
      // sd of the sample mean: sqrt(Sigma_jj / n)
      assert.ok(Math.abs(m[j] - MEAN3[j]) < Z * Math.sqrt(COV3[j][j] / n), `mean[${j}] ${m[j]}`);
    }
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k <= j; k++) {
        let c = 0;
        for (let i = 0; i < n; i++) c += (v[3 * i + j] - MEAN3[j]) * (v[3 * i + k] - MEAN3[k]);
        c /= n;
        // Var[(x_j - m_j)(x_k - m_k)] = S_jj S_kk + S_jk^2 for a Gaussian (Isserlis).
        const sd = Math.sqrt((COV3[j][j] * COV3[k][k] + COV3[j][k] ** 2) / n);
        assert.ok(Math.abs(c - COV3[j][k]) < Z * sd, `cov[${j}][${k}] ${c} vs ${COV3[j][k]} (sd ${sd})`);
      }
    }
    // u . x ~ N(u . mean, u^T Sigma u) for a fixed direction mixing all coordinates.
    const u = [0.8, -0.5, 0.33];
    let um = 0;
    let uSu = 0;
    for (let j = 0; j < 3; j++) {
      um += u[j] * MEAN3[j];
      for (let k = 0; k < 3; k++) uSu += u[j] * COV3[j][k] * u[k];
    }
    const proj = new Float64Array(n);
    for (let i = 0; i < n; i++) proj[i] = u[0] * v[3 * i] + u[1] * v[3 * i + 1] + u[2] * v[3 * i + 2];
    const ks = ksOneSample(proj, (t) => normalCdf((t - um) / Math.sqrt(uSu)));
    assert.ok(ks.pValue > 1e-4, `KS p = ${ks.pValue}, D = ${ks.statistic}`);
    xs.dispose();
    g.dispose();
  });

  test('same key -> same samples; different keys -> different samples', () => {
    const g = gaussian(MEAN3, COV3);
    const a = g.sample(key(7), 100).dataSync();
    const b = g.sample(key(7), 100).dataSync();
    const c = g.sample(key(8), 100).dataSync();
    assert.deepEqual(Array.from(a), Array.from(b));
    assert.notDeepEqual(Array.from(a), Array.from(c));
    g.dispose();
  });

  test('isotropic and diagonal covariance shorthands give the same density as the full matrix', () => {
    const xs = tf.tensor2d(points(4, 16, 3));
    const full = gaussian(MEAN3, [
      [0.5, 0, 0],
      [0, 2, 0],
      [0, 0, 3],
    ]);
    const diag = gaussian(MEAN3, [0.5, 2, 3]);
    const iso = gaussian(MEAN3, 0.7);
    const isoFull = gaussian(MEAN3, matrix(3, 3, [0.7, 0, 0, 0, 0.7, 0, 0, 0, 0.7]));
    const close = (p: number[], q: number[]) => p.every((v, i) => Math.abs(v - q[i]) < 1e-5 * (1 + Math.abs(q[i])));
    assert.ok(close(full.logDensity(xs).arraySync(), diag.logDensity(xs).arraySync()));
    assert.ok(close(iso.logDensity(xs).arraySync(), isoFull.logDensity(xs).arraySync()));
    for (const g of [full, diag, iso, isoFull]) g.dispose();
    xs.dispose();
  });

  test('tensor count is flat over repeated evaluations and samples', () => {
    const g = gaussian(MEAN3, COV3);
    const x = tf.tensor2d(points(5, 8, 3));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      tf.dispose([g.logDensity(x), g.gradLogDensity(x), g.sample(key(i), 4)]);
      const { logDensity, grad } = g.logDensityAndGrad(x);
      tf.dispose([logDensity, grad]);
    }
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    g.dispose();
  });

  test('bad inputs give errors naming the option, the value and what was expected', () => {
    assert.throws(() => gaussian([], [[1]]), /gaussian: option "mean" = \[\], expected an array of length >= 1/);
    assert.throws(() => gaussian([0, NaN], [1, 1]), /option "mean\[1\]" = NaN, expected a finite number/);
    assert.throws(() => gaussian([0, 0], [[1, 0, 0]]), /option "covariance" .*expected a variance > 0.*2 x 2 matrix/);
    assert.throws(() => gaussian([0, 0], [1, 2, 3]), /option "covariance" .*expected an array of length 2/);
    assert.throws(() => gaussian([0, 0], -1), /option "covariance" = -1, expected a variance > 0/);
    assert.throws(
      () =>
        gaussian([0, 0], [
          [1, 2],
          [2, 1],
        ]),
      /option "covariance" is not a valid covariance \(.*not positive definite/,
    );
    assert.throws(
      () =>
        gaussian([0, 0], [
          [1, 0.5],
          [0.2, 1],
        ]),
      /option "covariance" is not a valid covariance \(.*symmetric/,
    );
    const g = gaussian([0, 0], 1);
    assert.throws(() => g.logDensity(tf.zeros([3, 3]) as tf.Tensor2D), /option "x" has shape \[3, 3\], expected \[n, 2\]/);
    assert.throws(() => g.gradLogDensity(tf.zeros([3]) as unknown as tf.Tensor2D), /expected \[n, 2\]/);
    assert.throws(() => g.sample(key(0), -1), /option "n" = -1, expected an integer >= 0/);
    assert.throws(() => g.sample(key(0), 1.5), /option "n" = 1.5, expected an integer >= 0/);
    g.dispose();
  });
});

describe('gaussian gradients on every test backend', () => {
  onBackends(TEST_BACKENDS, (backend) => {
    test(`${backend}: gradient equals -Sigma^{-1}(x - mean) (float64) and autodiff of logDensity`, () => {
      const g = gaussian(MEAN3, COV3);
      const xs = points(2, 32, 3);
      const x = tf.tensor2d(xs);
      const grad = g.gradLogDensity(x).arraySync();
      const auto = tf.grad((xi: tf.Tensor) => tf.sum(g.logDensity(xi as tf.Tensor2D)))(x).arraySync() as number[][];
      const L = g.factor.cholesky;
      for (let i = 0; i < xs.length; i++) {
        const diff = matrix(3, 1, xs[i].map((v, j) => v - MEAN3[j]));
        const want = choleskySolve(L, diff).data.map((v) => -v);
        for (let j = 0; j < 3; j++) {
          assert.ok(Math.abs(grad[i][j] - want[j]) < 1e-4 * (1 + Math.abs(want[j])), `analytic [${i}][${j}]`);
          assert.ok(Math.abs(auto[i][j] - want[j]) < 1e-4 * (1 + Math.abs(want[j])), `autodiff [${i}][${j}]`);
        }
      }
      const both = logDensityAndGrad(g, x);
      assert.deepEqual(both.logDensity.arraySync(), g.logDensity(x).arraySync());
      assert.deepEqual(both.grad.arraySync(), grad);
      g.dispose();
    });
  });
});
