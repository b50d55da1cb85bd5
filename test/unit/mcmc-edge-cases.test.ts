/**
 * Issue 11, non-finite log-densities in the MCMC kernels:
 *  1. a chain started outside the support (log-density -Infinity) accepts the first finite proposal and never
 *     holds a NaN log-density (rwmh, mala, hmc, elliptical slice);
 *  2. i-SIR gives a +Infinity importance weight (finite target, proposal density 0) the whole mass;
 *  3. a proposal with log-density +Infinity (or NaN) mid-run is rejected, so the cached log-density always
 *     equals the target's at the chain's position and stays finite; `info.isInvalid` marks exactly those
 *     rejections (issue 13: runChain counts them).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { foldIn, key, normal, split } from '../../lib/core/random.js';
import { hmc, isir, mala, rwmh, type ChainState, type Kernel } from '../../lib/samplers/mcmc/index.js';
import { ellipticalSlice } from '../../lib/samplers/transport/ellipticalSlice.js';
import type { Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

/** log pi(x) = -2 |x - c|^2 inside the box [lo, hi]^2, -Infinity outside (plus +Infinity on `hot`, if given). */
function boxTarget(lo: number, hi: number, c: number, hot?: (x: tf.Tensor2D) => tf.Tensor1D): Target {
  const logDensity = (x: tf.Tensor2D) =>
    tf.tidy(() => {
      const inside = tf.cast(tf.all(tf.logicalAnd(tf.greaterEqual(x, lo), tf.lessEqual(x, hi)), 1), 'float32');
      const base = tf.add(tf.mul(-2, tf.sum(tf.square(tf.sub(x, c)), 1)), tf.log(inside)); // log 0 = -Infinity
      if (!hot) return base as tf.Tensor1D;
      return tf.add(base, tf.neg(tf.log(tf.sub(1, hot(x))))) as tf.Tensor1D; // -log 0 = +Infinity on `hot`
    });
  return {
    name: 'box',
    dim: 2,
    logDensity,
    logDensityAndGrad: (x) => ({ logDensity: logDensity(x), grad: tf.tidy(() => tf.mul(-4, tf.sub(x, c))) as tf.Tensor2D }),
  };
}

const KERNELS: { name: string; make: (t: Target) => Kernel<ChainState, any>; params: Record<string, unknown> }[] = [
  { name: 'rwmh', make: (t) => rwmh(t), params: { stepSize: 0.3 } },
  { name: 'mala', make: (t) => mala(t), params: { stepSize: 0.3 } },
  { name: 'hmc', make: (t) => hmc(t), params: { stepSize: 0.1, numIntegrationSteps: 3 } },
  { name: 'ellipticalSlice', make: (t) => ellipticalSlice(t), params: {} },
];

/** Run `steps` steps; after each, compare the cached log-density with the target's at the position. */
async function runChecked(kernel: Kernel<ChainState, any>, target: Target, x0: tf.Tensor2D, params: Record<string, unknown>, steps: number) {
  let state = await kernel.init(x0);
  let numInvalid = 0;
  const k = key(11);
  for (let i = 0; i < steps; i++) {
    const before = Array.from(await state.logDensity.data());
    const { state: next, info } = kernel.step(foldIn(k, i), state, params);
    const cached = Array.from(await next.logDensity.data());
    const fresh = tf.tidy(() => target.logDensity(next.position));
    const actual = Array.from(await fresh.data());
    const accepted = Array.from(await info.isAccepted.data());
    const logAcceptanceTensor = (info as { logAcceptance?: tf.Tensor1D }).logAcceptance;
    const logAcceptance = logAcceptanceTensor ? Array.from(await logAcceptanceTensor.data()) : null;
    const isInvalid = Array.from(await info.isInvalid.data());
    fresh.dispose();
    for (let c = 0; c < cached.length; c++) {
      if (isInvalid[c] === 1) {
        numInvalid++;
        assert.equal(accepted[c], 0, `${kernel.name} step ${i} chain ${c}: an invalid proposal was accepted`);
      }
      // From a finite log-density, a log-acceptance of +Infinity means a proposal at +Infinity; NaN is invalid too.
      if (logAcceptance && (Number.isNaN(logAcceptance[c]) || (Number.isFinite(before[c]) && logAcceptance[c] === Infinity))) {
        assert.equal(isInvalid[c], 1, `${kernel.name} step ${i} chain ${c}: log-acceptance ${logAcceptance[c]} not marked invalid`);
      }
      if (logAcceptance && Number.isFinite(logAcceptance[c])) {
        assert.equal(isInvalid[c], 0, `${kernel.name} step ${i} chain ${c}: a finite log-acceptance marked invalid`);
      }
      assert.ok(!Number.isNaN(cached[c]) && cached[c] !== Infinity, `${kernel.name} step ${i} chain ${c}: cached log-density ${cached[c]}`);
      assert.ok(
        cached[c] === actual[c] || (Number.isFinite(actual[c]) && Math.abs(cached[c] - actual[c]) <= 1e-5 * (1 + Math.abs(actual[c]))),
        `${kernel.name} step ${i} chain ${c}: cached log-density ${cached[c]} but the target's at the position is ${actual[c]}`,
      );
      // from -Infinity, a finite proposal (log-acceptance +Infinity) is accepted
      if (before[c] === -Infinity && logAcceptance && logAcceptance[c] === Infinity) {
        assert.equal(accepted[c], 1, `${kernel.name} step ${i} chain ${c}: finite proposal from -Infinity not accepted`);
        assert.ok(Number.isFinite(cached[c]), `${kernel.name} step ${i} chain ${c}: accepted a finite proposal, cached ${cached[c]}`);
      }
    }
    tf.dispose(Object.values(state));
    tf.dispose(Object.values(info));
    state = next;
  }
  const final = Array.from(await state.logDensity.data());
  tf.dispose(Object.values(state));
  return { final, numInvalid };
}

for (const { name, make, params } of KERNELS) {
  test(`${name}: chains started outside the support move in and never hold a NaN log-density`, async () => {
    const target = boxTarget(0, 1, 0.5);
    // 32 chains just outside the unit box (every start has log-density -Infinity)
    const x0 = tf.tidy(() => tf.add(1.15, tf.mul(0.05, tf.abs(normal(key(3), [32, 2]))))) as tf.Tensor2D;
    const { final } = await runChecked(make(target), target, x0, params, 60);
    x0.dispose();
    const inside = final.filter(Number.isFinite).length;
    assert.ok(inside >= 30, `${name}: only ${inside} / 32 chains reached the support after 60 steps`);
  });

  test(`${name}: a proposal with log-density +Infinity mid-run is rejected (cached value stays exact)`, async () => {
    // +Infinity on the strip x0 > 0.8 inside the box: chains started near it propose into it often
    const target = boxTarget(0, 1, 0.5, (x) => tf.cast(tf.greater(tf.slice(x, [0, 0], [-1, 1]).reshape([-1]), 0.8), 'float32') as tf.Tensor1D);
    const x0 = tf.tidy(() => tf.add(tf.tensor2d([[0.7, 0.5]]), tf.mul(0.03, normal(key(5), [32, 2])))) as tf.Tensor2D;
    const { numInvalid } = await runChecked(make(target), target, x0, params, 30);
    x0.dispose();
    // The Metropolis kernels propose into the +Infinity strip and reject those moves as invalid; elliptical slice
    // shrinks past them (its isInvalid marks chains that found no point at all).
    if (name !== 'ellipticalSlice') assert.ok(numInvalid > 0, `${name}: no proposal was marked invalid`);
  });
}

test('isir: a +Infinity importance weight among finite ones gets the whole mass, and keeps it', async () => {
  // target N(0, I) (finite everywhere); the proposal N(0, 2^2 I) reports density 0 (log -Infinity) where x0 > 1,
  // so the weight of every fresh candidate there is +Infinity
  const target: Target = {
    name: 'gaussian',
    dim: 2,
    logDensity: (x) => tf.tidy(() => tf.mul(-0.5, tf.sum(tf.square(x), 1))) as tf.Tensor1D,
  };
  let last: tf.Tensor2D | null = null;
  const proposal = {
    sample: (k: readonly [number, number], n: number) => {
      const s = tf.mul(normal(k, [n, 2]), 2) as tf.Tensor2D;
      last?.dispose();
      last = tf.keep(tf.clone(s));
      return s;
    },
    logDensity: (x: tf.Tensor2D) =>
      tf.tidy(() => {
        const gauss = tf.mul(-0.125, tf.sum(tf.square(x), 1));
        const zero = tf.cast(tf.greater(tf.reshape(tf.slice(x, [0, 0], [-1, 1]), [-1]), 1), 'float32');
        return tf.add(gauss, tf.log(tf.sub(1, zero))); // log 0 = -Infinity where x0 > 1
      }) as tf.Tensor1D,
  };
  const kernel = isir(target, proposal);
  const n = 64;
  const N = 4;
  const x0 = tf.zeros([n, 2]) as tf.Tensor2D;
  const state = await kernel.init(x0);
  const { state: next, info } = kernel.step(key(9), state, { numParticles: N });
  const fresh = await last!.array(); // [n (N - 1), 2], chain c's candidates at rows c (N - 1) ..
  const pos = await next.position.array();
  const ld = Array.from(await next.logDensity.data());
  const lq = Array.from(await next.logProposalDensity.data());
  let rowsWithInf = 0;
  for (let c = 0; c < n; c++) {
    const cands = fresh.slice(c * (N - 1), (c + 1) * (N - 1));
    const hot = cands.filter((y) => y[0] > 1);
    if (hot.length === 0) continue;
    rowsWithInf++;
    assert.ok(hot.some((y) => y[0] === pos[c][0] && y[1] === pos[c][1]), `chain ${c} did not move to a +Infinity-weight candidate`);
    assert.equal(lq[c], -Infinity, `chain ${c}: cached proposal log-density`);
    assert.ok(Number.isFinite(ld[c]), `chain ${c}: cached log-density ${ld[c]}`);
  }
  assert.ok(rowsWithInf > 10, `only ${rowsWithInf} rows had a +Infinity weight`);
  // a chain sitting at a +Infinity weight stays there against finite candidates
  const { state: third } = kernel.step(key(10), next, { numParticles: N });
  const fresh2 = await last!.array();
  const pos3 = await third.position.array();
  for (let c = 0; c < n; c++) {
    if (lq[c] !== -Infinity) continue;
    const others = fresh2.slice(c * (N - 1), (c + 1) * (N - 1)).filter((y) => y[0] > 1);
    if (others.length > 0) continue;
    assert.deepEqual(pos3[c], pos[c], `chain ${c} left a +Infinity weight for a finite one`);
  }
  tf.dispose([x0, last!, info.acceptanceRate, info.isAccepted, info.ess!, info.selectedIndex!]);
  tf.dispose([...Object.values(state), ...Object.values(next), ...Object.values(third)]);
});
