/**
 * Progress and cancellation shared by the paper experiment runners: a one-line message callback (the CLI prints
 * each line; notebooks print or ignore them) and an AbortSignal checked between runs and passed to every chain and
 * training loop (runChain and fit stop at their next chunk). Progress lines name what their numbers are (the metric)
 * and their counters give an ETA (`progressCounter`); the CLI prefixes each line with the paper's elapsed time and
 * its ETA from the last run of the same config (`paperEta`, `lastRunSeconds`).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AbortError } from '../core/abort.js';

export interface ExperimentOptions {
  /** Called with a one-line message after every unit of work (a grid cell, a training chunk, a sampler run). */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** The error thrown when an experiment is aborted between runs (an AbortError, as runChain's and fit's). */
export class ExperimentAbortedError extends AbortError {
  constructor(where: string) {
    super(`${where}: aborted`);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new ExperimentAbortedError(where);
}

/**
 * A counter for progress lines: `[done/total, elapsed s, ETA s]`, the ETA extrapolating the mean time per unit
 * so far (`[3/25, 41 s, ETA 301 s]`).
 */
export function progressCounter(done: number, total: number, elapsedSeconds: number): string {
  const eta = done > 0 && total > done ? `, ETA ${Math.round((elapsedSeconds / done) * (total - done))} s` : '';
  return `[${done}/${total}, ${elapsedSeconds.toFixed(0)} s${eta}]`;
}

/**
 * The time a paper's last run of `configName` took (`seconds.total` of the timings.json its figures folder keeps
 * after a run on this machine), or undefined when there is none: the CLI's per-paper ETA.
 */
export function lastRunSeconds(outDir: string, configName: string): number | undefined {
  try {
    const info = JSON.parse(readFileSync(join(outDir, 'timings.json'), 'utf8')) as { config?: unknown; seconds?: { total?: unknown } };
    const total = info.seconds?.total;
    return info.config === configName && typeof total === 'number' && Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

/** The per-paper ETA on a progress line: `[paper 35 s, ETA ~160 s]` (from the last run), or `[paper 35 s]`. */
export function paperEta(elapsedSeconds: number, expectedSeconds: number | undefined): string {
  if (expectedSeconds === undefined) return `[paper ${elapsedSeconds.toFixed(0)} s]`;
  const left = expectedSeconds - elapsedSeconds;
  return `[paper ${elapsedSeconds.toFixed(0)} s, ${left > 0 ? `ETA ~${left.toFixed(0)} s` : `over the last run's ${expectedSeconds.toFixed(0)} s`}]`;
}
