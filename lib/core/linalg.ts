/**
 * Small dense linear algebra in float64 on the CPU (DESIGN.md section 1, traps 5 and 6): tfjs has no Cholesky
 * or triangular solve and computes in float32 only. Matrices are row-major `Float64Array`s.
 *
 * Everything is checked at the boundary: a wrong shape, a non-finite entry, a non-square, non-symmetric or
 * non-positive-definite matrix throws an error naming the function, the argument, the value or shape found and
 * what was expected.
 *
 * `GaussianFactor` precomputes a Cholesky factor once for repeated float64 log-densities, and hands out float32
 * tensors (`L`, `L^{-T}`, mean) for device-side use.
 */
import * as tf from '@tensorflow/tfjs';

/** A dense row-major matrix: entry (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface CholeskyOptions {
  /**
   * Relative tolerance of the symmetry check: |A_ij - A_ji| must be <= symmetryTol * max(|A_ij|, |A_ji|,
   * sqrt(|A_ii A_jj|)). Default 1e-8. Only the lower triangle is read once the check passes.
   */
  symmetryTol?: number;
}

export interface SolveTriangularOptions {
  /** The factor is lower triangular (default true); false: upper triangular. */
  lower?: boolean;
  /** Solve with the transpose of the factor (default false): `L^T X = B`. */
  transpose?: boolean;
}

const LOG_2PI = Math.log(2 * Math.PI);
const EPS = Number.EPSILON;

// ---------------------------------------------------------------------------------------------------------------
// Validation helpers

function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v;
}

function shapeOf(m: Matrix): string {
  return `[${m.rows}, ${m.cols}]`;
}

function checkDim(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new Error(`${fn}: ${name} must be a non-negative integer, got ${describeValue(v)}`);
  }
  return v;
}

/** Check that `m` is a well-formed Matrix with finite entries; return it typed. */
function checkMatrix(fn: string, name: string, m: unknown): Matrix {
  if (m == null || typeof m !== 'object') {
    throw new Error(`${fn}: ${name} must be a Matrix {rows, cols, data: Float64Array}, got ${describeValue(m)}`);
  }
  const { rows, cols, data } = m as Partial<Matrix>;
  if (
    typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0 ||
    typeof cols !== 'number' || !Number.isInteger(cols) || cols < 0
  ) {
    throw new Error(
      `${fn}: ${name} must have non-negative integer rows and cols, got rows=${describeValue(rows)}, ` +
        `cols=${describeValue(cols)}`,
    );
  }
  if (!(data instanceof Float64Array)) {
    throw new Error(
      `${fn}: ${name}.data must be a Float64Array (build matrices with matrix()), got ${describeValue(data)}`,
    );
  }
  if (data.length !== rows * cols) {
    throw new Error(
      `${fn}: ${name} has shape [${rows}, ${cols}] but data.length is ${data.length} (expected ${rows * cols})`,
    );
  }
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      const i = Math.floor(k / cols);
      const j = k - i * cols;
      throw new Error(`${fn}: ${name}[${i}][${j}] is ${data[k]}; all entries must be finite`);
    }
  }
  return m as Matrix;
}

function checkSquare(fn: string, name: string, m: Matrix): number {
  if (m.rows !== m.cols) {
    throw new Error(`${fn}: ${name} must be square, got shape ${shapeOf(m)}`);
  }
  return m.rows;
}

/** Check a triangular factor: square, the unused triangle zero, nonzero (or positive) diagonal. */
function checkTriangular(fn: string, name: string, m: Matrix, lower: boolean, positiveDiagonal: boolean): number {
  const n = checkSquare(fn, name, m);
  const d = m.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if ((lower ? j > i : j < i) && d[i * n + j] !== 0) {
        throw new Error(
          `${fn}: ${name} must be ${lower ? 'lower' : 'upper'} triangular, but ${name}[${i}][${j}] = ` +
            `${d[i * n + j]} (expected 0)`,
        );
      }
    }
    const dii = d[i * n + i];
    if (positiveDiagonal ? !(dii > 0) : dii === 0) {
      throw new Error(
        `${fn}: ${name}[${i}][${i}] = ${dii} on the diagonal; expected ${positiveDiagonal ? '> 0 (a Cholesky factor)' : 'a nonzero value (the factor is singular)'}`,
      );
    }
  }
  return n;
}

function checkVector(fn: string, name: string, v: unknown, length: number): Float64Array {
  if (v == null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new Error(`${fn}: ${name} must be an array of ${length} numbers, got ${describeValue(v)}`);
  }
  const a = v as ArrayLike<unknown>;
  if (a.length !== length) {
    throw new Error(`${fn}: ${name} has length ${a.length}, expected ${length}`);
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new Error(`${fn}: ${name}[${i}] is ${describeValue(x)}; all entries must be finite numbers`);
    }
    out[i] = x;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Construction and basic operations

/**
 * A `rows x cols` matrix from a flat row-major list of `rows * cols` numbers, or from nested rows
 * (`[[1, 2], [3, 4]]`); zeros when `values` is omitted. The values are copied and checked (finite numbers,
 * matching lengths).
 */
export function matrix(rows: number, cols: number, values?: ArrayLike<number> | number[][]): Matrix {
  const fn = 'matrix';
  checkDim(fn, 'rows', rows);
  checkDim(fn, 'cols', cols);
  const data = new Float64Array(rows * cols);
  if (values === undefined) return { rows, cols, data };
  if (values == null || typeof values !== 'object' || typeof (values as ArrayLike<unknown>).length !== 'number') {
    throw new Error(`${fn}: values must be a flat array of numbers or an array of rows, got ${describeValue(values)}`);
  }
  const nested = Array.isArray(values) && values.length > 0 && Array.isArray(values[0]);
  if (nested) {
    const rowsIn = values as unknown[];
    if (rowsIn.length !== rows) {
      throw new Error(`${fn}: values has ${rowsIn.length} rows, expected ${rows} (shape [${rows}, ${cols}])`);
    }
    for (let i = 0; i < rows; i++) {
      const row = rowsIn[i];
      if (!Array.isArray(row) && !ArrayBuffer.isView(row)) {
        throw new Error(`${fn}: values[${i}] must be an array of ${cols} numbers, got ${describeValue(row)}`);
      }
      const r = row as ArrayLike<unknown>;
      if (r.length !== cols) {
        throw new Error(`${fn}: values[${i}] has length ${r.length}, expected ${cols} (shape [${rows}, ${cols}])`);
      }
      for (let j = 0; j < cols; j++) {
        const x = r[j];
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          throw new Error(`${fn}: values[${i}][${j}] is ${describeValue(x)}; all entries must be finite numbers`);
        }
        data[i * cols + j] = x;
      }
    }
  } else {
    const flat = values as ArrayLike<unknown>;
    if (flat.length !== rows * cols) {
      throw new Error(
        `${fn}: values has length ${flat.length}, expected rows * cols = ${rows * cols} (shape [${rows}, ${cols}])`,
      );
    }
    for (let k = 0; k < flat.length; k++) {
      const x = flat[k];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        const i = cols > 0 ? Math.floor(k / cols) : 0;
        throw new Error(
          `${fn}: values[${k}] (entry [${i}][${k - i * cols}]) is ${describeValue(x)}; all entries must be finite numbers`,
        );
      }
      data[k] = x;
    }
  }
  return { rows, cols, data };
}

/** The n x n identity. */
export function identity(n: number): Matrix {
  checkDim('identity', 'n', n);
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { rows: n, cols: n, data };
}

/** The product `a b` ([m, k] x [k, n] -> [m, n]). */
export function matmul(a: Matrix, b: Matrix): Matrix {
  const fn = 'matmul';
  checkMatrix(fn, 'a', a);
  checkMatrix(fn, 'b', b);
  if (a.cols !== b.rows) {
    throw new Error(
      `${fn}: inner dimensions differ: a has shape ${shapeOf(a)}, b has shape ${shapeOf(b)} ` +
        `(expected a.cols === b.rows)`,
    );
  }
  const m = a.rows;
  const k = a.cols;
  const n = b.cols;
  const out = new Float64Array(m * n);
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < m; i++) {
    const oi = i * n;
    for (let p = 0; p < k; p++) {
      const aip = ad[i * k + p];
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) out[oi + j] += aip * bd[bp + j];
    }
  }
  return { rows: m, cols: n, data: out };
}

/** The transpose of `a`. */
export function transpose(a: Matrix): Matrix {
  checkMatrix('transpose', 'a', a);
  const { rows, cols } = a;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = a.data[i * cols + j];
  }
  return { rows: cols, cols: rows, data: out };
}

// ---------------------------------------------------------------------------------------------------------------
// Cholesky and solves

/**
 * The lower Cholesky factor `L` (positive diagonal) with `L L^T = A`.
 *
 * Throws when `a` is not square, not symmetric (to `options.symmetryTol`, relative), or not positive definite to
 * working precision: the error names the failing pivot (0-based index) and its value. A pivot counts as failed
 * when it is not > n * eps * A_ii (a matrix that singular cannot be factored meaningfully in float64).
 */
export function cholesky(a: Matrix, options: CholeskyOptions = {}): Matrix {
  const fn = 'cholesky';
  if (options == null || typeof options !== 'object') {
    throw new Error(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  return choleskyChecked(fn, 'a', a, options.symmetryTol);
}

/** Cholesky with checks; errors are reported as coming from `fn`, about its argument `name`. */
function choleskyChecked(fn: string, name: string, a: Matrix, symmetryTol: number | undefined): Matrix {
  checkMatrix(fn, name, a);
  const n = checkSquare(fn, name, a);
  const tol = symmetryTol ?? 1e-8;
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) {
    throw new Error(`${fn}: options.symmetryTol must be a finite number >= 0, got ${describeValue(tol)}`);
  }
  const A = a.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const aij = A[i * n + j];
      const aji = A[j * n + i];
      const scale = Math.max(Math.abs(aij), Math.abs(aji), Math.sqrt(Math.abs(A[i * n + i] * A[j * n + j])));
      if (Math.abs(aij - aji) > tol * scale) {
        throw new Error(
          `${fn}: ${name} must be symmetric, but ${name}[${i}][${j}] = ${aij} and ${name}[${j}][${i}] = ${aji} ` +
            `(relative difference above the tolerance ${tol})`,
        );
      }
    }
  }
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= L[ri + k] * L[rj + k];
      if (i === j) {
        const aii = A[ri + i];
        const floor = n * EPS * Math.abs(aii);
        if (!(s > floor)) {
          throw new Error(
            `${fn}: ${name} is not positive definite: pivot ${i} (0-based) is ${s}, expected > 0` +
              (s > 0 ? ` and above roundoff (n * eps * ${name}[${i}][${i}] = ${floor})` : '') +
              ` (${name}[${i}][${i}] = ${aii}; a covariance may need jitter on its diagonal)`,
          );
        }
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j];
      }
    }
  }
  return { rows: n, cols: n, data: L };
}

/**
 * Solves `T X = B` (or `T^T X = B` with `transpose: true`) for a triangular `T` (lower by default; `lower: false`
 * for upper). `b` is [n, k]: all k right-hand sides at once. The unused triangle of `l` must be zero and the
 * diagonal nonzero.
 */
export function solveTriangular(l: Matrix, b: Matrix, options: SolveTriangularOptions = {}): Matrix {
  const fn = 'solveTriangular';
  const lower = options.lower ?? true;
  const trans = options.transpose ?? false;
  if (typeof lower !== 'boolean') throw new Error(`${fn}: options.lower must be a boolean, got ${describeValue(lower)}`);
  if (typeof trans !== 'boolean') {
    throw new Error(`${fn}: options.transpose must be a boolean, got ${describeValue(trans)}`);
  }
  checkMatrix(fn, 'l', l);
  checkMatrix(fn, 'b', b);
  const n = checkTriangular(fn, 'l', l, lower, false);
  if (b.rows !== n) {
    throw new Error(
      `${fn}: b has shape ${shapeOf(b)} but l has shape ${shapeOf(l)}; expected b.rows === ${n}`,
    );
  }
  return solveTriangularUnchecked(l.data, n, b.data, b.cols, lower, trans);
}

/** Triangular solve without checks. The effective matrix op(T) is lower when `lower !== trans`. */
function solveTriangularUnchecked(
  T: Float64Array,
  n: number,
  B: Float64Array,
  k: number,
  lower: boolean,
  trans: boolean,
): Matrix {
  const X = Float64Array.from(B);
  if (!trans) {
    if (lower) {
      // Forward substitution, row-oriented: x_i = (b_i - sum_{j<i} T_ij x_j) / T_ii.
      for (let i = 0; i < n; i++) {
        const xi = i * k;
        for (let j = 0; j < i; j++) {
          const t = T[i * n + j];
          if (t === 0) continue;
          const xj = j * k;
          for (let c = 0; c < k; c++) X[xi + c] -= t * X[xj + c];
        }
        const inv = 1 / T[i * n + i];
        for (let c = 0; c < k; c++) X[xi + c] *= inv;
      }
    } else {
      // Back substitution: x_i = (b_i - sum_{j>i} T_ij x_j) / T_ii.
      for (let i = n - 1; i >= 0; i--) {
        const xi = i * k;
        for (let j = i + 1; j < n; j++) {
          const t = T[i * n + j];
          if (t === 0) continue;
          const xj = j * k;
          for (let c = 0; c < k; c++) X[xi + c] -= t * X[xj + c];
        }
        const inv = 1 / T[i * n + i];
        for (let c = 0; c < k; c++) X[xi + c] *= inv;
      }
    }
  } else if (lower) {
    // T^T is upper: column-oriented back substitution, (T^T)_ji = T_ij read along row i of T.
    for (let i = n - 1; i >= 0; i--) {
      const xi = i * k;
      const inv = 1 / T[i * n + i];
      for (let c = 0; c < k; c++) X[xi + c] *= inv;
      for (let j = 0; j < i; j++) {
        const t = T[i * n + j];
        if (t === 0) continue;
        const xj = j * k;
        for (let c = 0; c < k; c++) X[xj + c] -= t * X[xi + c];
      }
    }
  } else {
    // T upper, T^T lower: column-oriented forward substitution.
    for (let i = 0; i < n; i++) {
      const xi = i * k;
      const inv = 1 / T[i * n + i];
      for (let c = 0; c < k; c++) X[xi + c] *= inv;
      for (let j = i + 1; j < n; j++) {
        const t = T[i * n + j];
        if (t === 0) continue;
        const xj = j * k;
        for (let c = 0; c < k; c++) X[xj + c] -= t * X[xi + c];
      }
    }
  }
  return { rows: n, cols: k, data: X };
}

/** `A^{-1} B` from the lower Cholesky factor `l` of A (solves `L Y = B`, then `L^T X = Y`). */
export function choleskySolve(l: Matrix, b: Matrix): Matrix {
  const fn = 'choleskySolve';
  checkMatrix(fn, 'l', l);
  checkMatrix(fn, 'b', b);
  const n = checkTriangular(fn, 'l', l, true, true);
  if (b.rows !== n) {
    throw new Error(`${fn}: b has shape ${shapeOf(b)} but l has shape ${shapeOf(l)}; expected b.rows === ${n}`);
  }
  const y = solveTriangularUnchecked(l.data, n, b.data, b.cols, true, false);
  return solveTriangularUnchecked(l.data, n, y.data, b.cols, true, true);
}

/** `log det A = 2 sum_i log L_ii` from the lower Cholesky factor (positive diagonal required). */
export function logDetFromCholesky(l: Matrix): number {
  const fn = 'logDetFromCholesky';
  checkMatrix(fn, 'l', l);
  const n = checkTriangular(fn, 'l', l, true, true);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l.data[i * n + i]);
  return 2 * s;
}

/** `log |det A|` of a symmetric positive definite `a`, through its Cholesky factor (throws if not SPD). */
export function logDet(a: Matrix): number {
  return logDetFromCholesky(cholesky(a));
}

/** `A^{-1}` of a symmetric positive definite `a` (exactly symmetric: the two triangles are averaged). */
export function inverseSpd(a: Matrix): Matrix {
  const L = cholesky(a);
  const n = L.rows;
  const inv = choleskySolve(L, identity(n));
  const d = inv.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const m = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = m;
      d[j * n + i] = m;
    }
  }
  return inv;
}

// ---------------------------------------------------------------------------------------------------------------
// Gaussians

interface FactorParts {
  dim: number;
  mean: Float64Array;
  cholesky: Matrix;
  choleskyInverse: Matrix;
  logNormalizer: number;
}

function factorGaussian(fn: string, mean: ArrayLike<number>, cov: Matrix): FactorParts {
  checkMatrix(fn, 'cov', cov);
  const d = checkSquare(fn, 'cov', cov);
  if (mean == null || typeof mean !== 'object' || typeof (mean as ArrayLike<number>).length !== 'number') {
    throw new Error(`${fn}: mean must be an array of ${d} numbers, got ${describeValue(mean)}`);
  }
  if (mean.length !== d) {
    throw new Error(
      `${fn}: mean has length ${mean.length} but cov has shape ${shapeOf(cov)}; expected mean of length ${d}`,
    );
  }
  const mu = checkVector(fn, 'mean', mean, d);
  const L = choleskyChecked(fn, 'cov', cov, undefined);
  const Linv = solveTriangularUnchecked(L.data, d, identity(d).data, d, true, false);
  let halfLogDet = 0;
  for (let i = 0; i < d; i++) halfLogDet += Math.log(L.data[i * d + i]);
  return { dim: d, mean: mu, cholesky: L, choleskyInverse: Linv, logNormalizer: -0.5 * d * LOG_2PI - halfLogDet };
}

function gaussianRows(fn: string, f: FactorParts, x: Matrix): Float64Array {
  checkMatrix(fn, 'x', x);
  const d = f.dim;
  if (x.cols !== d) {
    throw new Error(`${fn}: x has shape ${shapeOf(x)}, expected [m, ${d}] (points as rows)`);
  }
  const m = x.rows;
  const L = f.cholesky.data;
  const mu = f.mean;
  const X = x.data;
  const y = new Float64Array(d);
  const out = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const xr = r * d;
    let q = 0;
    // y = L^{-1} (x_r - mean) by forward substitution; q = |y|^2.
    for (let i = 0; i < d; i++) {
      let s = X[xr + i] - mu[i];
      const li = i * d;
      for (let j = 0; j < i; j++) s -= L[li + j] * y[j];
      const yi = s / L[li + i];
      y[i] = yi;
      q += yi * yi;
    }
    out[r] = f.logNormalizer - 0.5 * q;
  }
  return out;
}

/**
 * log N(x_i; mean, cov) for every row x_i of `x` ([m, d]), full covariance, float64. For repeated use with the
 * same (mean, cov), build a `GaussianFactor` once.
 */
export function gaussianLogDensity(x: Matrix, mean: ArrayLike<number>, cov: Matrix): Float64Array {
  const fn = 'gaussianLogDensity';
  return gaussianRows(fn, factorGaussian(fn, mean, cov), x);
}

/**
 * A Gaussian N(mean, cov) with its Cholesky factor precomputed, for repeated use on the hot path:
 * `log p(x) = logNormalizer - 0.5 |L^{-1} (x - mean)|^2`.
 */
export class GaussianFactor {
  readonly dim: number;
  /** `-0.5 d log(2 pi) - 0.5 log det cov`. */
  readonly logNormalizer: number;
  /** The mean (a copy), float64. */
  readonly mean: Float64Array;
  /** The lower Cholesky factor L of cov (L L^T = cov), float64. */
  readonly cholesky: Matrix;
  /** `L^{-1}` (lower triangular), float64. */
  readonly choleskyInverse: Matrix;
  private readonly parts: FactorParts;

  constructor(mean: ArrayLike<number>, cov: Matrix) {
    const parts = factorGaussian('GaussianFactor', mean, cov);
    this.parts = parts;
    this.dim = parts.dim;
    this.logNormalizer = parts.logNormalizer;
    this.mean = parts.mean;
    this.cholesky = parts.cholesky;
    this.choleskyInverse = parts.choleskyInverse;
  }

  /** log N(x_i; mean, cov) for every row of `x` ([m, dim]), float64. */
  logDensity(x: Matrix): Float64Array {
    return gaussianRows('GaussianFactor.logDensity', this.parts, x);
  }

  /**
   * float32 tensors for device-side use, new on each call (the caller owns and disposes them):
   * `mean` [d], `cholesky` = L [d, d] (lower), `choleskyInverseT` = L^{-T} = (L^{-1})^T [d, d] (upper), so that
   * `log p(x) = logNormalizer - 0.5 * sum((x - mean) @ choleskyInverseT)^2` over rows is a plain matmul
   * (no transpose flag: DESIGN.md trap 1).
   */
  tensors(): { mean: tf.Tensor1D; cholesky: tf.Tensor2D; choleskyInverseT: tf.Tensor2D } {
    const d = this.dim;
    return {
      mean: tf.tensor1d(Float32Array.from(this.mean), 'float32'),
      cholesky: tf.tensor2d(Float32Array.from(this.cholesky.data), [d, d], 'float32'),
      choleskyInverseT: tf.tensor2d(Float32Array.from(transpose(this.choleskyInverse).data), [d, d], 'float32'),
    };
  }

  /**
   * Maps standard normals `z` ([n, dim], float32) to samples `mean + z L^T` ([n, dim], float32), which have
   * covariance `L L^T = cov`. Returns a new tensor; `z` is not disposed.
   */
  transform(z: tf.Tensor2D): tf.Tensor2D {
    const fn = 'GaussianFactor.transform';
    if (!(z instanceof tf.Tensor)) {
      throw new Error(`${fn}: z must be a tf.Tensor2D of shape [n, ${this.dim}], got ${describeValue(z)}`);
    }
    if (z.rank !== 2 || z.shape[1] !== this.dim) {
      throw new Error(`${fn}: z has shape [${z.shape.join(', ')}], expected [n, ${this.dim}]`);
    }
    if (z.dtype !== 'float32') {
      throw new Error(`${fn}: z has dtype ${z.dtype}, expected float32`);
    }
    const d = this.dim;
    const lt = transpose(this.cholesky).data;
    return tf.tidy(() => {
      const ltT = tf.tensor2d(Float32Array.from(lt), [d, d], 'float32');
      const meanT = tf.tensor1d(Float32Array.from(this.mean), 'float32');
      return tf.add(tf.matMul(z, ltT), meanT) as tf.Tensor2D;
    });
  }
}

/**
 * The orthonormal factor Q ([m, n], m >= n) of a QR decomposition of `a` (full column rank), by modified
 * Gram-Schmidt applied twice ("twice is enough": orthogonal to working precision). Column signs are those with a
 * positive diagonal of R (LAPACK's Householder QR may flip some; products Q D Q^T do not depend on the signs).
 */
export function qrOrthogonal(a: Matrix): Matrix {
  const fn = 'qrOrthogonal';
  checkMatrix(fn, 'a', a);
  const { rows: m, cols: n } = a;
  if (m < n) throw new Error(`${fn}: a has shape ${shapeOf(a)}, expected at least as many rows as columns`);
  const q = Float64Array.from(a.data);
  for (let j = 0; j < n; j++) {
    const original = Math.sqrt(columnDot(q, m, n, j, j));
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        const r = columnDot(q, m, n, p, j);
        for (let i = 0; i < m; i++) q[i * n + j] -= r * q[i * n + p];
      }
    }
    const norm = Math.sqrt(columnDot(q, m, n, j, j));
    if (!(norm > 1e3 * EPS * Math.max(original, Number.MIN_VALUE))) {
      throw new Error(`${fn}: column ${j} of a is (numerically) a combination of the previous ones, expected full column rank`);
    }
    for (let i = 0; i < m; i++) q[i * n + j] /= norm;
  }
  return { rows: m, cols: n, data: q };
}

/** The dot product of columns p and j of a row-major [m, n] array. */
function columnDot(data: Float64Array, m: number, n: number, p: number, j: number): number {
  let s = 0;
  for (let i = 0; i < m; i++) s += data[i * n + p] * data[i * n + j];
  return s;
}
