/**
 * Time one standard workload (bench/workloads.ts) in this process, with the peer's method (bench/timing.ts): 3
 * warm-up calls, then the median over `reps` repetitions of `inner` calls each. On a software WebGPU adapter
 * (SwiftShader, llvmpipe) the row is a correctness run of the GPU code path, not a speed measurement: one warm-up
 * and one timed step, and the row says so. bench/run.ts runs each workload in its own process (bench/child.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../lib/core/backend.js';
import { round, timeRepeated, type Plan } from './timing.js';
import { INNER, makeWorkload, type WorkloadName } from './workloads.js';

export interface BenchRow {
  workload: WorkloadName;
  impl: string;
  backend: string;
  threads: number;
  ms: number;
  ms_min: number;
  ms_max: number;
  gflops?: number;
  /** Set on a software WebGPU adapter: the numbers say the GPU code path runs, not how fast a GPU is. */
  note?: string;
  /** Peak resident set size of the process that ran this workload alone (bench/isolate.ts). */
  peakRssMb?: number;
}

/** The note bench rows carry on a software WebGPU adapter. */
export const SOFTWARE_ADAPTER_NOTE = 'correctness run on a software WebGPU adapter, not a speed measurement';

export async function timeWorkload(name: WorkloadName, plan: Plan): Promise<BenchRow> {
  const w = await makeWorkload(name);
  try {
    const t = await timeRepeated(w.step, w.sync, plan);
    const row: BenchRow = {
      workload: name,
      impl: `sampling-lab-tfjs-${tf.version.tfjs}`,
      backend: tf.getBackend(),
      threads: Number(process.env.SAMPLING_LAB_BLAS_THREADS || 1),
      ms: t.ms,
      ms_min: t.ms_min,
      ms_max: t.ms_max,
    };
    if (name === 'matmul1024') row.gflops = round((2 * 1024 ** 3) / (t.ms * 1e6), 2);
    return row;
  } finally {
    await w.dispose();
  }
}

/** Start the backend (forced, or the ladder) and describe it: the bench's first line. */
export async function startBackend(backend?: BackendName): Promise<{ header: Record<string, unknown>; software: boolean }> {
  const report = await initBackend(backend ? { force: backend } : {});
  const started = report.attempts.find((a) => a.ok);
  const software = report.active === 'webgpu' && report.adapter?.software === true;
  const header = {
    backend: report.active,
    detail: started?.detail,
    ...(software ? { note: `${SOFTWARE_ADAPTER_NOTE}: WebGPU runs on the CPU here; real GPU numbers need a GPU` } : {}),
  };
  return { header, software };
}

/** The workloads in this process, one after the other (the child of bench/run.ts runs one). */
export async function runWorkloads(names: readonly WorkloadName[], options: { quick: boolean; backend?: BackendName; log: (line: string) => void }): Promise<BenchRow[]> {
  const { header, software } = await startBackend(options.backend);
  options.log(JSON.stringify(header));
  const reps = options.quick ? 3 : 7;
  const rows: BenchRow[] = [];
  for (const name of names) {
    // SwiftShader takes seconds to minutes per step of these workloads: one warm-up and one timed step each
    const plan = software ? { warmup: 1, reps: 1, inner: 1 } : { warmup: 3, reps, inner: INNER[name] };
    const row = await timeWorkload(name, plan);
    if (software) row.note = SOFTWARE_ADAPTER_NOTE;
    rows.push(row);
    options.log(JSON.stringify(row));
  }
  return rows;
}
