/**
 * LRDS targets (spec slips-lrds-amcbg.md section 2.7) and the LRDS mode-weight metric (section 2.8):
 * - checkerboard: log Z = 0 by grid quadrature (exact for a piecewise-constant density on cell centres), exact
 *   samples inside the squares with square frequencies within 4.5 binomial sd of 3/16 and 1/16, modes.assign
 *   against the device log-density, and RWMH started from exact samples keeping the square frequencies (chains are
 *   independent, so the frequencies after T steps are binomial if the kernel leaves the target invariant);
 * - two-modes LRDS conditionings and two-modes-full: covariances as specified;
 * - the metric on hand-made counts.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, split, uniformArray } from '../../lib/core/random.js';
import { matmul, matrix, qrOrthogonal, transpose } from '../../lib/core/linalg.js';
import { checkerboard, CHECKERBOARD_CORNERS } from '../../lib/targets/checkerboard.js';
import { twoModesFull, twoModesLrds } from '../../lib/targets/twoModes.js';
import { targets } from '../../lib/targets/registry.js';
import { rwmh } from '../../lib/samplers/mcmc/rwmh.js';
import { modeEntropy, modeWeightError, modeWeights } from '../../lib/metrics/modeWeights.js';
import { useBackend } from '../helpers/backends.js';
import { checkFrequencies } from '../helpers/stats.js';

const Z = 4.5;
const CHECKERBOARD_WEIGHTS = [3, 1, 3, 1, 3, 1, 3, 1].map((m) => m / 16);

before(async () => {
  await useBackend('wasm');
});

/** Every row lies in the square `assignment` says (closed-open 2 x 2 squares). */
function assertInsideAssigned(values: Float32Array, assignment: Int32Array): void {
  for (let i = 0; i < assignment.length; i++) {
    const k = assignment[i];
    const [cx, cy] = CHECKERBOARD_CORNERS[k];
    const [x, y] = [values[2 * i], values[2 * i + 1]];
    assert.ok(x >= cx && x < cx + 2 && y >= cy && y < cy + 2, `row ${i} = (${x}, ${y}) is not inside square ${k} at (${cx}, ${cy})`);
  }
}

test('checkerboard: exp(logDensity) integrates to exp(logZ) = 1 (midpoint rule on [-5, 5]^2), -Infinity off the squares', () => {
  const t = checkerboard();
  assert.equal(t.logZ, 0);
  const h = 0.1;
  const m = Math.round(10 / h);
  const grid = new Float32Array(m * m * 2);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      grid[2 * (i * m + j)] = -5 + (i + 0.5) * h;
      grid[2 * (i * m + j) + 1] = -5 + (j + 0.5) * h;
    }
  }
  const x = tf.tensor2d(grid, [m * m, 2]);
  const values = t.logDensity(x).dataSync();
  let sum = 0;
  let outside = 0;
  for (const v of values) {
    sum += Math.exp(v);
    if (v === -Infinity) outside++;
  }
  // The squares cover 32 of the 100 units of area.
  assert.ok(Math.abs(Math.log(sum * h * h) - t.logZ) < 1e-5, `log integral ${Math.log(sum * h * h)}`);
  assert.equal(outside, m * m - (32 / (h * h)));
  const probe = tf.tensor2d([[-1, 3], [3, 3], [1, 3], [4.5, 0], [-3, -3]]);
  assert.deepEqual(Array.from(t.logDensity(probe).dataSync()), [
    Math.fround(Math.log(3 / 64)), Math.fround(Math.log(1 / 64)), -Infinity, -Infinity, Math.fround(Math.log(3 / 64)),
  ]);
  const grad = t.gradLogDensity(probe);
  assert.deepEqual(Array.from(grad.dataSync()), new Array(10).fill(0));
  tf.dispose([x, probe, grad]);
  t.dispose();
});

test('checkerboard: exact samples lie in their squares, square frequencies within 4.5 sd of 3/16 and 1/16, assign agrees with the device density', async () => {
  const t = checkerboard();
  assert.deepEqual(t.modes.weights, CHECKERBOARD_WEIGHTS);
  const n = 20000;
  const x = t.sample(key(11), n);
  const values = (await x.data()) as Float32Array;
  const assignment = await t.modes.assign(x);
  assertInsideAssigned(values, assignment);
  checkFrequencies(assignment, CHECKERBOARD_WEIGHTS, 'checkerboard exact samples', Z);
  const logDensity = await t.logDensity(x).data();
  for (let i = 0; i < n; i++) {
    assert.equal(logDensity[i], Math.fround(Math.log(CHECKERBOARD_WEIGHTS[assignment[i]] / 4)), `row ${i}`);
  }
  // Moments: mean of the x-coordinate and its binomial-free sd bound (the samples are iid).
  let mean0 = 0;
  for (let i = 0; i < n; i++) mean0 += values[2 * i] / n;
  assert.ok(Math.abs(mean0 - t.mean[0]) < Z * Math.sqrt(t.variance[0] / n), `mean ${mean0} vs ${t.mean[0]}`);
  // Points outside go to the nearest square; same key, same samples.
  const off = tf.tensor2d([[-4.5, -3], [1, 2.5], [0.5, 3], [5, 5]]);
  assert.deepEqual(Array.from(await t.modes.assign(off)), [6, 3, 0, 1]);
  assert.deepEqual(Array.from(t.sample(key(11), 5).dataSync()), Array.from(values.slice(0, 10)));
  tf.dispose([x, off]);
  t.dispose();
});

test('checkerboard: RWMH from exact samples keeps the square frequencies (independent chains, binomial sd) and never leaves the squares', async () => {
  const t = checkerboard();
  const n = 8000;
  const kernel = rwmh(t);
  const [k0, kSteps] = split(key(5));
  let state = await kernel.init(t.sample(k0, n));
  const steps = 30;
  for (const k of split(kSteps, steps)) {
    const next = kernel.step(k, state, { stepSize: 1.5 });
    tf.dispose([state.position, state.logDensity, ...Object.values(next.info).filter((v) => v instanceof tf.Tensor)]);
    state = next.state;
  }
  const assignment = await t.modes.assign(state.position);
  assertInsideAssigned((await state.position.data()) as Float32Array, assignment);
  checkFrequencies(assignment, CHECKERBOARD_WEIGHTS, 'checkerboard after RWMH', Z);
  tf.dispose([state.position, state.logDensity]);
  t.dispose();
});

test('checkerboard: equilibrated variant, registry entry and option checks', () => {
  const eq = checkerboard({ unequilibrated: false });
  assert.deepEqual(eq.modes.weights, new Array(8).fill(1 / 8));
  assert.equal(eq.name, 'checkerboard-equilibrated');
  eq.dispose();
  const t = targets.get('checkerboard', { unequilibrated: true });
  assert.equal(t.dim, 2);
  assert.equal(t.logZ, 0);
  assert.throws(() => checkerboard({ unequilibrated: 'yes' as never }), /checkerboard: option "unequilibrated" = "yes", expected/);
  assert.throws(() => checkerboard({ width: 4 } as never), /checkerboard: .*width/);
  assert.throws(() => targets.get('checkerboard', { width: 4 }), /option "width" is unknown, expected unequilibrated/);
});

test('two-modes LRDS conditionings: shared diagonal covariance 0.05 logspace(-1|-2, 0, d), means -/+ 1', () => {
  const d = 5;
  const logspace = (lo: number) => Array.from({ length: d }, (_, i) => 0.05 * 10 ** (lo + (-lo * i) / (d - 1)));
  for (const [conditioning, lo] of [['none', 0], ['medium', -1], ['hard', -2]] as const) {
    const t = twoModesLrds(d, conditioning);
    const v = t.components.variances!;
    logspace(lo).forEach((e, i) => {
      assert.ok(Math.abs(v[0][i] - e) < 1e-15 && Math.abs(v[1][i] - e) < 1e-15, `${conditioning} variance ${i}`);
    });
    assert.deepEqual(t.components.means, [new Array(d).fill(-1), new Array(d).fill(1)]);
    assert.deepEqual(t.componentWeights, [2 / 3, 1 / 3]);
  }
  assert.deepEqual(twoModesLrds(d, 'not').components.variances, twoModesLrds(d, 'none').components.variances);
  assert.throws(() => twoModesLrds(d, 'easy' as never), /twoModesLrds: option "conditioning" = "easy", expected 'none', 'medium' or 'hard' \('not' is read as 'none'\)/);
});

test('two-modes-full: covariance Q diag(0.05 logspace) Q^T with Q from the QR of 5 U[0,1]^{d x d} drawn from the key', () => {
  const d = 6;
  for (const [conditioning, lo] of [['medium', -1], ['hard', -2]] as const) {
    const t = twoModesFull(d, conditioning);
    const eig = Array.from({ length: d }, (_, i) => 0.05 * 10 ** (lo + (-lo * i) / (d - 1)));
    const u = matrix(d, d, uniformArray(key(42), d * d).map((v) => 5 * v));
    const q = qrOrthogonal(u);
    // Q is orthogonal and R = Q^T U is upper triangular.
    const qtq = matmul(transpose(q), q).data;
    const r = matmul(transpose(q), u).data;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        assert.ok(Math.abs(qtq[i * d + j] - (i === j ? 1 : 0)) < 1e-12, `Q^T Q [${i}][${j}]`);
        if (i > j) assert.ok(Math.abs(r[i * d + j]) < 1e-12, `R [${i}][${j}]`);
      }
    }
    // C q_j = lambda_j q_j for both (identical) components.
    const cov = t.components.covariances[0];
    const cq = matmul(cov, q).data;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) assert.ok(Math.abs(cq[i * d + j] - eig[j] * q.data[i * d + j]) < 1e-14, `C q [${i}][${j}]`);
    }
    assert.deepEqual(Array.from(t.components.covariances[1].data), Array.from(cov.data));
    assert.deepEqual(t.components.means, [new Array(d).fill(-1), new Array(d).fill(1)]);
  }
  // Another key, another basis; same eigenvalues (trace).
  const a = twoModesFull(d, 'hard').components.covariances[0];
  const b = twoModesFull(d, 'hard', { key: key(7) }).components.covariances[0];
  assert.notDeepEqual(Array.from(a.data), Array.from(b.data));
  const trace = (m: { data: Float64Array }) => Array.from({ length: d }, (_, i) => m.data[i * d + i]).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(trace(a) - trace(b)) < 1e-14);
  assert.throws(() => twoModesFull(d, 'none' as never), /twoModesFull: option "conditioning" = "none", expected 'medium' or 'hard'/);
  assert.equal(targets.get('two-modes-full', { dim: 3, conditioning: 'hard' }).name, 'two-modes-full-3d-hard');
});

test('LRDS mode-weight metric on hand-made counts: |100 w^_1 - 66.67| points, TV_weights (no 1/2), EMC, KL(w || h)', () => {
  // Two modes: 600 of 1000 samples in the heavy mode -> 60 %, error 6.667 points.
  const assignment = [...new Array(600).fill(0), ...new Array(400).fill(1)];
  const h = modeWeights(assignment, 2);
  assert.ok(Math.abs(100 * modeWeightError(h, [2 / 3, 1 / 3]).firstModeAbsError - 20 / 3) < 1e-9);
  // Four modes, counts 5, 3, 2, 0 of 10 against w = (0.4, 0.3, 0.2, 0.1).
  const h4 = modeWeights([0, 0, 0, 0, 0, 1, 1, 1, 2, 2], 4);
  const e = modeWeightError(h4, [0.4, 0.3, 0.2, 0.1]);
  assert.ok(Math.abs(e.l1 - 0.2) < 1e-12, `TV_weights ${e.l1}`);
  assert.equal(e.klTruthToEstimate, Infinity);
  const emc = modeEntropy(h4);
  const expected = -(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.2 * Math.log(0.2)) / Math.log(4);
  assert.ok(Math.abs(emc - expected) < 1e-12, `EMC ${emc}`);
  const kl = modeWeightError([0.5, 0.3, 0.1, 0.1], [0.4, 0.3, 0.2, 0.1]).klTruthToEstimate;
  assert.ok(Math.abs(kl - (0.4 * Math.log(0.4 / 0.5) + 0.2 * Math.log(2))) < 1e-12, `KL ${kl}`);
});

test('LRDS mode-weight metric end to end: exact samples of two-modes-lrds(8, hard) give an error within 4.5 binomial sd (in points)', async () => {
  const t = twoModesLrds(8, 'hard');
  const n = 8192;
  const x = t.sample(key(3), n);
  const h = modeWeights(await t.modes.assign(x), 2);
  const w0 = t.modes!.weights[0];
  const points = 100 * modeWeightError(h, t.modes!.weights).firstModeAbsError;
  assert.ok(points < Z * 100 * Math.sqrt((w0 * (1 - w0)) / n), `error ${points} points`);
  x.dispose();
});
