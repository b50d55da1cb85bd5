/**
 * `npm run bench [-- --quick] [-- --vs-torch] [-- --only mala_gmm32,matmul1024] [-- --backend webgpu]`
 *
 * Times the standard workloads (bench/workloads.ts) with the peer's method (3 warm-up calls, then the median
 * over `reps` repetitions of `inner` calls each, synchronised at the end of each repetition) and prints one
 * JSON line per workload. With `--vs-torch`, the PyTorch peer (bench/torch_peer.py, one thread) runs right
 * after ours on the same machine and a ratio line (ours / peer) follows for each workload.
 * `--backend <name>` forces a backend (as SAMPLING_LAB_BACKEND does); the first line names the backend in use. On a
 * software WebGPU adapter (SwiftShader, llvmpipe) the rows are a correctness run of the GPU code path, not a speed
 * measurement, every line says so, and each workload runs one warm-up and one timed step.
 */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, initBackend, type BackendName } from '../lib/core/backend.js';
import { makeWorkload, WORKLOADS, INNER, type WorkloadName } from './workloads.js';

export interface BenchOptions {
  quick: boolean;
  /** Force this backend (default: the ladder, or SAMPLING_LAB_BACKEND). */
  backend?: BackendName;
  vsTorch: boolean;
  only: WorkloadName[];
  python: string;
  log: (line: string) => void;
}

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
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Warm-up calls, repetitions and calls per repetition (the peer's method; one of each on a software adapter). */
interface Plan {
  warmup: number;
  reps: number;
  inner: number;
}

async function timeWorkload(name: WorkloadName, plan: Plan): Promise<BenchRow> {
  const w = await makeWorkload(name);
  const { reps, inner } = plan;
  try {
    for (let i = 0; i < plan.warmup; i++) w.step();
    await w.sync();
    const samples: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      for (let i = 0; i < inner; i++) w.step();
      await w.sync();
      samples.push((performance.now() - t0) / inner);
    }
    const ms = median(samples);
    const row: BenchRow = {
      workload: name,
      impl: `sampling-lab-tfjs-${tf.version.tfjs}`,
      backend: tf.getBackend(),
      threads: 1,
      ms: round(ms),
      ms_min: round(Math.min(...samples)),
      ms_max: round(Math.max(...samples)),
    };
    if (name === 'matmul1024') row.gflops = round((2 * 1024 ** 3) / (ms * 1e6), 2);
    return row;
  } finally {
    await w.dispose();
  }
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

const here = dirname(fileURLToPath(import.meta.url));

/** Run the peer; returns its rows by workload, or a reason why it could not run. */
function runPeer(opts: BenchOptions): Map<string, { ms: number; impl: string }> | string {
  if (!existsSync(opts.python)) return `${opts.python} not found`;
  const probe = spawnSync(opts.python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `torch is not importable by ${opts.python} (Debian: apt-get install python3-torch)`;
  const args = [join(here, 'torch_peer.py'), '--threads', '1', ...(opts.quick ? ['--quick'] : [])];
  const res = spawnSync(opts.python, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });
  if (res.status !== 0) return `torch_peer.py failed: ${res.stderr.slice(-500)}`;
  const rows = new Map<string, { ms: number; impl: string }>();
  for (const line of res.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    opts.log(line);
    const row = JSON.parse(line) as { workload: string; ms: number; impl: string };
    rows.set(row.workload, row);
  }
  return rows;
}

/** The note bench rows carry on a software WebGPU adapter. */
export const SOFTWARE_ADAPTER_NOTE = 'correctness run on a software WebGPU adapter, not a speed measurement';

export async function runBench(opts: BenchOptions): Promise<BenchRow[]> {
  const report = await initBackend(opts.backend ? { force: opts.backend } : {});
  const started = report.attempts.find((a) => a.ok);
  const software = report.active === 'webgpu' && report.adapter?.software === true;
  opts.log(
    JSON.stringify({
      backend: report.active,
      detail: started?.detail,
      ...(software ? { note: `${SOFTWARE_ADAPTER_NOTE}: WebGPU runs on the CPU here; real GPU numbers need a GPU` } : {}),
    }),
  );
  const reps = opts.quick ? 3 : 7;
  const rows: BenchRow[] = [];
  for (const name of opts.only) {
    // SwiftShader takes seconds to minutes per step of these workloads: one warm-up and one timed step each
    const plan = software ? { warmup: 1, reps: 1, inner: 1 } : { warmup: 3, reps, inner: INNER[name] };
    const row = await timeWorkload(name, plan);
    if (software) row.note = SOFTWARE_ADAPTER_NOTE;
    rows.push(row);
    opts.log(JSON.stringify({ ...row, loadavg: os.loadavg()[0] }));
  }
  if (opts.vsTorch) {
    const peer = runPeer(opts);
    if (typeof peer === 'string') {
      opts.log(JSON.stringify({ error: `--vs-torch: ${peer}` }));
    } else {
      for (const row of rows) {
        const p = peer.get(row.workload);
        if (!p) continue;
        opts.log(
          JSON.stringify({
            workload: row.workload,
            impl: `${row.impl}/${report.active}`,
            ms: row.ms,
            peer_ms: p.ms,
            peer_impl: p.impl,
            ratio: round(row.ms / p.ms, 2),
          }),
        );
      }
    }
  }
  return rows;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = {
    quick: false,
    vsTorch: false,
    only: [...WORKLOADS],
    python: '/usr/bin/python3',
    log: (l) => console.log(l),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--vs-torch') opts.vsTorch = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const value = a.includes('=') ? a.slice(7) : argv[++i];
      const names = (value ?? '').split(',').filter(Boolean);
      const bad = names.filter((n) => !(WORKLOADS as string[]).includes(n));
      if (names.length === 0 || bad.length > 0) {
        throw new Error(`bench: option "--only" = "${value}", expected a comma list of ${WORKLOADS.join(', ')}`);
      }
      opts.only = names as WorkloadName[];
    } else if (a === '--python') opts.python = argv[++i];
    else if (a === '--backend' || a.startsWith('--backend=')) {
      const value = a.includes('=') ? a.slice('--backend='.length) : argv[++i];
      if (!(BACKENDS as readonly string[]).includes(value)) {
        throw new Error(`bench: option "--backend" = "${value}", expected one of ${BACKENDS.join(', ')}`);
      }
      opts.backend = value as BackendName;
    } else {
      throw new Error(`bench: unknown option "${a}", expected --quick, --vs-torch, --only <names>, --backend <name>, --python <path>`);
    }
  }
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runBench(parseBenchArgs(process.argv.slice(2)));
}
