/** Progress and abort for the aMC-BG experiments (same conventions as the other paper modules). */
export interface ExperimentOptions {
  /** Called with a one-line message after every unit of work (a panel, a training chunk). */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export class ExperimentAbortedError extends Error {
  constructor(where: string) {
    super(`${where}: aborted`);
    this.name = 'AbortError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, where = 'amcbg'): void {
  if (signal?.aborted) throw new ExperimentAbortedError(where);
}

/** Mean and standard error of the finite values (NaN when none). */
export function meanAndStandardError(values: readonly number[]): { mean: number; standardError: number; count: number } {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return { mean: NaN, standardError: NaN, count: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, standardError: Math.sqrt(variance / n), count: n };
}
