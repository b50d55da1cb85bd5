/**
 * The Langevin move (lib/samplers/mcmc/langevin.ts) against closed forms:
 * - the proposal density: log q(x' | x) + (d/2) log(4πh) is the log-density of N(x + h ∇log π(x), 2h I) at x',
 *   written out by hand in float64, for a shared and a per-chain step size;
 * - the MALA log-acceptance on a Gaussian target against the hand formula with both proposal densities (the forward
 *   one computed from x' − x, not from ξ);
 * - one ULA step on a Gaussian: from a fixed y0, y1 = y0 + h s(y0) + √(2h) ξ is N(y0 + h s(y0), 2h I): mean and
 *   variance within 4 Monte Carlo standard errors, for each noise rounding; the three roundings agree to float32
 *   precision on the same key;
 * - the ULA loop: the same numbers as the steps made by hand with the keys of its documented key structure, a
 *   flat tensor count, and the current y freed when the score throws.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { foldIn, key, normal, split } from '../../lib/core/random.js';
import {
  langevinLogProposalDensity,
  langevinProposal,
  malaLogAcceptance,
  ulaStep,
  unadjustedLangevin,
  type NoiseRounding,
} from '../../lib/samplers/mcmc/langevin.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSd } from '../helpers/stats.js';

before(() => useBackend('wasm'));

const D = 3;
/** A diagonal Gaussian target N(m, diag(s2)), asymmetric (unequal means and variances). */
const M = [1.5, -0.5, 0.2];
const S2 = [0.4, 1.3, 0.8];
const logPi = (x: number[]) => x.reduce((acc, xi, j) => acc - 0.5 * Math.log(2 * Math.PI * S2[j]) - (xi - M[j]) ** 2 / (2 * S2[j]), 0);
const gradLogPi = (x: number[]) => x.map((xi, j) => -(xi - M[j]) / S2[j]);
const rows = (t: tf.Tensor): number[][] => t.arraySync() as number[][];

/** log N(to; from + h g, 2h I) in float64. */
function gaussianProposalLogDensity(to: number[], from: number[], g: number[], h: number): number {
  let sq = 0;
  for (let j = 0; j < to.length; j++) sq += (to[j] - from[j] - h * g[j]) ** 2;
  return -sq / (4 * h) - (to.length / 2) * Math.log(4 * Math.PI * h);
}

test('langevinLogProposalDensity + (d/2) log(4πh) is the Gaussian N(x + h g, 2h I) log-density (shared and per-chain h)', () => {
  const [kFrom, kTo, kGrad] = split(key(1), 3);
  const n = 8;
  const from = normal(kFrom, [n, D]) as tf.Tensor2D;
  const to = tf.add(from, normal(kTo, [n, D], 0, 0.7)) as tf.Tensor2D;
  const grad = normal(kGrad, [n, D]) as tf.Tensor2D;
  const perChain = Array.from({ length: n }, (_, i) => 0.05 + 0.1 * i);
  for (const stepSize of [0.3, tf.tensor1d(perChain)] as const) {
    const logQ = langevinLogProposalDensity(to, from, grad, stepSize).arraySync() as number[];
    const [x1, x0, g] = [rows(to), rows(from), rows(grad)];
    for (let i = 0; i < n; i++) {
      const h = typeof stepSize === 'number' ? stepSize : perChain[i];
      const expected = gaussianProposalLogDensity(x1[i], x0[i], g[i], h);
      const got = logQ[i] - (D / 2) * Math.log(4 * Math.PI * h);
      assert.ok(Math.abs(got - expected) < 1e-4 * (1 + Math.abs(expected)), `row ${i}: ${got} vs ${expected}`);
    }
    if (typeof stepSize !== 'number') stepSize.dispose();
  }
  tf.dispose([from, to, grad]);
});

test('langevinProposal is x + h ∇log π(x) + √(2h) ξ, and malaLogAcceptance matches the hand formula on a Gaussian', () => {
  const n = 16;
  const [kx, kProposal] = split(key(2), 2);
  const perChain = Array.from({ length: n }, (_, i) => 0.02 + 0.03 * i);
  for (const stepSize of [0.25, tf.tensor1d(perChain)] as const) {
    tf.tidy(() => {
      const x = normal(kx, [n, D]) as tf.Tensor2D;
      const xs = rows(x);
      const grad = tf.tensor2d(xs.map(gradLogPi));
      const { proposal, noise } = langevinProposal(kProposal, x, grad, stepSize);
      const [x1, xi] = [rows(proposal), rows(noise)];
      const current = { position: x, logDensity: tf.tensor1d(xs.map(logPi)), grad };
      const proposed = { position: proposal, logDensity: tf.tensor1d(x1.map(logPi)), grad: tf.tensor2d(x1.map(gradLogPi)) };
      const logAlpha = malaLogAcceptance(current, proposed, noise, stepSize).arraySync() as number[];
      for (let i = 0; i < n; i++) {
        const h = typeof stepSize === 'number' ? stepSize : perChain[i];
        const g0 = gradLogPi(xs[i]);
        for (let j = 0; j < D; j++) {
          const expected = xs[i][j] + h * g0[j] + Math.sqrt(2 * h) * xi[i][j];
          assert.ok(Math.abs(x1[i][j] - expected) < 1e-5 * (1 + Math.abs(expected)), `proposal [${i}, ${j}]`);
        }
        const expected = logPi(x1[i]) - logPi(xs[i])
          + gaussianProposalLogDensity(xs[i], x1[i], gradLogPi(x1[i]), h)
          - gaussianProposalLogDensity(x1[i], xs[i], g0, h);
        assert.ok(Math.abs(logAlpha[i] - expected) < 1e-3 * (1 + Math.abs(expected)), `log alpha row ${i}: ${logAlpha[i]} vs ${expected}`);
      }
    });
    if (typeof stepSize !== 'number') stepSize.dispose();
  }
});

test('one ULA step from a fixed point on a Gaussian is N(y0 + h s(y0), 2h I) (4 standard errors), for every rounding', () => {
  const n = 20000;
  const h = 0.15;
  const y0 = [0.3, 1.1, -2];
  const s0 = gradLogPi(y0);
  const draws: Record<string, number[][]> = {};
  for (const rounding of ['draw', 'product', 'tensor'] as NoiseRounding[]) {
    const y = tf.tidy(() => tf.tile(tf.tensor2d([y0]), [n, 1]) as tf.Tensor2D);
    const score = tf.tidy(() => tf.tile(tf.tensor2d([s0]), [n, 1]) as tf.Tensor2D);
    const next = ulaStep(key(5), y, score, h, rounding);
    const values = rows(next);
    draws[rounding] = values;
    tf.dispose([y, score, next]);
    for (let j = 0; j < D; j++) {
      const col = values.map((r) => r[j]);
      const { mean, sd } = meanAndSd(col);
      const expectedMean = y0[j] + h * s0[j];
      const expectedVariance = 2 * h;
      assert.ok(Math.abs(mean - expectedMean) < 4 * Math.sqrt(expectedVariance / n), `${rounding} coordinate ${j}: mean ${mean} vs ${expectedMean}`);
      // Var of the sample variance of a Gaussian: 2 σ⁴ / (n − 1).
      const se = expectedVariance * Math.sqrt(2 / (n - 1));
      assert.ok(Math.abs(sd * sd - expectedVariance) < 4 * se, `${rounding} coordinate ${j}: variance ${sd * sd} vs ${expectedVariance}`);
    }
  }
  // The same key gives the same ξ: the roundings differ in the last bits only.
  for (let i = 0; i < 100; i++) {
    for (let j = 0; j < D; j++) {
      const ref = draws.draw[i][j];
      for (const other of [draws.product[i][j], draws.tensor[i][j]]) assert.ok(Math.abs(other - ref) < 1e-5 * (1 + Math.abs(ref)));
    }
  }
});

test('unadjustedLangevin: the steps of its key structure, a flat tensor count, y freed on an error', async () => {
  const n = 32;
  const h = 0.1;
  const k = key(9);
  const score = (y: tf.Tensor2D) => tf.tidy(() => tf.div(tf.sub(tf.tensor1d(M), y), tf.tensor1d(S2)) as tf.Tensor2D);
  const y0 = normal(key(3), [n, D]) as tf.Tensor2D;
  // By hand: step i uses split(foldIn(k, i), 2) = [score key, noise key].
  let manual = tf.clone(y0);
  for (let i = 0; i < 4; i++) {
    const [, noiseKey] = split(foldIn(k, i), 2);
    const s = score(manual);
    const next = ulaStep(noiseKey, manual, s, h, 'product');
    tf.dispose([manual, s]);
    manual = next;
  }
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const seen: number[] = [];
  const looped = await unadjustedLangevin(k, tf.clone(y0), {
    numSteps: 4,
    stepSize: h,
    noise: 'product',
    score: (_key, y, i) => {
      seen.push(i);
      return score(y);
    },
    afterStep: () => {
      counts.push(tf.memory().numTensors);
    },
  });
  assert.deepEqual(seen, [0, 1, 2, 3]);
  assert.ok(counts.every((c) => c === before + 1), `tensor count not flat: ${counts} (before ${before} + 1)`);
  assert.deepEqual(Array.from(looped.dataSync()), Array.from(manual.dataSync()));
  tf.dispose([looped, manual]);

  const beforeError = tf.memory().numTensors;
  await assert.rejects(
    unadjustedLangevin(k, tf.clone(y0), {
      numSteps: 3,
      stepSize: h,
      noise: 'draw',
      score: (_key, y, i) => {
        if (i === 2) throw new Error('score failed');
        return score(y);
      },
    }),
    /score failed/,
  );
  assert.equal(tf.memory().numTensors, beforeError, 'the loop leaked its y on an error');
  y0.dispose();
});
