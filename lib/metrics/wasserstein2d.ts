/**
 * 2-Wasserstein distance between two point sets (papers/slips-lrds-amcbg.md sections 1.8, 4.7, 4.9: SLIPS's W2 on
 * 8 Gaussians and rings is POT's `emd2` with the squared Euclidean cost, then a square root). Written for the
 * 2-D targets, valid in any dimension. Both run in float64 on the JS side, on the n x m matrix of squared distances
 * C_ij = |x_i - y_j|^2 (after a common shift by the pooled mean, which changes nothing).
 *
 * Exact (`wasserstein2Exact`), equal sizes n = m, uniform weights: an optimal coupling of two uniform empirical
 * measures with the same number of atoms is a permutation (Birkhoff), so
 *   W2^2 = min_sigma (1/n) sum_i |x_i - y_sigma(i)|^2,
 * solved exactly by the shortest-augmenting-path Hungarian algorithm with potentials (Kuhn-Munkres in the
 * Jonker-Volgenant form; `optimalAssignment`): O(n^3) time, O(n^2) memory, about 1 s for n = 1000.
 *
 * Entropic (`wasserstein2Sinkhorn`), any sizes and weights (AIS): the log-domain Sinkhorn iterations (Cuturi 2013;
 * Peyre & Cuturi 2019, section 4.4) for
 *   P_eps = argmin_{P in Pi(a, b)} <P, C> + eps sum_ij P_ij log P_ij,
 *   f_i <- -eps log sum_j b_j exp((g_j - C_ij) / eps),   g_j <- -eps log sum_i a_i exp((f_i - C_ij) / eps),
 * with eps-scaling (eps halved from max C down to the target eps). It returns the transport cost of the entropic
 * plan, sqrt(<P_eps, C>) (POT's `sinkhorn2`), which is >= W2 and converges to it as eps -> 0:
 *   0 <= <P_eps, C> - W2^2 <= eps min(H(a), H(b))   (= eps log min(n, m) for uniform weights; H = entropy),
 * because P_eps beats the optimal plan P* on the regularised objective, H(P_eps) <= H(a) + H(b) and
 * H(P*) >= max(H(a), H(b)). The bound is returned as `entropicBiasBound`.
 * eps: absolute, in squared-distance units; default 1e-3 times the mean of C (scale-free; spec section 4.7 quotes
 * eps = 1e-3 for the LRDS Sinkhorn). The iterations stop when the row marginals are within `tolerance` in L1 (the
 * column marginals are exact after each sweep); the cost of a plan with marginal error e differs from that of a
 * coupling by at most e max C, so the bracket above holds up to that (`marginalError` is returned).
 *
 * Cost: Sinkhorn needs n m exponentials per sweep and, at small eps, hundreds of sweeps (measured on 2 busy cores:
 * 80 x 80 points, eps = 0.05, 2000 sweeps in 0.7 s; 600 x 600, 300 sweeps in 9 s). It suits small or weighted sets;
 * for equal-size unweighted sets use the exact solver (1000 x 1000 in about 3 s), and for large weighted sets
 * (AIS) resample to equal weights first.
 */
import { checkInteger, checkNumber, checkOptions, invalidOption, readVector, verbatim } from '../core/validate.js';
import { pooledMean, readSamplePair, shifted, type SampleInput, type SampleMatrix } from './samples.js';

/** Largest n for the exact solver (O(n^3) time, n^2 float64 memory). */
export const MAX_EXACT_SIZE = 4096;
/** Largest n m for Sinkhorn (the cost matrix is stored: 8 bytes per entry). */
export const MAX_SINKHORN_ENTRIES = 2 ** 24;

/** The n x m squared-distance matrix (row-major) in float64. */
function squaredDistances(xs: SampleMatrix, ys: SampleMatrix): Float64Array {
  const d = xs.dim;
  const cost = new Float64Array(xs.n * ys.n);
  for (let i = 0; i < xs.n; i++) {
    for (let j = 0; j < ys.n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const diff = xs.data[i * d + k] - ys.data[j * d + k];
        s += diff * diff;
      }
      cost[i * ys.n + j] = s;
    }
  }
  return cost;
}

async function readPair(fn: string, x: SampleInput, y: SampleInput): Promise<[SampleMatrix, SampleMatrix]> {
  const [xs, ys] = await readSamplePair(fn, ['x', 'y'], x, y);
  const mean = pooledMean(xs, ys);
  return [shifted(xs, mean), shifted(ys, mean)];
}

/**
 * Minimum-cost perfect assignment for an n x n cost matrix (row-major float64): returns `assignment` with row i
 * matched to column assignment[i], and the total cost. Shortest augmenting paths with dual potentials
 * (Hungarian / Jonker-Volgenant), O(n^3).
 */
export function optimalAssignment(cost: ArrayLike<number>, n: number): { assignment: Int32Array; totalCost: number } {
  const fn = 'optimalAssignment';
  checkInteger(fn, 'n', n);
  if (cost.length !== n * n) invalidOption(fn, 'cost', `an array of length ${cost.length}`, `n * n = ${n * n} entries (row-major)`, verbatim);
  for (let k = 0; k < cost.length; k++) {
    if (!Number.isFinite(cost[k])) throw new Error(`${fn}: option "cost" has entry [${k}] = ${cost[k]}, expected finite costs`);
  }
  // 1-based arrays; column 0 is the virtual start of each augmenting path.
  const u = new Float64Array(n + 1); // row potentials
  const v = new Float64Array(n + 1); // column potentials
  const rowOf = new Int32Array(n + 1); // rowOf[j]: row matched to column j (0 = none)
  const way = new Int32Array(n + 1); // previous column on the shortest path
  const minSlack = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    rowOf[0] = i;
    let j0 = 0;
    minSlack.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = rowOf[j0];
      const base = (i0 - 1) * n - 1; // cost[i0 - 1][j - 1] = cost[base + j]
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const slack = cost[base + j] - u[i0] - v[j];
        if (slack < minSlack[j]) {
          minSlack[j] = slack;
          way[j] = j0;
        }
        if (minSlack[j] < delta) {
          delta = minSlack[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[rowOf[j]] += delta;
          v[j] -= delta;
        } else {
          minSlack[j] -= delta;
        }
      }
      j0 = j1;
    } while (rowOf[j0] !== 0);
    // Augment along the path.
    do {
      const j1 = way[j0];
      rowOf[j0] = rowOf[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Int32Array(n);
  let totalCost = 0;
  for (let j = 1; j <= n; j++) assignment[rowOf[j] - 1] = j - 1;
  for (let i = 0; i < n; i++) totalCost += cost[i * n + assignment[i]];
  return { assignment, totalCost };
}

/** Exact W2 between two equal-size point sets x, y [n, d] with uniform weights (see the file comment). */
export async function wasserstein2Exact(x: SampleInput, y: SampleInput): Promise<number> {
  const fn = 'wasserstein2Exact';
  const [xs, ys] = await readPair(fn, x, y);
  if (xs.n !== ys.n) {
    invalidOption(fn, 'y', `${ys.n} points`, `as many points as x (${xs.n}); use wasserstein2Sinkhorn for unequal sizes`, verbatim);
  }
  if (xs.n > MAX_EXACT_SIZE) {
    invalidOption(fn, 'x', `${xs.n} points`, `at most ${MAX_EXACT_SIZE} points (O(n^3)); subsample or use wasserstein2Sinkhorn`, verbatim);
  }
  const { totalCost } = optimalAssignment(squaredDistances(xs, ys), xs.n);
  return Math.sqrt(Math.max(0, totalCost / xs.n));
}

export interface SinkhornOptions {
  /** Entropic regularisation, absolute (squared-distance units). Default 1e-3 x mean squared distance. */
  epsilon?: number;
  /** Weights of the points of x (non-negative, positive sum; normalised here). Default uniform. */
  xWeights?: ArrayLike<number>;
  /** Weights of the points of y. Default uniform. */
  yWeights?: ArrayLike<number>;
  /** Stop when sum_i |(P 1)_i - a_i| < tolerance (the column marginals are exact after each sweep). Default 1e-5. */
  tolerance?: number;
  /** Iterations at the final epsilon at most. Default 1000. */
  maxIterations?: number;
}

export interface SinkhornResult {
  /** sqrt(<P_eps, C>), >= W2 (up to the marginal error). */
  distance: number;
  /** <P_eps, C>. */
  transportCost: number;
  /** The epsilon used. */
  epsilon: number;
  /** eps min(H(a), H(b)): <P_eps, C> - W2^2 lies in [0, entropicBiasBound]. */
  entropicBiasBound: number;
  /** Sweeps at the final epsilon. */
  iterations: number;
  /** sum_i |(P 1)_i - a_i| at the end. */
  marginalError: number;
}

function normalisedWeights(fn: string, option: string, w: ArrayLike<number> | undefined, n: number): Float64Array {
  if (w === undefined) return new Float64Array(n).fill(1 / n);
  const values = readVector(fn, option, w);
  if (values.length !== n) invalidOption(fn, option, `an array of length ${values.length}`, `one weight per point (${n})`, verbatim);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] < 0) throw new Error(`${fn}: option "${option}" has entry [${i}] = ${values[i]}, expected weights >= 0`);
    sum += values[i];
  }
  if (!(sum > 0)) invalidOption(fn, option, 'weights summing to 0', 'weights with a positive sum', verbatim);
  return values.map((v) => v / sum);
}

function entropy(p: Float64Array): number {
  let h = 0;
  for (const v of p) if (v > 0) h -= v * Math.log(v);
  return h;
}

/** Entropic (Sinkhorn) W2 between point sets x [n, d] and y [m, d], optionally weighted (see the file comment). */
export async function wasserstein2Sinkhorn(x: SampleInput, y: SampleInput, options: SinkhornOptions = {}): Promise<SinkhornResult> {
  const fn = 'wasserstein2Sinkhorn';
  const o = checkOptions<SinkhornOptions>(fn, options, ['epsilon', 'xWeights', 'yWeights', 'tolerance', 'maxIterations']);
  const [xs, ys] = await readPair(fn, x, y);
  const n = xs.n;
  const m = ys.n;
  if (n * m > MAX_SINKHORN_ENTRIES) {
    invalidOption(fn, 'x', `${n} x ${m} points`, `n m <= ${MAX_SINKHORN_ENTRIES} (the cost matrix is stored); subsample`, verbatim);
  }
  const a = normalisedWeights(fn, 'xWeights', o.xWeights, n);
  const b = normalisedWeights(fn, 'yWeights', o.yWeights, m);
  const tolerance = checkNumber(fn, 'tolerance', o.tolerance ?? 1e-5, 'positive');
  const maxIterations = checkInteger(fn, 'maxIterations', o.maxIterations ?? 1000);
  const cost = squaredDistances(xs, ys);
  let meanCost = 0;
  let maxCost = 0;
  for (const c of cost) {
    meanCost += c / cost.length;
    if (c > maxCost) maxCost = c;
  }
  const entropyBound = Math.min(entropy(a), entropy(b));
  if (maxCost === 0) {
    // Every point coincides: W2 = 0 exactly.
    const epsilon = o.epsilon ?? 0;
    return { distance: 0, transportCost: 0, epsilon, entropicBiasBound: epsilon * entropyBound, iterations: 0, marginalError: 0 };
  }
  const epsilon = o.epsilon === undefined ? 1e-3 * meanCost : checkNumber(fn, 'epsilon', o.epsilon, 'positive');
  const logA = a.map(Math.log);
  const logB = b.map(Math.log);
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  const scratch = new Float64Array(Math.max(n, m));

  /** f <- -eps LSE_j(log b_j + (g_j - C_ij) / eps); returns sum_i a_i |exp((f_old - f_new) / eps) - 1|. */
  const updateF = (eps: number): number => {
    const inverse = 1 / eps;
    let error = 0;
    for (let i = 0; i < n; i++) {
      const row = i * m;
      let max = -Infinity;
      for (let j = 0; j < m; j++) {
        const s = logB[j] + (g[j] - cost[row + j]) * inverse;
        scratch[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < m; j++) sum += Math.exp(scratch[j] - max);
      const next = -eps * (max + Math.log(sum));
      error += a[i] * Math.abs(Math.expm1((f[i] - next) / eps));
      f[i] = next;
    }
    return error;
  };
  /** g <- -eps LSE_i(log a_i + (f_i - C_ij) / eps). */
  const updateG = (eps: number): void => {
    const inverse = 1 / eps;
    for (let j = 0; j < m; j++) {
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const s = logA[i] + (f[i] - cost[i * m + j]) * inverse;
        scratch[i] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp(scratch[i] - max);
      g[j] = -eps * (max + Math.log(sum));
    }
  };

  // eps-scaling: a few sweeps at each eps from max C down to the target (warm-started potentials).
  for (let eps = maxCost; eps > epsilon; eps /= 2) {
    for (let s = 0; s < 5; s++) {
      updateF(eps);
      updateG(eps);
    }
  }
  let iterations = 0;
  let marginalError = Infinity;
  while (iterations < maxIterations) {
    // The error measured in updateF is that of the plan after the previous sweep's g-update.
    const error = updateF(epsilon);
    if (iterations > 0) marginalError = error;
    updateG(epsilon);
    iterations++;
    if (marginalError < tolerance) break;
  }
  // Final plan: P_ij = a_i b_j exp((f_i + g_j - C_ij) / eps); its row-marginal error and cost.
  let transportCost = 0;
  let rowError = 0;
  for (let i = 0; i < n; i++) {
    let rowMass = 0;
    for (let j = 0; j < m; j++) {
      const p = Math.exp(logA[i] + logB[j] + (f[i] + g[j] - cost[i * m + j]) / epsilon);
      rowMass += p;
      transportCost += p * cost[i * m + j];
    }
    rowError += Math.abs(rowMass - a[i]);
  }
  return {
    distance: Math.sqrt(transportCost),
    transportCost,
    epsilon,
    entropicBiasBound: epsilon * entropyBound,
    iterations,
    marginalError: rowError,
  };
}
