/**
 * Flow losses (spec NF-MCMC 1.3) on an affine flow z -> a * z + b (exact log-det, closed-form KLs) and a Gaussian
 * target N(m, diag(s^2)) with unequal means and scales (so that a swapped sign, scale or direction shows):
 * - values: equal to float64 recomputations at given parameters, and to the closed-form KLs (up to the constant
 *   H(pi) for the forward KL) within Monte Carlo error, |estimate - truth| < 4 sd / sqrt(n);
 * - convex KL = alpha * forward + (1 - alpha) * backward (values and gradients);
 * - training with `fit`: forward KL on a fixed sample reaches the Gaussian MLE (sample mean, sample sd) and
 *   backward KL on fixed base draws reaches its closed-form optimum; both optima are within Monte Carlo error of
 *   (m, s);
 * - RealNVP (lib/models/realnvp.ts): the losses through a real flow, the scale-weight regulariser and its
 *   gradient, and a convex-KL training run whose loss goes down significantly;
 * - tensor counts, determinism, bad inputs.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal, split } from '../../lib/core/random.js';
import { exp } from '../../lib/core/ops.js';
import type { Flow } from '../../lib/models/flow.js';
import { realNvp } from '../../lib/models/realnvp.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { fit } from '../../lib/trainers/fit.js';
import {
  backwardKl,
  convexKl,
  forwardKl,
  forwardKlFromTarget,
  scaleRegulariser,
  SCALE_REGULARISER_COEFFICIENT,
} from '../../lib/trainers/flowLosses.js';
import { useBackend } from '../helpers/backends.js';

const M = [1.5, -0.7];
const S = [0.5, 2.0];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const Z = 4;

interface AffineFlow extends Flow {
  logScale: tf.Variable;
  shift: tf.Variable;
}

/** z -> exp(logScale) * z + shift, log |det| = sum(logScale). */
function affineFlow(logScale: number[], shift: number[]): AffineFlow {
  const dim = logScale.length;
  const ls = tf.variable(tf.tensor1d(logScale));
  const sh = tf.variable(tf.tensor1d(shift));
  const logDet = (n: number, sign: number) => tf.mul(tf.ones([n]), tf.mul(sign, tf.sum(ls))) as tf.Tensor1D;
  return {
    dim,
    variables: [ls, sh],
    logScale: ls,
    shift: sh,
    forward: (z) => tf.tidy(() => ({ value: tf.add(tf.mul(z, exp(ls)), sh) as tf.Tensor2D, logDet: logDet(z.shape[0], 1) })),
    inverse: (x) => tf.tidy(() => ({ value: tf.mul(tf.sub(x, sh), exp(tf.neg(ls))) as tf.Tensor2D, logDet: logDet(x.shape[0], -1) })),
    dispose: () => tf.dispose([ls, sh]),
  };
}

/** Rows of a [n, d] tensor as float64 arrays. */
function rows(x: tf.Tensor2D): number[][] {
  return x.arraySync();
}

function meanAndSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

/** -log q(x) for q = N(b, diag(a^2)), in float64. */
function negLogQ(x: number[], a: number[], b: number[]): number {
  return x.reduce((s, xj, j) => s + 0.5 * ((xj - b[j]) / a[j]) ** 2 + HALF_LOG_2PI + Math.log(a[j]), 0);
}

/** log N(z; 0, I) - log|det| - log pi(a z + b) for pi = N(M, diag(S^2)), in float64. */
function backwardTermAt(z: number[], a: number[], b: number[]): number {
  return z.reduce((s, zj, j) => {
    const x = a[j] * zj + b[j];
    const logPi = -0.5 * ((x - M[j]) / S[j]) ** 2 - HALF_LOG_2PI - Math.log(S[j]);
    return s + (-0.5 * zj * zj - HALF_LOG_2PI) - Math.log(a[j]) - logPi;
  }, 0);
}

/** E_pi[-log q] = KL(pi || q) + H(pi), for q = N(b, diag(a^2)). */
function forwardExpectation(a: number[], b: number[]): { direct: number; viaKl: number } {
  const direct = a.reduce((s, aj, j) => s + Math.log(aj) + HALF_LOG_2PI + (S[j] ** 2 + (M[j] - b[j]) ** 2) / (2 * aj * aj), 0);
  const kl = a.reduce((s, aj, j) => s + Math.log(aj / S[j]) + (S[j] ** 2 + (M[j] - b[j]) ** 2) / (2 * aj * aj) - 0.5, 0);
  const entropy = S.reduce((s, sj) => s + 0.5 * Math.log(2 * Math.PI * Math.E * sj * sj), 0);
  return { direct, viaKl: kl + entropy };
}

/** KL(q || pi) (the target is normalised: log Z = 0). */
function backwardExpectation(a: number[], b: number[]): number {
  return a.reduce((s, aj, j) => s + Math.log(S[j] / aj) + (aj * aj + (b[j] - M[j]) ** 2) / (2 * S[j] ** 2) - 0.5, 0);
}

const scalar = (t: tf.Tensor) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

let target: ReturnType<typeof gaussian>;
before(async () => {
  await useBackend('wasm');
  target = gaussian(M, S.map((s) => s * s));
});

test('forward KL equals -mean log q in float64, and the closed form E[-log q] = KL(pi || q) + H(pi) within MC error', () => {
  const a = [0.8, 1.7];
  const b = [1.2, 0.3];
  const flow = affineFlow(a.map(Math.log), b);
  const n = 4096;
  const samples = target.sample(key(1), n);
  const loss = scalar(forwardKl(flow, samples));
  const perSample = rows(samples).map((x) => negLogQ(x, a, b));
  const { mean, sd } = meanAndSd(perSample);
  // float32 evaluation of the same sum: relative error well below 1e-5 at n = 4096.
  assert.ok(Math.abs(loss - mean) < 1e-5 * Math.abs(mean), `loss ${loss} vs float64 ${mean}`);
  const { direct, viaKl } = forwardExpectation(a, b);
  assert.ok(Math.abs(direct - viaKl) < 1e-12, 'E[-log q] = KL + H (algebra check)');
  assert.ok(Math.abs(loss - direct) < (Z * sd) / Math.sqrt(n), `loss ${loss} vs closed form ${direct} (sd ${sd}, n ${n})`);
  // From the target's sampler: the same value as forwardKl on target.sample(key, n).
  assert.equal(scalar(forwardKlFromTarget(flow, target, key(1), n)), loss);
  samples.dispose();
  flow.dispose();
});

test('backward KL equals mean[log q(T z) - log pi(T z)] over z = normal(key, [n, d]), and KL(q || pi) within MC error', () => {
  const a = [0.8, 1.7];
  const b = [1.2, 0.3];
  const flow = affineFlow(a.map(Math.log), b);
  const n = 4096;
  const loss = scalar(backwardKl(flow, target, key(2), n));
  const z = normal(key(2), [n, 2]) as tf.Tensor2D;
  const perSample = rows(z).map((zi) => backwardTermAt(zi, a, b));
  const { mean, sd } = meanAndSd(perSample);
  assert.ok(Math.abs(loss - mean) < 1e-5 * Math.max(1, Math.abs(mean)), `loss ${loss} vs float64 ${mean}`);
  const kl = backwardExpectation(a, b);
  assert.ok(kl > 0);
  assert.ok(Math.abs(loss - kl) < (Z * sd) / Math.sqrt(n), `loss ${loss} vs closed form KL(q || pi) = ${kl} (sd ${sd})`);
  assert.equal(scalar(backwardKl(flow, target, key(2), n)), loss, 'same key -> same value');
  assert.notEqual(scalar(backwardKl(flow, target, key(3), n)), loss, 'another key -> another value');
  z.dispose();
  flow.dispose();
});

test('convex KL = alpha * forward + (1 - alpha) * backward, in values and gradients', () => {
  const flow = affineFlow([Math.log(0.8), Math.log(1.7)], [1.2, 0.3]);
  const samples = target.sample(key(4), 512);
  const k = key(5);
  const forward = scalar(forwardKl(flow, samples));
  const backward = scalar(backwardKl(flow, target, k, 512));
  for (const alpha of [0, 0.3, 0.8, 1]) {
    const value = scalar(convexKl(flow, target, samples, k, alpha));
    const expected = alpha * forward + (1 - alpha) * backward;
    assert.ok(Math.abs(value - expected) < 1e-6 * Math.abs(expected), `alpha ${alpha}: ${value} vs ${expected}`);
  }
  assert.equal(scalar(convexKl(flow, target, samples, k, 1)), forward, 'alpha = 1 is the forward KL');
  assert.equal(scalar(convexKl(flow, target, samples, k, 0)), backward, 'alpha = 0 is the backward KL (batch = number of samples)');
  assert.equal(scalar(convexKl(flow, target, samples, k)), scalar(convexKl(flow, target, samples, k, 0.8)), 'default alpha is 0.8');
  assert.equal(scalar(convexKl(flow, target, samples, k, 0, { batch: 100 })), scalar(backwardKl(flow, target, k, 100)), 'batch option');
  const gradsOf = (f: () => tf.Scalar) => {
    const { value, grads } = tf.variableGrads(f, flow.variables);
    value.dispose();
    const out = flow.variables.map((v) => Array.from(grads[v.name].dataSync()));
    tf.dispose(grads);
    return out;
  };
  const gf = gradsOf(() => forwardKl(flow, samples));
  const gb = gradsOf(() => backwardKl(flow, target, k, 512));
  const gc = gradsOf(() => convexKl(flow, target, samples, k, 0.3));
  gc.forEach((g, i) =>
    g.forEach((v, j) => {
      const expected = 0.3 * gf[i][j] + 0.7 * gb[i][j];
      assert.ok(Math.abs(v - expected) < 1e-5 * (1 + Math.abs(expected)), `gradient ${i}[${j}]: ${v} vs ${expected}`);
    }),
  );
  samples.dispose();
  flow.dispose();
});

test('fit on the forward KL of a fixed sample reaches the Gaussian MLE, which is (m, s) within MC error', async () => {
  const n = 2000;
  const samples = target.sample(key(6), n);
  const x = rows(samples);
  const mle = [0, 1].map((j) => {
    const mean = x.reduce((s, r) => s + r[j], 0) / n;
    const sd = Math.sqrt(x.reduce((s, r) => s + (r[j] - mean) ** 2, 0) / n);
    return { mean, sd };
  });
  const flow = affineFlow([0, 0], [0, 0]);
  const schedule = { every: 150, gamma: 0.5 };
  const steps = 900;
  await fit({ variables: flow.variables, loss: () => forwardKl(flow, samples), steps, key: key(0), optimizer: { learningRate: 0.05 }, schedule });
  const logScale = flow.logScale.dataSync();
  const shift = flow.shift.dataSync();
  // Optimisation: an Adam step moves a coordinate by about the learning rate at most near the optimum.
  const lastRate = 0.05 * schedule.gamma ** Math.floor((steps - 1) / schedule.every);
  [0, 1].forEach((j) => {
    assert.ok(Math.abs(shift[j] - mle[j].mean) < 10 * lastRate * S[j], `b[${j}] = ${shift[j]} vs MLE ${mle[j].mean}`);
    assert.ok(Math.abs(logScale[j] - Math.log(mle[j].sd)) < 10 * lastRate, `log a[${j}] = ${logScale[j]} vs log MLE sd ${Math.log(mle[j].sd)}`);
    // Statistics: sd(mean) = s / sqrt(n), sd(sd-hat) ~ s / sqrt(2 n).
    assert.ok(Math.abs(mle[j].mean - M[j]) < (Z * S[j]) / Math.sqrt(n), `sample mean ${mle[j].mean} vs m ${M[j]}`);
    assert.ok(Math.abs(mle[j].sd - S[j]) < (Z * S[j]) / Math.sqrt(2 * n), `sample sd ${mle[j].sd} vs s ${S[j]}`);
  });
  samples.dispose();
  flow.dispose();
});

test('fit on the backward KL with fixed base draws reaches a = s / sd(z), b = m - a mean(z): (s, m) within MC error', async () => {
  const n = 2000;
  const k = key(7);
  const z = rows(normal(k, [n, 2]) as tf.Tensor2D);
  const optimum = [0, 1].map((j) => {
    const mean = z.reduce((s, r) => s + r[j], 0) / n;
    const sd = Math.sqrt(z.reduce((s, r) => s + (r[j] - mean) ** 2, 0) / n);
    const a = S[j] / sd;
    return { a, b: M[j] - a * mean };
  });
  const flow = affineFlow([0, 0], [0, 0]);
  const schedule = { every: 150, gamma: 0.5 };
  const steps = 900;
  await fit({ variables: flow.variables, loss: () => backwardKl(flow, target, k, n), steps, key: key(0), optimizer: { learningRate: 0.05 }, schedule });
  const logScale = flow.logScale.dataSync();
  const shift = flow.shift.dataSync();
  const lastRate = 0.05 * schedule.gamma ** Math.floor((steps - 1) / schedule.every);
  [0, 1].forEach((j) => {
    assert.ok(Math.abs(shift[j] - optimum[j].b) < 10 * lastRate * S[j], `b[${j}] = ${shift[j]} vs optimum ${optimum[j].b}`);
    assert.ok(Math.abs(logScale[j] - Math.log(optimum[j].a)) < 10 * lastRate, `log a[${j}] = ${logScale[j]} vs ${Math.log(optimum[j].a)}`);
    // b - m = -a mean(z): sd s / sqrt(n); a = s / sd(z): sd ~ s / sqrt(2 n).
    assert.ok(Math.abs(optimum[j].b - M[j]) < (Z * S[j]) / Math.sqrt(n), `optimum b ${optimum[j].b} vs m ${M[j]}`);
    assert.ok(Math.abs(optimum[j].a - S[j]) < (Z * S[j]) / Math.sqrt(2 * n), `optimum a ${optimum[j].a} vs s ${S[j]}`);
  });
  flow.dispose();
});

test('RealNVP: the losses through flow.inverse / flow.forward, the scale regulariser and its gradient', () => {
  const flow = realNvp(key(8), { dim: 2, numBlocks: 2, hiddenDim: 8, initScale: 1 });
  const samples = target.sample(key(9), 256);
  // forward KL = -mean[log N(T^-1 x) + log|det J_{T^-1}(x)|]
  const inv = flow.inverse(samples);
  const zs = rows(inv.value);
  const ld = Array.from(inv.logDet.dataSync());
  const forwardRef = -zs.reduce((s, zi, i) => s + zi.reduce((t, v) => t - 0.5 * v * v - HALF_LOG_2PI, 0) + ld[i], 0) / zs.length;
  const forward = scalar(forwardKl(flow, samples));
  assert.ok(Math.abs(forward - forwardRef) < 1e-5 * Math.abs(forwardRef), `forward ${forward} vs ${forwardRef}`);
  // backward KL = mean[log N(z) - log|det J_T(z)| - log pi(T z)], z = normal(key, [n, 2])
  const z = normal(key(10), [256, 2]) as tf.Tensor2D;
  const fwd = flow.forward(z);
  const logPi = Array.from(target.logDensity(fwd.value).dataSync());
  const fld = Array.from(fwd.logDet.dataSync());
  const backwardRef = rows(z).reduce((s, zi, i) => s + zi.reduce((t, v) => t - 0.5 * v * v - HALF_LOG_2PI, 0) - fld[i] - logPi[i], 0) / 256;
  const backward = scalar(backwardKl(flow, target, key(10), 256));
  assert.ok(Math.abs(backward - backwardRef) < 1e-5 * Math.max(1, Math.abs(backwardRef)), `backward ${backward} vs ${backwardRef}`);
  // Regulariser: coefficient * sum of squared scale-net weights (no biases, no translation nets).
  const squares = flow.scaleWeights.reduce((s, w) => s + Array.from(w.dataSync()).reduce((t, v) => t + v * v, 0), 0);
  const reg = scalar(scaleRegulariser(flow));
  assert.ok(Math.abs(reg - SCALE_REGULARISER_COEFFICIENT * squares) < 1e-6 * reg, `regulariser ${reg}`);
  assert.ok(Math.abs(scalar(scaleRegulariser(flow, 0.5)) - 0.5 * squares) < 1e-6 * squares);
  const { value, grads } = tf.variableGrads(() => scaleRegulariser(flow, 0.5), flow.variables);
  value.dispose();
  const scaleSet = new Set(flow.scaleWeights);
  for (const v of flow.variables) {
    const g = grads[v.name];
    if (scaleSet.has(v)) {
      const gv = g.dataSync();
      const wv = v.dataSync();
      gv.forEach((x, i) => assert.ok(Math.abs(x - wv[i]) < 1e-6 * (1 + Math.abs(wv[i])), 'd(0.5 |W|^2)/dW = W'));
    } else {
      assert.ok(g === undefined || g.dataSync().every((x) => x === 0), `no gradient on ${v.name}`);
    }
  }
  tf.dispose([samples, inv.value, inv.logDet, z, fwd.value, fwd.logDet]);
  tf.dispose(grads);
  flow.dispose();
});

test('RealNVP trained by convex KL + regulariser with fit: the loss goes down significantly; tensor count flat', async () => {
  const flow = realNvp(key(11), { dim: 2, numBlocks: 2, hiddenDim: 16 });
  const baseline = tf.memory().numTensors;
  const counts: number[] = [];
  const loss = (k: readonly [number, number]) =>
    tf.tidy(() => {
      const [kSamples, kBase] = split(k);
      const samples = target.sample(kSamples, 256);
      return tf.add(convexKl(flow, target, samples, kBase, 0.8), scaleRegulariser(flow)) as tf.Scalar;
    });
  const result = await fit({
    variables: flow.variables,
    loss,
    steps: 200,
    key: key(12),
    optimizer: { learningRate: 1e-2 },
    chunkSize: 20,
    onProgress: () => counts.push(tf.memory().numTensors),
  });
  assert.equal(Math.max(...counts) - Math.min(...counts), 0, `tensor counts ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, baseline);
  const first = meanAndSd(Array.from(result.losses.subarray(0, 20)));
  const last = meanAndSd(Array.from(result.losses.subarray(180, 200)));
  const se = Math.sqrt(first.sd ** 2 / 20 + last.sd ** 2 / 20);
  assert.ok(last.mean < first.mean - Z * se, `loss ${first.mean} -> ${last.mean} (se ${se})`);
  flow.dispose();
});

test('the losses leave no tensors behind', () => {
  const flow = affineFlow([0.1, -0.2], [0.3, 0.4]);
  const samples = target.sample(key(13), 64);
  const baseline = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    tf.dispose([
      forwardKl(flow, samples),
      forwardKlFromTarget(flow, target, key(i), 32),
      backwardKl(flow, target, key(i), 32),
      convexKl(flow, target, samples, key(i), 0.5),
    ]);
  }
  assert.equal(tf.memory().numTensors, baseline);
  samples.dispose();
  flow.dispose();
});

test('bad inputs give errors naming the option, the value and what was expected', () => {
  const flow = affineFlow([0, 0], [0, 0]);
  const samples = target.sample(key(14), 8);
  const k = key(1);
  assert.throws(() => convexKl(flow, target, samples, k, 1.5), /convexKl: option "alpha" = 1.5, expected a number in \[0, 1\]/);
  assert.throws(() => convexKl(flow, target, samples, k, -0.1), /option "alpha" = -0.1, expected a number in \[0, 1\]/);
  assert.throws(() => convexKl(flow, target, samples, k, NaN), /option "alpha" = NaN, expected a number in \[0, 1\]/);
  assert.throws(() => convexKl(flow, target, undefined as never, k), /convexKl: option "samples" = undefined, expected a tensor \[n, 2\] of target samples/);
  assert.throws(() => forwardKl(flow, undefined as never), /forwardKl: option "samples" = undefined, expected a tensor \[n, 2\] of target samples/);
  const wide = tf.zeros([8, 3]) as tf.Tensor2D;
  assert.throws(() => forwardKl(flow, wide), /forwardKl: option "samples" has shape \[8, 3\], expected a tensor \[n, 2\]/);
  const empty = tf.zeros([0, 2]) as tf.Tensor2D;
  assert.throws(() => forwardKl(flow, empty), /option "samples" has shape \[0, 2\], expected a tensor \[n, 2\] of target samples \(n >= 1\)/);
  const { sample: _drop, ...noSampler } = target;
  assert.throws(
    () => forwardKlFromTarget(flow, noSampler as never, k, 16),
    /forwardKlFromTarget: option "target.sample" = undefined, expected an exact sampler sample\(key, n\) on the target "gaussian-2d"/,
  );
  assert.throws(() => backwardKl(flow, target, k, 0), /backwardKl: option "batch" = 0, expected an integer >= 1/);
  assert.throws(() => convexKl(flow, target, samples, k, 0.5, { batch: 2.5 }), /convexKl: option "batch" = 2.5, expected an integer >= 1/);
  assert.throws(() => forwardKl(flow, samples, { batch: 3 } as never), /forwardKl: option "batch" = 3, expected no such option; known options: base/);
  const target3 = gaussian([0, 0, 0], 1);
  assert.throws(() => backwardKl(flow, target3, k, 4), /backwardKl: option "target" = a target of dim 3, expected a target of the flow's dim 2/);
  assert.throws(() => backwardKl(flow, {} as never, k, 4), /backwardKl: option "target" = \{\}, expected a Target \{ dim, logDensity\(x\) \}/);
  assert.throws(() => backwardKl({} as never, target, k, 4), /backwardKl: option "flow" = \{\}, expected a Flow/);
  assert.throws(() => backwardKl(flow, target, [1] as never, 4), /option "key" = \[1\], expected a Key/);
  assert.throws(() => scaleRegulariser(flow), /scaleRegulariser: option "flow" = .*, expected a flow with scale nets exposing scaleWeightNorm\(\)/);
  const nvp = realNvp(key(2), { dim: 2, numBlocks: 1, hiddenDim: 4 });
  assert.throws(() => scaleRegulariser(nvp, -1), /scaleRegulariser: option "coefficient" = -1, expected a finite number >= 0/);
  nvp.dispose();
  target3.dispose();
  tf.dispose([samples, wide, empty]);
  flow.dispose();
});
