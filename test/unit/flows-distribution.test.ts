/**
 * lib/models/flowTarget.ts: the flow distribution T # rho as a Target and as an independent proposal.
 * On a RealNVP pushed far from the identity (weights N(0, 0.5^2)), in 2-D: the density integrates to 1 on a grid
 * (trapezoid, tolerance from a Richardson estimate of the quadrature error), the samples match the density
 * (KS of both marginals against CDFs from the same quadrature, means within 4 standard errors);
 * in 1-D the density integrates to 1 as well. Also: sampleWithLogDensity against sample + logDensity,
 * custom bases (logZ passed on), input gradients against finite differences, determinism, memory, bad inputs.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { ksOneSample } from '../../lib/metrics/ks.js';
import { flowDistribution, standardNormalBase, type FlowBase, type FlowDistribution } from '../../lib/models/flowTarget.js';
import { realNvp, type RealNvp } from '../../lib/models/realnvp.js';
import type { IndependentProposal } from '../../lib/samplers/mcmc/imh.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { logDensityAndGrad } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';
import { maxAbs, maxAbsDiff, perturbedRealNvp } from './flows-fixtures.js';

const Z = 4; // |estimate - truth| < Z * sd / sqrt(n)

interface Grid2d {
  h: number;
  nodes: number[]; // the grid coordinates along each axis
  density: Float64Array; // density[i * m + j] at (nodes[i], nodes[j])
}

/** exp(logDensity) on a square grid [-half, half]^2 with spacing h (nodes shared by both axes). */
function densityGrid(dist: FlowDistribution, half: number, h: number): Grid2d {
  const m = Math.round((2 * half) / h) + 1;
  const nodes = Array.from({ length: m }, (_, i) => -half + i * h);
  const points = new Float32Array(m * m * 2);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      points[2 * (i * m + j)] = nodes[i];
      points[2 * (i * m + j) + 1] = nodes[j];
    }
  }
  const x = tf.tensor2d(points, [m * m, 2]);
  const ld = dist.logDensity(x);
  const density = Float64Array.from(ld.dataSync(), Math.exp);
  tf.dispose([x, ld]);
  return { h, nodes, density };
}

/** Trapezoid rule over the grid, using every `stride`-th node (stride 2: the grid with spacing 2h). */
function integrate(grid: Grid2d, stride = 1): number {
  const m = grid.nodes.length;
  const weight = (i: number) => (i === 0 || i === m - 1 ? 0.5 : 1);
  let sum = 0;
  for (let i = 0; i < m; i += stride) {
    for (let j = 0; j < m; j += stride) sum += weight(i) * weight(j) * grid.density[i * m + j];
  }
  return sum * (grid.h * stride) ** 2;
}

/** Marginal density of coordinate `axis` at the nodes (trapezoid over the other axis). */
function marginal(grid: Grid2d, axis: 0 | 1): number[] {
  const m = grid.nodes.length;
  return grid.nodes.map((_, a) => {
    let sum = 0;
    for (let b = 0; b < m; b++) {
      const w = b === 0 || b === m - 1 ? 0.5 : 1;
      sum += w * grid.density[axis === 0 ? a * m + b : b * m + a];
    }
    return sum * grid.h;
  });
}

/** CDF from a density at the nodes: cumulative trapezoid, linear between nodes. */
function cdfFromDensity(nodes: number[], density: number[]): (x: number) => number {
  const h = nodes[1] - nodes[0];
  const cumulative = [0];
  for (let i = 1; i < nodes.length; i++) cumulative.push(cumulative[i - 1] + 0.5 * h * (density[i - 1] + density[i]));
  return (x) => {
    if (x <= nodes[0]) return 0;
    if (x >= nodes[nodes.length - 1]) return cumulative[cumulative.length - 1];
    const i = Math.floor((x - nodes[0]) / h);
    const t = (x - nodes[i]) / h;
    return cumulative[i] + t * (cumulative[i + 1] - cumulative[i]);
  };
}

describe('flowDistribution', () => {
  let flow: RealNvp;
  let dist: FlowDistribution;
  let grid: Grid2d;
  const HALF = 15;
  const H = 0.05;

  before(async () => {
    await useBackend('wasm');
    flow = perturbedRealNvp({ dim: 2, numBlocks: 4, hiddenDim: 16 }, 201);
    dist = flowDistribution(flow);
    grid = densityGrid(dist, HALF, H);
  });
  after(() => flow.dispose());

  test('2-D: the density integrates to 1 (trapezoid on [-15, 15]^2, h = 0.05; tolerance from Richardson)', () => {
    const m = grid.nodes.length;
    let boundary = 0;
    let peak = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const p = grid.density[i * m + j];
        peak = Math.max(peak, p);
        if (i === 0 || j === 0 || i === m - 1 || j === m - 1) boundary = Math.max(boundary, p);
      }
    }
    // the box holds the mass: the density on its edge is negligible (mass outside ~ perimeter * edge density)
    assert.ok(boundary < 1e-9, `density on the box edge ${boundary}`);
    const fine = integrate(grid);
    const coarse = integrate(grid, 2);
    // The density is continuous and piecewise smooth (ReLU conditioners), so the trapezoid error is O(h^2):
    // error(h) ~ (I_h - I_2h) / 3. Allow 3 times the difference (9x the estimate) plus float32 rounding of the
    // log-density (~1e-6 relative) and the box truncation; the difference itself must be small (non-vacuous).
    const richardson = Math.abs(fine - coarse);
    assert.ok(richardson < 1e-3, `quadrature too coarse: |I_h - I_2h| = ${richardson}`);
    assert.ok(Math.abs(fine - 1) < 3 * richardson + 1e-5 + 4 * HALF * 2 * boundary, `integral ${fine} (I_2h ${coarse})`);
    // not a near-Gaussian: the peak differs from the standard normal's 1 / (2 pi)
    assert.ok(Math.abs(peak - 1 / (2 * Math.PI)) > 0.02, `peak density ${peak}`);
  });

  test('2-D: samples match the density (KS of both marginals vs quadrature CDFs; means within 4 SE)', () => {
    const n = 20000;
    const x = dist.sample(key(202), n);
    const values = x.dataSync();
    x.dispose();
    for (const axis of [0, 1] as const) {
      const p = marginal(grid, axis);
      const cdf = cdfFromDensity(grid.nodes, p);
      const coordinate = Float64Array.from({ length: n }, (_, i) => values[2 * i + axis]);
      const { statistic, pValue } = ksOneSample(coordinate, cdf);
      assert.ok(pValue > 1e-4, `axis ${axis}: KS statistic ${statistic}, p = ${pValue}`);
      // moments by quadrature
      let mean = 0;
      let second = 0;
      grid.nodes.forEach((t, i) => {
        mean += p[i] * t * grid.h;
        second += p[i] * t * t * grid.h;
      });
      const sd = Math.sqrt(second - mean * mean);
      const sampleMean = coordinate.reduce((a, b) => a + b, 0) / n;
      assert.ok(Math.abs(sampleMean - mean) < (Z * sd) / Math.sqrt(n), `axis ${axis}: sample mean ${sampleMean} vs ${mean} (sd ${sd})`);
    }
  });

  test('1-D (d = 1, an affine flow): the density integrates to 1', () => {
    const flow1 = perturbedRealNvp({ dim: 1, numBlocks: 3, hiddenDim: 4 }, 203);
    const dist1 = flowDistribution(flow1);
    const h = 0.01;
    const nodes = Array.from({ length: 4001 }, (_, i) => -20 + i * h);
    const ld = dist1.logDensity(tf.tensor2d(Float32Array.from(nodes), [nodes.length, 1]));
    const p = Array.from(ld.dataSync(), Math.exp);
    ld.dispose();
    assert.ok(Math.max(p[0], p[p.length - 1]) < 1e-12, 'box edges');
    const integral = h * (p.reduce((a, b) => a + b, 0) - 0.5 * (p[0] + p[p.length - 1]));
    // a Gaussian: the trapezoid rule is spectrally accurate; float32 log-density rounding ~1e-6
    assert.ok(Math.abs(integral - 1) < 1e-5, `integral ${integral}`);
    // not the identity (T(z) = a z + b here): the test would be vacuous
    const ends = tf.tensor2d([[-2], [2]]);
    const moved = maxAbsDiff(flow1.forward(ends).value.dataSync(), [-2, 2]);
    assert.ok(moved > 0.1, `max |T(z) - z| on {-2, 2} = ${moved}`);
    ends.dispose();
    flow1.dispose();
  });

  test('sampleWithLogDensity: the same draws as sample(key), log-density equal to logDensity(x) (one pass, no inverse)', () => {
    const k = key(204);
    const { x, logDensity } = dist.sampleWithLogDensity(k, 500);
    const plain = dist.sample(k, 500);
    assert.deepEqual(x.dataSync(), plain.dataSync());
    const viaInverse = dist.logDensity(x);
    const a = logDensity.dataSync();
    const b = viaInverse.dataSync();
    assert.ok(maxAbsDiff(a, b) < 1e-4 * (1 + maxAbs(b)), `max difference ${maxAbsDiff(a, b)}`);
    // an independent proposal for IMH / i-SIR as it stands
    const proposal: IndependentProposal = dist;
    assert.equal(typeof proposal.sample, 'function');
    tf.dispose([x, logDensity, plain, viaInverse]);
  });

  test('custom bases: an identity flow gives back the base exactly; logZ is the base logZ', () => {
    const identity = realNvp(key(205), { dim: 2, numBlocks: 2, hiddenDim: 4, initScale: 0 });
    const base = gaussian([1, -2], [2, 0.5]);
    const d = flowDistribution(identity, base);
    assert.equal(d.logZ, 0);
    const x = normal(key(206), [64, 2], 0, 2) as tf.Tensor2D;
    assert.deepEqual(d.logDensity(x).dataSync(), base.logDensity(x).dataSync());
    assert.deepEqual(d.sample(key(207), 10).dataSync(), base.sample(key(207), 10).dataSync());
    // an unnormalised base: exp(logDensity) integrates to exp(logZ), and so does the flow distribution's
    const std = standardNormalBase(2);
    const shifted: FlowBase = { ...std, name: 'shifted', logZ: 3, logDensity: (z) => tf.tidy(() => tf.add(std.logDensity(z), 3) as tf.Tensor1D) };
    const d2 = flowDistribution(flow, shifted);
    assert.equal(d2.logZ, 3);
    assert.equal(d2.name, 'flow(shifted)');
    const diff = tf.sub(d2.logDensity(x), dist.logDensity(x)).dataSync();
    assert.ok(maxAbsDiff(diff, new Float32Array(64).fill(3)) < 1e-5);
    tf.dispose(x);
    base.dispose();
    identity.dispose();
  });

  test('input gradient of logDensity (autodiff, as MALA / NeuTra use it) matches finite differences (tanh flow)', () => {
    const smooth = perturbedRealNvp({ dim: 3, numBlocks: 3, hiddenDim: 8, activation: 'tanh' }, 208);
    const d = flowDistribution(smooth);
    const x = normal(key(209), [16, 3]) as tf.Tensor2D;
    const { logDensity, grad } = logDensityAndGrad(d, x);
    const g = grad.arraySync();
    const xs = x.arraySync();
    const eps = 1e-2;
    let largest = 0;
    for (let j = 0; j < 3; j++) {
      const shift = (delta: number) => tf.tidy(() => d.logDensity(tf.tensor2d(xs.map((row) => row.map((v, c) => (c === j ? v + delta : v))))).dataSync());
      const up = shift(eps);
      const down = shift(-eps);
      xs.forEach((_, r) => {
        const fd = (up[r] - down[r]) / (2 * eps);
        largest = Math.max(largest, Math.abs(g[r][j]));
        // bias eps^2 / 6 * third derivative ~ 1e-4; float32 rounding of log-densities ~3 / 2e-2 * 1e-7 ~ 2e-5
        assert.ok(Math.abs(fd - g[r][j]) < 2e-3 * (1 + Math.abs(g[r][j])), `row ${r} coordinate ${j}: ${g[r][j]} vs ${fd}`);
      });
    }
    assert.ok(largest > 0.5, 'gradients are not trivially small');
    tf.dispose([x, logDensity, grad]);
    smooth.dispose();
  });

  test('determinism and memory: same key -> same samples; tensor count flat over repeated calls', () => {
    const a = dist.sample(key(210), 50);
    const b = dist.sample(key(210), 50);
    const c = dist.sample(key(211), 50);
    assert.deepEqual(a.dataSync(), b.dataSync());
    assert.notDeepEqual(a.dataSync(), c.dataSync());
    tf.dispose([a, b, c]);
    const x = normal(key(212), [64, 2]) as tf.Tensor2D;
    const start = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) {
      tf.tidy(() => {
        dist.logDensity(x);
        dist.sample(key(i), 64);
        dist.sampleWithLogDensity(key(i), 64);
      });
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(dist.logDensity(x))) as tf.Scalar, flow.variables);
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.equal(tf.memory().numTensors, start);
    x.dispose();
  });

  test('bad inputs throw errors naming the option, the value and what was expected', () => {
    assert.throws(() => flowDistribution(null as unknown as RealNvp), /flowDistribution: option "flow" = null, expected a Flow/);
    assert.throws(() => flowDistribution(flow, standardNormalBase(3)), /flowDistribution: option "base" = "a base of dim 3", expected a base of the flow's dim 2/);
    assert.throws(() => flowDistribution(flow, { dim: 2 } as FlowBase), /option "base" = .*expected a base distribution \{ dim, logDensity\(z\), sample\(key, n\) \}/);
    const wrong = tf.zeros([4, 3]) as tf.Tensor2D;
    assert.throws(() => dist.logDensity(wrong), /flow\(standard-normal-2d\).logDensity: option "x" has shape \[4, 3\], expected \[n, 2\]/);
    assert.throws(() => dist.sample(key(0), -1), /sample: option "n" = -1, expected an integer >= 0/);
    assert.throws(() => dist.sampleWithLogDensity(key(0), 1.5), /sampleWithLogDensity: option "n" = 1.5, expected an integer >= 0/);
    wrong.dispose();
  });
});
