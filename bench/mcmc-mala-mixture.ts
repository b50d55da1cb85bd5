/**
 * `npx tsx bench/mcmc-mala-mixture.ts [--reps 15]`
 *
 * Times one step of the library's MALA kernel (lib/samplers/mcmc/mala.ts) on the standard mala_gmm32 workload
 * (bench/workloads.ts: 32-d mixture of 8 unit-variance Gaussians, equal weights, means ~ N(0, 3^2 I), 4096
 * chains, step size 0.05), built with the library's mixture target (lib/targets/mixture.ts), next to the
 * hand-fused reference step of bench/workloads.ts in the same process: the ratio is the overhead of the kernel
 * abstraction (checks, metropolisAccept's finiteOr, the acceptance-rate info). Method as bench/run.ts: 3 warm-up
 * steps, then the median over `reps` repetitions of 10 steps, synchronised at the end of each repetition.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, formatBackendReport } from '../lib/core/backend.js';
import { advance } from '../lib/core/memory.js';
import { foldIn, key, normal, normalArray, split } from '../lib/core/random.js';
import { mala, type MalaState } from '../lib/samplers/mcmc/index.js';
import { gaussianMixture } from '../lib/targets/mixture.js';
import { makeWorkload } from './workloads.js';

const argReps = process.argv.indexOf('--reps');
const reps = argReps > 0 ? Number(process.argv[argReps + 1]) : 15;
const inner = 10;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function time(step: () => void, sync: () => Promise<void>): Promise<{ ms: number; min: number; max: number }> {
  for (let i = 0; i < 3; i++) step();
  await sync();
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) step();
    await sync();
    samples.push((performance.now() - t0) / inner);
  }
  return { ms: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

const report = await initBackend({ force: (process.env.SAMPLING_LAB_BACKEND as 'wasm' | 'cpu' | undefined) ?? 'wasm' });
console.log(formatBackendReport(report));

const d = 32;
const K = 8;
const n = 4096;
const [kMeans, kInit, kRun] = split(key(0), 3);
const meanValues = normalArray(kMeans, K * d);
const target = gaussianMixture({
  weights: new Array(K).fill(1 / K),
  means: Array.from({ length: K }, (_, k) => Array.from(meanValues.subarray(k * d, (k + 1) * d), (v) => 3 * v)),
  covariances: new Array(K).fill(1),
});
const kernel = mala(target);
const x0 = normal(kInit, [n, d]) as tf.Tensor2D;
let state: MalaState = await kernel.init(x0);
x0.dispose();
let i = 0;
let acceptance = 0;
const library = await time(
  () => {
    state = advance(state, (s) => kernel.step(foldIn(kRun, i++), s, { stepSize: 0.05 }).state);
  },
  async () => {
    await state.position.data();
  },
);
// acceptance of one more step, for the record
const last = kernel.step(foldIn(kRun, i), state, { stepSize: 0.05 });
acceptance = (await tf.mean(last.info.acceptanceRate).data())[0];
tf.dispose([last.state, last.info, state]);
target.dispose();

const reference = await makeWorkload('mala_gmm32');
const fused = await time(reference.step, reference.sync);
await reference.dispose();

const row = (name: string, t: { ms: number; min: number; max: number }) =>
  JSON.stringify({ impl: name, backend: tf.getBackend(), ms: +t.ms.toFixed(3), ms_min: +t.min.toFixed(3), ms_max: +t.max.toFixed(3) });
console.log(row('mcmc/mala kernel + gaussianMixture target', library));
console.log(row('bench/workloads mala_gmm32 (hand-fused)', fused));
console.log(JSON.stringify({ ratio_kernel_over_fused: +(library.ms / fused.ms).toFixed(3), mean_acceptance: +acceptance.toFixed(3) }));
