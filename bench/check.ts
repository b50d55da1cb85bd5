/**
 * The regression check against bench/baseline.json (the arithmetic and its reasoning: bench/baseline.ts).
 *
 *   npm run bench -- --noise 5               run the peer 5 times, print each workload's log-noise s
 *   npm run bench -- --record-baseline [--quick] [--noise 5]
 *                                            run the bench with the peer once, measure the noise, write the baseline
 *   npm run bench -- --check [--noise 5]     run the bench with the peer (in the baseline's --quick mode), compare
 *                                            the ratios, exit 1 when one worsened by more than k x its noise (or is
 *                                            missing); --noise re-measures the noise now instead of the baseline's
 *
 * A script for people and for later issues, not a CI gate: CI machines are noisy. Record the baseline on a quiet
 * machine; a baseline recorded under load has a larger noise and so a looser check.
 */
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareWithBaseline, logNoise, NOISE_MULTIPLIER, type Baseline } from './baseline.js';
import { REPO_ROOT } from './isolate.js';
import { runPeer } from './peer.js';
import { round } from './timing.js';

export const BASELINE_PATH = join(REPO_ROOT, 'bench', 'baseline.json');

/** Ours and the peer's ms and their ratio, per workload, from one bench run with the peer. */
export interface RatioRow {
  workload: string;
  ms: number;
  peer_ms: number;
  ratio: number;
  peakRssMb?: number;
}

/** Run the peer `runs` times; s = sd of ln(ms) per workload. */
export function measurePeerNoise(python: string, quick: boolean, runs: number, log: (line: string) => void): Record<string, number> {
  const times = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    const rows = runPeer(python, quick);
    if (typeof rows === 'string') throw new Error(`--noise: ${rows}`);
    for (const [w, r] of rows) times.set(w, [...(times.get(w) ?? []), r.ms]);
  }
  const noise: Record<string, number> = {};
  for (const [w, ms] of times) {
    noise[w] = logNoise(ms);
    log(JSON.stringify({ noise: w, runs, peer_ms: ms, peerLogNoise: round(noise[w], 4), loadavg: round(os.loadavg()[0], 2) }));
  }
  return noise;
}

export function recordBaseline(rows: readonly RatioRow[], noise: Record<string, number>, options: { quick: boolean; runs: number; loadBefore: number }): Baseline {
  const baseline: Baseline = {
    recorded: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model,
      cores: os.cpus().length,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      loadavgBefore: round(options.loadBefore, 2),
      loadavgAfter: round(os.loadavg()[0], 2),
    },
    quick: options.quick,
    k: NOISE_MULTIPLIER,
    note:
      'Ratios ours / peer from ONE run of `npm run bench -- --record-baseline`; the noise from repeated runs of the peer. ' +
      'Re-record on a quiet machine (load average near 0): a baseline taken under load has a larger noise, so a looser check.',
    workloads: {},
  };
  for (const r of rows) {
    const s = noise[r.workload];
    if (s === undefined) throw new Error(`--record-baseline: no noise measured for ${r.workload}`);
    baseline.workloads[r.workload] = {
      ratio: r.ratio,
      ours_ms: r.ms,
      peer_ms: r.peer_ms,
      ...(r.peakRssMb !== undefined ? { peakRssMb: r.peakRssMb } : {}),
      peerLogNoise: round(s, 4),
      noiseRuns: options.runs,
    };
  }
  writeFileSync(BASELINE_PATH, `${JSON.stringify(baseline, null, 2)}\n`);
  return baseline;
}

export function readBaseline(): Baseline {
  try {
    return JSON.parse(readFileSync(BASELINE_PATH, 'utf8')) as Baseline;
  } catch (err) {
    throw new Error(`--check: cannot read ${BASELINE_PATH} (${(err as Error).message}); record one with --record-baseline`);
  }
}

/** Compare and print one line per workload; returns true when every workload is within its tolerance. */
export function checkAgainstBaseline(baseline: Baseline, rows: readonly RatioRow[], noise: Record<string, number>, log: (line: string) => void): boolean {
  const ratios = Object.fromEntries(rows.map((r) => [r.workload, r.ratio]));
  const verdicts = compareWithBaseline(baseline, ratios, noise);
  for (const v of verdicts) {
    log(
      JSON.stringify({
        check: v.workload,
        status: v.status,
        baselineRatio: v.baselineRatio,
        ratio: v.ratio,
        change: Number.isFinite(v.logChange) ? `${v.logChange >= 0 ? '+' : ''}${round(100 * (Math.exp(v.logChange) - 1), 1)} %` : null,
        allowed: `+${round(100 * (Math.exp(v.tolerance) - 1), 1)} %`,
        peerLogNoise: v.peerLogNoise,
      }),
    );
  }
  const ok = verdicts.every((v) => v.status === 'ok');
  log(JSON.stringify({ check: ok ? 'passed' : 'FAILED', k: baseline.k, baselineRecorded: baseline.recorded, loadavg: round(os.loadavg()[0], 2) }));
  return ok;
}
