/**
 * `npx tsx bench/f12-steps.ts`: the two step times of NF-MCMC's F1.2 cell that issue 14 compares with the authors'
 * code (h2o64/flow_mcmc): one forward-KL training step of the RealNVP (d = 8, K = 4 blocks, H = 32, batch 512 of
 * exact draws of the 4-mode mixture, Adam 5e-3, weight decay 1e-4) and one i-SIR step (16 chains, N = 64 candidates
 * from the flow). Prints one JSON line: the minimum and median ms per step over 7 repetitions of 20 steps each,
 * after 20 warm-up steps. `SAMPLING_LAB_NATIVE_ELEMENTWISE=0` times the same steps with the matmul-only kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/core/backend.js';
import { key, split, foldIn } from '../lib/core/random.js';
import { realNvp } from '../lib/models/realnvp.js';
import { flowDistribution } from '../lib/models/flowTarget.js';
import { adam } from '../lib/trainers/adam.js';
import { forwardKl } from '../lib/trainers/flowLosses.js';
import { isir } from '../lib/samplers/mcmc/isir.js';
import { fourModeMixture } from '../lib/experiments/nfmcmc/targets.js';

const REPS = 7;
const STEPS = 20;

async function time(step: (i: number) => void, sync: () => Promise<void>): Promise<{ min: number; median: number }> {
  for (let i = 0; i < STEPS; i++) step(i);
  await sync();
  const per: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) step(i);
    await sync();
    per.push((performance.now() - t0) / STEPS);
  }
  per.sort((a, b) => a - b);
  return { min: Math.round(per[0] * 1000) / 1000, median: Math.round(per[REPS >> 1] * 1000) / 1000 };
}

const report = await initBackend();
const dim = 8;
const target = fourModeMixture(dim);
const [kFlow, kData, kChain] = split(key(0), 3);
const flow = realNvp(kFlow, { dim, numBlocks: 4, hiddenDim: 32 });
const opt = adam(flow.variables, { learningRate: 5e-3, weightDecay: 1e-4 });
let loss: tf.Scalar | null = null;
const train = await time(
  (i) => {
    loss?.dispose();
    loss = opt.minimize(() => tf.tidy(() => {
      const batch = target.sample(foldIn(kData, i), 512);
      return forwardKl(flow, batch);
    }));
  },
  async () => void (await loss!.data()),
);

const kernel = isir(target, flowDistribution(flow));
let state = await kernel.init(target.sample(kChain, 16));
const isirStep = await time(
  (i) => {
    const { state: next, info } = kernel.step(foldIn(kChain, i + 1), state, { numParticles: 64 });
    tf.dispose([state.position, state.logDensity, state.logProposalDensity, ...Object.values(info)] as tf.Tensor[]);
    state = next;
  },
  async () => void (await state.position.data()),
);
console.log(JSON.stringify({ cell: 'f12_d8', backend: report.active, trainStepMs: train, isirStepMs: isirStep, loadavg: (await import('node:os')).loadavg()[0] }));
