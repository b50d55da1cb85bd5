/**
 * lib/targets/phiFour.ts: the energy against a float64 transcription of the spec's U, analytic gradients against
 * autodiff and second-order finite differences, the tridiagonal log-determinant against the dense one, and the
 * Laplace mode-ratio reference: 0 at b = 0 by symmetry, odd in b, positive for b > 0 (the negative mode is heavier),
 * and against brute-force grid quadrature of the two modes' masses in d = 3, where its error must shrink like
 * 1 / beta (the Laplace method's order). Also the SLIPS hard-coded references (which use the full log det) and
 * the papers' presets, mode assignment, memory and bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { logDet, matrix } from '../../lib/core/linalg.js';
import { key, normalArray, uniformArray } from '../../lib/core/random.js';
import {
  phiFour,
  phiFourEnergy,
  phiFourLaplace,
  phiFourPresets,
  tridiagonalLogDet,
  PHI_FOUR_SLIPS_REFERENCE,
} from '../../lib/targets/phiFour.js';
import { logDensityAndGrad } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

/** U(x) exactly as the spec writes it: padded field, a N sum of squared jumps / 2 + (1 / (a N)) sum of wells. */
function specEnergy(x: number[], a: number, b: number): number {
  const n = x.length;
  const padded = [0, ...x, 0];
  let jumps = 0;
  for (let i = 0; i <= n; i++) jumps += (padded[i + 1] - padded[i]) ** 2 / 2;
  let wells = 0;
  for (const xi of x) wells += (1 - xi * xi) ** 2 / 4 + b * xi;
  return a * n * jumps + wells / (a * n);
}

/** The LRDS analytic gradient of U (spec section 2.7). */
function specGradient(x: number[], a: number, b: number): number[] {
  const c = a * x.length;
  return x.map((xi, i) => (b - xi * (1 - xi * xi)) / c + c * (2 * xi - (i > 0 ? x[i - 1] : 0) - (i < x.length - 1 ? x[i + 1] : 0)));
}

function fields(seed: number, n: number, d: number): number[][] {
  const z = normalArray(key(seed), n * d);
  // around the positive or the negative mode, rows alternating, plus noise
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => (i % 2 ? 0.9 : -0.8) + 0.3 * z[i * d + j]));
}

/**
 * log(P(mean field < 0) / P(mean field > 0)) by midpoint quadrature on a cube grid (d = 3): the wells have
 * standard deviation ~ (beta H_ii)^{-1/2} >= 0.04 at beta <= 80 and the grid spacing is 0.02, so the rule is
 * spectrally accurate; the box [-1.6, 1.6]^3 loses < e^{-40} of the mass.
 */
function quadratureLogRatio(dim: 3, a: number, b: number, beta: number): number {
  const h = 0.02;
  const half = 1.6;
  const k = Math.round((2 * half) / h);
  const grid = Array.from({ length: k }, (_, i) => -half + (i + 0.5) * h);
  const shift = beta * phiFourEnergy([-1, -1, -1], a, b);
  let negative = 0;
  let positive = 0;
  const x = [0, 0, 0];
  for (const x0 of grid) {
    x[0] = x0;
    for (const x1 of grid) {
      x[1] = x1;
      for (const x2 of grid) {
        x[2] = x2;
        const w = Math.exp(shift - beta * phiFourEnergy(x, a, b));
        if (x0 + x1 + x2 < 0) negative += w;
        else positive += w;
      }
    }
  }
  return Math.log(negative) - Math.log(positive);
}

describe('phiFour target', () => {
  before(() => useBackend('wasm'));

  test('phiFourEnergy (float64) equals the spec formula; logDensity = -beta U in float32', () => {
    const xs = fields(1, 6, 12);
    for (const x of xs) {
      const want = specEnergy(x, 0.1, 0.05);
      assert.ok(Math.abs(phiFourEnergy(x, 0.1, 0.05) - want) < 1e-12 * (1 + Math.abs(want)));
    }
    const target = phiFour({ dim: 12, b: 0.05 });
    const got = target.logDensity(tf.tensor2d(xs)).arraySync();
    xs.forEach((x, i) => {
      const want = -20 * specEnergy(x, 0.1, 0.05);
      assert.ok(Math.abs(got[i] - want) < 1e-5 * (1 + Math.abs(want)), `row ${i}: ${got[i]} vs ${want}`);
    });
    assert.equal(target.dim, 12);
    assert.deepEqual(target.params, { dim: 12, a: 0.1, b: 0.05, beta: 20 });
  });

  test('gradient: analytic = autodiff = -beta x the LRDS closed form; second order by differences of the gradient', () => {
    const d = 16;
    const target = phiFour({ dim: d, b: 0.03, beta: 5 });
    const xs = fields(2, 8, d);
    const x = tf.tensor2d(xs);
    const analytic = target.gradLogDensity!(x).arraySync();
    const auto = tf.grad((xi: tf.Tensor) => tf.sum(target.logDensity(xi as tf.Tensor2D)))(x).arraySync() as number[][];
    xs.forEach((row, i) => {
      const want = specGradient(row, 0.1, 0.03).map((g) => -5 * g);
      for (let j = 0; j < d; j++) {
        const tol = 1e-4 * (1 + Math.abs(want[j]));
        assert.ok(Math.abs(analytic[i][j] - want[j]) < tol, `analytic [${i}][${j}] ${analytic[i][j]} vs ${want[j]}`);
        assert.ok(Math.abs(auto[i][j] - want[j]) < tol, `autodiff [${i}][${j}]`);
      }
    });
    const both = logDensityAndGrad(target, x);
    assert.deepEqual(both.grad.arraySync(), analytic);
    assert.deepEqual(both.logDensity.arraySync(), target.logDensity(x).arraySync());
    // Hessian-vector product (autodiff twice) vs central differences of the analytic gradient (eps = 1e-2)
    const v = Array.from(uniformArray(key(3), d), (u) => u - 0.5);
    const dir = tf.tensor2d(xs.map(() => v));
    const gradOf = (xi: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.sum(target.logDensity(y as tf.Tensor2D)))(xi);
    const hvp = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(gradOf(xi), dir)))(x).arraySync() as number[][];
    const eps = 1e-2;
    const plus = target.gradLogDensity!(tf.add(x, tf.mul(eps, dir)) as tf.Tensor2D).arraySync();
    const minus = target.gradLogDensity!(tf.sub(x, tf.mul(eps, dir)) as tf.Tensor2D).arraySync();
    xs.forEach((_, i) => {
      for (let j = 0; j < d; j++) {
        const fd = (plus[i][j] - minus[i][j]) / (2 * eps);
        assert.ok(Math.abs(hvp[i][j] - fd) < 2e-2 * (1 + Math.abs(fd)), `HVP [${i}][${j}] ${hvp[i][j]} vs ${fd}`);
      }
    });
    tf.dispose([x, dir, both.logDensity, both.grad]);
  });

  test('tridiagonalLogDet equals the dense log det; it rejects an indefinite matrix', () => {
    const n = 9;
    const diag = Array.from(uniformArray(key(4), n), (u) => 2.5 + u);
    const off = -1.1;
    const dense = matrix(n, n, Array.from({ length: n * n }, (_, k) => {
      const i = Math.floor(k / n);
      const j = k % n;
      return i === j ? diag[i] : Math.abs(i - j) === 1 ? off : 0;
    }));
    assert.ok(Math.abs(tridiagonalLogDet(diag, off) - logDet(dense)) < 1e-12);
    assert.throws(() => tridiagonalLogDet([1, 1], 2), /tridiagonalLogDet: the matrix is not positive definite/);
    assert.throws(() => tridiagonalLogDet([], 1), /option "diag" is empty/);
  });

  test('Laplace minima are stationary points with a positive-definite Hessian and lower energy than their neighbours', () => {
    const laplace = phiFourLaplace({ dim: 40, b: 0.02 });
    for (const minimum of [laplace.negative, laplace.positive]) {
      const g = specGradient(Array.from(minimum.x), 0.1, 0.02);
      assert.ok(Math.max(...g.map(Math.abs)) < 1e-10, `|grad U| = ${Math.max(...g.map(Math.abs))}`);
      assert.ok(Number.isFinite(minimum.logDetHessian));
      const z = normalArray(key(5), 40);
      const nudged = Array.from(minimum.x, (xi, i) => xi + 1e-3 * z[i]);
      assert.ok(phiFourEnergy(nudged, 0.1, 0.02) > minimum.energy);
    }
    assert.ok(laplace.negative.x.every((v) => v < 0) && laplace.positive.x.every((v) => v > 0));
  });

  test('Laplace log mode ratio: 0 at b = 0, odd in b, positive for b > 0 (P(negative) > P(positive))', () => {
    const zero = phiFourLaplace({ dim: 100, b: 0 });
    assert.ok(Math.abs(zero.logModeRatio) < 1e-9, `b = 0: ${zero.logModeRatio}`);
    assert.deepEqual(zero.weights.map((w) => Math.round(w * 1e9) / 1e9), [0.5, 0.5]);
    for (const b of [0.001, 0.025]) {
      const up = phiFourLaplace({ dim: 100, b });
      const down = phiFourLaplace({ dim: 100, b: -b });
      assert.ok(up.logModeRatio > 0, `b = ${b}: ${up.logModeRatio}`);
      assert.ok(Math.abs(up.logModeRatio + down.logModeRatio) < 1e-8 * Math.abs(up.logModeRatio), 'odd in b');
      assert.ok(Math.abs(up.weights[0] + up.weights[1] - 1) < 1e-15);
      assert.ok(Math.abs(Math.log(up.weights[0] / up.weights[1]) - up.logModeRatio) < 1e-6);
    }
  });

  test('Laplace vs grid quadrature in d = 3: error < 5e-3 at beta = 20 and shrinks like 1 / beta (ratio 4 +- 1 from beta 20 to 80)', () => {
    const a = 0.1;
    const b = 0.01;
    const errors = [20, 80].map((beta) => {
      const exact = quadratureLogRatio(3, a, b, beta);
      const laplace = phiFourLaplace({ dim: 3, a, b, beta }).logModeRatio;
      assert.ok(exact > 0, `quadrature log ratio ${exact} at beta ${beta}`);
      return laplace - exact;
    });
    assert.ok(Math.abs(errors[0]) < 5e-3, `beta 20: error ${errors[0]}`);
    const shrink = errors[0] / errors[1];
    assert.ok(shrink > 3 && shrink < 5, `error ratio beta 20 / beta 80 = ${shrink} (errors ${errors})`);
  });

  test('SLIPS hard-coded references = -beta dU - d log det H (FULL log det) at its gradient-flow minima; Laplace differs', () => {
    // SLIPS/LRDS find the minima by 10 000 explicit gradient-flow steps of size 5e-3 from -1 and +1 (not fully
    // converged at this tilt); with those minima and the full log det, float64 reproduces SLIPS's float32 numbers.
    const { dim, a, beta } = phiFourPresets.slips(0);
    const c = a * dim;
    const flowMinimum = (b: number, sign: number) => {
      let x = new Array(dim).fill(sign);
      for (let step = 0; step < 10000; step++) {
        const g = specGradient(x, a, b);
        x = x.map((xi, i) => xi - 5e-3 * g[i]);
      }
      return x;
    };
    const logDetAt = (x: number[]) => tridiagonalLogDet(x.map((xi) => 2 * c + (3 * xi * xi - 1) / c), -c);
    for (const b of phiFourPresets.slipsTilts) {
      const neg = flowMinimum(b, -1);
      const pos = flowMinimum(b, 1);
      const fullLogDet = -beta * (specEnergy(neg, a, b) - specEnergy(pos, a, b)) - (logDetAt(neg) - logDetAt(pos));
      const reference = PHI_FOUR_SLIPS_REFERENCE.get(b)!;
      assert.ok(Math.abs(fullLogDet - reference) <= 5e-5 * reference + 1e-9, `b = ${b}: ${fullLogDet} vs ${reference}`);
      const laplace = phiFourLaplace(phiFourPresets.slips(b));
      if (b > 0) assert.ok(laplace.logModeRatio - reference > 0.3, `b = ${b}: Laplace ${laplace.logModeRatio} vs ${reference}`);
    }
  });

  test('modes: 0 = negative field, 1 = positive; weights are the Laplace weights; mean vs midpoint statistic', async () => {
    const target = phiFour({ dim: 8, b: 0.01 });
    assert.deepEqual(target.modes!.weights, target.laplace.weights);
    assert.ok(target.modes!.weights[0] > target.modes!.weights[1]);
    // row 2: mean field positive but middle site (index 4) negative
    const x = tf.tensor2d([
      [-1, -1, -1, -1, -1, -1, -1, -1],
      [1, 1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, -0.5, 1, 1, 1],
    ]);
    assert.deepEqual(Array.from(await target.modes!.assign(x)), [0, 1, 1]);
    const midpoint = phiFour({ dim: 8, b: 0.01, modeStatistic: 'midpoint' });
    assert.deepEqual(Array.from(await midpoint.modes!.assign(x)), [0, 1, 0]);
    x.dispose();
  });

  test('presets match the papers; tensor count flat over 100 evaluations', async () => {
    assert.deepEqual(phiFourPresets.slips(0.05), { dim: 100, a: 0.1, b: 0.05, beta: 20 });
    assert.equal(phiFourPresets.lrds(0.002).dim, 32);
    assert.equal(phiFourPresets.flowMcmc(64).b, 0);
    const target = phiFour(phiFourPresets.lrds(0.002));
    const x = tf.tensor2d(fields(6, 4, 32));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const { logDensity, grad } = target.logDensityAndGrad!(x);
      tf.dispose([logDensity, grad, target.logDensity(x), target.gradLogDensity!(x)]);
      await target.modes!.assign(x);
    }
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  test('bad inputs name the option, the value and what was expected', async () => {
    assert.throws(() => phiFour({ dim: 0 }), /phiFour: option "dim" = 0, expected an integer >= 1/);
    assert.throws(() => phiFour({ a: -0.1 }), /phiFour: option "a" = -0.1, expected a finite number > 0/);
    assert.throws(() => phiFour({ b: Infinity }), /phiFour: option "b" = Infinity, expected a finite number/);
    assert.throws(() => phiFour({ beta: NaN }), /phiFour: option "beta" = NaN, expected a finite number > 0/);
    assert.throws(
      () => phiFour({ modeStatistic: 'median' as 'mean' }),
      /phiFour: option "modeStatistic" = "median", expected 'mean' or 'midpoint'/,
    );
    assert.throws(() => phiFourLaplace({ beta: 0 }), /phiFourLaplace: option "beta" = 0/);
    // |b| > 2 / (3 sqrt 3) removes the well on the disfavoured side
    assert.throws(() => phiFourLaplace({ b: 0.5 }), /phiFourLaplace: no local minimum of U with a positive mean field .*b = 0.5/);
    const target = phiFour({ dim: 5 });
    assert.throws(() => target.logDensity(tf.zeros([2, 4]) as tf.Tensor2D), /phiFour.logDensity: option "x" has shape \[2, 4\], expected \[n, 5\]/);
    await assert.rejects(() => target.modes!.assign(tf.zeros([2]) as unknown as tf.Tensor2D), /phiFour.modes.assign: option "x"/);
  });
});
