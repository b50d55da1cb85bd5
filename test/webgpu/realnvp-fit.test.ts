/**
 * A RealNVP fit of a few steps on webgpu (lib/models/realnvp.ts, lib/trainers/fit.ts, the forward-KL loss of
 * lib/trainers/flowLosses.ts), against the same fit on wasm from the same key and initial weights: RealNVP d = 2,
 * one block (two affine couplings), s and t nets 2-16-16-2 with ReLU, 24 variables (more than the 7 inputs
 * tfjs-webgpu's addN fits in one shader: the split in lib/core/backend.ts is exercised); batches of 64 fresh exact
 * samples of an asymmetric 2-D mixture per step; Adam at learning rate 3e-3 (on the device on webgpu, on the host on
 * wasm: two implementations of the same update); 5 steps (SwiftShader: about 2 s per step).
 *
 * Error model (float32, both backends round; no transcendental beyond exp / log / tanh, within a few ulp in WGSL):
 * - the gradient at the initial weights on the first batch: each backend within 2e-4 G + 1e-3 |g| of the exact one
 *   (the rounding bound of test/helpers/ops-cases.ts for a few hundred float32 operations per entry), so the two
 *   are within twice that;
 * - the loss of step t: at t = 0 the same function at the same weights, a mean of 64 log-densities each a few dozen
 *   operations deep: within 1e-5 max(1, |L|) of the exact value on each backend, 2e-5 apart. Each Adam step turns
 *   the gradients' rounding differences into weight differences of the same relative size (lr m / sqrt(v) is
 *   scale-free), which add at most one more such error per step: (1 + t) 2e-5 max(1, |L_t|).
 *   Measured: 1.4e-6 after 8 steps; a wrong gradient moves the loss by 1e-2 within two steps.
 * The final weights' differences are reported (entries whose gradient is within rounding of 0 get scale-free Adam
 * updates of either sign, so they are not bounded by rounding).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { foldIn, key } from '../../lib/core/random.js';
import { realNvp } from '../../lib/models/realnvp.js';
import { fit } from '../../lib/trainers/fit.js';
import { forwardKl } from '../../lib/trainers/flowLosses.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { gradTol, largestEntry } from '../helpers/ops-cases.js';
import { adapterLine, agreement, assertAgree, assertNoSyncReads, onWasm, useWebgpu } from '../helpers/webgpu.js';

const STEPS = 5;
const BATCH = 64;

before(async () => {
  await useWebgpu();
  console.log(`# ${adapterLine()}`);
});
after(() => assertNoSyncReads());

interface FitRun {
  grad0: Float32Array[];
  losses: Float64Array;
  weights: number[];
  ms: number;
  variables: number;
}

async function run(): Promise<FitRun> {
  const mixture = gaussianMixture({ weights: [0.7, 0.3], means: [[-1.5, 0.5], [1.5, -1]], covariances: [0.2, [0.4, 0.1]] });
  const flow = realNvp(key(1), { dim: 2, numBlocks: 1, hiddenDim: 16, initScale: 1 });
  const fitKey = key(2);
  const loss = (k: typeof fitKey) => tf.tidy(() => forwardKl(flow, mixture.sample(k, BATCH)));
  try {
    // fit's step 0 uses foldIn(key, 0): the gradient of that very loss at the initial weights
    const { value, grads } = tf.variableGrads(() => loss(foldIn(fitKey, 0)), flow.variables);
    const grad0 = (await Promise.all(flow.variables.map((v) => grads[v.name].data()))).map((g) => Float32Array.from(g));
    tf.dispose([value, ...Object.values(grads)]);
    const t0 = performance.now();
    const result = await fit({ variables: flow.variables, loss: (k) => loss(k), steps: STEPS, key: fitKey, optimizer: { learningRate: 3e-3 } });
    const ms = performance.now() - t0;
    const weights = (await Promise.all(flow.variables.map((v) => v.data()))).flatMap((w) => Array.from(w));
    return { grad0, losses: result.losses, weights, ms, variables: flow.variables.length };
  } finally {
    flow.dispose();
    mixture.dispose();
  }
}

test(`RealNVP forward-KL fit, ${STEPS} Adam steps: initial gradient, losses and weights on webgpu next to wasm`, async () => {
  const wasm = await onWasm(run);
  const gpu = await run();
  assert.equal(gpu.variables, wasm.variables);
  assert.ok(gpu.variables > 7, 'the flow must have more variables than one addN shader takes');
  const G = largestEntry(wasm.grad0);
  const refGrad = wasm.grad0.flatMap((g) => Array.from(g));
  assertAgree('RealNVP gradient at the initial weights', gpu.grad0.flatMap((g) => Array.from(g)), refGrad, (i) => 2 * gradTol(G, refGrad[i]));
  assertAgree(`RealNVP fit losses over ${STEPS} steps`, gpu.losses, wasm.losses, (t) => (1 + t) * 2e-5 * Math.max(1, Math.abs(wasm.losses[t])));
  agreement(`RealNVP weights after ${STEPS} steps`, gpu.weights, wasm.weights);
  console.log(
    `# losses webgpu ${Array.from(gpu.losses, (v) => v.toFixed(6)).join(' ')}; wasm ${Array.from(wasm.losses, (v) => v.toFixed(6)).join(' ')}; ` +
      `fit: webgpu ${(gpu.ms / 1000).toFixed(1)} s, wasm ${(wasm.ms / 1000).toFixed(1)} s`,
  );
  assert.ok(gpu.losses[STEPS - 1] < gpu.losses[0], 'the loss goes down over the steps');
});
