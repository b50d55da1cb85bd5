/**
 * lib/targets/mixture.ts, noisedMixture.ts and twoModes.ts.
 *
 * Checks against float64 closed forms (mixture log-density, responsibilities, posterior of X given the noised Y),
 * autodiff (gradients, score, Hessian), the two device code paths against each other (diagonal vs full), log Z by
 * importance sampling, exact samplers by moments and KS tests on asymmetric mixtures (weights 0.7/0.2/0.1,
 * unequal covariances), mode assignment on exact samples against the exact partition masses (binomial standard
 * errors), Tweedie identities of the noised mixture, determinism, memory and bad inputs.
 * Tolerances for Monte Carlo estimates: |estimate - truth| < Z * sd / sqrt(n), Z = 4 (sd analytic where known).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { cholesky, choleskySolve, gaussianLogDensity, inverseSpd, matmul, matrix, type Matrix } from '../../lib/core/linalg.js';
import { key, normalArray, split } from '../../lib/core/random.js';
import { normalCdf } from '../../lib/core/special.js';
import { ksOneSample } from '../../lib/metrics/ks.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { gaussianMixture, type GaussianMixtureTarget } from '../../lib/targets/mixture.js';
import { diagPlusLowRankToDense, noisedMixture, veMarginal, vpMarginal } from '../../lib/targets/noisedMixture.js';
import { bracketTwoModes, twoModes, twoModesLrds, twoModesSlips } from '../../lib/targets/twoModes.js';
import { onBackends, TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { checkFrequencies } from '../helpers/stats.js';

const Z = 4;

// Asymmetric fixtures: unnormalised weights 0.7/0.2/0.1 (sum 5), unequal covariances, partly overlapping modes.
const WEIGHTS = [3.5, 1, 0.5];
const MEANS = [
  [0, 0, 1],
  [2.5, -1, 0],
  [-1, 3, -2],
];
const DIAG_COVS = [0.5, [0.3, 1.2, 0.8], 2.0];
const FULL_COVS = [
  [
    [1.0, 0.4, -0.2],
    [0.4, 0.6, 0.1],
    [-0.2, 0.1, 0.8],
  ],
  [0.3, 1.2, 0.8],
  0.4,
];

function asMatrix(spec: number | number[] | number[][], d: number): Matrix {
  if (typeof spec === 'number') return matrix(d, d, Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? spec : 0)));
  if (Array.isArray(spec[0])) return matrix(d, d, spec as number[][]);
  return matrix(d, d, Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? (spec as number[])[i / (d + 1)] : 0)));
}

const diagMixture = () => gaussianMixture({ weights: WEIGHTS, means: MEANS, covariances: DIAG_COVS });
const fullMixture = () => gaussianMixture({ weights: WEIGHTS, means: MEANS, covariances: FULL_COVS });

function logSumExp64(v: number[]): number {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, t) => s + Math.exp(t - m), 0));
}

/** float64 log-density and responsibilities of sum_k w_k N(mu_k, S_k) at x. */
function mixture64(x: number[], weights: number[], means: number[][], covs: Matrix[]) {
  const d = x.length;
  const terms = weights.map((w, k) => Math.log(w) + gaussianLogDensity(matrix(1, d, x), means[k], covs[k])[0]);
  const lse = logSumExp64(terms);
  return { logDensity: lse, responsibilities: terms.map((t) => Math.exp(t - lse)) };
}

function randomPoints(seed: number, n: number, d: number, scale: number, centre: number[]): number[][] {
  const z = normalArray(key(seed), n * d);
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => centre[j] + scale * z[i * d + j]));
}

function assertClose(got: number, want: number, tol: number, what: string) {
  assert.ok(Math.abs(got - want) <= tol * (1 + Math.abs(want)), `${what}: ${got} vs ${want} (tol ${tol})`);
}

/** Coordinate-j marginal CDF of a mixture: sum_k wbar_k Phi((t - mu_kj) / sqrt(S_k,jj)). */
function marginalCdf(target: GaussianMixtureTarget, j: number): (t: number) => number {
  const { means, covariances } = target.components;
  const d = target.dim;
  return (t) =>
    target.componentWeights.reduce(
      (s, w, k) => s + w * normalCdf((t - means[k][j]) / Math.sqrt(covariances[k].data[j * d + j])),
      0,
    );
}

/** Check per-coordinate sample mean and variance against the target's `mean` / `variance` (z = 4). */
function checkMoments(target: GaussianMixtureTarget, samples: Float32Array | Float64Array, n: number) {
  const d = target.dim;
  const { means, covariances } = target.components;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += samples[i * d + j] / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (samples[i * d + j] - target.mean[j]) ** 2 / n;
    // 4th central moment of the mixture coordinate: sum_k w_k (delta^4 + 6 delta^2 s^2 + 3 s^4).
    let mu4 = 0;
    target.componentWeights.forEach((w, k) => {
      const delta = means[k][j] - target.mean[j];
      const s2 = covariances[k].data[j * d + j];
      mu4 += w * (delta ** 4 + 6 * delta ** 2 * s2 + 3 * s2 * s2);
    });
    const sdMean = Math.sqrt(target.variance[j] / n);
    const sdVar = Math.sqrt((mu4 - target.variance[j] ** 2) / n);
    assert.ok(Math.abs(m - target.mean[j]) < Z * sdMean, `mean[${j}] ${m} vs ${target.mean[j]} (sd ${sdMean})`);
    assert.ok(Math.abs(v - target.variance[j]) < Z * sdVar, `variance[${j}] ${v} vs ${target.variance[j]} (sd ${sdVar})`);
  }
}

describe('gaussianMixture', () => {
  before(() => useBackend('wasm'));

  test('logDensity and responsibilities equal the float64 mixture formula; logZ = log sum w', () => {
    for (const [mix, covs] of [
      [diagMixture(), DIAG_COVS],
      [fullMixture(), FULL_COVS],
    ] as const) {
      const S = covs.map((c) => asMatrix(c as number | number[] | number[][], 3));
      const xs = randomPoints(11, 40, 3, 2, [0.5, 0.5, 0]);
      const x = tf.tensor2d(xs);
      const ld = mix.logDensity(x).arraySync();
      const r = mix.responsibilities(x).arraySync();
      const logR = mix.logResponsibilities(x).arraySync();
      for (let i = 0; i < xs.length; i++) {
        const want = mixture64(xs[i], WEIGHTS, MEANS, S);
        assertClose(ld[i], want.logDensity, 1e-5, `${mix.name} logDensity row ${i}`);
        for (let k = 0; k < 3; k++) {
          assert.ok(Math.abs(r[i][k] - want.responsibilities[k]) < 1e-5, `${mix.name} r[${i}][${k}]`);
          assert.ok(Math.abs(Math.exp(logR[i][k]) - r[i][k]) < 1e-5, `${mix.name} exp(log r)[${i}][${k}]`);
        }
      }
      assert.equal(mix.logZ, Math.log(5));
      assert.deepEqual(mix.componentWeights, [0.7, 0.2, 0.1]);
      x.dispose();
      mix.dispose();
    }
    assert.equal(diagMixture().components.kind, 'diagonal');
    assert.equal(fullMixture().components.kind, 'full');
  });

  test('the diagonal and full device paths agree on the same mixture', () => {
    const diag = diagMixture();
    const full = gaussianMixture({ weights: WEIGHTS, means: MEANS, covariances: DIAG_COVS.map((c) => asMatrix(c, 3)) });
    assert.equal(full.components.kind, 'full');
    const x = tf.tensor2d(randomPoints(12, 30, 3, 2, [0.5, 0.5, 0]));
    const pairs: [number[] | number[][], number[] | number[][]][] = [
      [diag.logDensity(x).arraySync(), full.logDensity(x).arraySync()],
      [diag.gradLogDensity(x).arraySync(), full.gradLogDensity(x).arraySync()],
      [diag.sample(key(5), 50).arraySync(), full.sample(key(5), 50).arraySync()],
    ];
    for (const [p, q] of pairs) {
      const a = p.flat();
      const b = q.flat();
      a.forEach((v, i) => assertClose(v, b[i], 1e-5, 'diag vs full'));
    }
    x.dispose();
  });

  test('logZ by importance sampling (full kind, unnormalised weights): within 4 standard errors', () => {
    const mix = fullMixture();
    const proposal = gaussian(mix.mean, mix.variance.map((v) => 3 * v));
    const n = 100000;
    const xs = proposal.sample(key(14), n);
    const lp = mix.logDensity(xs).dataSync();
    const lq = proposal.logDensity(xs).dataSync();
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp(lp[i] - lq[i]);
      sum += w;
      sum2 += w * w;
    }
    const zHat = sum / n;
    const sd = Math.sqrt(sum2 / n - zHat * zHat);
    const zTrue = Math.exp(mix.logZ);
    assert.ok(Math.abs(zHat - zTrue) < Z * (sd / Math.sqrt(n)), `Z ${zHat} vs ${zTrue} (se ${sd / Math.sqrt(n)})`);
    xs.dispose();
    proposal.dispose();
    mix.dispose();
  });

  test('exact samples: moments and coordinate KS tests (both kinds), components with the right frequencies', () => {
    const n = 30000;
    for (const mix of [diagMixture(), fullMixture()]) {
      const { x, components } = mix.sampleWithComponents(key(15), n);
      const v = x.dataSync() as Float32Array;
      checkMoments(mix, v, n);
      for (let j = 0; j < 3; j++) {
        const col = new Float64Array(n);
        for (let i = 0; i < n; i++) col[i] = v[3 * i + j];
        const ks = ksOneSample(col, marginalCdf(mix, j));
        assert.ok(ks.pValue > 1e-4, `${mix.name} KS coordinate ${j}: p = ${ks.pValue}`);
      }
      checkFrequencies(components.dataSync(), [0.7, 0.2, 0.1], `${mix.name} components`, Z);
      tf.dispose([x, components]);
      mix.dispose();
    }
  });

  test('modes.assign on exact samples recovers the weights (separated modes, both rules)', async () => {
    const n = 20000;
    for (const assignBy of ['responsibility', 'likelihood'] as const) {
      const mix = gaussianMixture({
        weights: [0.7, 0.2, 0.1],
        means: [
          [0, 0],
          [10, 0],
          [0, -14],
        ],
        covariances: [0.5, [1, 0.3], [[1, 0.5], [0.5, 2]]],
        assignBy,
      });
      // Every pairwise boundary is > 5.5 component stds from each mean, so the overlap mass is < 1e-7: the
      // partition masses equal the weights far below the binomial sd (3e-3 at n = 2e4), and the expected number of
      // misassigned samples is < 0.01.
      assert.equal(mix.modeWeightsExact, false);
      const { x, components } = mix.sampleWithComponents(key(16), n);
      const labels = await mix.modes.assign(x);
      checkFrequencies(labels, mix.modes.weights, assignBy, Z);
      const c = components.dataSync();
      let agree = 0;
      for (let i = 0; i < n; i++) agree += labels[i] === c[i] ? 1 : 0;
      assert.ok(agree >= n - 2, `assignments disagree with the true components ${n - agree} times`);
      tf.dispose([x, components]);
      mix.dispose();
    }
  });

  test('two overlapping modes with equal covariance: exact partition masses, matched on exact samples', async () => {
    const n = 40000;
    const cov = [
      [1, 0.3],
      [0.3, 0.5],
    ];
    for (const assignBy of ['responsibility', 'likelihood'] as const) {
      const mix = gaussianMixture({ weights: [0.7, 0.3], means: [[0, 0], [1.2, 0.4]], covariances: [cov, cov], assignBy });
      assert.equal(mix.modeWeightsExact, true);
      // Far from (0.7, 0.3): the modes overlap heavily.
      assert.ok(Math.abs(mix.modes.weights[0] - 0.7) > 0.03, `weights ${mix.modes.weights}`);
      const x = mix.sample(key(17), n);
      checkFrequencies(await mix.modes.assign(x), mix.modes.weights, assignBy, Z);
      x.dispose();
      mix.dispose();
    }
  });

  test('same key -> same samples; tensor count flat over 100 evaluations', async () => {
    const mix = fullMixture();
    assert.deepEqual(mix.sample(key(18), 64).arraySync(), mix.sample(key(18), 64).arraySync());
    assert.notDeepEqual(mix.sample(key(18), 64).arraySync(), mix.sample(key(19), 64).arraySync());
    const x = tf.tensor2d(randomPoints(20, 8, 3, 1, [0, 0, 0]));
    for (const m of [mix, diagMixture()]) {
      const before = tf.memory().numTensors;
      for (let i = 0; i < 100; i++) {
        const { logDensity, grad } = m.logDensityAndGrad(x);
        tf.dispose([logDensity, grad, m.logDensity(x), m.gradLogDensity(x), m.responsibilities(x), m.sample(key(i), 4)]);
        await m.modes.assign(x);
      }
      assert.equal(tf.memory().numTensors, before, m.name);
    }
    x.dispose();
  });

  test('bad inputs give errors naming the option, the value and what was expected', async () => {
    const ok = { weights: [1, 2], means: [[0, 0], [1, 1]], covariances: [1, 1] };
    assert.throws(() => gaussianMixture({ ...ok, weights: [1, 0] }), /gaussianMixture: option "weights\[1\]" = 0, expected a finite number > 0/);
    assert.throws(() => gaussianMixture({ ...ok, weights: [1, -2] }), /option "weights\[1\]" = -2/);
    assert.throws(() => gaussianMixture({ ...ok, weights: [1, NaN] }), /option "weights\[1\]" = NaN/);
    assert.throws(() => gaussianMixture({ ...ok, weights: [] }), /option "weights" = \[\], expected an array of length >= 1/);
    assert.throws(() => gaussianMixture({ ...ok, means: [[0, 0]] }), /option "means" .*expected an array of K = 2 means/);
    assert.throws(() => gaussianMixture({ ...ok, means: [[0, 0], [1]] }), /option "means\[1\]" = \[1\], expected an array of length 2/);
    assert.throws(() => gaussianMixture({ ...ok, means: [[], []] }), /option "means\[0\]" = \[\], expected an array of length >= 1/);
    assert.throws(() => gaussianMixture({ ...ok, covariances: [1] }), /option "covariances" = \[1\], expected an array of K = 2/);
    assert.throws(() => gaussianMixture({ ...ok, covariances: [1, [1, 2, 3]] }), /option "covariances\[1\]" .*expected an array of length 2/);
    assert.throws(() => gaussianMixture({ ...ok, covariances: [1, 0] }), /option "covariances\[1\]" = 0, expected a variance > 0/);
    assert.throws(
      () => gaussianMixture({ ...ok, covariances: [1, [[1, 3], [3, 1]]] }),
      /option "covariances\[1\]" is not a valid covariance \(.*not positive definite/,
    );
    assert.throws(
      () => gaussianMixture({ ...ok, assignBy: 'nearest' as 'likelihood' }),
      /option "assignBy" = "nearest", expected 'responsibility' or 'likelihood'/,
    );
    const mix = gaussianMixture(ok);
    assert.throws(() => mix.logDensity(tf.zeros([2, 3]) as tf.Tensor2D), /option "x" has shape \[2, 3\], expected \[n, 2\]/);
    assert.throws(() => mix.responsibilities([[0, 0]] as unknown as tf.Tensor2D), /option "x" = 0,0, expected a tf.Tensor/);
    await assert.rejects(() => mix.modes.assign(tf.zeros([2]) as unknown as tf.Tensor2D), /expected \[n, 2\]/);
    assert.throws(() => mix.sample(key(0), -3), /option "n" = -3, expected an integer >= 0/);
  });
});

describe('gaussianMixture gradients on every test backend', () => {
  onBackends(TEST_BACKENDS, (backend) => {
    test(`${backend}: gradient = float64 -sum_k r_k Sigma_k^{-1}(x - mu_k) = autodiff of logDensity (both kinds)`, () => {
      for (const [mix, covs] of [
        [diagMixture(), DIAG_COVS],
        [fullMixture(), FULL_COVS],
      ] as const) {
        const S64 = covs.map((c) => asMatrix(c as number | number[] | number[][], 3));
        const xs = randomPoints(13, 30, 3, 2, [0.5, 0.5, 0]);
        const x = tf.tensor2d(xs);
        const g = mix.gradLogDensity(x).arraySync();
        const auto = tf.grad((xi: tf.Tensor) => tf.sum(mix.logDensity(xi as tf.Tensor2D)))(x).arraySync() as number[][];
        xs.forEach((xi, i) => {
          const { responsibilities: r } = mixture64(xi, WEIGHTS, MEANS, S64);
          const want = [0, 0, 0];
          S64.forEach((Sk, k) => {
            const solved = choleskySolve(cholesky(Sk), matrix(3, 1, xi.map((v, j) => v - MEANS[k][j]))).data;
            for (let j = 0; j < 3; j++) want[j] -= r[k] * solved[j];
          });
          for (let j = 0; j < 3; j++) {
            assertClose(g[i][j], want[j], 1e-4, `${mix.name} analytic grad [${i}][${j}]`);
            assertClose(auto[i][j], want[j], 1e-4, `${mix.name} autodiff grad [${i}][${j}]`);
          }
        });
        const both = mix.logDensityAndGrad(x);
        assert.deepEqual(both.grad.arraySync(), g);
        assert.deepEqual(both.logDensity.arraySync(), mix.logDensity(x).arraySync());
        tf.dispose([x, both.grad, both.logDensity]);
        mix.dispose();
      }
    });
  });
});

describe('twoModes presets', () => {
  before(() => useBackend('wasm'));

  test('twoModesSlips: centred means -(2/3) 1 and +(4/3) 1, covariance 0.05 I, weights 2/3, 1/3', async () => {
    const t = twoModesSlips(8);
    assert.equal(t.dim, 8);
    t.components.means[0].forEach((m) => assertClose(m, -2 / 3, 1e-15, 'mean 0'));
    t.components.means[1].forEach((m) => assertClose(m, 4 / 3, 1e-15, 'mean 1'));
    t.mean.forEach((m) => assert.ok(Math.abs(m) < 1e-15, `mixture mean ${m}`));
    assert.deepEqual(t.components.variances, [new Array(8).fill(0.05), new Array(8).fill(0.05)]);
    assertClose(t.componentWeights[0], 2 / 3, 1e-15, 'w0');
    // Mahalanobis distance 2 sqrt(8 / 0.05) = 25.3: the partition masses are the weights.
    assert.equal(t.modeWeightsExact, true);
    assertClose(t.modes.weights[0], 2 / 3, 1e-14, 'mode weight');
    const ablation = twoModesSlips(10, { a: 3, centered: false });
    assert.deepEqual(ablation.components.means, [new Array(10).fill(-3), new Array(10).fill(3)]);
    // modes on exact samples
    const x = t.sample(key(30), 20000);
    checkFrequencies(await t.modes.assign(x), t.modes.weights, 'twoModesSlips', Z);
    x.dispose();
  });

  test('twoModesLrds: means -/+ 1, shared covariance 0.05 diag(1 | logspace(-1, 0) | logspace(-2, 0))', () => {
    const none = twoModesLrds(5);
    assert.deepEqual(none.components.means, [new Array(5).fill(-1), new Array(5).fill(1)]);
    assert.deepEqual(none.components.variances?.[0], new Array(5).fill(0.05));
    const medium = twoModesLrds(5, 'medium').components.variances as number[][];
    const hard = twoModesLrds(5, 'hard').components.variances as number[][];
    [0.005, 0.05 * 10 ** -0.75, 0.05 * 10 ** -0.5, 0.05 * 10 ** -0.25, 0.05].forEach((v, j) => {
      assertClose(medium[0][j], v, 1e-14, `medium ${j}`);
      assertClose(medium[1][j], v, 1e-14, `medium mode 2 ${j}`);
    });
    assertClose(hard[0][0], 0.0005, 1e-14, 'hard first');
    assertClose(hard[0][4], 0.05, 1e-14, 'hard last');
    assert.equal(twoModesLrds(1, 'hard').components.variances?.[0][0], 0.0005);
    // E|x|^2 = d (1 + 0.05) for d = 5: the value recorded in the LRDS demo's metrics (5.25).
    const e2 = none.mean.reduce((s, m, j) => s + none.variance[j] + m * m, 0);
    assertClose(e2, 5.25, 1e-12, 'E|x|^2');
  });

  test('bracketTwoModes: variances linspace(0.01, 0.2, d) and reversed; weights 2/3, 1/3', () => {
    const t = bracketTwoModes(4);
    const v = t.components.variances as number[][];
    [0.01, 0.01 + 0.19 / 3, 0.01 + 0.38 / 3, 0.2].forEach((x, j) => {
      assertClose(v[0][j], x, 1e-14, `v0 ${j}`);
      assertClose(v[1][3 - j], x, 1e-14, `v1 ${j}`);
    });
    assert.deepEqual(t.components.means[1], [0.75, 0.75, 0.75, 0.75]);
    assert.equal(t.modeWeightsExact, false);
    assert.equal(t.assignBy, 'likelihood');
  });

  test('twoModes: separation is the distance of the means in within-mode stds; exact mode masses', async () => {
    const t = twoModes({ dim: 4, separation: 3, std: 0.5, weights: [0.8, 0.2] });
    const [m0, m1] = t.components.means;
    const dist = Math.sqrt(m0.reduce((s, v, j) => s + (m1[j] - v) ** 2, 0));
    assertClose(dist, 1.5, 1e-14, 'distance');
    // Likelihood partition: mode 1 iff t < 0, so pi(S_1) = 0.8 Phi(3/2) + 0.2 Phi(-3/2).
    assertClose(t.modes.weights[0], 0.8 * normalCdf(1.5) + 0.2 * normalCdf(-1.5), 1e-14, 'pi(S_1)');
    const x = t.sample(key(31), 40000);
    checkFrequencies(await t.modes.assign(x), t.modes.weights, 'twoModes sep 3', Z);
    x.dispose();
  });

  test('bad inputs give errors naming the option, the value and what was expected', () => {
    assert.throws(() => twoModesSlips(0), /twoModesSlips: option "dim" = 0, expected an integer >= 1/);
    assert.throws(() => twoModesSlips(2.5), /option "dim" = 2.5/);
    assert.throws(() => twoModesSlips(4, { a: -1 }), /option "a" = -1, expected a finite number > 0/);
    assert.throws(() => twoModesLrds(4, 'easy' as 'none'), /option "conditioning" = "easy", expected 'none', 'medium' or 'hard'/);
    assert.throws(() => twoModesLrds(4, 'toString' as 'none'), /option "conditioning" = "toString"/);
    assert.throws(() => bracketTwoModes(-1), /bracketTwoModes: option "dim" = -1/);
    assert.throws(() => twoModes({ dim: 3, separation: 0 }), /twoModes: option "separation" = 0, expected a finite number > 0/);
    assert.throws(() => twoModes({ dim: 3, separation: 2, weights: [1] }), /option "weights" = \[1\], expected an array of length 2/);
    assert.throws(() => twoModes({ dim: 3, separation: 2, std: NaN }), /option "std" = NaN/);
  });
});

describe('noisedMixture', () => {
  before(() => useBackend('wasm'));

  /** float64 posterior of X given Y = y by the direct formula (P_j = (S^-1 + a^2/s^2 I)^-1). */
  function posterior64(y: number[], a: number, s: number, covs: Matrix[]) {
    const d = y.length;
    const noisedCovs = covs.map((S) => {
      const C = matrix(d, d, Array.from(S.data, (v) => a * a * v));
      for (let i = 0; i < d; i++) C.data[i * d + i] += s * s;
      return C;
    });
    const { responsibilities: r } = mixture64(y, WEIGHTS, MEANS.map((m) => m.map((v) => a * v)), noisedCovs);
    const E = new Array<number>(d).fill(0);
    const second = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    covs.forEach((S, k) => {
      const Sinv = inverseSpd(S);
      const A = matrix(d, d, Array.from(Sinv.data));
      for (let i = 0; i < d; i++) A.data[i * d + i] += (a * a) / (s * s);
      const P = inverseSpd(A);
      const rhs = matmul(Sinv, matrix(d, 1, MEANS[k]));
      for (let i = 0; i < d; i++) rhs.data[i] += (a / (s * s)) * y[i];
      const mu = matmul(P, rhs).data;
      for (let i = 0; i < d; i++) {
        E[i] += r[k] * mu[i];
        for (let j = 0; j < d; j++) second[i][j] += r[k] * (P.data[i * d + j] + mu[i] * mu[j]);
      }
    });
    const cov = second.map((row, i) => row.map((v, j) => v - E[i] * E[j]));
    return { mean: E, cov };
  }

  const A = 0.8;
  const S = 0.6;

  test('the noised law is the mixture with means a m_j, covariances a^2 Sigma_j + s^2 I, same logZ', () => {
    const base = diagMixture();
    const law = noisedMixture(base, A, S);
    assert.deepEqual(law.components.means, MEANS.map((m) => m.map((v) => A * v)));
    (law.components.variances as number[][]).forEach((vk, k) =>
      vk.forEach((v, j) => assertClose(v, A * A * (base.components.variances as number[][])[k][j] + S * S, 1e-15, 'variance')),
    );
    assert.equal(law.logZ, base.logZ);
    base.mean.forEach((m, j) => assertClose(law.mean[j], A * m, 1e-14, 'mean'));
    base.variance.forEach((v, j) => assertClose(law.variance[j], A * A * v + S * S, 1e-14, 'variance'));
  });

  test('a = 1, s = 0 recovers the mixture density and gradient (both kinds)', () => {
    for (const base of [diagMixture(), fullMixture()]) {
      const same = noisedMixture(base, 1, 0);
      const x = tf.tensor2d(randomPoints(40, 20, 3, 2, [0.5, 0.5, 0]));
      const a = base.logDensity(x).arraySync();
      const b = same.logDensity(x).arraySync();
      a.forEach((v, i) => assertClose(b[i], v, 1e-6, `${base.name} logDensity`));
      const ga = base.gradLogDensity(x).arraySync().flat();
      const gb = same.score(x).arraySync().flat();
      ga.forEach((v, i) => assertClose(gb[i], v, 1e-5, `${base.name} score`));
      // s = 0: X is known exactly given Y, E[X | y] = y / a.
      const den = same.denoiser(x).arraySync().flat();
      const xv = x.arraySync().flat();
      den.forEach((v, i) => assertClose(v, xv[i], 1e-6, 'denoiser at s = 0'));
      x.dispose();
    }
  });

  test('score = autodiff of logDensity; denoiser = (y + s^2 score) / a (Tweedie) = direct float64 formula', () => {
    for (const [base, covs] of [
      [diagMixture(), DIAG_COVS],
      [fullMixture(), FULL_COVS],
    ] as const) {
      const S64 = covs.map((c) => asMatrix(c as number | number[] | number[][], 3));
      const law = noisedMixture(base, A, S);
      const ys = randomPoints(41, 25, 3, 1.5, [0.4, 0.4, 0]);
      const y = tf.tensor2d(ys);
      const score = law.score(y).arraySync();
      const auto = tf.grad((yi: tf.Tensor) => tf.sum(law.logDensity(yi as tf.Tensor2D)))(y).arraySync() as number[][];
      const den = law.denoiser(y).arraySync();
      for (let i = 0; i < ys.length; i++) {
        const direct = posterior64(ys[i], A, S, S64);
        for (let j = 0; j < 3; j++) {
          assertClose(score[i][j], auto[i][j], 1e-4, `${base.name} score vs autodiff`);
          assertClose(den[i][j], (ys[i][j] + S * S * score[i][j]) / A, 1e-4, `${base.name} Tweedie`);
          assertClose(den[i][j], direct.mean[j], 1e-4, `${base.name} direct E[X|y]`);
        }
      }
      y.dispose();
    }
  });

  test('Cov[X|y] = direct formula = (s^2/a^2)(I + s^2 Hessian); Hessian = autodiff Jacobian of the score', () => {
    for (const [base, covs] of [
      [diagMixture(), DIAG_COVS],
      [fullMixture(), FULL_COVS],
    ] as const) {
      const S64 = covs.map((c) => asMatrix(c as number | number[] | number[][], 3));
      const law = noisedMixture(base, A, S);
      const ys = randomPoints(42, 12, 3, 1.5, [0.4, 0.4, 0]);
      const y = tf.tensor2d(ys);
      const cov = law.posteriorCovariance(y).arraySync();
      const hess = law.hessian(y).arraySync();
      const jac = [0, 1, 2].map(
        (j) =>
          tf
            .grad((yi: tf.Tensor) => tf.sum(tf.slice(law.gradLogDensity(yi as tf.Tensor2D), [0, j], [-1, 1])))(y)
            .arraySync() as number[][],
      );
      for (let i = 0; i < ys.length; i++) {
        const direct = posterior64(ys[i], A, S, S64);
        for (let j = 0; j < 3; j++) {
          for (let k = 0; k < 3; k++) {
            assertClose(cov[i][j][k], direct.cov[j][k], 1e-4, `${base.name} Cov[${i}][${j}][${k}] direct`);
            const tweedie2 = ((S * S) / (A * A)) * ((j === k ? 1 : 0) + S * S * hess[i][j][k]);
            assertClose(cov[i][j][k], tweedie2, 1e-4, `${base.name} second-order Tweedie [${i}][${j}][${k}]`);
            assertClose(hess[i][j][k], jac[j][i][k], 1e-3, `${base.name} Hessian vs autodiff [${i}][${j}][${k}]`);
          }
        }
      }
      y.dispose();
    }
  });

  test('low-rank forms equal the dense matrices (diagonal kind) and are refused for full covariances', () => {
    const law = noisedMixture(diagMixture(), A, S);
    const y = tf.tensor2d(randomPoints(43, 10, 3, 1.5, [0.4, 0.4, 0]));
    const lrCov = law.posteriorCovarianceLowRank(y);
    const lrHess = law.hessianLowRank(y);
    assert.deepEqual(lrCov.factors.shape, [10, 3, 3]);
    const pairs = [
      [diagPlusLowRankToDense(lrCov), law.posteriorCovariance(y)],
      [diagPlusLowRankToDense(lrHess), law.hessian(y)],
    ];
    for (const [p, q] of pairs) {
      const a = p.dataSync();
      const b = q.dataSync();
      a.forEach((v, i) => assertClose(v, b[i], 1e-6, 'low rank vs dense'));
    }
    const full = noisedMixture(fullMixture(), A, S);
    assert.throws(
      () => full.posteriorCovarianceLowRank(y),
      /posteriorCovarianceLowRank: the mixture has full covariances.*expected isotropic or diagonal components \(use the dense posteriorCovariance/,
    );
    assert.throws(() => full.hessianLowRank(y), /hessianLowRank: the mixture has full covariances/);
    y.dispose();
  });

  test('noised samples: moments a^2 Var + s^2, KS of a coordinate, E[X - D(Y)] = 0 and E(X - D(Y))^2 = E diag Cov[X|Y]', () => {
    const n = 30000;
    for (const base of [diagMixture(), fullMixture()]) {
      const law = noisedMixture(base, A, S);
      const direct = law.sample(key(44), n);
      checkMoments(law, direct.dataSync() as Float32Array, n);
      const { x, y } = law.sampleJoint(key(45), n);
      const yv = y.dataSync() as Float32Array;
      checkMoments(law, yv, n);
      const col = new Float64Array(n);
      for (let i = 0; i < n; i++) col[i] = yv[3 * i + 1];
      const ks = ksOneSample(col, marginalCdf(law, 1));
      assert.ok(ks.pValue > 1e-4, `${base.name} noised KS p = ${ks.pValue}`);
      // The denoiser is E[X | Y]: residuals have mean 0 and E[(x - D)^2] = E[Cov[X|Y]_jj] (law of total variance).
      const den = law.denoiser(y).dataSync();
      const covDiag = tf.tidy(() => {
        const c = law.posteriorCovariance(y);
        return tf.sum(tf.mul(c, tf.eye(3)), 2);
      });
      const cd = covDiag.dataSync();
      const xv = x.dataSync();
      for (let j = 0; j < 3; j++) {
        let m = 0;
        let m2 = 0;
        let m4 = 0;
        let c = 0;
        for (let i = 0; i < n; i++) {
          const e = xv[3 * i + j] - den[3 * i + j];
          m += e / n;
          m2 += (e * e) / n;
          m4 += e ** 4 / n;
          c += cd[3 * i + j] / n;
        }
        // sd of the residual mean: sqrt(E e^2 / n); of the mean of e^2 - Cov_jj: from its sample variance (bounded
        // above by sqrt(E e^4 / n)).
        assert.ok(Math.abs(m) < Z * Math.sqrt(m2 / n), `${base.name} residual mean[${j}] ${m}`);
        assert.ok(Math.abs(m2 - c) < Z * Math.sqrt(m4 / n), `${base.name} residual var[${j}] ${m2} vs ${c}`);
      }
      tf.dispose([direct, x, y, covDiag]);
    }
  });

  test('vpMarginal and veMarginal; tensor count flat; same key -> same joint samples', () => {
    const base = diagMixture();
    const vp = vpMarginal(base, 0.64);
    assertClose(vp.a, 0.8, 1e-15, 'vp a');
    assertClose(vp.s, 0.6, 1e-15, 'vp s');
    const ve = veMarginal(base, 2);
    assert.equal(ve.a, 1);
    assert.equal(ve.s, 2);
    const pure = vpMarginal(base, 0); // Y = Z: standard normal, whatever the weights
    const y0 = tf.tensor2d([[0.3, -1, 2]]);
    assertClose(pure.logDensity(y0).arraySync()[0], Math.log(5) - 1.5 * Math.log(2 * Math.PI) - 0.5 * (0.09 + 1 + 4), 1e-5, 'alphaBar = 0');
    const [k1] = split(key(46));
    assert.deepEqual(vp.sampleJoint(k1, 16).y.arraySync(), vp.sampleJoint(k1, 16).y.arraySync());
    const y = tf.tensor2d(randomPoints(47, 8, 3, 1, [0, 0, 0]));
    for (const law of [vp, noisedMixture(fullMixture(), A, S)]) {
      const before = tf.memory().numTensors;
      for (let i = 0; i < 100; i++) {
        const j = law.sampleJoint(key(i), 4);
        tf.dispose([law.score(y), law.denoiser(y), law.posteriorCovariance(y), law.hessian(y), j.x, j.y]);
      }
      assert.equal(tf.memory().numTensors, before, law.name);
    }
    y.dispose();
    y0.dispose();
  });

  test('bad inputs give errors naming the option, the value and what was expected', () => {
    const base = diagMixture();
    assert.throws(() => noisedMixture(base, NaN, 1), /noisedMixture: option "a" = NaN, expected a finite number/);
    assert.throws(() => noisedMixture(base, 1, -0.1), /option "s" = -0.1, expected a finite number >= 0/);
    assert.throws(() => noisedMixture(base, 0, 0), /option "s" = 0, expected a number > 0 when a = 0/);
    assert.throws(
      () => noisedMixture(gaussian([0], 1) as unknown as GaussianMixtureTarget, 1, 1),
      /option "mixture" = .*expected a Gaussian mixture target/,
    );
    assert.throws(() => vpMarginal(base, 1.5), /vpMarginal: option "alphaBar" = 1.5, expected a number in \[0, 1\]/);
    assert.throws(() => veMarginal(base, -1), /veMarginal: option "sigma" = -1, expected a finite number >= 0/);
    const law = noisedMixture(base, A, S);
    assert.throws(() => law.denoiser(tf.zeros([2, 2]) as tf.Tensor2D), /option "y" has shape \[2, 2\], expected \[n, 3\]/);
    assert.throws(() => law.posteriorCovariance(tf.zeros([2]) as unknown as tf.Tensor2D), /expected \[n, 3\]/);
    assert.throws(() => law.hessian(tf.zeros([1, 4]) as tf.Tensor2D), /expected \[n, 3\]/);
    assert.throws(() => law.sampleJoint(key(0), -1), /option "n" = -1/);
  });
});

test('a one-component mixture samples (tf.oneHot rejects depth 1) and equals its Gaussian', () => {
  const single = gaussianMixture({ weights: [1], means: [[1, -2]], covariances: [[0.5, 2]] });
  const x = single.sample!(key(11), 4000);
  const m = tf.mean(x, 0).dataSync();
  // mean within 4 standard errors sqrt(var / n)
  assert.ok(Math.abs(m[0] - 1) < 4 * Math.sqrt(0.5 / 4000) && Math.abs(m[1] + 2) < 4 * Math.sqrt(2 / 4000), `mean ${m}`);
  tf.dispose(x);
  single.dispose();
});
