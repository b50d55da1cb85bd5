/**
 * The plain-data inputs every chart builder accepts, and their conversion to one internal form.
 *
 * A matrix `[rows, cols]` (samples `[n, d]`, a trace `[steps, chains]`) may be given as
 *   - an array of rows: `number[][]`, or an array of typed arrays (`Float32Array[]`), all of one length;
 *   - `{ shape: [rows, cols], data }` with `data` row-major (`number[]` or any typed array);
 *   - an arquero table (or any object with `numRows()`, `columnNames()` and `array(name)`): each column is
 *     one coordinate, in `columnNames()` order.
 * A 1-D input (`number[]`, a typed array, shape `[n]`) is accepted where a builder says so (`cols: 1`).
 * Host data only: the builders are synchronous and a tensor's values can only be read asynchronously (webgpu),
 * so a tensor is refused with an error that says to pass `await x.array()` (or `{ shape: x.shape, data: await
 * x.data() }`) instead.
 *
 * Rows of records (`sweepCurves`, `heatmap`, `modeWeightBars`) may be given as an array of plain objects or as
 * an arquero table (read with `objects()`).
 */
import { fail, failEntry } from './checks.js';

export interface ShapedData {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** The part of an arquero table (`aq.table`, `aq.from`) the builders use. */
export interface TableLike {
  numRows(): number;
  columnNames(): string[];
  array(name: string): ArrayLike<unknown>;
  objects(): object[];
}

export type MatrixInput = readonly ArrayLike<number>[] | ShapedData | TableLike;
export type VectorInput = ArrayLike<number> | ShapedData;
export type RowsInput<R> = readonly R[] | TableLike;

/** A dense row-major float64 matrix (non-finite entries kept as they are). */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function isTableLike(value: unknown): value is TableLike {
  return (
    value != null &&
    typeof value === 'object' &&
    typeof (value as TableLike).numRows === 'function' &&
    typeof (value as TableLike).columnNames === 'function' &&
    typeof (value as TableLike).array === 'function'
  );
}

function isNumericArrayLike(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** A tf.Tensor, or anything shaped like one (its values come from methods, not a `data` array). */
function isTensorLike(value: unknown): boolean {
  return shapeOf(value) !== undefined && typeof (value as { data?: unknown }).data === 'function';
}

function shapeOf(value: unknown): readonly number[] | undefined {
  if (value == null || typeof value !== 'object') return undefined;
  const shape = (value as { shape?: unknown }).shape;
  return Array.isArray(shape) ? (shape as number[]) : undefined;
}

function copyNumbers(fn: string, option: string, source: ArrayLike<unknown>, out: Float64Array, offset: number, where: (i: number) => string): void {
  for (let i = 0; i < source.length; i++) {
    const v = source[i];
    if (typeof v !== 'number') failEntry(fn, option, where(i), v, 'a number');
    out[offset + i] = v;
  }
}

/**
 * Read a matrix input into float64, checking the shape. `cols` fixes the number of columns (2 for points);
 * `cols: 1` also admits a plain 1-D array. `minRows` (default 1) rejects empty data.
 */
export function readMatrix(
  fn: string,
  option: string,
  value: unknown,
  options: { cols?: number; minRows?: number } = {},
): Matrix {
  const { cols, minRows = 1 } = options;
  const expected = `a matrix${cols ? ` [n, ${cols}]` : ''} (number[][], {shape, data}, a runChain trace or an arquero table)`;
  let rows: number;
  let width: number;
  let data: Float64Array;
  const shape = shapeOf(value);
  if (isTensorLike(value)) {
    fail(fn, option, value, `${expected}, not a tensor: pass \`await x.array()\` for a tensor x (chart builders take host data)`);
  }
  if (isTableLike(value)) {
    const names = value.columnNames();
    rows = value.numRows();
    width = names.length;
    data = new Float64Array(rows * width);
    names.forEach((name, j) => {
      const column = value.array(name);
      for (let i = 0; i < rows; i++) {
        const v = column[i];
        if (typeof v !== 'number') failEntry(fn, option, `[${i}].${name}`, v, 'a number');
        data[i * width + j] = v;
      }
    });
  } else if (shape) {
    const raw = (value as ShapedData).data;
    if (!isNumericArrayLike(raw)) fail(fn, option, value, `${expected}; its "data" is not an array of numbers`);
    if (shape.length === 1 && cols === 1) {
      rows = shape[0];
      width = 1;
    } else if (shape.length === 2) {
      [rows, width] = shape as [number, number];
    } else if (shape.length === 3) {
      // A runChain trace [numDraws, numChains, d]: every chain's draws pooled, as flattenDraws (core/trace.ts).
      rows = shape[0] * shape[1];
      width = shape[2];
    } else {
      fail(fn, option, value, `${expected}; got rank ${shape.length}`);
    }
    if (raw.length !== rows * width) {
      fail(fn, option, value, `data of length ${rows} * ${width} = ${rows * width} for shape [${shape.join(', ')}], got ${raw.length}`);
    }
    data = new Float64Array(raw.length);
    copyNumbers(fn, option, raw, data, 0, (i) => `[${Math.floor(i / width)}][${i % width}]`);
  } else if (Array.isArray(value) && value.length > 0 && isNumericArrayLike(value[0])) {
    rows = value.length;
    width = (value[0] as ArrayLike<number>).length;
    data = new Float64Array(rows * width);
    value.forEach((row: unknown, i) => {
      if (!isNumericArrayLike(row) || row.length !== width) {
        failEntry(fn, option, `[${i}]`, row, `a row of ${width} numbers like row [0] (all rows of one length)`);
      }
      copyNumbers(fn, option, row, data, i * width, (j) => `[${i}][${j}]`);
    });
  } else if (cols === 1 && isNumericArrayLike(value)) {
    rows = value.length;
    width = 1;
    data = new Float64Array(rows);
    copyNumbers(fn, option, value, data, 0, (i) => `[${i}]`);
  } else if (Array.isArray(value) && value.length === 0) {
    fail(fn, option, value, `at least ${minRows} row${minRows === 1 ? '' : 's'} (got an empty array)`);
  } else {
    fail(fn, option, value, expected);
  }
  if (cols !== undefined && width !== cols) fail(fn, option, value, `${cols} column${cols === 1 ? '' : 's'} (shape [n, ${cols}]), got ${width}`);
  if (width < 1) fail(fn, option, value, 'at least 1 column');
  if (rows < minRows) fail(fn, option, value, `at least ${minRows} row${minRows === 1 ? '' : 's'} (got ${rows})`);
  return { rows, cols: width, data };
}

/** Read a row-record input (array of objects or arquero table) and check it is non-empty. */
export function readRows<R extends object>(fn: string, option: string, value: unknown): R[] {
  let rows: unknown[];
  if (isTableLike(value)) rows = value.objects();
  else if (Array.isArray(value)) rows = value;
  else fail(fn, option, value, 'an array of row objects or an arquero table');
  if (rows.length === 0) fail(fn, option, value, 'at least 1 row (got none)');
  rows.forEach((row, i) => {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) failEntry(fn, option, `[${i}]`, row, 'a row object');
  });
  return rows as R[];
}

/**
 * A number field of a row: finite, or (with `missing: true`) NaN / null / undefined, read as null
 * ("missing": not drawn). Infinity is always an error.
 */
export function readField(
  fn: string,
  option: string,
  row: Record<string, unknown>,
  index: number,
  field: string,
  missing: boolean,
): number | null {
  const v = row[field];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (missing && (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)))) return null;
  failEntry(fn, option, `[${index}].${field}`, v, missing ? 'a finite number, or NaN / null / undefined for a missing value' : 'a finite number');
}

/** Row indices 0, s, 2s, ... keeping at most `max` rows (even thinning); all rows when rows <= max. */
export function thinIndices(rows: number, max: number): number[] {
  if (rows <= max) return Array.from({ length: rows }, (_, i) => i);
  const stride = Math.ceil(rows / max);
  const out: number[] = [];
  for (let i = 0; i < rows; i += stride) out.push(i);
  return out;
}

/** Min and max of the finite entries of column `j` of several matrices (undefined if none is finite). */
export function columnExtent(matrices: Matrix[], j: number): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of matrices) {
    for (let i = 0; i < m.rows; i++) {
      const v = m.data[i * m.cols + j];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/** Pad an extent by `fraction` of its width on each side (a degenerate extent gets +-0.5, or +-|v|/2). */
export function padExtent([lo, hi]: [number, number], fraction: number): [number, number] {
  const width = hi - lo;
  if (width > 0) return [lo - fraction * width, hi + fraction * width];
  const half = lo === 0 ? 0.5 : Math.abs(lo) / 2;
  return [lo - half, hi + half];
}
