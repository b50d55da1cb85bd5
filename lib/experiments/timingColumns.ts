/**
 * Timings are kept out of the committed CSVs so that a rerun of the same configuration rewrites every figure file
 * byte for byte (`npm run main` leaves `git status` clean); they go to `run-info.json`, the one file that changes
 * from run to run. A timing column is one whose name contains "seconds" (any case: `seconds`, `secondsPerRun`,
 * `trainingSeconds`, `secondsMean` ...): the names the paper modules give their wall-clock columns.
 */

/** Whether a column holds wall-clock times. */
export const isTimingColumn = (name: string): boolean => /seconds/i.test(name);

/** A table's timing columns: column name -> one value per row, in the rows' order (the CSV's lines). */
export type TableTimings = Record<string, unknown[]>;

/** `rows` without their timing columns, and those columns (null when the rows have none). */
export function splitTimingColumns(rows: readonly unknown[]): { rows: unknown[]; timings: TableTimings | null } {
  const names = new Set<string>();
  for (const r of rows) if (r !== null && typeof r === 'object') for (const k of Object.keys(r)) if (isTimingColumn(k)) names.add(k);
  if (names.size === 0) return { rows: [...rows], timings: null };
  const timings: TableTimings = Object.fromEntries([...names].map((n) => [n, rows.map((r) => (r as Record<string, unknown>)[n] ?? null)]));
  const kept = rows.map((r) => Object.fromEntries(Object.entries(r as Record<string, unknown>).filter(([k]) => !names.has(k))));
  return { rows: kept, timings };
}
