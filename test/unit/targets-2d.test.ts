/**
 * lib/targets/gaussians2d.ts and rings.ts: parameters against the specs, log Z by 2-D grid quadrature (and, for
 * rings with a non-negligible radius truncation, by 1-D Simpson quadrature along random rays), gradients against
 * autodiff, exact samplers by KS tests and moments, mode assignment against the exact partition masses on exact
 * samples (binomial standard errors, z = 4), determinism, memory and bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, split, uniformArray } from '../../lib/core/random.js';
import { ksOneSample } from '../../lib/metrics/ks.js';
import { eightGaussians, manyModes } from '../../lib/targets/gaussians2d.js';
import { rings, ringsLrds, ringsSlips } from '../../lib/targets/rings.js';
import type { Target } from '../../lib/targets/target.js';
import { onBackends, TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { checkFrequencies } from '../helpers/stats.js';

const Z = 4;

/**
 * log of the midpoint-rule integral of exp(logDensity) over the square [-half, half]^2 with spacing h (cell
 * centres: the origin, where the rings density has its integrable 1/|x| spike, is never a node).
 */
function gridLogIntegral(target: Target, half: number, h: number): number {
  const m = Math.round((2 * half) / h);
  const grid = new Float32Array(m * m * 2);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      grid[2 * (i * m + j)] = -half + (i + 0.5) * h;
      grid[2 * (i * m + j) + 1] = -half + (j + 0.5) * h;
    }
  }
  const x = tf.tensor2d(grid, [m * m, 2]);
  const ld = target.logDensity(x);
  const values = ld.dataSync();
  let sum = 0;
  for (const v of values) sum += Math.exp(v);
  tf.dispose([x, ld]);
  return Math.log(sum * h * h);
}

/**
 * Simpson's rule for int_lo^hi 2 pi r p(r u_theta) dr (m odd nodes) along the ray at angle theta: the mass of the
 * annulus lo < |x| < hi for a radially symmetric density (the integrand is smooth: the r cancels the 1/|x|).
 */
function rayIntegral(target: Target, theta: number, lo: number, hi: number, m = 2001): number {
  const h = (hi - lo) / (m - 1);
  const pts = new Float32Array(2 * m);
  const radius = (i: number) => Math.max(lo + i * h, 1e-4);
  for (let i = 0; i < m; i++) {
    pts[2 * i] = radius(i) * Math.cos(theta);
    pts[2 * i + 1] = radius(i) * Math.sin(theta);
  }
  const x = tf.tensor2d(pts, [m, 2]);
  const ld = target.logDensity(x);
  const lv = ld.dataSync();
  let s = 0;
  for (let i = 0; i < m; i++) {
    s += 2 * Math.PI * radius(i) * Math.exp(lv[i]) * (i === 0 || i === m - 1 ? 1 : i % 2 === 1 ? 4 : 2);
  }
  tf.dispose([x, ld]);
  return (s * h) / 3;
}

function checkGradient(target: Target, xs: number[][]) {
  const x = tf.tensor2d(xs);
  const g = (target.gradLogDensity as (x: tf.Tensor2D) => tf.Tensor2D)(x).arraySync().flat();
  const auto = (tf.grad((xi: tf.Tensor) => tf.sum(target.logDensity(xi as tf.Tensor2D)))(x).arraySync() as number[][]).flat();
  g.forEach((v, i) => assert.ok(Math.abs(v - auto[i]) < 1e-4 * (1 + Math.abs(auto[i])), `${target.name} grad ${i}: ${v} vs ${auto[i]}`));
  const both = (target.logDensityAndGrad as (x: tf.Tensor2D) => { logDensity: tf.Tensor1D; grad: tf.Tensor2D })(x);
  assert.deepEqual(both.grad.arraySync().flat(), g);
  assert.deepEqual(both.logDensity.arraySync(), target.logDensity(x).arraySync());
  tf.dispose([x, both.grad, both.logDensity]);
}

/** Points spread over [-r, r]^2 (avoiding the origin). */
function spreadPoints(seed: number, n: number, r: number): number[][] {
  const u = uniformArray(key(seed), 2 * n);
  return Array.from({ length: n }, (_, i) => [r * (2 * u[2 * i] - 1) + 0.01, r * (2 * u[2 * i + 1] - 1)]);
}

describe('eightGaussians and manyModes', () => {
  before(() => useBackend('wasm'));

  test('eightGaussians: means 10 (sin(i pi/4), cos(i pi/4)), variance 0.7, equal weights; logZ = 0 by grid', () => {
    const t = eightGaussians();
    assert.equal(t.numComponents, 8);
    const m = t.components.means;
    assert.deepEqual(m[0], [0, 10]);
    assert.ok(Math.abs(m[2][0] - 10) < 1e-14 && Math.abs(m[2][1]) < 1e-14, `mean 2 ${m[2]}`);
    assert.ok(Math.abs(m[1][0] - 10 / Math.SQRT2) < 1e-14 && Math.abs(m[1][1] - 10 / Math.SQRT2) < 1e-14);
    assert.deepEqual(t.components.variances, new Array(8).fill([0.7, 0.7]));
    assert.deepEqual(t.componentWeights, new Array(8).fill(1 / 8));
    assert.equal(t.logZ, 0);
    t.mean.forEach((v) => assert.ok(Math.abs(v) < 1e-14));
    t.variance.forEach((v) => assert.ok(Math.abs(v - 50.7) < 1e-12, `variance ${v}`));
    // Spacing 0.05 = std / 17 and a box 4.8 std beyond the outermost means: trapezoid error far below float32.
    const logInt = gridLogIntegral(t, 14, 0.05);
    assert.ok(Math.abs(logInt - t.logZ) < 1e-4, `log integral ${logInt}`);
    const custom = eightGaussians({ radius: 4, variance: 0.3 });
    assert.deepEqual(custom.components.means[4].map((v) => Math.round(v * 1e12) / 1e12), [0, -4]);
    assert.deepEqual(custom.components.variances?.[0], [0.3, 0.3]);
  });

  test('eightGaussians: exact samples assigned to each mode with frequency 1/8 (binomial sd)', async () => {
    const t = eightGaussians();
    const n = 24000;
    const x = t.sample(key(2), n);
    checkFrequencies(await t.modes.assign(x), t.modes.weights, 'eightGaussians', Z);
    const v = x.dataSync();
    let m2 = 0;
    let m4 = 0;
    for (let i = 0; i < n; i++) {
      m2 += v[2 * i] ** 2 / n;
      m4 += v[2 * i] ** 4 / n;
    }
    // sd of the mean of x_0^2 from its sample variance.
    assert.ok(Math.abs(m2 - t.variance[0]) < Z * Math.sqrt((m4 - m2 * m2) / n), `E x_0^2 ${m2}`);
    x.dispose();
  });

  test('manyModes: weights proportional to factor^(k/(n-1)), means in [-n, n]^d from the key, normalised', () => {
    const t = manyModes(5, 3);
    const w = t.componentWeights;
    for (let k = 1; k < 5; k++) assert.ok(Math.abs(w[k] / w[0] - 3 ** (k / 4)) < 1e-12, `ratio ${k}`);
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-15);
    assert.equal(t.logZ, 0);
    t.components.means.flat().forEach((v) => assert.ok(v >= -5 && v <= 5, `mean entry ${v}`));
    assert.deepEqual(t.components.variances?.[0], [0.5, 0.5, 0.5]);
    assert.deepEqual(manyModes(5, 3).components.means, t.components.means);
    assert.notDeepEqual(manyModes(5, 3, { key: key(7) }).components.means, t.components.means);
    const two = manyModes(4, 2, { factor: 2, variance: 0.2, key: key(3) });
    assert.ok(Math.abs(two.componentWeights[3] / two.componentWeights[0] - 2) < 1e-12);
    assert.deepEqual(manyModes(1, 2).componentWeights, [1]);
    assert.equal(t.assignBy, 'likelihood');
  });

  test('bad inputs give errors naming the option, the value and what was expected', () => {
    assert.throws(() => eightGaussians({ radius: 0 }), /eightGaussians: option "radius" = 0, expected a finite number > 0/);
    assert.throws(() => eightGaussians({ variance: -0.7 }), /option "variance" = -0.7, expected a finite number > 0/);
    assert.throws(() => manyModes(0, 2), /manyModes: option "numModes" = 0, expected an integer >= 1/);
    assert.throws(() => manyModes(3, 0), /option "dim" = 0, expected an integer >= 1/);
    assert.throws(() => manyModes(3, 2, { factor: NaN }), /option "factor" = NaN/);
    assert.throws(() => manyModes(3, 2, { key: 5 as unknown as [number, number] }), /option "key" = 5, expected a Key/);
    const t = eightGaussians();
    assert.throws(() => t.logDensity(tf.zeros([4, 3]) as tf.Tensor2D), /option "x" has shape \[4, 3\], expected \[n, 2\]/);
  });
});

describe('rings', () => {
  before(() => useBackend('wasm'));

  // Asymmetric, overlapping rings whose innermost radial component loses 0.8% of its mass below r = 0.
  const custom = () => rings({ radii: [0.6, 1.5, 2.5], std: 0.25, weights: [7, 2, 1] });

  test('presets: SLIPS radii 1..4, std 0.15, equal weights; LRDS radii 1, 3, 5, std 0.1, weights 1/9, 3/9, 5/9', () => {
    const s = ringsSlips();
    assert.deepEqual(s.radii, [1, 2, 3, 4]);
    assert.equal(s.std, 0.15);
    assert.deepEqual(s.ringWeights, [0.25, 0.25, 0.25, 0.25]);
    assert.equal(s.assignBy, 'radius');
    assert.ok(Math.abs(s.logZ) < 1e-10, `slips logZ ${s.logZ}`);
    const l = ringsLrds();
    assert.deepEqual(l.radii, [1, 3, 5]);
    assert.equal(l.std, 0.1);
    [1 / 9, 3 / 9, 5 / 9].forEach((w, k) => assert.ok(Math.abs(l.ringWeights[k] - w) < 1e-15));
    assert.equal(l.assignBy, 'squaredRadius');
    assert.deepEqual(ringsLrds({ equilibrated: true }).ringWeights, [1 / 3, 1 / 3, 1 / 3]);
    // Well-separated rings: the partition masses are the ring weights.
    l.modes.weights.forEach((w, k) => assert.ok(Math.abs(w - l.ringWeights[k]) < 1e-12, `lrds mode weight ${k}`));
  });

  test('logZ: 2-D grid quadrature for the presets, Simpson along random rays for a truncated case', () => {
    for (const t of [ringsSlips(), ringsLrds()]) {
      // Spacing std / 7.5 (resp. / 5); the box reaches 6 std beyond the outer ring.
      const logInt = gridLogIntegral(t, t.radii[t.radii.length - 1] + 6 * t.std, 0.02);
      assert.ok(Math.abs(logInt - t.logZ) < 1e-4, `${t.name}: log integral ${logInt} vs ${t.logZ}`);
    }
    // int p = int_0^inf 2 pi r p(r u) dr for any unit u (radial symmetry, checked along 8 random directions).
    const t = custom();
    assert.ok(t.logZ < -0.005, `the truncation must matter here: logZ ${t.logZ}`);
    for (const u of uniformArray(key(3), 8)) {
      // Simpson error ~ h^4 f'''' is ~1e-12 here; the float32 log-density adds ~1e-6 relative.
      const logInt = Math.log(rayIntegral(t, 2 * Math.PI * u, 0, 2.5 + 10 * 0.25, 4001));
      assert.ok(Math.abs(logInt - t.logZ) < 1e-5, `direction ${2 * Math.PI * u}: log integral ${logInt} vs ${t.logZ}`);
    }
  });


  test('exact samples: KS of the radius against the exact radial CDF and of the angle; second moments', () => {
    const t = custom();
    const n = 30000;
    const x = t.sample(key(6), n);
    const v = x.dataSync();
    const radius = new Float64Array(n);
    const angle = new Float64Array(n);
    let m0 = 0;
    let m2 = 0;
    let m4 = 0;
    for (let i = 0; i < n; i++) {
      radius[i] = Math.hypot(v[2 * i], v[2 * i + 1]);
      angle[i] = Math.atan2(v[2 * i + 1], v[2 * i]);
      m0 += v[2 * i] / n;
      m2 += v[2 * i] ** 2 / n;
      m4 += v[2 * i] ** 4 / n;
    }
    const ksR = ksOneSample(radius, (r) => t.radialCdf(r));
    assert.ok(ksR.pValue > 1e-4, `radius KS p = ${ksR.pValue}`);
    const ksA = ksOneSample(angle, (a) => Math.min(1, Math.max(0, (a + Math.PI) / (2 * Math.PI))));
    assert.ok(ksA.pValue > 1e-4, `angle KS p = ${ksA.pValue}`);
    assert.ok(Math.abs(m0) < Z * Math.sqrt(t.variance[0] / n), `mean ${m0}`);
    assert.ok(Math.abs(m2 - t.variance[0]) < Z * Math.sqrt((m4 - m2 * m2) / n), `E x^2 ${m2} vs ${t.variance[0]}`);
    // A sampler without the truncation would put mass below r = 0: all radii must be >= 0 and the smallest ones
    // follow the truncated law (covered by the KS test); determinism:
    assert.deepEqual(Array.from(t.sample(key(6), 50).dataSync()), Array.from(v.slice(0, 100)));
    assert.notDeepEqual(Array.from(t.sample(key(7), 50).dataSync()), Array.from(v.slice(0, 100)));
    x.dispose();
  });

  test('modes: exact partition masses (both rules) matched by assignments of exact samples', async () => {
    const n = 30000;
    for (const assignBy of ['radius', 'squaredRadius'] as const) {
      const t = rings({ radii: [0.6, 1.5, 2.5], std: 0.25, weights: [7, 2, 1], assignBy });
      const total = t.modes.weights.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-12, `mode weights sum ${total}`);
      // Each mass by quadrature of the density between the partition boundaries (normalised by Z).
      const r = t.radii;
      const cut = (k: number) =>
        assignBy === 'radius' ? (r[k] + r[k + 1]) / 2 : Math.sqrt((r[k] ** 2 + r[k + 1] ** 2) / 2);
      const edges = [0, cut(0), cut(1), 2.5 + 10 * 0.25];
      const mass0 = Math.exp(t.logZ);
      t.modes.weights.forEach((w, j) => {
        const mass = rayIntegral(t, 0.7, edges[j], edges[j + 1]) / mass0;
        assert.ok(Math.abs(mass - w) < 1e-5, `${assignBy} mode ${j}: quadrature ${mass} vs ${w}`);
      });
      // Overlapping rings: the partition masses differ from the ring weights.
      assert.ok(Math.abs(t.modes.weights[0] - t.ringWeights[0]) > 1e-3, `${assignBy}: ${t.modes.weights}`);
      const [k] = split(key(8));
      const x = t.sample(k, n);
      checkFrequencies(await t.modes.assign(x), t.modes.weights, assignBy, Z);
      x.dispose();
    }
    const l = ringsLrds();
    const x = l.sample(key(9), n);
    checkFrequencies(await l.modes.assign(x), l.modes.weights, 'ringsLrds', Z);
    x.dispose();
  });

  test('tensor count flat over 100 evaluations; logDensity finite at the origin', async () => {
    const t = ringsSlips();
    const x = tf.tensor2d([
      [0, 0],
      [1, 0.5],
      [-3, 2],
    ]);
    const ld = t.logDensity(x).arraySync();
    assert.ok(ld.every(Number.isFinite), `logDensity ${ld}`);
    assert.ok(t.gradLogDensity(x).arraySync().flat().every(Number.isFinite));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const { logDensity, grad } = t.logDensityAndGrad(x);
      tf.dispose([logDensity, grad, t.logDensity(x), t.gradLogDensity(x), t.sample(key(i), 4)]);
      await t.modes.assign(x);
    }
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });

  test('bad inputs give errors naming the option, the value and what was expected', async () => {
    assert.throws(() => rings({ radii: [2, 1], std: 0.1 }), /rings: option "radii" = \[2,1\], expected strictly increasing radii > 0/);
    assert.throws(() => rings({ radii: [0, 1], std: 0.1 }), /option "radii\[0\]" = 0, expected a finite number > 0/);
    assert.throws(() => rings({ radii: [], std: 0.1 }), /option "radii" = \[\], expected an array of length >= 1/);
    assert.throws(() => rings({ radii: [1, 2], std: 0 }), /option "std" = 0, expected a finite number > 0/);
    assert.throws(() => rings({ radii: [1, 2], std: 0.1, weights: [1] }), /option "weights" = \[1\], expected an array of length 2/);
    assert.throws(() => rings({ radii: [1, 2], std: 0.1, weights: [1, -1] }), /option "weights\[1\]" = -1/);
    assert.throws(
      () => rings({ radii: [1, 2], std: 0.1, assignBy: 'angle' as 'radius' }),
      /option "assignBy" = "angle", expected 'radius' or 'squaredRadius'/,
    );
    assert.throws(() => ringsLrds({ equilibrated: 1 as unknown as boolean }), /ringsLrds: option "equilibrated" = 1, expected a boolean/);
    const t = ringsSlips();
    assert.throws(() => t.logDensity(tf.zeros([4, 3]) as tf.Tensor2D), /option "x" has shape \[4, 3\], expected \[n, 2\]/);
    await assert.rejects(() => t.modes.assign(tf.zeros([4]) as unknown as tf.Tensor2D), /expected \[n, 2\]/);
    assert.throws(() => t.sample(key(0), NaN), /option "n" = NaN, expected an integer >= 0/);
  });
});

describe('gradients on every test backend', () => {
  onBackends(TEST_BACKENDS, (backend) => {
    test(`${backend}: analytic gradients equal autodiff of logDensity (eight Gaussians, rings)`, () => {
      checkGradient(eightGaussians(), spreadPoints(1, 40, 12));
      checkGradient(rings({ radii: [0.6, 1.5, 2.5], std: 0.25, weights: [7, 2, 1] }), spreadPoints(4, 40, 3));
      checkGradient(ringsLrds(), spreadPoints(5, 40, 5.5));
    });
  });
});
