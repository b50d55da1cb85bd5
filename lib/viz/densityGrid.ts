/**
 * A 2-D (log-)density on a rectangular grid, for the layer under a scatter plot. It comes either as a grid the
 * caller computed, or as a function `(x, y) => logDensity` evaluated here on a `size x size` grid.
 */
import { fail, failEntry } from './checks.js';

/**
 * A density given on a grid: `x` (length nx) and `y` (length ny) strictly increasing, and exactly one of
 * `logDensity` / `density`, indexed `[yIndex][xIndex]` (ny rows of nx values) or flat row-major (`j * nx + i`).
 * Log-densities may be -Infinity (zero density); densities must be >= 0. Unnormalised is fine: the chart shows
 * the density relative to its maximum on the grid.
 */
export interface DensityGrid {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  logDensity?: ArrayLike<number> | ArrayLike<number>[];
  density?: ArrayLike<number> | ArrayLike<number>[];
}

/** `(x, y) => log density` (unnormalised is fine; -Infinity = zero density). */
export type LogDensityFn = (x: number, y: number) => number;

export interface EvaluatedGrid {
  xs: Float64Array;
  ys: Float64Array;
  /** log density at (xs[i], ys[j]) in [j * nx + i]; -Infinity where the density is 0. */
  logDensity: Float64Array;
}

function readAxis(fn: string, option: string, name: string, value: unknown): Float64Array {
  if (!(Array.isArray(value) || ArrayBuffer.isView(value)) || (value as ArrayLike<number>).length < 2) {
    fail(fn, `${option}.${name}`, value, 'an increasing array of at least 2 finite numbers');
  }
  const a = Float64Array.from(value as ArrayLike<number>);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || (i > 0 && !(a[i] > a[i - 1]))) {
      failEntry(fn, `${option}.${name}`, `[${i}]`, (value as ArrayLike<number>)[i], `a finite number greater than entry [${i - 1}] (strictly increasing)`);
    }
  }
  return a;
}

/** Check and flatten a caller's grid to log-densities. */
export function readDensityGrid(fn: string, option: string, grid: DensityGrid): EvaluatedGrid {
  const known = ['x', 'y', 'logDensity', 'density'];
  for (const k of Object.keys(grid)) {
    if (!known.includes(k)) fail(fn, `${option}.${k}`, (grid as unknown as Record<string, unknown>)[k], `no such field; a density grid has ${known.join(', ')}`);
  }
  const xs = readAxis(fn, option, 'x', grid.x);
  const ys = readAxis(fn, option, 'y', grid.y);
  const isLog = grid.logDensity !== undefined;
  if (isLog === (grid.density !== undefined)) fail(fn, option, grid, 'exactly one of "logDensity" or "density"');
  const field = isLog ? 'logDensity' : 'density';
  const values = (isLog ? grid.logDensity : grid.density) as unknown;
  const nx = xs.length;
  const ny = ys.length;
  const out = new Float64Array(nx * ny);
  const put = (k: number, v: unknown, where: string) => {
    if (isLog) {
      if (typeof v !== 'number' || Number.isNaN(v) || v === Infinity) failEntry(fn, `${option}.${field}`, where, v, 'a finite number or -Infinity');
      out[k] = v;
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) failEntry(fn, `${option}.${field}`, where, v, 'a finite number >= 0');
      out[k] = Math.log(v);
    }
  };
  if (Array.isArray(values) && values.length > 0 && typeof values[0] === 'object') {
    if (values.length !== ny) fail(fn, `${option}.${field}`, values, `${ny} rows (one per y value) of ${nx} values, got ${values.length} rows`);
    values.forEach((row: unknown, j) => {
      if (!(Array.isArray(row) || ArrayBuffer.isView(row)) || (row as ArrayLike<number>).length !== nx) {
        failEntry(fn, `${option}.${field}`, `[${j}]`, row, `a row of ${nx} values (one per x value)`);
      }
      for (let i = 0; i < nx; i++) put(j * nx + i, (row as ArrayLike<unknown>)[i], `[${j}][${i}]`);
    });
  } else if (Array.isArray(values) || ArrayBuffer.isView(values)) {
    const flat = values as ArrayLike<unknown>;
    if (flat.length !== nx * ny) fail(fn, `${option}.${field}`, values, `${ny} * ${nx} = ${nx * ny} values (flat, row j = y index), got ${flat.length}`);
    for (let k = 0; k < flat.length; k++) put(k, flat[k], `[${k}]`);
  } else {
    fail(fn, `${option}.${field}`, values, `an array of ${ny} rows of ${nx} numbers, or a flat array of ${nx * ny}`);
  }
  return { xs, ys, logDensity: out };
}

/** Evaluate `logDensity(x, y)` on an evenly spaced `size x size` grid covering the domain. */
export function evaluateDensity(fn: string, option: string, logDensity: LogDensityFn, xDomain: [number, number], yDomain: [number, number], size: number): EvaluatedGrid {
  const axis = ([lo, hi]: [number, number]) => Float64Array.from({ length: size }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / size);
  const xs = axis(xDomain);
  const ys = axis(yDomain);
  const out = new Float64Array(size * size);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const v = logDensity(xs[i], ys[j]);
      if (typeof v !== 'number' || Number.isNaN(v) || v === Infinity) {
        fail(fn, option, logDensity, `a function returning a finite log-density or -Infinity; it returned ${String(v)} at (x, y) = (${xs[i]}, ${ys[j]})`);
      }
      out[j * size + i] = v;
    }
  }
  return { xs, ys, logDensity: out };
}

/** Cell edges around grid points: midpoints between neighbours, the outer edges mirrored. */
export function cellEdges(centres: Float64Array): Float64Array {
  const n = centres.length;
  const edges = new Float64Array(n + 1);
  for (let i = 1; i < n; i++) edges[i] = (centres[i - 1] + centres[i]) / 2;
  edges[0] = centres[0] - (edges[1] - centres[0]);
  edges[n] = centres[n - 1] + (centres[n - 1] - edges[n - 1]);
  return edges;
}
