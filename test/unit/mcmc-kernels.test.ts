/**
 * Fast checks of every MCMC kernel (rwmh, mala, hmc, imh, isir): flat tensor count over 200 steps, determinism
 * from a key, per-chain step sizes, NaN proposals counted as rejections without leaking into the state, and the
 * errors at the boundary (each naming the option, the value and what was expected).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key, normal } from '../../lib/core/random.js';
import { hmc, imh, isir, mala, rwmh, type ChainState, type ImhState, type IsirParams, type Kernel } from '../../lib/samplers/mcmc/index.js';
import type { Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';
import { correlatedGaussian, proposalFor, type TestTarget } from './mcmc-fixtures.js';

before(() => useBackend('wasm'));

let gaussian: TestTarget;
let proposal: ReturnType<typeof proposalFor>;
before(() => {
  gaussian = correlatedGaussian();
  proposal = proposalFor(gaussian);
});
after(() => {
  gaussian.dispose();
  proposal.dispose();
});

interface Case {
  name: string;
  make: (target: Target) => Kernel<ChainState, any>;
  params: Record<string, unknown>;
  /** Whether `stepSize` is a parameter (so per-chain step sizes apply). */
  stepSize: boolean;
}

const CASES: Case[] = [
  { name: 'rwmh', make: (t) => rwmh(t), params: { stepSize: 0.8 }, stepSize: true },
  { name: 'mala', make: (t) => mala(t), params: { stepSize: 0.2 }, stepSize: true },
  { name: 'hmc', make: (t) => hmc(t), params: { stepSize: 0.2, numIntegrationSteps: 5, jitter: 0.2 }, stepSize: true },
  { name: 'imh', make: (t) => imh(t, proposal), params: {}, stepSize: false },
  { name: 'isir', make: (t) => isir(t, proposal), params: { numParticles: 8 }, stepSize: false },
];

async function run(kernel: Kernel<ChainState, any>, start: tf.Tensor2D, seed: number, steps: number, params: Record<string, unknown>) {
  let state = await kernel.init(start);
  const k = key(seed);
  for (let i = 0; i < steps; i++) state = advance(state, (s) => kernel.step(foldIn(k, i), s, params).state);
  return state;
}

for (const c of CASES) {
  describe(c.name, () => {
    test('tensor count stays flat over 200 steps (advance around each step)', async () => {
      const kernel = c.make(gaussian);
      const start = normal(key(1), [64, 3]) as tf.Tensor2D;
      let state = await kernel.init(start);
      state = advance(state, (s) => kernel.step(key(2), s, c.params).state); // warm-up: lazily built constants
      const baseline = tf.memory().numTensors;
      const counts: number[] = [];
      for (let i = 0; i < 200; i++) {
        state = advance(state, (s) => kernel.step(foldIn(key(3), i), s, c.params).state);
        counts.push(tf.memory().numTensors);
      }
      assert.deepEqual([Math.min(...counts), Math.max(...counts)], [baseline, baseline], 'numTensors must not move');
      tf.dispose([start, state]);
    });

    test('step returns new state tensors and leaves the input state intact; info has the contract fields', async () => {
      const kernel = c.make(gaussian);
      const start = normal(key(4), [32, 3]) as tf.Tensor2D;
      const state = await kernel.init(start);
      const before = tf.memory().numTensors;
      const { state: next, info } = kernel.step(key(5), state, c.params);
      assert.ok(!state.position.isDisposed && !start.isDisposed);
      const fields = info as unknown as Record<string, tf.Tensor>;
      for (const field of ['acceptanceRate', 'isAccepted', 'isInvalid']) {
        assert.ok(fields[field] instanceof tf.Tensor, `info.${field}`);
        assert.deepEqual(fields[field].shape, [32], `info.${field} is per chain`);
      }
      const acc = info.acceptanceRate.dataSync();
      const isAcc = info.isAccepted.dataSync();
      assert.ok(acc.every((a) => a >= 0 && a <= 1), 'acceptanceRate in [0, 1]');
      assert.ok(isAcc.every((a) => a === 0 || a === 1), 'isAccepted is a 0/1 float mask');
      // rejected chains keep their position exactly, accepted ones moved
      const x0 = state.position.dataSync();
      const x1 = next.position.dataSync();
      for (let i = 0; i < 32; i++) {
        const same = [0, 1, 2].every((j) => x0[i * 3 + j] === x1[i * 3 + j]);
        assert.equal(same, isAcc[i] === 0, `chain ${i}: moved iff accepted`);
      }
      assert.ok(tf.memory().numTensors > before);
      tf.dispose([start, state, next, info]);
    });

    test('same key -> same chain, different key -> different chain', async () => {
      const kernel = c.make(gaussian);
      const start = normal(key(6), [16, 3]) as tf.Tensor2D;
      const a = await run(kernel, start, 7, 5, c.params);
      const b = await run(kernel, start, 7, 5, c.params);
      const other = await run(kernel, start, 8, 5, c.params);
      assert.deepEqual(Array.from(a.position.dataSync()), Array.from(b.position.dataSync()));
      assert.deepEqual(Array.from(a.logDensity.dataSync()), Array.from(b.logDensity.dataSync()));
      assert.notDeepEqual(Array.from(a.position.dataSync()), Array.from(other.position.dataSync()));
      tf.dispose([start, a, b, other]);
    });

    test('a NaN log-density at the proposal is a rejection and never reaches the state', async () => {
      // log p is NaN where x_0 > 1.5 (log 0 - log 0), the Gaussian elsewhere (where the gradient stays finite,
      // since tf.step has a zero gradient); chains start below the wall.
      const walled: Target = {
        name: 'walled',
        dim: 3,
        logDensity: (x) =>
          tf.tidy(() => {
            const inside = tf.sub(1, tf.reshape(tf.step(tf.sub(tf.slice(x, [0, 0], [-1, 1]), 1.5)), [-1]));
            return tf.add(gaussian.logDensity(x), tf.sub(tf.log(inside), tf.log(inside))) as tf.Tensor1D;
          }),
      };
      const kernel = c.make(walled);
      const start = tf.tidy(() => tf.add(normal(key(9), [128, 3], 0, 0.3), tf.tensor1d([0, -2, 0.5]))) as tf.Tensor2D;
      let state = await kernel.init(start);
      let sawNaNProposal = false;
      for (let i = 0; i < 30; i++) {
        const { state: next, info } = kernel.step(foldIn(key(10), i), state, c.params);
        const acc = info.acceptanceRate.dataSync();
        assert.ok(acc.every((a) => a >= 0 && a <= 1), 'acceptanceRate stays in [0, 1]');
        const logAcceptance = (info as { logAcceptance?: tf.Tensor1D }).logAcceptance;
        if (logAcceptance) {
          const la = logAcceptance.dataSync();
          const isAcc = info.isAccepted.dataSync();
          la.forEach((v, j) => {
            if (Number.isNaN(v)) {
              sawNaNProposal = true;
              assert.equal(acc[j], 0, 'NaN log-acceptance -> acceptanceRate 0');
              assert.equal(isAcc[j], 0, 'NaN log-acceptance -> not accepted');
            }
          });
        } else {
          sawNaNProposal = true; // i-SIR: NaN weights are never drawn; the state checks below cover it
        }
        tf.dispose(info);
        tf.dispose(state);
        state = next;
      }
      assert.ok(sawNaNProposal, 'the test must actually propose into the NaN region');
      const x = state.position.dataSync();
      const lp = state.logDensity.dataSync();
      assert.ok(x.every(Number.isFinite) && lp.every(Number.isFinite), 'state stays finite');
      for (let i = 0; i < 128; i++) assert.ok(x[i * 3] <= 1.5, 'no chain moved into the NaN region');
      for (const [field, t] of Object.entries(state)) assert.ok(t.dataSync().every(Number.isFinite), `state.${field} finite`);
      tf.dispose([start, state]);
    });

    if (c.stepSize) {
      test('a per-chain step size [n] equal to the shared one gives the same chain', async () => {
        const kernel = c.make(gaussian);
        const start = normal(key(11), [16, 3]) as tf.Tensor2D;
        const perChain = tf.fill([16], c.params.stepSize as number) as tf.Tensor1D;
        const shared = await run(kernel, start, 12, 3, c.params);
        const vector = await run(kernel, start, 12, 3, { ...c.params, stepSize: perChain });
        const a = shared.position.dataSync();
        const b = vector.position.dataSync();
        a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5 * (1 + Math.abs(v)), `entry ${i}: ${v} vs ${b[i]}`));
        tf.dispose([start, perChain, shared, vector]);
      });

      test('bad step sizes are rejected with the option, the value and the expectation', async () => {
        const kernel = c.make(gaussian);
        const start = normal(key(13), [8, 3]) as tf.Tensor2D;
        const state = await kernel.init(start);
        const wrongLength = tf.ones([5]) as tf.Tensor1D;
        assert.throws(() => kernel.step(key(0), state, { ...c.params, stepSize: -0.1 }), /option "stepSize" = -0\.1, expected a finite number > 0/);
        assert.throws(() => kernel.step(key(0), state, { ...c.params, stepSize: NaN }), /option "stepSize" = NaN, expected a finite number > 0/);
        assert.throws(() => kernel.step(key(0), state, { ...c.params, stepSize: Infinity }), /"stepSize" = Infinity/);
        assert.throws(() => kernel.step(key(0), state, { ...c.params, stepSize: wrongLength }), /option "stepSize" = a float32 tensor of shape \[5\], expected a float32 tensor of shape \[8\]/);
        assert.throws(() => kernel.step(key(0), state, { ...c.params, stepSize: undefined }), /option "stepSize" = undefined/);
        assert.throws(() => kernel.step(key(0), state, null as never), /option "params" = null, expected an options object/);
        tf.dispose([start, state, wrongLength]);
      });
    }

    test('bad positions and states are rejected at the boundary', async () => {
      const kernel = c.make(gaussian);
      const wrongDim = tf.zeros([4, 2]) as tf.Tensor2D;
      const withNaN = tf.tensor2d([[0, 0, 0], [0, NaN, 0]]);
      const rank1 = tf.zeros([3]);
      await assert.rejects(() => kernel.init(wrongDim), new RegExp(`${c.name}\\.init: option "position" has shape \\[4, 2\\], expected \\[n, 3\\]`));
      await assert.rejects(() => kernel.init(withNaN), new RegExp(`${c.name}\\.init: option "position" has a non-finite entry NaN at flat index 4, expected finite values`));
      await assert.rejects(() => kernel.init(rank1 as never), /option "position" has shape \[3\], expected \[n, 3\]/);
      await assert.rejects(() => kernel.init([[0, 0]] as never), new RegExp(`${c.name}\\.init: option "position\\[0\\]" = .*, expected an array of 3 numbers`));
      assert.throws(() => kernel.step(key(0), { position: wrongDim } as never, c.params), /option "state.position" has shape \[4, 2\], expected \[n, 3\]/);
      assert.throws(() => kernel.step(key(0), null as never, c.params), /option "state" = null, expected a chain state object/);
      tf.dispose([wrongDim, withNaN, rank1]);
    });
  });
}

test('init rejects positions where the target is NaN (the chain could never move) and frees what it built', async () => {
  // log p = NaN at x_0 > 0: log(1 - step(x_0)) - log(1 - step(x_0)) = -inf - (-inf)
  const holey: Target = {
    name: 'holey',
    dim: 3,
    logDensity: (x) =>
      tf.tidy(() => {
        const inside = tf.sub(1, tf.reshape(tf.step(tf.slice(x, [0, 0], [-1, 1])), [-1]));
        return tf.add(gaussian.logDensity(x), tf.sub(tf.log(inside), tf.log(inside))) as tf.Tensor1D;
      }),
  };
  const start = tf.tensor2d([[-1, 0, 0], [1, 0, 0]]);
  for (const c of CASES) {
    const kernel = c.make(holey);
    const before = tf.memory().numTensors;
    await assert.rejects(
      () => kernel.init(start),
      new RegExp(`${c.name}\\.init: the target's logDensity at option "position" row 1 is NaN, expected a finite number or -Infinity`),
    );
    assert.equal(tf.memory().numTensors, before, `${c.name}: a failed init must not leak`);
  }
  start.dispose();
});

test('hmc: bad numIntegrationSteps, inverseMassMatrix and jitter are rejected', async () => {
  const kernel = hmc(gaussian);
  const start = normal(key(14), [8, 3]) as tf.Tensor2D;
  const state = await kernel.init(start);
  const wrongMass = tf.ones([4]);
  const base = { stepSize: 0.1, numIntegrationSteps: 3 };
  assert.throws(() => kernel.step(key(0), state, { ...base, numIntegrationSteps: 0 }), /option "numIntegrationSteps" = 0, expected an integer >= 1/);
  assert.throws(() => kernel.step(key(0), state, { ...base, numIntegrationSteps: 2.5 }), /option "numIntegrationSteps" = 2\.5, expected an integer >= 1/);
  assert.throws(
    () => kernel.step(key(0), state, { ...base, inverseMassMatrix: wrongMass as tf.Tensor1D }),
    /option "inverseMassMatrix" = a float32 tensor of shape \[4\], expected a positive float32 tensor of shape \[3\] \(shared\) or \[8, 3\] \(per chain\)/,
  );
  assert.throws(() => kernel.step(key(0), state, { ...base, jitter: 1 }), /option "jitter" = 1, expected a number in \[0, 1\)/);
  tf.dispose([start, state, wrongMass]);
});

test('imh / isir: bad proposals and numParticles are rejected', async () => {
  assert.throws(() => imh(gaussian, {} as never), /imh: option "proposal" = \[object Object\], expected an object \{ sample\(key, n\) -> \[n, d\], logDensity\(x\) -> \[n\] \}/);
  assert.throws(() => isir(gaussian, null as never), /isir: option "proposal" = null/);
  const wrongDimProposal = { sample: (_k: unknown, n: number) => tf.zeros([n, 2]) as tf.Tensor2D, logDensity: proposal.logDensity };
  const start = normal(key(15), [8, 3]) as tf.Tensor2D;
  const k1 = imh(gaussian, wrongDimProposal);
  const s1 = await k1.init(start);
  assert.throws(() => k1.step(key(0), s1, {}), /imh\.step: option "proposal.sample\(key, n\)" has shape \[8, 2\], expected \[n, 3\]/);
  const k2 = isir(gaussian, proposal);
  const s2 = await k2.init(start);
  for (const bad of [1, 0, 2.5, undefined]) {
    assert.throws(() => k2.step(key(0), s2, { numParticles: bad as number }), new RegExp(`option "numParticles" = ${bad}, expected an integer >= 2`));
  }
  tf.dispose([start, s1, s2]);
});

test('imh / isir accept a state from another kernel (the proposal density cache is recomputed)', async () => {
  const start = normal(key(16), [8, 3]) as tf.Tensor2D;
  const local = mala(gaussian);
  const localState = await local.init(start);
  const cases = [
    { kernel: imh(gaussian, proposal) as Kernel<ImhState, object>, params: {} },
    { kernel: isir(gaussian, proposal) as Kernel<ImhState, object>, params: { numParticles: 4 } },
  ];
  for (const { kernel, params } of cases) {
    const { state, info } = kernel.step(key(17), localState as never, params);
    const expected = proposal.logDensity(state.position);
    const got = state.logProposalDensity.dataSync();
    expected.dataSync().forEach((v, i) => assert.ok(Math.abs(v - got[i]) < 1e-4, `chain ${i}`));
    tf.dispose([state, info, expected]);
  }
  tf.dispose([start, localState]);
});
