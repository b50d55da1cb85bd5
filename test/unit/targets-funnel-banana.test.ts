/**
 * lib/targets/funnel.ts and lib/targets/banana.ts: log-densities against float64 closed forms, normalisation by
 * 2-D quadrature, analytic gradients against autodiff (first order) and finite differences of the gradient
 * (second order, through autodiff twice), exact samples by moments and KS tests with tolerances from Monte Carlo
 * standard errors (|estimate - truth| < Z * sd / sqrt(n), Z = 4, sd from the closed form or the sample), the
 * papers' presets, determinism, memory and bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normalArray } from '../../lib/core/random.js';
import { normalCdf } from '../../lib/core/special.js';
import { ksOneSample } from '../../lib/metrics/ks.js';
import { funnel, funnelPresets } from '../../lib/targets/funnel.js';
import { banana, bananaPresets } from '../../lib/targets/banana.js';
import { logDensityAndGrad, type Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

const Z = 4;
const LOG_2PI = Math.log(2 * Math.PI);
const logNormal = (x: number, variance: number) => -0.5 * (LOG_2PI + Math.log(variance) + (x * x) / variance);

function randomPoints(seed: number, n: number, d: number, scales: number[]): number[][] {
  const z = normalArray(key(seed), n * d);
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => scales[j % scales.length] * z[i * d + j] + 0.3));
}

function assertRowsClose(got: number[], want: number[], rel: number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= rel * (1 + Math.abs(want[i])), `${what} [${i}]: ${got[i]} vs ${want[i]}`);
  }
}

/** Analytic gradient vs autodiff of logDensity, and logDensityAndGrad consistency. */
function checkGradient(target: Target, xs: number[][], reference: (x: number[]) => number[]): void {
  const x = tf.tensor2d(xs);
  const analytic = target.gradLogDensity!(x).arraySync();
  const auto = tf.grad((xi: tf.Tensor) => tf.sum(target.logDensity(xi as tf.Tensor2D)))(x).arraySync() as number[][];
  xs.forEach((row, i) => {
    const want = reference(row);
    assertRowsClose(analytic[i], want, 1e-4, `analytic gradient row ${i}`);
    assertRowsClose(auto[i], want, 1e-4, `autodiff gradient row ${i}`);
  });
  const both = logDensityAndGrad(target, x);
  assert.deepEqual(both.logDensity.arraySync(), target.logDensity(x).arraySync());
  assert.deepEqual(both.grad.arraySync(), analytic);
  tf.dispose([x, both.logDensity, both.grad]);
}

/**
 * Second order: the Hessian-vector product from autodiff applied twice to logDensity against the central
 * difference (g(x + eps v) - g(x - eps v)) / (2 eps) of the analytic gradient (float32: eps = 1e-2, error
 * O(eps^2) + O(1e-7 |g| / eps)).
 */
function checkSecondOrder(target: Target, xs: number[][], v: number[]): void {
  const eps = 1e-2;
  const x = tf.tensor2d(xs);
  const dir = tf.tensor2d(xs.map(() => v));
  const gradOf = (xi: tf.Tensor) => tf.grad((y: tf.Tensor) => tf.sum(target.logDensity(y as tf.Tensor2D)))(xi);
  const hvp = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(gradOf(xi), dir)))(x).arraySync() as number[][];
  const plus = target.gradLogDensity!(tf.add(x, tf.mul(eps, dir)) as tf.Tensor2D).arraySync();
  const minus = target.gradLogDensity!(tf.sub(x, tf.mul(eps, dir)) as tf.Tensor2D).arraySync();
  xs.forEach((_, i) => {
    const fd = plus[i].map((p, j) => (p - minus[i][j]) / (2 * eps));
    assertRowsClose(hvp[i], fd, 2e-2, `Hessian-vector product row ${i}`);
  });
  tf.dispose([x, dir]);
}

function columnStats(values: Float32Array, n: number, d: number, j: number) {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i * d + j] / n;
  return mean;
}

describe('funnel target', () => {
  before(() => useBackend('wasm'));

  const reference = (x: number[], scale: number) =>
    logNormal(x[0], scale * scale) + x.slice(1).reduce((s, xi) => s + logNormal(xi, Math.exp(x[0])), 0);

  test('logDensity is the normalised float64 funnel density; logZ, mean and variance are the closed forms', () => {
    const f = funnel({ dim: 5, scale: 1.5 });
    const xs = randomPoints(1, 48, 5, [1.5, 1, 2]);
    const got = f.logDensity(tf.tensor2d(xs)).arraySync();
    assertRowsClose(got, xs.map((x) => reference(x, 1.5)), 1e-5, 'logDensity');
    assert.equal(f.logZ, 0);
    assert.deepEqual(f.mean, [0, 0, 0, 0, 0]);
    assert.deepEqual(f.variance, [2.25, ...new Array(4).fill(Math.exp(2.25 / 2))]);
    assert.equal(f.dim, 5);
  });

  test('2-D: exp(logDensity) integrates to 1 (x1 = e^{x0/2} u substitution, midpoint grid)', () => {
    const scale = 1.5;
    const f = funnel({ dim: 2, scale });
    const h0 = (16 * scale) / 800;
    const hu = 16 / 800;
    const pts = new Float32Array(800 * 800 * 2);
    const jac = new Float64Array(800 * 800);
    for (let i = 0; i < 800; i++) {
      const x0 = -8 * scale + (i + 0.5) * h0;
      for (let j = 0; j < 800; j++) {
        const u = -8 + (j + 0.5) * hu;
        pts[2 * (i * 800 + j)] = x0;
        pts[2 * (i * 800 + j) + 1] = Math.exp(x0 / 2) * u;
        jac[i * 800 + j] = Math.exp(x0 / 2);
      }
    }
    const x = tf.tensor2d(pts, [800 * 800, 2]);
    const ld = f.logDensity(x).dataSync();
    let sum = 0;
    for (let k = 0; k < ld.length; k++) sum += Math.exp(ld[k]) * jac[k];
    // midpoint rule on a Gaussian integrand with spacing < sd / 30: the error is float32 rounding only
    assert.ok(Math.abs(Math.log(sum * h0 * hu)) < 1e-4, `log integral ${Math.log(sum * h0 * hu)}`);
    x.dispose();
  });

  test('gradient: analytic = autodiff = float64 closed form; second order through autodiff twice', () => {
    const f = funnel({ dim: 4, scale: 2 });
    const xs = randomPoints(2, 16, 4, [1.2, 0.8]);
    checkGradient(f, xs, (x) => {
      const rest = x.slice(1);
      const s2 = rest.reduce((s, v) => s + v * v, 0);
      return [-x[0] / 4 - rest.length / 2 + 0.5 * Math.exp(-x[0]) * s2, ...rest.map((v) => -Math.exp(-x[0]) * v)];
    });
    checkSecondOrder(f, xs, [0.7, -0.4, 0.2, 0.5]);
  });

  test('exact samples: moments (incl. the sign-sensitive E[x0 x_i^2] = s^2 e^{s^2/2}) within 4 MC standard errors, KS', () => {
    const scale = 1;
    const f = funnel({ dim: 3, scale });
    const n = 40000;
    const xs = f.sample(key(3), n);
    assert.deepEqual(xs.shape, [n, 3]);
    const v = xs.dataSync() as Float32Array;
    const x0 = Float64Array.from({ length: n }, (_, i) => v[3 * i]);
    const x1 = Float64Array.from({ length: n }, (_, i) => v[3 * i + 1]);
    const x2 = Float64Array.from({ length: n }, (_, i) => v[3 * i + 2]);
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, t) => s + t, 0) / a.length;
    const s2 = scale * scale;
    const varX = Math.exp(s2 / 2);
    // means: sd sqrt(Var / n)
    assert.ok(Math.abs(mean(x0)) < Z * Math.sqrt(s2 / n), `mean x0 ${mean(x0)}`);
    assert.ok(Math.abs(mean(x1)) < Z * Math.sqrt(varX / n), `mean x1 ${mean(x1)}`);
    assert.ok(Math.abs(columnStats(v, n, 3, 2)) < Z * Math.sqrt(varX / n), 'mean x2');
    // variances: sd of the mean of x^2 is sqrt((E x^4 - (E x^2)^2) / n); E x0^4 = 3 s^4, E x_i^4 = 3 e^{2 s^2}
    const m2x0 = mean(x0.map((t) => t * t));
    assert.ok(Math.abs(m2x0 - s2) < Z * Math.sqrt((3 * s2 * s2 - s2 * s2) / n), `Var x0 ${m2x0}`);
    const m2x2 = mean(x2.map((t) => t * t));
    assert.ok(Math.abs(m2x2 - varX) < Z * Math.sqrt((3 * Math.exp(2 * s2) - varX * varX) / n), `Var x2 ${m2x2} vs ${varX}`);
    // E[x0 x1^2] = E[x0 e^{x0}] = s^2 e^{s^2/2}: a sampler that used e^{-x0} would give the opposite sign
    const products = x0.map((t, i) => t * x1[i] * x1[i]);
    const pm = mean(products);
    const psd = Math.sqrt(mean(products.map((t) => (t - pm) ** 2)));
    assert.ok(Math.abs(pm - s2 * varX) < (Z * psd) / Math.sqrt(n), `E[x0 x1^2] ${pm} vs ${s2 * varX}`);
    // KS: x0 ~ N(0, s^2) and x1 e^{-x0/2} ~ N(0, 1)
    assert.ok(ksOneSample(x0, (t) => normalCdf(t / scale)).pValue > 1e-4, 'KS x0');
    assert.ok(ksOneSample(x1.map((t, i) => t * Math.exp(-x0[i] / 2)), normalCdf).pValue > 1e-4, 'KS standardised x1');
    xs.dispose();
  });

  test('presets: SLIPS funnel10 has Var x0 = 3 (a = 3 is a variance) and sqrt(Var x_i) = 2.12, its R', () => {
    const slips = funnel(funnelPresets.slips);
    assert.equal(slips.dim, 10);
    assert.ok(Math.abs(slips.variance![0] - 3) < 1e-12);
    assert.ok(Math.abs(Math.sqrt(slips.variance![1]) - 2.12) < 5e-3, `sqrt(Var x1) ${Math.sqrt(slips.variance![1])}`);
    const neal = funnel(funnelPresets.neal);
    assert.equal(neal.variance![0], 9);
    assert.equal(funnel(funnelPresets.flowMcmc(16)).dim, 16);
    // defaults are Neal's funnel
    assert.deepEqual(funnel().variance, neal.variance);
  });

  test('same key -> same samples; tensor count flat over 100 evaluations', () => {
    const f = funnel();
    assert.deepEqual(f.sample(key(5), 50).arraySync(), f.sample(key(5), 50).arraySync());
    assert.notDeepEqual(f.sample(key(5), 50).arraySync(), f.sample(key(6), 50).arraySync());
    const x = tf.tensor2d(randomPoints(4, 8, 10, [1]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const { logDensity, grad } = f.logDensityAndGrad!(x);
      tf.dispose([logDensity, grad, f.logDensity(x), f.gradLogDensity!(x), f.sample(key(i), 4)]);
    }
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  test('bad inputs name the option, the value and what was expected', () => {
    assert.throws(() => funnel({ dim: 1 }), /funnel: option "dim" = 1, expected an integer >= 2/);
    assert.throws(() => funnel({ dim: 2.5 }), /option "dim" = 2.5/);
    assert.throws(() => funnel({ scale: 0 }), /funnel: option "scale" = 0, expected a finite number > 0/);
    assert.throws(() => funnel({ scale: NaN }), /option "scale" = NaN/);
    const f = funnel({ dim: 3 });
    assert.throws(() => f.logDensity(tf.zeros([4, 2]) as tf.Tensor2D), /funnel.logDensity: option "x" has shape \[4, 2\], expected \[n, 3\]/);
    assert.throws(() => f.gradLogDensity!(tf.zeros([3]) as unknown as tf.Tensor2D), /expected \[n, 3\]/);
    assert.throws(() => f.sample(key(0), -1), /funnel.sample: option "n" = -1, expected an integer >= 0/);
  });
});

describe('banana target', () => {
  before(() => useBackend('wasm'));

  /** float64 reference: x_{2k} ~ N(0, s^2), x_{2k+1} + b (x_{2k}^2 - s^2) ~ N(0, 1) for k < pairs, rest N(0, 1). */
  const reference = (x: number[], b: number, s: number, pairs: number) => {
    let total = 0;
    for (let j = 0; j < x.length; j++) {
      if (j < 2 * pairs && j % 2 === 0) total += logNormal(x[j], s * s);
      else if (j < 2 * pairs) total += logNormal(x[j] + b * (x[j - 1] ** 2 - s * s), 1);
      else total += logNormal(x[j], 1);
    }
    return total;
  };
  const referenceGrad = (x: number[], b: number, s: number, pairs: number) =>
    x.map((xj, j) => {
      if (j >= 2 * pairs) return -xj;
      if (j % 2 === 1) return -(xj + b * (x[j - 1] ** 2 - s * s));
      const u = x[j + 1] + b * (xj * xj - s * s);
      return -xj / (s * s) - 2 * b * xj * u;
    });

  test('logDensity is the normalised float64 twisted Gaussian (one pair, several pairs, odd dimension)', () => {
    for (const [dim, pairs] of [[2, 1], [5, 1], [5, 2], [6, 3]]) {
      const t = banana({ dim, curvature: 0.3, scale: 2, twistedPairs: pairs });
      const xs = randomPoints(10 + dim, 32, dim, [2, 1.5]);
      const got = t.logDensity(tf.tensor2d(xs)).arraySync();
      assertRowsClose(got, xs.map((x) => reference(x, 0.3, 2, pairs)), 1e-5, `dim ${dim} pairs ${pairs}`);
      assert.equal(t.logZ, 0);
    }
  });

  test('flowMcmc preset equals flow_mcmc banana.py: log N(T^{-1}(y); 0, I) - (d/2) log a with y_odd = x_odd + b (y_even^2 - a^2)', () => {
    const dim = 6;
    const t = banana(bananaPresets.flowMcmc(dim));
    const a = 10;
    const b = 0.02;
    const xs = randomPoints(20, 16, dim, [10, 2]);
    const want = xs.map((y) => {
      let sum = -(dim / 2) * Math.log(a);
      for (let j = 0; j < dim; j += 2) {
        const xEven = y[j] / a;
        const xOdd = y[j + 1] - b * y[j] ** 2 + b * a * a;
        sum += logNormal(xEven, 1) + logNormal(xOdd, 1);
      }
      return sum;
    });
    assertRowsClose(t.logDensity(tf.tensor2d(xs)).arraySync(), want, 1e-5, 'flow_mcmc banana');
  });

  test('2-D: exp(logDensity) integrates to 1 (u = x2 + b (x1^2 - s^2) substitution, midpoint grid)', () => {
    const s = 2;
    const b = 0.5;
    const t = banana({ curvature: b, scale: s });
    const k = 800;
    const h1 = (16 * s) / k;
    const hu = 16 / k;
    const pts = new Float32Array(k * k * 2);
    for (let i = 0; i < k; i++) {
      const x1 = -8 * s + (i + 0.5) * h1;
      for (let j = 0; j < k; j++) {
        pts[2 * (i * k + j)] = x1;
        pts[2 * (i * k + j) + 1] = -8 + (j + 0.5) * hu - b * (x1 * x1 - s * s);
      }
    }
    const x = tf.tensor2d(pts, [k * k, 2]);
    const ld = t.logDensity(x).dataSync();
    let sum = 0;
    for (const v of ld) sum += Math.exp(v);
    assert.ok(Math.abs(Math.log(sum * h1 * hu)) < 1e-4, `log integral ${Math.log(sum * h1 * hu)}`);
    x.dispose();
  });

  test('gradient: analytic = autodiff = float64 closed form; second order through autodiff twice', () => {
    const t = banana({ dim: 5, curvature: 0.2, scale: 2, twistedPairs: 2 });
    const xs = randomPoints(30, 16, 5, [1.5, 1]);
    checkGradient(t, xs, (x) => referenceGrad(x, 0.2, 2, 2));
    checkSecondOrder(t, xs, [0.3, -0.6, 0.4, 0.1, -0.2]);
    const t2 = banana();
    checkGradient(t2, randomPoints(31, 8, 2, [10, 1]), (x) => referenceGrad(x, 0.1, 10, 1));
  });

  test('exact samples: moments incl. the sign-sensitive E[x2 x1^2] = -2 b s^4 within 4 MC standard errors, KS', () => {
    const s = 3;
    const b = 0.1;
    const t = banana({ dim: 5, curvature: b, scale: s, twistedPairs: 2 });
    const n = 40000;
    const xs = t.sample(key(40), n);
    assert.deepEqual(xs.shape, [n, 5]);
    const v = xs.dataSync() as Float32Array;
    const col = (j: number) => Float64Array.from({ length: n }, (_, i) => v[5 * i + j]);
    const mean = (a: Float64Array) => a.reduce((p, q) => p + q, 0) / a.length;
    const sd = (a: Float64Array) => {
      const m = mean(a);
      return Math.sqrt(a.reduce((p, q) => p + (q - m) ** 2, 0) / a.length);
    };
    for (const pair of [0, 1]) {
      const x1 = col(2 * pair);
      const x2 = col(2 * pair + 1);
      assert.ok(Math.abs(mean(x1)) < (Z * s) / Math.sqrt(n), `mean x1 pair ${pair}`);
      assert.ok(Math.abs(mean(x2)) < (Z * Math.sqrt(t.variance![1])) / Math.sqrt(n), `mean x2 pair ${pair}`);
      // E x^2 against the closed-form variances; sd of x^2 estimated from the sample
      for (const [x, truth] of [[x1, s * s], [x2, 1 + 2 * b * b * s ** 4]] as const) {
        const sq = x.map((q) => q * q);
        assert.ok(Math.abs(mean(sq) - truth) < (Z * sd(sq)) / Math.sqrt(n), `E x^2 = ${mean(sq)} vs ${truth}`);
      }
      const prod = x2.map((q, i) => q * x1[i] * x1[i]);
      assert.ok(Math.abs(mean(prod) + 2 * b * s ** 4) < (Z * sd(prod)) / Math.sqrt(n), `E[x2 x1^2] ${mean(prod)}`);
      // KS: x1 / s and the untwisted x2 + b (x1^2 - s^2) are N(0, 1)
      assert.ok(ksOneSample(x1.map((q) => q / s), normalCdf).pValue > 1e-4, 'KS x1');
      assert.ok(ksOneSample(x2.map((q, i) => q + b * (x1[i] ** 2 - s * s)), normalCdf).pValue > 1e-4, 'KS untwisted x2');
    }
    assert.ok(Math.abs(mean(col(4))) < Z / Math.sqrt(n), 'mean free coordinate');
    assert.deepEqual(t.mean, [0, 0, 0, 0, 0]);
    assertRowsClose(t.variance!, [9, 1 + 2 * b * b * 81, 9, 1 + 2 * b * b * 81, 1], 1e-12, 'variance');
    xs.dispose();
  });

  test('Haario presets; same key -> same samples; tensor count flat over 100 evaluations', () => {
    assert.equal(banana(bananaPresets.haarioStrong).dim, 8);
    assert.ok(Math.abs(banana(bananaPresets.haarioModerate).variance![1] - (1 + 2 * 0.03 ** 2 * 1e4)) < 1e-9);
    const t = banana({ dim: 3 });
    assert.deepEqual(t.sample(key(9), 20).arraySync(), t.sample(key(9), 20).arraySync());
    assert.notDeepEqual(t.sample(key(9), 20).arraySync(), t.sample(key(10), 20).arraySync());
    const x = tf.tensor2d(randomPoints(8, 8, 3, [5, 1]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const { logDensity, grad } = t.logDensityAndGrad!(x);
      tf.dispose([logDensity, grad, t.logDensity(x), t.gradLogDensity!(x), t.sample(key(i), 4)]);
    }
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  test('bad inputs name the option, the value and what was expected', () => {
    assert.throws(() => banana({ dim: 1 }), /banana: option "dim" = 1, expected an integer >= 2/);
    assert.throws(() => banana({ curvature: Infinity }), /banana: option "curvature" = Infinity, expected a finite number/);
    assert.throws(() => banana({ scale: -1 }), /banana: option "scale" = -1, expected a finite number > 0/);
    assert.throws(() => banana({ dim: 5, twistedPairs: 3 }), /option "twistedPairs" = 3, expected an integer in \[1, 2\]/);
    assert.throws(() => banana({ twistedPairs: 0 }), /option "twistedPairs" = 0/);
    const t = banana({ dim: 4 });
    assert.throws(() => t.logDensity(tf.zeros([2, 3]) as tf.Tensor2D), /banana.logDensity: option "x" has shape \[2, 3\], expected \[n, 4\]/);
    assert.throws(() => t.sample(key(0), 1.5), /banana.sample: option "n" = 1.5, expected an integer >= 0/);
  });
});
