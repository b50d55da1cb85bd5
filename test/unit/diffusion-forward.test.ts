/**
 * lib/diffusion/forwardNoising.ts: forward noising (exact formula with the returned noise, per-row times, moments
 * within Monte Carlo error, determinism), the forward transition (moments; composing with the marginals), and
 * the perfect diffusion model of an asymmetric Gaussian mixture (diagonal and full covariances, VP and VE):
 * its score against autodiff of its log-density, its Hessian against autodiff of its score, the divergence
 * against the Hessian trace, Tweedie's identities (denoiser and posterior covariance), exact samples of p_t by
 * moments, the noised law against noisedMixture, a flat tensor count, bad inputs.
 * Monte Carlo tolerances: |estimate - truth| < Z sd / sqrt(n) with Z = 4 (sd analytic).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal, split } from '../../lib/core/random.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { noisedMixture } from '../../lib/targets/noisedMixture.js';
import { forwardNoise, forwardTransition, perfectModel } from '../../lib/diffusion/forwardNoising.js';
import { exactDivergence } from '../../lib/diffusion/probabilityFlow.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { veSchedule } from '../../lib/diffusion/veSchedule.js';
import { useBackend } from '../helpers/backends.js';

const Z = 4;
const WEIGHTS = [0.65, 0.35];
const MEANS = [
  [-1, 0.5],
  [1.5, -0.75],
];
const diagonalMixture = () => gaussianMixture({ weights: WEIGHTS, means: MEANS, covariances: [0.3, [0.5, 0.15]] });
const fullMixture = () =>
  gaussianMixture({
    weights: WEIGHTS,
    means: MEANS,
    covariances: [
      [
        [0.4, 0.15],
        [0.15, 0.25],
      ],
      [0.5, 0.15],
    ],
  });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function columnMoments(x: tf.Tensor2D): { mean: number[]; variance: number[] } {
  const [n, d] = x.shape;
  const v = x.dataSync();
  const mean = new Array<number>(d).fill(0);
  const variance = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += v[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) variance[j] += (v[i * d + j] - mean[j]) ** 2 / (n - 1);
  return { mean, variance };
}

/** The Jacobian of a field [n, d] -> [n, d] by d autodiff passes: [n, d, d] with entry (i, j) = d field_i / d x_j. */
function jacobian(field: (x: tf.Tensor2D) => tf.Tensor2D, x: tf.Tensor2D): number[][][] {
  const [n, d] = x.shape;
  const rows = Array.from({ length: d }, (_, i) =>
    tf.tidy(() => tf.grad((xi: tf.Tensor) => tf.sum(tf.slice(field(xi as tf.Tensor2D), [0, i], [n, 1])))(x).arraySync() as number[][]),
  );
  return Array.from({ length: n }, (_, r) => rows.map((row) => row[r]));
}

describe('forward noising', () => {
  before(() => useBackend('wasm'));

  test('x_t = a(t) x_0 + s(t) eps with the returned noise; one time or one per row; same key -> same output', () => {
    const schedule = vpSchedule();
    const x0 = normal(key(1), [5, 3]) as tf.Tensor2D;
    const times = [0.01, 0.2, 0.5, 0.9, 1];
    const { noised, noise } = forwardNoise(schedule, key(2), x0, times);
    const xv = x0.arraySync();
    const nv = noise.arraySync();
    const got = noised.arraySync();
    times.forEach((t, i) => {
      const expected = xv[i].map((v, j) => schedule.signalScale(t) * v + schedule.noiseScale(t) * nv[i][j]);
      assert.ok(maxAbsDiff(got[i], expected) < 1e-6, `row ${i}`);
    });
    const again = forwardNoise(schedule, key(2), x0, times);
    assert.deepEqual(again.noised.dataSync(), noised.dataSync());
    const one = forwardNoise(schedule, key(2), x0, 0.5);
    const expected = tf.tidy(() => tf.add(tf.mul(x0, schedule.signalScale(0.5)), tf.mul(one.noise, schedule.noiseScale(0.5))));
    assert.ok(maxAbsDiff(one.noised.dataSync(), expected.dataSync()) < 1e-6);
    tf.dispose([x0, noised, noise, again.noised, again.noise, one.noised, one.noise, expected]);
  });

  test('moments of x_t | x_0 and of the forward transition (VP and VE), within 4 SE', () => {
    const n = 4000;
    for (const schedule of [vpSchedule({ scale: 1.3 }), veSchedule({ sigmaMax: 5 })]) {
      const x0 = tf.tile(tf.tensor2d([[2, -1]]), [n, 1]) as tf.Tensor2D;
      const t = 0.35;
      const { noised, noise } = forwardNoise(schedule, key(3), x0, t);
      const a = schedule.signalScale(t);
      const s = schedule.noiseScale(t);
      const m = columnMoments(noised);
      [2, -1].forEach((c, j) => {
        assert.ok(Math.abs(m.mean[j] - a * c) < (Z * s) / Math.sqrt(n), `${schedule.kind} mean ${j}: ${m.mean[j]} vs ${a * c}`);
        assert.ok(Math.abs(m.variance[j] - s * s) < Z * s * s * Math.sqrt(2 / n), `${schedule.kind} variance ${j}`);
      });
      // transition from t to t2 composes with the marginal: x_t2 | x_0 has mean a(t2) x_0, variance s(t2)^2
      const t2 = 0.8;
      const moved = forwardTransition(schedule, key(4), noised, t, t2);
      const m2 = columnMoments(moved);
      const a2 = schedule.signalScale(t2);
      const s2 = schedule.noiseScale(t2);
      [2, -1].forEach((c, j) => {
        assert.ok(Math.abs(m2.mean[j] - a2 * c) < (Z * s2) / Math.sqrt(n), `${schedule.kind} transition mean ${j}`);
        assert.ok(Math.abs(m2.variance[j] - s2 * s2) < Z * s2 * s2 * Math.sqrt(2 / n), `${schedule.kind} transition variance ${j}: ${m2.variance[j]} vs ${s2 * s2}`);
      });
      tf.dispose([x0, noised, noise, moved]);
    }
  });

  test('bad inputs', () => {
    const schedule = vpSchedule();
    const x = tf.zeros([3, 2]) as tf.Tensor2D;
    assert.throws(() => forwardNoise(schedule, key(0), tf.zeros([3]) as never, 0.5), /forwardNoise: option "x0" = Tensor\(float32, \[3\]\), expected a tensor of shape \[n, d\]/);
    assert.throws(() => forwardNoise(schedule, key(0), x, 2), /forwardNoise: option "t" = 2, expected a time in \[0, 1\]/);
    assert.throws(() => forwardNoise(schedule, key(0), x, [0.1, 0.2]), /option "t" = \[0.1,0.2\], expected a time in \[0, 1\] or an array of 3 times/);
    assert.throws(() => forwardNoise(schedule, key(0), x, [0.1, NaN, 0.2]), /option "t\[1\]" = NaN/);
    assert.throws(() => forwardNoise(null as never, key(0), x, 0.5), /forwardNoise: option "schedule" = null, expected a noise schedule/);
    assert.throws(() => forwardTransition(schedule, key(0), x, 0.5, 0.2), /forwardTransition: option "to" = 0.2, expected a time >= from = 0.5/);
    x.dispose();
  });
});

describe('perfectModel', () => {
  before(() => useBackend('wasm'));

  const setups = [
    { name: 'diagonal mixture, VP', mixture: diagonalMixture, schedule: () => vpSchedule(), times: [0, 0.02, 0.3, 1] },
    { name: 'full-covariance mixture, VP (scale 2)', mixture: fullMixture, schedule: () => vpSchedule({ scale: 2 }), times: [0, 0.1, 0.6] },
    { name: 'diagonal mixture, VE', mixture: diagonalMixture, schedule: () => veSchedule({ sigmaMax: 8 }), times: [0, 0.4, 1] },
  ];

  for (const setup of setups) {
    test(`score = autodiff of logDensity; Hessian = autodiff of score; divergence = its trace; Tweedie: ${setup.name}`, () => {
      const mixture = setup.mixture();
      const schedule = setup.schedule();
      const model = perfectModel(mixture, schedule);
      const x = normal(key(7), [6, 2], 0, 1.5) as tf.Tensor2D;
      for (const t of setup.times) {
        const a = schedule.signalScale(t);
        const s = schedule.noiseScale(t);
        const law = noisedMixture(mixture, a, s);
        assert.ok(maxAbsDiff(model.logDensity(x, t).dataSync(), law.logDensity(x).dataSync()) < 1e-5, `logDensity = noisedMixture at t = ${t}`);
        law.dispose();
        const auto = tf.grad((xi: tf.Tensor) => tf.sum(model.logDensity(xi as tf.Tensor2D, t)))(x);
        const score = model.score(x, t);
        const scale = 1 + Math.max(...Array.from(score.dataSync(), Math.abs));
        assert.ok(maxAbsDiff(score.dataSync(), auto.dataSync()) < 1e-4 * scale, `score vs autodiff at t = ${t}`);
        const H = model.hessian(x, t).arraySync();
        const J = jacobian((xi) => model.score(xi, t), x);
        const hScale = 1 + Math.max(...H.flat(2).map(Math.abs));
        H.forEach((m, r) => assert.ok(maxAbsDiff(m.flat(), J[r].flat()) < 1e-4 * hScale, `Hessian row ${r} at t = ${t}`));
        const divergence = model.scoreDivergence(x, t).dataSync();
        const trace = H.map((m) => m[0][0] + m[1][1]);
        assert.ok(maxAbsDiff(divergence, trace) < 1e-4 * hScale, `divergence = trace at t = ${t}`);
        const autodiffDivergence = exactDivergence((xi) => model.score(xi, t), x).dataSync();
        assert.ok(maxAbsDiff(autodiffDivergence, trace) < 1e-4 * hScale, `exactDivergence (d backprop passes) = trace at t = ${t}`);
        if (s > 0 && a > 0) {
          // Tweedie: E[x0 | x] = (x + s^2 score) / a; Cov[x0 | x] = (s^2 / a^2)(I + s^2 H)
          const denoised = model.denoiser(x, t).arraySync();
          const xv = x.arraySync();
          const sv = score.arraySync();
          denoised.forEach((row, r) => assert.ok(maxAbsDiff(row, xv[r].map((v, j) => (v + s * s * sv[r][j]) / a)) < 1e-4 * scale, `denoiser row ${r}`));
          const cov = model.posteriorCovariance(x, t).arraySync();
          cov.forEach((m, r) => {
            const expected = H[r].map((row, i) => row.map((h, j) => ((s * s) / (a * a)) * ((i === j ? 1 : 0) + s * s * h)));
            assert.ok(maxAbsDiff(m.flat(), expected.flat()) < 1e-3 * (1 + (s * s * s * s * hScale) / (a * a)), `posterior covariance row ${r} at t = ${t}`);
          });
        }
        tf.dispose([auto, score]);
      }
      tf.dispose(x);
      model.dispose();
      mixture.dispose();
    });
  }

  test('low-rank forms equal the dense ones; marginal(t) is the noised law; exact samples of p_t by moments (4 SE)', () => {
    const mixture = diagonalMixture();
    const schedule = vpSchedule();
    const model = perfectModel(mixture, schedule);
    const x = normal(key(8), [5, 2]) as tf.Tensor2D;
    const t = 0.25;
    const low = model.hessianLowRank(x, t);
    const dense = model.hessian(x, t);
    const rebuilt = tf.tidy(() => tf.add(tf.mul(tf.expandDims(low.diag, 1), tf.eye(2)), tf.matMul(tf.transpose(low.factors, [0, 2, 1]), low.factors)));
    assert.ok(maxAbsDiff(rebuilt.dataSync(), dense.dataSync()) < 1e-5);
    const lowCov = model.posteriorCovarianceLowRank(x, t);
    assert.deepEqual(lowCov.diag.shape, [5, 2]);
    const law = model.marginal(t);
    assert.equal(law.a, schedule.signalScale(t));
    assert.equal(law.s, schedule.noiseScale(t));
    const n = 6000;
    const samples = model.sample(key(9), n, t);
    const m = columnMoments(samples);
    const values = samples.arraySync();
    law.mean.forEach((mu, j) => {
      const sd = Math.sqrt(law.variance[j]);
      assert.ok(Math.abs(m.mean[j] - mu) < (Z * sd) / Math.sqrt(n), `sample mean ${j}: ${m.mean[j]} vs ${mu}`);
      // SE of the sample variance: the sd of the squared deviations over sqrt(n) (a mixture is not Gaussian)
      const squares = values.map((row) => (row[j] - m.mean[j]) ** 2);
      const sdOfSquares = Math.sqrt(squares.reduce((acc, v) => acc + (v - m.variance[j]) ** 2, 0) / (n - 1));
      assert.ok(Math.abs(m.variance[j] - law.variance[j]) < (Z * sdOfSquares) / Math.sqrt(n), `sample variance ${j}`);
      // p_t mean is a(t) times the mixture mean
      assert.ok(Math.abs(mu - schedule.signalScale(t) * mixture.mean[j]) < 1e-12);
    });
    tf.dispose([x, dense, rebuilt, low.diag, low.factors, lowCov.diag, lowCov.factors, samples]);
    law.dispose();
    model.dispose();
    mixture.dispose();
  });

  test('tensor count stays flat over 100 calls at changing times (bounded cache); dispose frees the cache', () => {
    const mixture = diagonalMixture();
    const model = perfectModel(mixture, vpSchedule(), { cacheSize: 3 });
    const x = normal(key(10), [8, 2]) as tf.Tensor2D;
    const round = (i: number) => {
      const t = 0.05 + 0.9 * ((i * 7) % 10) / 10;
      tf.dispose([model.score(x, t), model.logDensity(x, t), model.scoreDivergence(x, t), model.denoiser(x, t)]);
    };
    for (let i = 0; i < 5; i++) round(i); // fill the cache
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) round(i);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
    assert.ok(tf.memory().numTensors < before, 'dispose frees the cached laws');
    x.dispose();
    mixture.dispose();
  });

  test('bad inputs', () => {
    const mixture = diagonalMixture();
    const model = perfectModel(mixture, vpSchedule());
    const x = tf.zeros([2, 2]) as tf.Tensor2D;
    assert.throws(() => perfectModel({} as never, vpSchedule()), /perfectModel: option "mixture" = \{\}, expected a Gaussian mixture target/);
    assert.throws(() => perfectModel(mixture, 'vp' as never), /perfectModel: option "schedule" = "vp", expected a noise schedule/);
    assert.throws(() => perfectModel(mixture, vpSchedule(), { cacheSize: 0 }), /perfectModel: option "cacheSize" = 0, expected an integer >= 1/);
    assert.throws(() => model.score(x, 1.2), /perfectModel.score: option "t" = 1.2, expected a time in \[0, 1\]/);
    assert.throws(() => model.logDensity(tf.zeros([2, 3]) as tf.Tensor2D, 0.5), /shape \[2, 3\], expected \[n, 2\]/);
    assert.throws(() => model.sample(key(0), -1, 0.5), /option "n" = -1/);
    x.dispose();
    model.dispose();
    mixture.dispose();
  });
});
