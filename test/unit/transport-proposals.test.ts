/**
 * Flow proposals (flowProposal, flowImh, flowIsir) and neural importance sampling, with exact analytic flows:
 * - with the flow whose push-forward IS the target (gaussianFlow(mean, cov) for N(mean, cov)), IMH accepts every
 *   proposal, i-SIR's weights are uniform (ESS = N, acceptance 1 - 1/N), the IS log-weights are all equal and
 *   log Z^ is exact, for a target with an arbitrary normaliser and a proposal with its own logZ;
 * - the proposal remembers the log-densities of its latest draw, so imh / isir steps run no inverse pass (counted),
 *   while any other tensor still goes through the inverse;
 * - determinism, flat tensor counts, and errors at the boundary.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key } from '../../lib/core/random.js';
import type { Flow } from '../../lib/models/flow.js';
import { flowDistribution } from '../../lib/models/flowTarget.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import { flowImh, flowIsir, flowProposal } from '../../lib/samplers/transport/flowProposals.js';
import { gaussianFlow } from '../../lib/samplers/transport/imperfectFlows.js';
import { neuralImportanceSampling } from '../../lib/samplers/transport/neuralImportanceSampling.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import type { Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

const MEAN = [1, -2, 0.5];
const COV = [
  [2.0, 0.6, 0.2],
  [0.6, 1.0, -0.3],
  [0.2, -0.3, 0.5],
];
/** An arbitrary normaliser: the target below is exp(2.5) N(mean, cov), so log Z = 2.5. */
const LOG_Z = 2.5;

let normalised: GaussianTarget;
let target: Target;
let exactFlow: Flow;
before(() => {
  normalised = gaussian(MEAN, COV);
  target = {
    name: 'scaled-gaussian',
    dim: 3,
    logZ: LOG_Z,
    logDensity: (x) => tf.tidy(() => tf.add(normalised.logDensity(x), LOG_Z) as tf.Tensor1D),
    logDensityAndGrad: (x) => {
      const out = normalised.logDensityAndGrad(x);
      const shifted = tf.add(out.logDensity, LOG_Z) as tf.Tensor1D;
      out.logDensity.dispose();
      return { logDensity: shifted, grad: out.grad };
    },
  };
  exactFlow = gaussianFlow(MEAN, COV);
});
after(() => {
  normalised.dispose();
  exactFlow.dispose();
});

/** A flow that counts its forward and inverse passes. */
function counting(flow: Flow): Flow & { calls: { forward: number; inverse: number } } {
  const calls = { forward: 0, inverse: 0 };
  return {
    dim: flow.dim,
    variables: flow.variables,
    dispose: () => flow.dispose(),
    forward: (z) => (calls.forward++, flow.forward(z)),
    inverse: (x) => (calls.inverse++, flow.inverse(x)),
    calls,
  };
}

test('exact flow: IMH accepts every proposal and i-SIR weights are uniform', async () => {
  const n = 256;
  const N = 16;
  for (const [name, kernel, params] of [
    ['imh', flowImh(target, exactFlow), {}],
    ['isir', flowIsir(target, exactFlow), { numParticles: N }],
  ] as const) {
    const start = normalised.sample(key(3), n);
    let state = await kernel.init(start);
    start.dispose();
    for (let i = 0; i < 10; i++) {
      let info: Record<string, tf.Tensor> = {};
      state = advance(state, (s) => {
        const out = kernel.step(foldIn(key(4), i), s, params as never);
        info = Object.fromEntries(Object.entries(out.info).map(([k, v]) => [k, tf.keep(v)]));
        return out.state;
      });
      const rate = info.acceptanceRate.dataSync();
      if (name === 'imh') {
        // log alpha = difference of two equal log-weights, up to float32 rounding (|.| < 1e-3).
        assert.ok(Math.min(...rate) > 1 - 1e-3, `imh step ${i}: min acceptance ${Math.min(...rate)}`);
        const accepted = Array.from(info.isAccepted.dataSync()).reduce((a, b) => a + b, 0);
        assert.ok(accepted >= n - 1, `imh step ${i}: ${accepted} of ${n} accepted`);
      } else {
        const ess = info.ess.dataSync();
        ess.forEach((v, c) => assert.ok(Math.abs(v - N) < 1e-3 * N, `isir step ${i} chain ${c}: ESS ${v}, expected ${N}`));
        rate.forEach((v, c) => assert.ok(Math.abs(v - (1 - 1 / N)) < 1e-4, `isir step ${i} chain ${c}: rate ${v}, expected ${1 - 1 / N}`));
      }
      tf.dispose(info);
    }
    tf.dispose(state);
  }
});

test('exact flow: all IS log-weights are equal, ESS = N and log Z^ is exact (also with an unnormalised proposal)', async () => {
  const N = 2000;
  const base = flowDistribution(exactFlow);
  // The same proposal written unnormalised: exp(-1.3) lambda, with logZ = -1.3.
  const unnormalised = {
    logZ: -1.3,
    sample: base.sample,
    logDensity: (x: tf.Tensor2D) => tf.tidy(() => tf.sub(base.logDensity(x), 1.3) as tf.Tensor1D),
    sampleWithLogDensity: (k: readonly [number, number], n: number) => {
      const out = base.sampleWithLogDensity(k, n);
      const shifted = tf.sub(out.logDensity, 1.3) as tf.Tensor1D;
      out.logDensity.dispose();
      return { x: out.x, logDensity: shifted };
    },
  };
  for (const [name, proposal] of [['normalised', base], ['unnormalised', unnormalised]] as const) {
    const result = await neuralImportanceSampling(key(11), target, proposal, { numSamples: N });
    const spread = Math.max(...result.logWeights) - Math.min(...result.logWeights);
    assert.ok(spread < 1e-3, `${name}: log-weight spread ${spread}`);
    assert.ok(result.ess > N * (1 - 1e-6), `${name}: ESS ${result.ess}`);
    assert.ok(Math.abs(result.logZ - LOG_Z) < 1e-4, `${name}: log Z^ ${result.logZ} vs ${LOG_Z}`);
    assert.ok(result.logZStandardError < 1e-4, `${name}: se ${result.logZStandardError}`);
    result.dispose();
  }
});

test('flowProposal: imh / isir steps run no inverse pass; other tensors still go through the inverse', async () => {
  const flow = counting(exactFlow);
  const proposal = flowProposal(flow);
  const start = normalised.sample(key(20), 32);
  const imhKernel = flowImh(target, flow);
  const isirKernel = flowIsir(target, flow);
  for (const [kernel, params] of [[imhKernel, {}], [isirKernel, { numParticles: 8 }]] as const) {
    const state = await kernel.init(start);
    flow.calls.forward = flow.calls.inverse = 0;
    const out = kernel.step(key(21), state, params as never);
    assert.deepEqual(flow.calls, { forward: 1, inverse: 0 }, `${kernel.name}: one forward pass for the draws, no inverse`);
    // A state from MALA (no cached log lambda) costs one inverse pass, for the current position only.
    const fromMala = await mala(target).init(start);
    flow.calls.forward = flow.calls.inverse = 0;
    const out2 = kernel.step(key(22), fromMala as never, params as never);
    assert.deepEqual(flow.calls, { forward: 1, inverse: 1 }, `${kernel.name}: the state's cache is rebuilt once`);
    tf.dispose([state, out, fromMala, out2]);
  }
  // The remembered values equal the inverse-pass values; another tensor goes through the inverse.
  const direct = flowDistribution(exactFlow);
  flow.calls.forward = flow.calls.inverse = 0;
  const drawn = tf.tidy(() => {
    const x = proposal.sample(key(23), 64);
    return { x, remembered: proposal.logDensity(x) };
  });
  assert.deepEqual(flow.calls, { forward: 1, inverse: 0 });
  const viaInverse = direct.logDensity(drawn.x).dataSync();
  drawn.remembered.dataSync().forEach((v, i) => assert.ok(Math.abs(v - viaInverse[i]) < 1e-4 * (1 + Math.abs(v)), `row ${i}`));
  const copy = tf.clone(drawn.x);
  tf.dispose(proposal.logDensity(copy));
  assert.deepEqual(flow.calls, { forward: 1, inverse: 1 }, 'a tensor that was not just drawn goes through the inverse');
  tf.dispose([start, drawn, copy]);
  proposal.dispose();
});

test('flowProposal holds at most one tensor, and none after dispose', () => {
  const proposal = flowProposal(exactFlow);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) tf.dispose(proposal.sample(key(i), 8)); // outside any tidy: the log-densities are held
  assert.equal(tf.memory().numTensors, before + 1);
  proposal.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('neural IS: determinism, resampled rows, expectations, flat tensor count', async () => {
  const proposal = flowProposal(gaussianFlow(MEAN, COV, { scale: 1.4, shift: 0.3 }));
  const run = (seed: number) => neuralImportanceSampling(key(seed), target, proposal, { numSamples: 500, numResampled: 300, resampling: 'systematic' });
  const before = tf.memory().numTensors;
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  assert.deepEqual(a.logWeights, b.logWeights);
  assert.deepEqual(a.resampled!.dataSync(), b.resampled!.dataSync());
  assert.notDeepEqual(a.logWeights, c.logWeights);
  assert.equal(a.resampled!.shape[0], 300);
  assert.equal(a.ancestors.length, 300);
  const particles = a.particles.arraySync();
  a.resampled!.arraySync().forEach((row, j) => assert.deepEqual(row, particles[a.ancestors[j]]));
  const sum = a.weights.reduce((s, w) => s + w, 0);
  assert.ok(Math.abs(sum - 1) < 1e-12);
  const e = await a.expectation((x) => tf.concat([x, tf.square(x)], 1));
  assert.equal(e.value.length, 6);
  for (let j = 0; j < 3; j++) {
    assert.ok(Math.abs(e.value[j] - a.mean[j]) < 1e-9, 'expectation of x equals the weighted mean');
    assert.ok(Math.abs(e.value[3 + j] - a.mean[j] ** 2 - a.variance[j]) < 1e-4, 'E[x^2] - E[x]^2 equals the weighted variance');
    assert.ok(e.standardError[j] > 0);
  }
  for (const r of [a, b, c]) r.dispose();
  assert.equal(tf.memory().numTensors, before, 'dispose frees every tensor of the results');
  const noResampling = await neuralImportanceSampling(key(1), target, proposal, { numSamples: 10, numResampled: 0 });
  assert.equal(noResampling.resampled, null);
  noResampling.dispose();
  proposal.dispose();
});

test('neural IS: bad options and inputs throw errors naming the option', async () => {
  const proposal = flowDistribution(exactFlow);
  await assert.rejects(() => neuralImportanceSampling(key(0), target, proposal, { numSamples: 0 }), /neuralImportanceSampling: option "numSamples" = 0, expected an integer >= 1/);
  await assert.rejects(() => neuralImportanceSampling(key(0), target, proposal, { numSamples: 8, resampling: 'bogus' as never }), /option "resampling" = "bogus", expected one of "multinomial", "systematic", "stratified"/);
  await assert.rejects(() => neuralImportanceSampling(key(0), target, proposal, { numSamples: 8, numResampled: -1 }), /option "numResampled" = -1, expected an integer >= 0/);
  await assert.rejects(() => neuralImportanceSampling(key(0), target, proposal, { numSample: 8 } as never), /option "numSample" = 8, expected no such option/);
  await assert.rejects(() => neuralImportanceSampling(key(0), target, {} as never, { numSamples: 8 }), /option "proposal" = \{\}, expected an object \{ sample\(key, n\), logDensity\(x\)/);
  await assert.rejects(() => neuralImportanceSampling(key(0), null as never, proposal, { numSamples: 8 }), /option "target" = null, expected a Target/);
  const wrongDim = flowDistribution(gaussianFlow([0, 0], [[1, 0], [0, 1]]));
  await assert.rejects(() => neuralImportanceSampling(key(0), target, wrongDim, { numSamples: 8 }), /option "proposal draws" has shape \[8, 2\], expected \[n, 3\]/);
  const outside: Target = { name: 'nowhere', dim: 3, logDensity: (x) => tf.fill([x.shape[0]], -Infinity) as tf.Tensor1D };
  const before = tf.memory().numTensors;
  await assert.rejects(() => neuralImportanceSampling(key(0), outside, proposal, { numSamples: 8 }), /every importance weight is zero or invalid/);
  assert.equal(tf.memory().numTensors, before, 'a failed run leaks nothing');
  const result = await neuralImportanceSampling(key(0), target, proposal, { numSamples: 8 });
  await assert.rejects(() => result.expectation((x) => tf.sum(x)), /neuralImportanceSampling.expectation: option "f\(x\)" = Tensor\(float32, \[\]\), expected a tensor of shape \[8\] or \[8, k\]/);
  result.dispose();
  assert.throws(() => flowProposal(null as never), /flowProposal: option "source" = null, expected a Flow or a proposal/);
});
