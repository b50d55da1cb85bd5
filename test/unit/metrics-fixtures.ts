/**
 * Shared fixtures of the metrics tests: seeded Gaussian samples (float64, from `normalArray`), float64
 * brute-force pairwise sums to compare the blocked float32 device versions with, and replicate statistics.
 */
import { normalArray, type Key } from '../../lib/core/random.js';

/** n rows of N(mean, diag(std^2)) in dim = mean.length dimensions. */
export function gaussianRows(k: Key, n: number, mean: number[], std: number[]): number[][] {
  const d = mean.length;
  const z = normalArray(k, n * d);
  return Array.from({ length: n }, (_, i) => mean.map((m, j) => m + std[j] * z[i * d + j]));
}

export function squaredDistance(a: number[], b: number[]): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return s;
}

/** sum over pairs of f(|a_i - b_j|^2) in float64; `offDiagonalOnly` skips i === j (for a set against itself). */
export function bruteForcePairSum(a: number[][], b: number[][], f: (d2: number) => number, offDiagonalOnly = false): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      if (offDiagonalOnly && i === j) continue;
      s += f(squaredDistance(a[i], b[j]));
    }
  }
  return s;
}
