/**
 * `npm run bench -- [options]`: the command line of the benchmarks (bench/README.md). Each workload and each paper
 * cell runs in its own process (bench/isolate.ts) so that its peak RSS (`peakRssMb`) is its own.
 *
 *   (default)                 the five standard workloads (bench/workloads.ts) with the peer's method
 *                             (bench/workloadBench.ts), one JSON line each; --quick: 3 repetitions instead of 7
 *   --vs-torch                then the PyTorch peer (bench/peer.ts) and a ratio line (ours / peer) per workload
 *   --backend <name>          force a backend (as SAMPLING_LAB_BACKEND does)
 *   --cells                   the paper cells (bench/cells.ts, bench/cellBench.ts) instead: --reps N (default 3),
 *                             --warmup N (default 1: a first run compiles kernels and fills caches)
 *   --profile [cell]          where one cell's time goes: kernels, read-backs, JS outside tfjs (bench/profileCell.ts)
 *   --figures <paper>         peak RSS and wall time of `figures <paper> --quick` (bench/figuresRss.ts)
 *   --noise N, --record-baseline, --check
 *   --threads N               N threads on both sides (OpenBLAS for ours, torch.set_num_threads for the peer;
 *                             default 1, the stable comparison; tfjs-wasm's own kernels stay single-threaded)
 *   --pin CPU                 run our children and the peer on that CPU (`taskset -c`), so that both sides of each
 *                             ratio share one core (with one thread; the scheduler otherwise moves them)
 *                             the regression check against bench/baseline.json (bench/check.ts)
 *   --only <a,b>              a subset of the workloads (or, with --cells, of the cells)
 */
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS, type BackendName } from '../lib/core/backend.js';
import { CELL_NAMES } from './cells.js';
import { checkAgainstBaseline, measurePeerNoise, readBaseline, recordBaseline, type RatioRow } from './check.js';
import { figuresPeakRss } from './figuresRss.js';
import { REPO_ROOT, runIsolated } from './isolate.js';
import { runPeer } from './peer.js';
import { DEFAULT_PROFILE_CELL } from './profileCell.js';
import { round } from './timing.js';
import type { BenchRow } from './workloadBench.js';
import { WORKLOADS } from './workloads.js';

export interface BenchOptions {
  quick: boolean;
  /** Force this backend (default: the ladder, or SAMPLING_LAB_BACKEND). */
  backend?: BackendName;
  vsTorch: boolean;
  /** Workload names, or cell names with `cells`. */
  only: string[];
  python: string;
  cells: boolean;
  reps: number;
  warmup: number;
  /** A cell to profile. */
  profile?: string;
  /** A paper whose `figures --quick` run is measured. */
  figures?: string;
  /** Repeated peer runs for the noise estimate (0: none). */
  noise: number;
  /** Threads for both sides: OpenBLAS threads for ours (SAMPLING_LAB_BLAS_THREADS), torch's for the peer. */
  threads: number;
  /** Run both sides on this CPU (`taskset -c`), or anywhere (undefined). */
  pin?: number;
  check: boolean;
  recordBaseline: boolean;
  log: (line: string) => void;
}

const CHILD = join(REPO_ROOT, 'bench', 'child.ts');

/** Run one child (bench/child.ts); prints its backend line the first time, returns its row with peakRssMb. */
async function runChild(args: string[], state: { headerShown: boolean }, log: (line: string) => void, pin?: number): Promise<Record<string, unknown> | null> {
  const run = await runIsolated(CHILD, args, { pin });
  const [header, ...rows] = run.lines;
  if (header && !state.headerShown) {
    log(JSON.stringify(header));
    state.headerShown = true;
  }
  if (run.exitCode !== 0 || rows.length === 0) {
    log(JSON.stringify({ [args[0]]: args[1], error: `child process exited with code ${run.exitCode}` }));
    return null;
  }
  const row = { ...rows[rows.length - 1], peakRssMb: run.peakRssMb, loadavg: round(os.loadavg()[0], 2) };
  log(JSON.stringify(row));
  return row;
}

async function runWorkloadsIsolated(opts: BenchOptions): Promise<BenchRow[]> {
  const state = { headerShown: false };
  // the children inherit it: lib/core/nativeMatMul.ts reads it when the backend starts
  process.env.SAMPLING_LAB_BLAS_THREADS = String(opts.threads);
  const rows: BenchRow[] = [];
  for (const name of opts.only) {
    const args = ['workload', name, ...(opts.quick ? ['--quick'] : []), ...(opts.backend ? ['--backend', opts.backend] : [])];
    const row = await runChild(args, state, opts.log, opts.pin);
    if (row) rows.push(row as unknown as BenchRow);
  }
  return rows;
}

/** Our rows against one peer run: the ratio lines. */
function ratiosAgainstPeer(rows: readonly BenchRow[], opts: BenchOptions): RatioRow[] | string {
  const peer = runPeer(opts.python, opts.quick, opts.log, opts.threads, opts.pin);
  if (typeof peer === 'string') return peer;
  const out: RatioRow[] = [];
  for (const row of rows) {
    const p = peer.get(row.workload);
    if (!p) continue;
    const ratio = round(row.ms / p.ms, 2);
    out.push({ workload: row.workload, ms: row.ms, peer_ms: p.ms, ratio, peakRssMb: row.peakRssMb });
    opts.log(JSON.stringify({ workload: row.workload, impl: `${row.impl}/${row.backend}`, ms: row.ms, peer_ms: p.ms, peer_impl: p.impl, ratio }));
  }
  return out;
}

/** Run what the options ask; resolves to false when a check failed or a run did not complete. */
export async function runBenchCommand(opts: BenchOptions): Promise<boolean> {
  if (opts.figures) return figuresPeakRss(opts.figures, opts.log);
  if (opts.profile) return (await runChild(['profile', opts.profile], { headerShown: false }, opts.log)) !== null;
  if (opts.cells) {
    const state = { headerShown: false };
    let ok = true;
    for (const name of opts.only) {
      ok = (await runChild(['cell', name, '--reps', String(opts.reps), '--warmup', String(opts.warmup)], state, opts.log)) !== null && ok;
    }
    return ok;
  }
  if (opts.noise > 0 && !opts.check && !opts.recordBaseline) {
    measurePeerNoise(opts.python, opts.quick, opts.noise, opts.log);
    return true;
  }
  const baseline = opts.check ? readBaseline() : undefined;
  if (baseline) opts.quick = baseline.quick; // compare like with like
  const loadBefore = os.loadavg()[0];
  const rows = await runWorkloadsIsolated(opts);
  if (!opts.vsTorch && !opts.check && !opts.recordBaseline) return rows.length === opts.only.length;
  const ratios = ratiosAgainstPeer(rows, opts);
  if (typeof ratios === 'string') {
    opts.log(JSON.stringify({ error: `peer: ${ratios}` }));
    return !(opts.check || opts.recordBaseline);
  }
  if (opts.recordBaseline) {
    const runs = opts.noise > 0 ? opts.noise : 5;
    const noise = measurePeerNoise(opts.python, opts.quick, runs, opts.log);
    recordBaseline(ratios, noise, { quick: opts.quick, runs, loadBefore });
    opts.log(JSON.stringify({ baseline: 'bench/baseline.json', written: true }));
    return true;
  }
  if (baseline) {
    const noise = opts.noise > 0 ? measurePeerNoise(opts.python, opts.quick, opts.noise, opts.log) : {};
    // only the workloads asked for (--only): one that ran and gave no ratio is still 'missing'
    const asked = Object.fromEntries(Object.entries(baseline.workloads).filter(([w]) => opts.only.includes(w)));
    return checkAgainstBaseline({ ...baseline, workloads: asked }, ratios, noise, opts.log);
  }
  return true;
}

/** The workload rows (lib/cli.ts `bench` and `figures all` call this). */
export async function runBench(opts: BenchOptions): Promise<void> {
  const ok = await runBenchCommand(opts);
  if (!ok) process.exitCode = 1;
}

function positiveInteger(option: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`bench: option "${option}" = "${value}", expected an integer >= ${min}`);
  return n;
}

function nameList(option: string, value: string | undefined, known: readonly string[]): string[] {
  const names = (value ?? '').split(',').filter(Boolean);
  const bad = names.filter((n) => !known.includes(n));
  if (names.length === 0 || bad.length > 0) throw new Error(`bench: option "${option}" = "${value}", expected a comma list of ${known.join(', ')}`);
  return names;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const opts: BenchOptions = {
    quick: false,
    vsTorch: false,
    only: [],
    python: '/usr/bin/python3',
    cells: false,
    reps: 3,
    warmup: 1,
    noise: 0,
    threads: 1,
    check: false,
    recordBaseline: false,
    log: (l) => console.log(l),
  };
  let only: string | undefined;
  const valueOf = (a: string, i: number): [string | undefined, number] => (a.includes('=') ? [a.slice(a.indexOf('=') + 1), i] : [argv[i + 1], i + 1]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    let value: string | undefined;
    switch (name) {
      case '--quick':
        opts.quick = true;
        break;
      case '--vs-torch':
        opts.vsTorch = true;
        break;
      case '--cells':
        opts.cells = true;
        break;
      case '--check':
        opts.check = true;
        break;
      case '--record-baseline':
        opts.recordBaseline = true;
        break;
      case '--profile':
        // optional value: the next argument when it is a cell name
        if (a.includes('=')) opts.profile = nameList('--profile', a.slice(a.indexOf('=') + 1), CELL_NAMES)[0];
        else if (CELL_NAMES.includes(argv[i + 1])) opts.profile = argv[++i];
        else opts.profile = DEFAULT_PROFILE_CELL;
        break;
      case '--only':
      case '--python':
      case '--backend':
      case '--reps':
      case '--warmup':
      case '--noise':
      case '--threads':
      case '--pin':
      case '--figures':
        [value, i] = valueOf(a, i);
        if (name === '--only') only = value;
        else if (name === '--python') opts.python = value ?? '';
        else if (name === '--reps') opts.reps = positiveInteger(name, value, 1);
        else if (name === '--warmup') opts.warmup = positiveInteger(name, value, 0);
        else if (name === '--noise') opts.noise = positiveInteger(name, value, 3);
        else if (name === '--threads') opts.threads = positiveInteger(name, value, 1);
        else if (name === '--pin') opts.pin = positiveInteger(name, value, 0);
        else if (name === '--figures') {
          if (!value || value.startsWith('--')) throw new Error(`bench: option "--figures" = "${value}", expected a paper id (as in \`figures <paper>\`)`);
          opts.figures = value;
        } else {
          if (!(BACKENDS as readonly string[]).includes(value ?? '')) throw new Error(`bench: option "--backend" = "${value}", expected one of ${BACKENDS.join(', ')}`);
          opts.backend = value as BackendName;
        }
        break;
      default:
        throw new Error(
          `bench: unknown option "${a}", expected --quick, --vs-torch, --only <names>, --backend <name>, --python <path>, ` +
            '--cells [--reps N] [--warmup N], --profile [cell], --figures <paper>, --noise N, --threads N, --pin CPU, --record-baseline, --check',
        );
    }
  }
  if (opts.check && opts.recordBaseline) throw new Error('bench: give --check or --record-baseline, not both');
  const known = opts.cells ? CELL_NAMES : (WORKLOADS as string[]);
  opts.only = only === undefined ? [...known] : nameList('--only', only, known);
  return opts;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runBench(parseBenchArgs(process.argv.slice(2)));
}
