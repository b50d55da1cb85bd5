/**
 * Progress and cancellation shared by the paper experiment runners: a one-line message callback (the CLI prints
 * each line; notebooks print or ignore them) and an AbortSignal checked between runs and passed to every chain and
 * training loop (runChain and fit stop at their next chunk).
 */

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
