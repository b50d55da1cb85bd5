/**
 * The probability-flow ODE (lib/diffusion/probabilityFlow.ts) with the perfect model of the asymmetric 2-D mixture
 * 0.7 N((-1.5, 0.5), 0.2 I) + 0.3 N((1.5, -1), diag(0.4, 0.1)) on the VP schedule.
 *
 * 1. Transport: n = 4000 exact samples of p_T (T = 1), integrated backward to t = 0 (RK4, 32 uniform steps), are
 *    samples of the mixture: per coordinate the mean and the variance match the exact ones within 4.5 standard
 *    errors (mean: sd / sqrt(n); variance: sd of (x - mean)^2 / sqrt(n)), the fraction assigned to mode 0 matches
 *    that of n exact mixture samples within 4.5 two-sample binomial standard errors sqrt(2 p (1 - p) / n), and a
 *    one-sample KS test of each coordinate against the exact marginal CDF has p > 1e-5.
 * 2. Hutchinson's log-density (RK4, 32 uniform steps from t = 0.01 to 1, exact p_1 at the end; the exact-divergence
 *    solve is within 5e-3 nats of log p_0.01): 4 points, each replicated R = 300 times with independent Rademacher
 *    probes (one per row, fixed along the path), give R independent estimates of log p_0.01(x); their mean matches
 *    the exact-divergence solve on the same grid within 4.5 SE (SE = sd / sqrt(R)).
 * False alarms: 9 checks at z = 4.5 (normal tails, 6.8e-6 each) and 2 KS at 1e-5: 8e-5 (test/README.md).
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { normalCdf } from '../../lib/core/special.js';
import { ksOneSample } from '../../lib/metrics/ks.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { perfectModel } from '../../lib/diffusion/forwardNoising.js';
import { integrateProbabilityFlow, probabilityFlowLogDensity } from '../../lib/diffusion/probabilityFlow.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { useBackend } from '../helpers/backends.js';

const Z = 4.5;
const WEIGHTS = [0.7, 0.3];
const MEANS = [
  [-1.5, 0.5],
  [1.5, -1],
];
const VARIANCES = [
  [0.2, 0.2],
  [0.4, 0.1],
];
const mixture2d = () => gaussianMixture({ weights: WEIGHTS, means: MEANS, covariances: [0.2, VARIANCES[1]] });

function marginalCdf(j: number): (x: number) => number {
  return (x) => WEIGHTS.reduce((s, w, k) => s + w * normalCdf((x - MEANS[k][j]) / Math.sqrt(VARIANCES[k][j])), 0);
}

describe('probability-flow ODE, statistical', () => {
  before(() => useBackend('wasm'));

  test('exact noise samples flow back to samples of the mixture (moments, mode fraction, marginal KS)', async () => {
    const mixture = mixture2d();
    const model = perfectModel(mixture, vpSchedule());
    const n = 4000;
    const noise = model.sample(key(1), n, 1);
    const x = integrateProbabilityFlow(model, noise, { from: 1, to: 0, numSteps: 32 });
    const values = x.arraySync() as number[][];
    for (let j = 0; j < 2; j++) {
      const column = values.map((row) => row[j]);
      const mean = column.reduce((s, v) => s + v, 0) / n;
      const squares = column.map((v) => (v - mean) ** 2);
      const variance = squares.reduce((s, v) => s + v, 0) / (n - 1);
      const sdOfSquares = Math.sqrt(squares.reduce((s, v) => s + (v - variance) ** 2, 0) / (n - 1));
      assert.ok(Math.abs(mean - mixture.mean[j]) < (Z * Math.sqrt(variance)) / Math.sqrt(n), `mean ${j}: ${mean} vs ${mixture.mean[j]}`);
      assert.ok(Math.abs(variance - mixture.variance[j]) < (Z * sdOfSquares) / Math.sqrt(n), `variance ${j}: ${variance} vs ${mixture.variance[j]}`);
      const ks = ksOneSample(column, marginalCdf(j));
      assert.ok(ks.pValue > 1e-5, `KS coordinate ${j}: D = ${ks.statistic}, p = ${ks.pValue}`);
    }
    const exactSamples = mixture.sample(key(2), n);
    const fraction = (a: Int32Array) => a.filter((m) => m === 0).length / n;
    const flowed = fraction(await mixture.modes.assign(x));
    const exact = fraction(await mixture.modes.assign(exactSamples));
    const p = WEIGHTS[0];
    assert.ok(Math.abs(flowed - exact) < Z * Math.sqrt((2 * p * (1 - p)) / n), `mode 0 fraction ${flowed} vs exact samples ${exact}`);
    tf.dispose([noise, x, exactSamples]);
    model.dispose();
    mixture.dispose();
  });

  test("Hutchinson's PF-ODE log-density agrees with the exact-divergence one in expectation (4.5 SE)", () => {
    const mixture = mixture2d();
    const model = perfectModel(mixture, vpSchedule());
    const points = tf.tensor2d([[-1.3, 0.2], [0.1, -0.3], [1.6, -0.8], [2.5, 1]]);
    const R = 300;
    const options = { from: 0.01, to: 1, numSteps: 32, terminalLogDensity: (xT: tf.Tensor2D) => model.logDensity(xT, 1) };
    const exact = probabilityFlowLogDensity(model, key(3), points, { ...options, divergence: 'exact' });
    const replicated = tf.tile(points, [R, 1]) as tf.Tensor2D;
    const estimate = probabilityFlowLogDensity(model, key(4), replicated, { ...options, divergence: 'hutchinson' });
    const exactValues = exact.logDensity.dataSync();
    const truth = model.logDensity(points, 0.01).dataSync();
    const values = estimate.logDensity.dataSync();
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs(exactValues[i] - truth[i]) < 5e-3, `exact solve vs log p_0.01 at point ${i}`);
      const samples = Array.from({ length: R }, (_, r) => values[r * 4 + i]);
      const mean = samples.reduce((s, v) => s + v, 0) / R;
      const sd = Math.sqrt(samples.reduce((s, v) => s + (v - mean) ** 2, 0) / (R - 1));
      assert.ok(sd > 0, 'the estimates vary');
      assert.ok(Math.abs(mean - exactValues[i]) < (Z * sd) / Math.sqrt(R), `point ${i}: Hutchinson ${mean} (sd ${sd}) vs exact ${exactValues[i]}`);
    }
    for (const r of [exact, estimate]) tf.dispose([r.logDensity, r.endpoint, r.terminalLogDensity, r.divergenceIntegral]);
    tf.dispose([points, replicated]);
    model.dispose();
    mixture.dispose();
  });
});
