/**
 * `npx tsx bench/random.ts [--reps 21]`: the random generator on the hot path (DESIGN.md trap 9).
 *
 * Times 131072 draws (shape [4096, 32]) end to end: key derivation + draw + tensor creation + one
 * `await t.data()` per repetition (the sync), ours (lib/core/random.ts) against tfjs' own ops, on the wasm
 * backend (`SAMPLING_LAB_BACKEND` picks another). 5 warm-up calls each, then `reps` repetitions with the two
 * implementations interleaved; one JSON line per workload and implementation (median, min, max), plus a
 * ratio line (ratio of medians).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/core/backend.js';
import { key, foldIn, normal, uniform } from '../lib/core/random.js';

const SHAPE: [number, number] = [4096, 32];
const WARMUP = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number) => Number(x.toFixed(3));

interface Timing {
  ms: number;
  min: number;
  max: number;
}

function summary(samples: number[]): Timing {
  return { ms: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

async function once(draw: (rep: number) => tf.Tensor, rep: number): Promise<number> {
  const t0 = performance.now();
  const t = draw(rep);
  await t.data();
  const ms = performance.now() - t0;
  t.dispose();
  return ms;
}

/**
 * Time two implementations with their repetitions interleaved (alternating which goes first), so that both
 * see the same machine load: on a shared machine the ratio of medians is the number to read.
 */
async function timePair(
  a: (rep: number) => tf.Tensor,
  b: (rep: number) => tf.Tensor,
  reps: number,
): Promise<[Timing, Timing]> {
  for (let i = 0; i < WARMUP; i++) {
    await once(a, -1 - i);
    await once(b, -1 - i);
  }
  const sa: number[] = [];
  const sb: number[] = [];
  for (let r = 0; r < reps; r++) {
    if (r % 2 === 0) {
      sa.push(await once(a, r));
      sb.push(await once(b, r));
    } else {
      sb.push(await once(b, r));
      sa.push(await once(a, r));
    }
  }
  return [summary(sa), summary(sb)];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const repsAt = args.indexOf('--reps');
  const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 21;
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps = ${args[repsAt + 1]}, expected a positive integer`);
  const report = await initBackend({ force: process.env.SAMPLING_LAB_BACKEND ?? 'wasm' });
  const backend = report.active;
  const base = key(20240601);
  // tfjs treats seed 0 as "unseeded" (trap 7): seeds start at 1; warm-up reps are negative.
  const seed = (rep: number) => (rep < 0 ? 1000 - rep : rep + 1);

  const workloads: { workload: string; ours: (r: number) => tf.Tensor; theirs: (r: number) => tf.Tensor; theirsName: string }[] = [
    {
      workload: 'normal131k',
      ours: (r) => normal(foldIn(base, r >>> 0), SHAPE),
      theirs: (r) => tf.randomNormal(SHAPE, 0, 1, 'float32', seed(r)),
      theirsName: 'tf.randomNormal',
    },
    {
      workload: 'uniform131k',
      ours: (r) => uniform(foldIn(base, r >>> 0), SHAPE),
      theirs: (r) => tf.randomUniform(SHAPE, 0, 1, 'float32', seed(r)),
      theirsName: 'tf.randomUniform',
    },
  ];

  for (const w of workloads) {
    const [ours, theirs] = await timePair(w.ours, w.theirs, reps);
    const common = { backend, reps, loadavg: round(os.loadavg()[0]) };
    console.log(JSON.stringify({ workload: w.workload, impl: 'sampling-lab', ...common, ms: round(ours.ms), ms_min: round(ours.min), ms_max: round(ours.max) }));
    console.log(JSON.stringify({ workload: w.workload, impl: w.theirsName, ...common, ms: round(theirs.ms), ms_min: round(theirs.min), ms_max: round(theirs.max) }));
    console.log(JSON.stringify({ workload: w.workload, ratio: 'sampling-lab / ' + w.theirsName, backend, value: round(ours.ms / theirs.ms) }));
  }
}

await main();
