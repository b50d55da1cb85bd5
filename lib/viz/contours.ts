/**
 * Contour lines of a function sampled on a rectangular grid, by d3-contour (marching squares with linear
 * interpolation along cell edges). Vega-Lite has no contour mark, so the result is a list of straight segments,
 * drawn as `rule` marks.
 *
 * d3-contour returns the boundaries of the regions `values >= level` as closed rings in grid coordinates, where
 * sample (i, j) sits at (i + 0.5, j + 0.5) and everything outside the grid counts as below every level. A ring of a
 * region that reaches the grid's edge therefore runs around the outside of the samples: those pieces are no level
 * set and are left out; the rest is mapped back to data coordinates (exactly, cell by cell, so xs and ys may be
 * unevenly spaced).
 */
import { contours } from 'd3-contour';

export interface ContourSegment {
  level: number;
  x: number;
  y: number;
  x2: number;
  y2: number;
}

/** Grid coordinate c (sample k at k + 0.5) to data coordinate, by linear interpolation between neighbouring samples. */
function toData(grid: ArrayLike<number>, c: number): number {
  const t = c - 0.5;
  const k = Math.min(Math.floor(t), grid.length - 2);
  return grid[k] + (t - k) * (grid[k + 1] - grid[k]);
}

/**
 * Segments of the level sets `values == level` for each level. `values[j * xs.length + i]` is the value at
 * `(xs[i], ys[j])`; xs and ys must be increasing, with at least two points each. Values may be any finite numbers.
 */
export function contourSegments(xs: ArrayLike<number>, ys: ArrayLike<number>, values: ArrayLike<number>, levels: readonly number[]): ContourSegment[] {
  const nx = xs.length;
  const ny = ys.length;
  const generator = contours().size([nx, ny]);
  const inside = ([cx, cy]: number[]) => cx >= 0.5 && cx <= nx - 0.5 && cy >= 0.5 && cy <= ny - 0.5;
  const out: ContourSegment[] = [];
  for (const level of levels) {
    for (const polygon of generator.contour(values as number[], level).coordinates) {
      for (const ring of polygon) {
        for (let p = 0; p + 1 < ring.length; p++) {
          const a = ring[p];
          const b = ring[p + 1];
          if (!inside(a) || !inside(b)) continue;
          const [x, y, x2, y2] = [toData(xs, a[0]), toData(ys, a[1]), toData(xs, b[0]), toData(ys, b[1])];
          // A level through a grid point gives zero-length pieces in the cells around it: skip them.
          if (x !== x2 || y !== y2) out.push({ level, x, y, x2, y2 });
        }
      }
    }
  }
  return out;
}
