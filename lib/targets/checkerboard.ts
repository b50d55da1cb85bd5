/**
 * LRDS checkerboard (spec slips-lrds-amcbg.md section 2.7, `Checkerboard(width=4, unequilibrated=True)`): a 2-D
 * density that is uniform on each of 8 disjoint 2 x 2 squares with lower-left corners
 *     (-2, 2), (2, 2), (-4, 0), (0, 0), (-2, -2), (2, -2), (-4, -4), (0, -4)
 * (the "black" cells (i + j even) of the 4 x 4 grid of side-2 cells covering [-4, 4)^2), with masses
 * 3, 1, 3, 1, 3, 1, 3, 1 (/16): the left half x_1 < 0 carries 3/4. `unequilibrated: false` gives equal masses 1/8.
 *
 * Normalisation: exp(logDensity) is the normalised density (mass w_k / 4 per unit area on square k), so logZ = 0.
 * Outside the squares logDensity is -Infinity. Squares are half-open [c, c + 2) x [c', c' + 2), so a point on a
 * shared corner belongs to exactly one square. (The device evaluates floor((x + 4) / 2) in float32, so points within a
 * few float32 ulps of an edge may be given the neighbouring cell's value: a set of measure ~1e-7.)
 *
 * No useful gradient: the score is 0 inside the squares and undefined outside. `gradLogDensity` returns zeros
 * (so that gradient-based code does not try to autodiff through floor/gather), which makes MALA/HMC plain random
 * walks with a Gaussian-shaped proposal; the intended kernel is random-walk Metropolis (rwmh), whose acceptance
 * rejects every move outside the support (log-acceptance -Infinity) and leaves a chain started outside on its
 * first proposal that lands inside.
 *
 * Modes: square k is mode k (in the order above). `modes.assign` gives the square containing x, and for a point
 * outside every square the nearest square (Euclidean distance to the closed square, ties to the lower index), so
 * samples of an approximate sampler always count somewhere; `modes.weights` are the exact square masses.
 */
import * as tf from '@tensorflow/tfjs';
import { select } from '../core/ops.js';
import { split, uniformArray, type Key } from '../core/random.js';
import { readValues } from '../core/readback.js';
import { checkBoolean, checkOptions, checkSampleCount } from '../core/validate.js';
import { checkPositions, type Modes, type Target } from './target.js';

/** Lower-left corners of the squares, in the reference's order. */
export const CHECKERBOARD_CORNERS: readonly (readonly [number, number])[] = [
  [-2, 2], [2, 2], [-4, 0], [0, 0], [-2, -2], [2, -2], [-4, -4], [0, -4],
];
const UNEQUILIBRATED_MASSES = [3, 1, 3, 1, 3, 1, 3, 1];
const SIDE = 2;
/** The cells of side 2 cover [-4, 4)^2, GRID x GRID of them; cell (i, j) has lower-left corner (-4 + 2i, -4 + 2j). */
const GRID = 4;
const ORIGIN = -4;
const OUTSIDE = GRID * GRID;
/**
 * Exact samples stay this far below a square's open upper edge: float32 rounding of c + 2v (v < 1) could land on
 * the edge, and the device's floor((x + 4) / 2) is exact only a few float32 ulps (2.4e-7 near 4) away from it. The
 * bias, a 1e-6 fraction of the side, is far below any Monte Carlo error.
 */
const EDGE_MARGIN = 2 ** -20;

export interface CheckerboardOptions {
  /** Masses 3, 1, 3, ... (/16) as in LRDS (default true); false: equal masses 1/8. */
  unequilibrated?: boolean;
}

export interface CheckerboardTarget extends Target {
  /** Normalised square masses, in the order of CHECKERBOARD_CORNERS. */
  readonly squareWeights: number[];
  logZ: number;
  mean: number[];
  variance: number[];
  modes: Modes;
  gradLogDensity(x: tf.Tensor2D): tf.Tensor2D;
  sample(key: Key, n: number): tf.Tensor2D;
  /** Free the device constants. */
  dispose(): void;
}

/** Index of the square containing (x, y) (half-open squares), or -1 when it lies in none. */
function squareAt(x: number, y: number): number {
  return CHECKERBOARD_CORNERS.findIndex(([cx, cy]) => x >= cx && x < cx + SIDE && y >= cy && y < cy + SIDE);
}

/** Index of the square nearest to (x, y) (distance to the closed square; 0 inside). */
function nearestSquare(x: number, y: number): number {
  let best = 0;
  let bestDistance = Infinity;
  CHECKERBOARD_CORNERS.forEach(([cx, cy], k) => {
    const dx = Math.max(cx - x, 0, x - (cx + SIDE));
    const dy = Math.max(cy - y, 0, y - (cy + SIDE));
    const d = dx * dx + dy * dy;
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  });
  return best;
}

/** The LRDS checkerboard; see the file header. */
export function checkerboard(options: CheckerboardOptions = {}): CheckerboardTarget {
  const fn = 'checkerboard';
  const opts = checkOptions<CheckerboardOptions>(fn, options, ['unequilibrated']);
  const unequilibrated = checkBoolean(fn, 'unequilibrated', opts.unequilibrated ?? true);
  const masses = unequilibrated ? UNEQUILIBRATED_MASSES : UNEQUILIBRATED_MASSES.map(() => 1);
  const total = masses.reduce((a, b) => a + b, 0);
  const weights = masses.map((m) => m / total);
  const name = unequilibrated ? 'checkerboard' : 'checkerboard-equilibrated';

  // log-density per grid cell (-Infinity on the white cells), plus one entry for "outside [-4, 4)^2".
  const table = new Float32Array(OUTSIDE + 1).fill(-Infinity);
  CHECKERBOARD_CORNERS.forEach(([cx, cy], k) => {
    const i = (cx - ORIGIN) / SIDE;
    const j = (cy - ORIGIN) / SIDE;
    table[i * GRID + j] = Math.log(weights[k] / (SIDE * SIDE));
  });
  const tableT = tf.tensor1d(table, 'float32');

  // Exact moments: a uniform on [c, c + 2] has mean c + 1 and variance 1/3.
  const mean = [0, 1].map((a) => weights.reduce((s, w, k) => s + w * (CHECKERBOARD_CORNERS[k][a] + 1), 0));
  const variance = [0, 1].map(
    (a) => weights.reduce((s, w, k) => s + w * ((CHECKERBOARD_CORNERS[k][a] + 1) ** 2 + 1 / 3), 0) - mean[a] ** 2,
  );

  const modes: Modes = {
    weights,
    async assign(x: tf.Tensor2D): Promise<Int32Array> {
      checkPositions(`${name}.modes.assign`, x, 2, 'x');
      const values = await readValues(x);
      const out = new Int32Array(x.shape[0]);
      for (let r = 0; r < out.length; r++) {
        const px = values[2 * r];
        const py = values[2 * r + 1];
        const k = squareAt(px, py);
        out[r] = k >= 0 ? k : nearestSquare(px, py);
      }
      return out;
    },
  };

  return {
    name,
    dim: 2,
    squareWeights: weights,
    logZ: 0,
    mean,
    variance,
    modes,
    logDensity(x: tf.Tensor2D): tf.Tensor1D {
      checkPositions(`${name}.logDensity`, x, 2, 'x');
      return tf.tidy(() => {
        const cells = tf.floor(tf.div(tf.sub(x, ORIGIN), SIDE));
        const inGrid = tf.all(tf.logicalAnd(tf.greaterEqual(cells, 0), tf.less(cells, GRID)), 1);
        const [i, j] = tf.split(cells, 2, 1);
        const flat = tf.reshape(tf.add(tf.mul(i, GRID), j), [-1]);
        const index = tf.cast(select(tf.cast(inGrid, 'float32'), flat, tf.fill(flat.shape, OUTSIDE)), 'int32');
        return tf.gather(tableT, index) as tf.Tensor1D;
      });
    },
    gradLogDensity(x: tf.Tensor2D): tf.Tensor2D {
      checkPositions(`${name}.gradLogDensity`, x, 2, 'x');
      return tf.zerosLike(x);
    },
    sample(key: Key, n: number): tf.Tensor2D {
      checkSampleCount(`${name}.sample`, n);
      const [squareKey, positionKey] = split(key);
      const u = uniformArray(squareKey, n);
      const v = uniformArray(positionKey, 2 * n);
      const cumulative: number[] = [];
      let running = 0;
      for (const w of weights) cumulative.push((running += w));
      const out = new Float32Array(2 * n);
      for (let r = 0; r < n; r++) {
        let k = 0;
        while (k < weights.length - 1 && u[r] >= cumulative[k]) k++;
        const [cx, cy] = CHECKERBOARD_CORNERS[k];
        out[2 * r] = Math.min(cx + SIDE * v[2 * r], cx + SIDE - EDGE_MARGIN);
        out[2 * r + 1] = Math.min(cy + SIDE * v[2 * r + 1], cy + SIDE - EDGE_MARGIN);
      }
      return tf.tensor2d(out, [n, 2], 'float32');
    },
    dispose(): void {
      tableT.dispose();
    },
  };
}
