/**
 * Denoising score matching on webgpu (lib/diffusion/dsm.ts on the fit loop; test/stats/diffusion-dsm.test.ts at a
 * small size), against the same runs on wasm from the same keys and initial weights.
 *
 * Target: the asymmetric 2-D mixture 0.7 N((-1.5, 0.5), 0.2 I) + 0.3 N((1.5, -1), diag(0.4, 0.1)), VP schedule,
 * fresh exact samples every step (batch 128), networks MLP [2 + 32, 32, 32, out] (SiLU, 16 Fourier frequencies).
 * 1. The exact score of the noised mixture (perfectModel: float64-free tfjs math, log-sum-exp over components) on
 *    500 samples of p_t, t = 0.1, 0.5: webgpu against wasm, float32 rounding of a few dozen operations per entry
 *    (1e-5 relative to the largest |score| each, so 2e-5 apart).
 * 2. The score network, 6 Adam steps (lr 1e-2), and 3. the energy network (score = -grad_x E, so its training
 *    differentiates an input-gradient: second order), 4 steps: losses step by step, and after training the relative
 *    L2 error of the learned score against the exact one at t = 0.5.
 * Error model for 2 and 3: WGSL allows sin and cos an absolute error of 2^-11 (SwiftShader: 1.9e-4), so the 32
 * time features can be off by 2^-11 on webgpu where wasm rounds to 2^-24. The features have size <= 1 and the nets
 * are He-scaled (gain about 1 at initialisation), so each output moves by about 2^-11 relative, and a loss
 * L = mean |eps_hat - eps|^2 (or the L2 error) by at most twice that relative: 2^-10 max(1, |L|), plus float32 rounding
 * (2e-5 |L|, as in realnvp-fit.test.ts), the sum growing by one such term per Adam step:
 * (1 + t)(2^-10 + 2e-5) max(1, |L_t|). Measured: 1.5e-5 (score) and 4e-7 (energy) after 6 steps.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key } from '../../lib/core/random.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { fit } from '../../lib/trainers/fit.js';
import { dsmLoss } from '../../lib/diffusion/dsm.js';
import { perfectModel } from '../../lib/diffusion/forwardNoising.js';
import { energyNetwork, scoreNetwork, type LearnedDiffusionModel } from '../../lib/diffusion/scoreModels.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { adapterLine, assertAgree, assertNoSyncReads, onWasm, readTidy, useWebgpu } from '../helpers/webgpu.js';

const mixture2d = () => gaussianMixture({ weights: [0.7, 0.3], means: [[-1.5, 0.5], [1.5, -1]], covariances: [0.2, [0.4, 0.1]] });
const TRIG = 2 ** -10 + 2e-5;

before(async () => {
  await useWebgpu();
  console.log(`# ${adapterLine()}`);
});
after(() => assertNoSyncReads());

test('the exact score of the noised mixture on webgpu matches wasm (t = 0.1, 0.5)', async () => {
  const scores = async (): Promise<Float32Array[]> => {
    const mixture = mixture2d();
    const perfect = perfectModel(mixture, vpSchedule());
    try {
      const out: Float32Array[] = [];
      for (const t of [0.1, 0.5]) out.push(await readTidy(() => perfect.score(perfect.sample(key(3), 500, t), t)));
      return out;
    } finally {
      perfect.dispose();
      mixture.dispose();
    }
  };
  const wasm = await onWasm(scores);
  const gpu = await scores();
  for (const [i, t] of [0.1, 0.5].entries()) {
    const scale = Math.max(...Array.from(wasm[i], Math.abs));
    assertAgree(`exact noised-mixture score at t = ${t}`, gpu[i], wasm[i], () => 2e-5 * scale);
  }
});

interface DsmRun {
  losses: Float64Array;
  error: number;
  ms: number;
}

async function train(kind: 'score' | 'energy', steps: number): Promise<DsmRun> {
  const mixture = mixture2d();
  const schedule = vpSchedule();
  const perfect = perfectModel(mixture, schedule);
  const make = kind === 'score' ? scoreNetwork : energyNetwork;
  const net = make(key(kind === 'score' ? 1 : 4), schedule, 2, { hidden: [32, 32], dataStd: 1.18 }) as LearnedDiffusionModel;
  try {
    const t0 = performance.now();
    const result = await fit({
      variables: net.variables,
      loss: dsmLoss(net, (k, n) => mixture.sample(k, n), { batchSize: 128 }),
      steps,
      key: key(kind === 'score' ? 2 : 5),
      optimizer: { learningRate: 1e-2 },
    });
    const ms = performance.now() - t0;
    const t = 0.5;
    const [error] = await readTidy(() => {
      const x = perfect.sample(key(3), 500, t);
      const exact = perfect.score(x, t);
      return tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(net.score(x, t), exact))), tf.sum(tf.square(exact))));
    });
    return { losses: result.losses, error, ms };
  } finally {
    net.dispose();
    perfect.dispose();
    mixture.dispose();
  }
}

for (const [kind, steps] of [['score', 6], ['energy', 4]] as const) {
  test(`${kind} network, ${steps} DSM steps: losses and the learned score's error at t = 0.5 on webgpu next to wasm`, async () => {
    const wasm = await onWasm(() => train(kind, steps));
    const gpu = await train(kind, steps);
    assertAgree(`DSM ${kind} network losses over ${steps} steps`, gpu.losses, wasm.losses, (t) => (1 + t) * TRIG * Math.max(1, Math.abs(wasm.losses[t])));
    assertAgree(`DSM ${kind} network relative L2 score error at t = 0.5`, [gpu.error], [wasm.error], () => (1 + steps) * TRIG * Math.max(1, wasm.error));
    console.log(
      `# ${kind}: losses webgpu ${Array.from(gpu.losses, (v) => v.toFixed(6)).join(' ')}; wasm ${Array.from(wasm.losses, (v) => v.toFixed(6)).join(' ')}; ` +
        `score error at t = 0.5: webgpu ${gpu.error.toFixed(5)}, wasm ${wasm.error.toFixed(5)}; fit: webgpu ${(gpu.ms / 1000).toFixed(1)} s, wasm ${(wasm.ms / 1000).toFixed(1)} s`,
    );
    assert.ok(Array.from(gpu.losses).every(Number.isFinite));
  });
}
