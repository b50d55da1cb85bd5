/**
 * Contour lines of a function sampled on a rectangular grid, by marching squares with linear interpolation
 * along cell edges (saddle cells are resolved by the mean of the four corners). Vega-Lite has no contour mark,
 * so the result is a list of straight segments, drawn as `rule` marks.
 */

export interface ContourSegment {
  level: number;
  x: number;
  y: number;
  x2: number;
  y2: number;
}

// For each corner case (bit k set: corner k >= level; corners 0 = (i, j), 1 = (i+1, j), 2 = (i+1, j+1),
// 3 = (i, j+1)), the pairs of crossed edges (edge 0 = corners 0-1, 1 = 1-2, 2 = 3-2, 3 = 0-3).
// Saddles 5 and 10 are listed twice: [centre below level, centre at/above level].
const EDGE_PAIRS: Record<number, number[][]> = {
  1: [[3, 0]],
  2: [[0, 1]],
  3: [[3, 1]],
  4: [[1, 2]],
  6: [[0, 2]],
  7: [[3, 2]],
  8: [[2, 3]],
  9: [[0, 2]],
  11: [[1, 2]],
  12: [[3, 1]],
  13: [[0, 1]],
  14: [[3, 0]],
};
const SADDLE: Record<number, [number[][], number[][]]> = {
  5: [
    [[3, 0], [1, 2]],
    [[0, 1], [2, 3]],
  ],
  10: [
    [[0, 1], [2, 3]],
    [[3, 0], [1, 2]],
  ],
};

/**
 * Segments of the level sets `values == level` for each level. `values[j * xs.length + i]` is the value at
 * `(xs[i], ys[j])`; xs and ys must be increasing. Values may be any finite numbers.
 */
export function contourSegments(xs: ArrayLike<number>, ys: ArrayLike<number>, values: ArrayLike<number>, levels: readonly number[]): ContourSegment[] {
  const nx = xs.length;
  const ny = ys.length;
  const out: ContourSegment[] = [];
  const at = (i: number, j: number) => values[j * nx + i];
  for (const level of levels) {
    for (let j = 0; j + 1 < ny; j++) {
      for (let i = 0; i + 1 < nx; i++) {
        const v = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
        const code = (v[0] >= level ? 1 : 0) | (v[1] >= level ? 2 : 0) | (v[2] >= level ? 4 : 0) | (v[3] >= level ? 8 : 0);
        if (code === 0 || code === 15) continue;
        const cx = [xs[i], xs[i + 1], xs[i + 1], xs[i]];
        const cy = [ys[j], ys[j], ys[j + 1], ys[j + 1]];
        const ends: [number, number][] = [
          [0, 1],
          [1, 2],
          [3, 2],
          [0, 3],
        ];
        const point = (edge: number): [number, number] => {
          const [a, b] = ends[edge];
          const t = (level - v[a]) / (v[b] - v[a]);
          return [cx[a] + t * (cx[b] - cx[a]), cy[a] + t * (cy[b] - cy[a])];
        };
        const pairs = code in SADDLE ? SADDLE[code][(v[0] + v[1] + v[2] + v[3]) / 4 >= level ? 1 : 0] : EDGE_PAIRS[code];
        for (const [e1, e2] of pairs) {
          const [x, y] = point(e1);
          const [x2, y2] = point(e2);
          // A level through a grid point gives zero-length pieces in the cells around it: skip them.
          if (x !== x2 || y !== y2) out.push({ level, x, y, x2, y2 });
        }
      }
    }
  }
  return out;
}
