/**
 * `npm run bench -- --profile [cell]` (default s1_slips_d8_eps0.15): where one paper cell's time goes. After one
 * untimed warm-up run of the cell (compilation, caches):
 *
 * 1. one run with the counters of bench/tfjsCounters.ts: wall time, read-backs (count, by method, and the time
 *    spent waiting on them), time inside tfjs ops (top-level runKernel) and the JS outside them;
 * 2. one run under tfjs's profiler (bench/kernelProfile.ts): the kernels it dispatches (total, per outer step, the
 *    most frequent and the most expensive), the summed kernel execution time (on wasm: the kernel call itself), and
 *    the peak of the bytes held by live tensors (`peakTensorMb`, the engine's count, next to the process's peak RSS);
 * 3. one run with the kernels attributed to the library lines that dispatch them (bench/kernelSites.ts): the top
 *    sites, with their count per outer step (and per MALA step where the cell has one).
 *
 * Prints one JSON line. Profiling slows the second run down (it records every kernel), so its wall time is not a
 * speed number; the first run's is, on a quiet machine.
 */
import * as tf from '@tensorflow/tfjs';
import { cellNamed } from './cells.js';
import { round } from './timing.js';
import { recordKernels } from './kernelProfile.js';
import { withKernelSites } from './kernelSites.js';
import { withTfjsCounters } from './tfjsCounters.js';

export const DEFAULT_PROFILE_CELL = 's1_slips_d8_eps0.15';

interface KernelStat {
  name: string;
  count: number;
  ms: number;
}

export async function profileCell(name: string, log: (line: string) => void): Promise<void> {
  const def = cellNamed(name);
  const cell = def.setup();
  try {
    await cell.run(); // warm-up
    const t0 = performance.now();
    const { result: report, counts } = await withTfjsCounters(() => cell.run());
    const wallMs = performance.now() - t0;

    const before = tf.memory().numTensors;
    const { kernels } = await recordKernels(() => cell.run());
    const newTensors = tf.memory().numTensors - before;
    const byName = new Map<string, KernelStat>();
    let kernelMs = 0;
    let topLevel = 0;
    let peakBytes = 0;
    for (const k of kernels) {
      peakBytes = Math.max(peakBytes, k.totalBytes);
      const ms = Number.isFinite(k.ms) ? k.ms : 0;
      if (k.depth === 1) {
        kernelMs += ms;
        topLevel += 1;
      }
      const s = byName.get(k.name) ?? { name: k.name, count: 0, ms: 0 };
      s.count += 1;
      s.ms += ms;
      byName.set(k.name, s);
    }
    const { sites } = await withKernelSites(() => cell.run());
    const stats = [...byName.values()];
    const top = (key: 'count' | 'ms') =>
      [...stats].sort((a, b) => b[key] - a[key]).slice(0, 8).map((s) => ({ name: s.name, count: s.count, ms: round(s.ms, 1) }));
    const steps = report.outerSteps;
    const mcmcSteps = report.extra?.totalMcmcSteps;
    log(
      JSON.stringify({
        profile: def.name,
        paper: def.paper,
        backend: tf.getBackend(),
        outerSteps: steps,
        ...(mcmcSteps ? { mcmcSteps } : {}),
        wallMs: round(wallMs, 1),
        readBacks: { total: counts.totalReads, perOuterStep: round(counts.totalReads / steps, 2), byMethod: counts.reads, asyncWaitMs: round(counts.asyncReadMs, 1) },
        tfjsOps: { calls: counts.opCalls, ms: round(counts.opMs, 1), share: round(counts.opMs / wallMs, 3) },
        jsOutsideOps: { ms: round(wallMs - counts.opMs, 1), share: round(1 - counts.opMs / wallMs, 3) },
        kernels: {
          total: kernels.length,
          topLevel,
          perOuterStep: round(topLevel / steps, 1),
          ...(mcmcSteps ? { perMcmcStep: round(topLevel / mcmcSteps, 1) } : {}),
          executionMs: round(kernelMs, 1),
          distinct: stats.length,
          mostFrequent: top('count'),
          mostTime: top('ms'),
        },
        topSites: sites.slice(0, 15).map((x) => ({
          kernel: x.kernel,
          site: x.site,
          count: x.count,
          perOuterStep: round(x.count / steps, 1),
          ...(mcmcSteps ? { perMcmcStep: round(x.count / mcmcSteps, 1) } : {}),
        })),
        newTensors,
        peakTensorMb: round(peakBytes / 2 ** 20, 1),
      }),
    );
  } finally {
    cell.dispose();
  }
}
