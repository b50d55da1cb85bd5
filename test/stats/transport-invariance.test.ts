/**
 * Invariance of every transport sampler with an imperfect flow: n chains start at exact draws of pi, run k = 10
 * steps (cycles for the global-local kernels), and each coordinate of the end points is compared with n fresh exact
 * draws by a two-sample Kolmogorov-Smirnov test (independent chains: n independent draws under the null).
 * Pass iff p > 1e-5 for every coordinate (9 samplers x (3 + 1) coordinates, plus 6 latent coordinates below:
 * 42 tests, family-wise false-alarm rate 4.2e-4, inside the suite's budget: test/README.md). Targets: the correlated 3-d Gaussian with a too-narrow, shifted
 * affine flow (scale 0.7: unbounded importance weights, the hard case for IMH), and the skewed 1-d mixture
 * 0.7 N(-1, 0.5^2) + 0.3 N(2, 1) with the affine flow N(0.3, 2.2^2).
 *
 * Transport ESS: in latent space, elliptical slice sampling on the correct likelihood L = pi_T / N(0, I) leaves pi_T
 * invariant (exact latent draws z = T^-1(x), x ~ pi), with a perfect and an imperfect flow; the reference's
 * likelihood L = pi_T (spec section 1.9, pitfall 2) targets N(0, I) pi_T instead, and the same test detects it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { sumSquares } from '../../lib/core/ops.js';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key, split } from '../../lib/core/random.js';
import { ksTwoSample } from '../../lib/metrics/ks.js';
import type { Flow } from '../../lib/models/flow.js';
import type { ChainState, Kernel } from '../../lib/samplers/mcmc/kernel.js';
import { ellipticalSlice } from '../../lib/samplers/transport/ellipticalSlice.js';
import { gaussianFlow } from '../../lib/samplers/transport/imperfectFlows.js';
import { neutraTarget } from '../../lib/samplers/transport/neutra.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import type { Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';
import { column, skewedMixture, type TestTarget } from '../unit/mcmc-fixtures.js';
import { COV, MEAN, TRANSPORT_CASES } from '../unit/transport-fixtures.js';

before(() => useBackend('wasm'));

const N = 3000;
const K = 10;
const P_MIN = 1e-5;

interface Setting {
  name: string;
  target: Target & { sample: TestTarget['sample'] };
  flow: Flow;
  stepScale: number;
  dispose(): void;
}

let settings: Setting[];
before(() => {
  const g = gaussian(MEAN, COV);
  const gFlow = gaussianFlow(MEAN, COV, { scale: 0.7, shift: [0.3, -0.2, 0.1] });
  const m = skewedMixture();
  const mFlow = gaussianFlow([0.3], [[1]], { scale: 2.2 });
  settings = [
    { name: 'correlated 3-d Gaussian, narrow shifted flow', target: g, flow: gFlow, stepScale: 1, dispose: () => (g.dispose(), gFlow.dispose()) },
    { name: 'skewed 1-d mixture, wide flow', target: m, flow: mFlow, stepScale: 1, dispose: () => (m.dispose(), mFlow.dispose()) },
  ];
});
after(() => settings.forEach((s) => s.dispose()));

/** KS p-values per coordinate of `end` against `fresh` (both [N, d]). */
function pValues(end: tf.Tensor2D, fresh: tf.Tensor2D): number[] {
  const d = end.shape[1];
  const a = end.dataSync();
  const b = fresh.dataSync();
  return Array.from({ length: d }, (_, j) => ksTwoSample(column(a, d, j), column(b, d, j)).pValue);
}

/** Run k steps from `start`; returns the data-space end points and the mean fraction of chains that moved per step. */
async function runSteps(kernel: Kernel<ChainState, any>, params: object, start: tf.Tensor2D, seed: number, positionOf: (s: ChainState) => tf.Tensor2D) {
  let state = await kernel.init(start);
  let moved = 0;
  for (let i = 0; i < K; i++) {
    let fraction: tf.Tensor | null = null;
    state = advance(state, (s) => {
      const out = kernel.step(foldIn(key(seed), i), s, params);
      fraction = tf.keep(tf.mean(out.info.isAccepted));
      return out.state;
    });
    moved += (fraction as unknown as tf.Tensor).dataSync()[0] / K;
    (fraction as unknown as tf.Tensor).dispose();
  }
  const end = tf.clone(positionOf(state));
  tf.dispose(state);
  return { end, moved };
}

for (const [which, label] of ['gaussian', 'mixture'].entries()) {
  describe(label, () => {
    for (const [c, sampler] of TRANSPORT_CASES.entries()) {
      test(`${sampler.name}: exact draws stay exact after ${K} steps`, async () => {
        const s = settings[which];
        const [kStart, kFresh] = split(key(500 + 10 * which + c), 2);
        const start = s.target.sample(kStart, N);
        const { end, moved } = await runSteps(sampler.make(s.target, s.flow), sampler.params(s.stepScale), start, 600 + 10 * which + c, sampler.position);
        const fresh = s.target.sample(kFresh, N);
        const p = pValues(end, fresh);
        console.log(`# ${sampler.name} on ${s.name}: moved ${moved.toFixed(3)}, KS p-values ${p.map((v) => v.toFixed(3)).join(', ')}`);
        assert.ok(moved > 0.05, 'the chains must actually move for the test to mean anything');
        p.forEach((v, j) => assert.ok(v > P_MIN, `${sampler.name} on ${s.name}: coordinate ${j} KS p = ${v}`));
        tf.dispose([start, end, fresh]);
      });
    }
  });
}

test('transport ESS keeps pi_T invariant in latent space; the reference likelihood L = pi_T does not', async () => {
  const target = settings[0].target;
  const perfect = gaussianFlow(MEAN, COV);
  const cases: { name: string; flow: Flow; buggy: boolean }[] = [
    { name: 'correct likelihood, perfect flow', flow: perfect, buggy: false },
    { name: 'correct likelihood, imperfect flow', flow: settings[0].flow, buggy: false },
    { name: 'reference likelihood L = pi_T, perfect flow', flow: perfect, buggy: true },
  ];
  for (const [i, c] of cases.entries()) {
    const latent = neutraTarget(c.flow, target);
    // ellipticalSlice(t) slices on log t(z) + |z|^2 / 2; the reference sliced on log pi_T(z) itself.
    const sliced: Target = c.buggy
      ? { name: 'reference-tess', dim: 3, logDensity: (z) => tf.tidy(() => tf.sub(latent.logDensity(z), tf.mul(0.5, sumSquares(z, 1))) as tf.Tensor1D) }
      : latent;
    const [kStart, kFresh] = split(key(700 + i), 2);
    const start = latent.sample!(kStart, N);
    const { end } = await runSteps(ellipticalSlice(sliced), {}, start, 800 + i, (s) => s.position);
    const fresh = latent.sample!(kFresh, N);
    const p = pValues(end, fresh);
    console.log(`# transport ESS, ${c.name}: latent KS p-values ${p.map((v) => v.toExponential(2)).join(', ')}`);
    if (c.buggy) assert.ok(Math.min(...p) < P_MIN, `the reference's likelihood must be detected: p = ${p}`);
    else p.forEach((v, j) => assert.ok(v > P_MIN, `${c.name}: latent coordinate ${j} KS p = ${v}`));
    tf.dispose([start, end, fresh]);
  }
  perfect.dispose();
});
