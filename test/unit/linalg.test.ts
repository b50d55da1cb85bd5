/**
 * lib/core/linalg.ts against known answers: hand-computed Cholesky factors, triangular solves with a chosen
 * solution, determinants and inverses computed by cofactors, Gaussian log-densities in closed form.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  matrix,
  identity,
  matmul,
  transpose,
  cholesky,
  solveTriangular,
  choleskySolve,
  logDet,
  logDetFromCholesky,
  inverseSpd,
  gaussianLogDensity,
  GaussianFactor,
  type Matrix,
} from '../../lib/core/linalg.js';
import { onBackends, TEST_BACKENDS } from '../helpers/backends.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Max |a - b| over entries, after checking shapes. */
function maxAbsDiff(a: Matrix, b: Matrix): number {
  assert.deepEqual([a.rows, a.cols], [b.rows, b.cols], 'shapes differ');
  let m = 0;
  for (let k = 0; k < a.data.length; k++) m = Math.max(m, Math.abs(a.data[k] - b.data[k]));
  return m;
}

function maxAbs(a: Matrix): number {
  let m = 0;
  for (const v of a.data) m = Math.max(m, Math.abs(v));
  return m;
}

function assertClose(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: got ${actual}, expected ${expected} (|diff| = ${Math.abs(actual - expected)} > ${tol})`,
  );
}

function assertMatrixClose(actual: Matrix, expected: Matrix, tol: number, what: string): void {
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= tol, `${what}: max |diff| = ${d} > ${tol}\n got ${Array.from(actual.data)}\n expected ${Array.from(expected.data)}`);
}

/** mulberry32: a small seeded generator so the random SPD tests are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A = M M^T + n I with M uniform in [-1, 1]: symmetric positive definite. */
function randomSpd(n: number, seed: number): Matrix {
  const r = rng(seed);
  const m = matrix(n, n, Array.from({ length: n * n }, () => 2 * r() - 1));
  const a = matmul(m, transpose(m));
  for (let i = 0; i < n; i++) a.data[i * n + i] += n;
  return a;
}

// The classic example: A = L L^T with L = [[2,0,0],[6,1,0],[-8,5,3]]; det A = (2*1*3)^2 = 36.
const A3 = matrix(3, 3, [
  [4, 12, -16],
  [12, 37, -43],
  [-16, -43, 98],
]);
const L3 = matrix(3, 3, [
  [2, 0, 0],
  [6, 1, 0],
  [-8, 5, 3],
]);

describe('matrix, identity, matmul, transpose', () => {
  test('matrix from nested and flat arrays agree; zeros by default', () => {
    const a = matrix(2, 3, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = matrix(2, 3, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([a.rows, a.cols], [2, 3]);
    assert.deepEqual(a, b);
    assert.deepEqual(Array.from(matrix(2, 2).data), [0, 0, 0, 0]);
    assert.deepEqual(Array.from(matrix(1, 2, new Float32Array([0.5, 2])).data), [0.5, 2]);
  });

  test('matrix copies its input', () => {
    const src = new Float64Array([1, 2, 3, 4]);
    const a = matrix(2, 2, src);
    src[0] = 99;
    assert.equal(a.data[0], 1);
  });

  test('identity, matmul and transpose give known products', () => {
    assert.deepEqual(Array.from(identity(3).data), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const a = matrix(2, 3, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = matrix(3, 2, [
      [7, 8],
      [9, 10],
      [11, 12],
    ]);
    // [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12] = [58, 64; 139, 154]
    assert.deepEqual(matmul(a, b), matrix(2, 2, [58, 64, 139, 154]));
    assert.deepEqual(transpose(a), matrix(3, 2, [1, 4, 2, 5, 3, 6]));
    assert.deepEqual(matmul(identity(2), a), a);
    // L3 L3^T reconstructs A3 exactly (small integers).
    assert.deepEqual(matmul(L3, transpose(L3)), A3);
  });
});

describe('cholesky', () => {
  test('3x3 textbook factor', () => {
    assertMatrixClose(cholesky(A3), L3, 1e-14, 'cholesky(A3)');
  });

  test('2x2 factor computed by hand', () => {
    // [[4,2],[2,3]]: L11 = sqrt(4) = 2, L21 = 2/2 = 1, L22 = sqrt(3 - 1^2) = sqrt(2).
    const l = cholesky(matrix(2, 2, [4, 2, 2, 3]));
    assertMatrixClose(l, matrix(2, 2, [2, 0, 1, Math.SQRT2]), 1e-15, 'cholesky 2x2');
  });

  test('diagonal and 1x1 matrices', () => {
    assertMatrixClose(cholesky(matrix(3, 3, [9, 0, 0, 0, 0.25, 0, 0, 0, 1e-6])), matrix(3, 3, [3, 0, 0, 0, 0.5, 0, 0, 0, 1e-3]), 1e-15, 'diag');
    assert.deepEqual(cholesky(matrix(1, 1, [16])), matrix(1, 1, [4]));
  });

  test('50x50 random SPD round trip: L L^T = A to 1e-10 relative, L lower with positive diagonal', () => {
    const n = 50;
    const a = randomSpd(n, 12345);
    const l = cholesky(a);
    for (let i = 0; i < n; i++) {
      assert.ok(l.data[i * n + i] > 0, `L[${i}][${i}] = ${l.data[i * n + i]} should be > 0`);
      for (let j = i + 1; j < n; j++) assert.equal(l.data[i * n + j], 0, `L[${i}][${j}] should be 0`);
    }
    const rel = maxAbsDiff(matmul(l, transpose(l)), a) / maxAbs(a);
    assert.ok(rel < 1e-10, `relative reconstruction error ${rel}`);
  });

  test('errors: not positive definite names the pivot and its value', () => {
    // [[1,2],[2,1]]: pivot 1 is 1 - 2^2 = -3.
    assert.throws(() => cholesky(matrix(2, 2, [1, 2, 2, 1])), /not positive definite: pivot 1 \(0-based\) is -3\b/);
    // Pivot 0 negative.
    assert.throws(() => cholesky(matrix(2, 2, [-1, 0, 0, 1])), /pivot 0 \(0-based\) is -1\b/);
    // Singular PSD: [[1,1],[1,1]] has pivot 1 exactly 0.
    assert.throws(() => cholesky(matrix(2, 2, [1, 1, 1, 1])), /pivot 1 \(0-based\) is 0\b/);
    // Singular to working precision: u u^T with a non-trivial u (pivot is roundoff, maybe positive).
    const u = [0.1, 0.7, 0.3];
    const uut = matrix(3, 3, u.flatMap((a) => u.map((b) => a * b)));
    assert.throws(() => cholesky(uut), /not positive definite: pivot [12]/);
  });

  test('errors: non-symmetric, non-square, NaN, malformed', () => {
    assert.throws(() => cholesky(matrix(2, 2, [2, 1, 0, 2])), /cholesky: a must be symmetric, but a\[1\]\[0\] = 0 and a\[0\]\[1\] = 1/);
    // Within tolerance is accepted; a looser tolerance accepts larger asymmetry.
    assert.doesNotThrow(() => cholesky(matrix(2, 2, [2, 1, 1 + 1e-12, 2])));
    assert.doesNotThrow(() => cholesky(matrix(2, 2, [2, 1, 1.001, 2]), { symmetryTol: 1e-2 }));
    assert.throws(() => cholesky(matrix(2, 3)), /cholesky: a must be square, got shape \[2, 3\]/);
    const bad = matrix(2, 2, [1, 0, 0, 1]);
    bad.data[3] = NaN;
    assert.throws(() => cholesky(bad), /cholesky: a\[1\]\[1\] is NaN; all entries must be finite/);
    bad.data[3] = Infinity;
    assert.throws(() => cholesky(bad), /a\[1\]\[1\] is Infinity/);
    assert.throws(() => cholesky({ rows: 2, cols: 2, data: new Float64Array(3) }), /data.length is 3 \(expected 4\)/);
    assert.throws(() => cholesky({ rows: 2, cols: 2, data: [1, 0, 0, 1] as unknown as Float64Array }), /a.data must be a Float64Array/);
    assert.throws(() => cholesky(matrix(2, 2, [1, 0, 0, 1]), { symmetryTol: -1 }), /options.symmetryTol must be a finite number >= 0, got -1/);
  });
});

describe('solveTriangular and choleskySolve', () => {
  // Chosen solution X (3x2) and right-hand sides computed by hand:
  // B = L3 X:   row0 = 2*[1,0] = [2, 0]
  //             row1 = 6*[1,0] + 1*[-1,2] = [5, 2]
  //             row2 = -8*[1,0] + 5*[-1,2] + 3*[2,1] = [-7, 13]
  // C = L3^T X (L3^T = [[2,6,-8],[0,1,5],[0,0,3]]):
  //             row0 = 2*[1,0] + 6*[-1,2] - 8*[2,1] = [-20, 4]
  //             row1 = [-1,2] + 5*[2,1] = [9, 7]
  //             row2 = 3*[2,1] = [6, 3]
  const X = matrix(3, 2, [
    [1, 0],
    [-1, 2],
    [2, 1],
  ]);
  const B = matrix(3, 2, [
    [2, 0],
    [5, 2],
    [-7, 13],
  ]);
  const C = matrix(3, 2, [
    [-20, 4],
    [9, 7],
    [6, 3],
  ]);
  const U3 = transpose(L3);

  test('the right-hand sides above are L X and L^T X', () => {
    assert.deepEqual(matmul(L3, X), B);
    assert.deepEqual(matmul(U3, X), C);
  });

  test('lower: L X = B', () => {
    assertMatrixClose(solveTriangular(L3, B), X, 1e-14, 'L X = B');
    assertMatrixClose(solveTriangular(L3, B, { lower: true, transpose: false }), X, 1e-14, 'explicit options');
  });

  test('lower, transpose: L^T X = C', () => {
    assertMatrixClose(solveTriangular(L3, C, { transpose: true }), X, 1e-14, 'L^T X = C');
  });

  test('upper: U X = C and U^T X = B', () => {
    assertMatrixClose(solveTriangular(U3, C, { lower: false }), X, 1e-14, 'U X = C');
    assertMatrixClose(solveTriangular(U3, B, { lower: false, transpose: true }), X, 1e-14, 'U^T X = B');
  });

  test('does not modify its inputs', () => {
    const b = matrix(3, 2, B.data);
    solveTriangular(L3, b, { transpose: true });
    assert.deepEqual(b, B);
  });

  test('choleskySolve: A3 X = A3 X recovers X; 2x2 by hand', () => {
    assertMatrixClose(choleskySolve(L3, matmul(A3, X)), X, 1e-12, 'A^{-1} (A X)');
    // [[4,2],[2,3]] x = [2, 1]: inverse is (1/8)[[3,-2],[-2,4]], so x = (1/8)[6 - 2, -4 + 4] = [0.5, 0].
    const l = cholesky(matrix(2, 2, [4, 2, 2, 3]));
    assertMatrixClose(choleskySolve(l, matrix(2, 1, [2, 1])), matrix(2, 1, [0.5, 0]), 1e-15, '2x2 solve');
  });

  test('50x50 random SPD: choleskySolve residual', () => {
    const n = 50;
    const a = randomSpd(n, 777);
    const r = rng(5);
    const xTrue = matrix(n, 3, Array.from({ length: n * 3 }, () => r() - 0.5));
    const x = choleskySolve(cholesky(a), matmul(a, xTrue));
    assert.ok(maxAbsDiff(x, xTrue) < 1e-12, `max error ${maxAbsDiff(x, xTrue)}`);
  });

  test('errors: shape mismatch, non-triangular, singular, NaN, bad options', () => {
    assert.throws(() => solveTriangular(L3, matrix(2, 1)), /solveTriangular: b has shape \[2, 1\] but l has shape \[3, 3\]; expected b.rows === 3/);
    assert.throws(() => solveTriangular(matrix(2, 3), matrix(2, 1)), /solveTriangular: l must be square, got shape \[2, 3\]/);
    assert.throws(() => solveTriangular(A3, B), /l must be lower triangular, but l\[0\]\[1\] = 12 \(expected 0\)/);
    assert.throws(() => solveTriangular(L3, B, { lower: false }), /l must be upper triangular, but l\[1\]\[0\] = 6/);
    assert.throws(() => solveTriangular(matrix(2, 2, [1, 0, 1, 0]), matrix(2, 1)), /l\[1\]\[1\] = 0 on the diagonal/);
    const nanB = matrix(3, 2, B.data);
    nanB.data[4] = NaN;
    assert.throws(() => solveTriangular(L3, nanB), /solveTriangular: b\[2\]\[0\] is NaN/);
    assert.throws(() => solveTriangular(L3, B, { lower: 'yes' as unknown as boolean }), /options.lower must be a boolean/);
    assert.throws(() => choleskySolve(L3, matrix(4, 1)), /choleskySolve: b has shape \[4, 1\]/);
    assert.throws(() => choleskySolve(matrix(2, 2, [-1, 0, 1, 1]), matrix(2, 1)), /choleskySolve: l\[0\]\[0\] = -1 on the diagonal; expected > 0/);
  });
});

describe('logDet, logDetFromCholesky, inverseSpd', () => {
  test('known determinants', () => {
    assertClose(logDet(A3), Math.log(36), 1e-13, 'log det A3');
    assertClose(logDetFromCholesky(L3), Math.log(36), 1e-13, 'from L3');
    // det [[4,2],[2,3]] = 12 - 4 = 8
    assertClose(logDet(matrix(2, 2, [4, 2, 2, 3])), Math.log(8), 1e-14, '2x2');
    // diagonal: 2 * 1e-3 * 5e4 = 100
    assertClose(logDet(matrix(3, 3, [2, 0, 0, 0, 1e-3, 0, 0, 0, 5e4])), Math.log(100), 1e-13, 'diagonal');
  });

  test('50x50 known determinants: tridiagonal(-1, 2, -1) has det n + 1; I + u u^T has det 1 + |u|^2', () => {
    const n = 50;
    const t = matrix(n, n);
    for (let i = 0; i < n; i++) {
      t.data[i * n + i] = 2;
      if (i > 0) t.data[i * n + i - 1] = -1;
      if (i < n - 1) t.data[i * n + i + 1] = -1;
    }
    assertClose(logDet(t), Math.log(n + 1), 1e-12, 'tridiagonal');
    const r = rng(99);
    const u = Array.from({ length: n }, () => r() - 0.5);
    const a = identity(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a.data[i * n + j] += u[i] * u[j];
    const uu = u.reduce((s, v) => s + v * v, 0);
    assertClose(logDet(a), Math.log(1 + uu), 1e-12, 'matrix determinant lemma');
  });

  test('inverse of A3 equals the cofactor inverse (1/36) adj(A3)', () => {
    // Cofactors: C11 = 37*98 - 43^2 = 1777, C12 = -(12*98 - 43*16) = -488, C13 = -12*43 + 37*16 = 76,
    // C22 = 4*98 - 16^2 = 136, C23 = -(-4*43 + 12*16) = -20, C33 = 4*37 - 12^2 = 4.
    const expected = matrix(3, 3, [1777, -488, 76, -488, 136, -20, 76, -20, 4].map((v) => v / 36));
    assertMatrixClose(inverseSpd(A3), expected, 1e-10, 'inverse A3');
    // 2x2: (1/8) [[3,-2],[-2,4]]
    assertMatrixClose(inverseSpd(matrix(2, 2, [4, 2, 2, 3])), matrix(2, 2, [3 / 8, -2 / 8, -2 / 8, 4 / 8]), 1e-15, '2x2');
  });

  test('50x50: inverse * A = I, exactly symmetric', () => {
    const n = 50;
    const a = randomSpd(n, 2024);
    const inv = inverseSpd(a);
    assert.ok(maxAbsDiff(matmul(inv, a), identity(n)) < 1e-12, `|A^-1 A - I| = ${maxAbsDiff(matmul(inv, a), identity(n))}`);
    assert.ok(maxAbsDiff(matmul(a, inv), identity(n)) < 1e-12);
    assert.deepEqual(transpose(inv), inv);
  });

  test('errors', () => {
    assert.throws(() => logDet(matrix(2, 2, [1, 2, 2, 1])), /cholesky: a is not positive definite: pivot 1/);
    assert.throws(() => logDetFromCholesky(A3), /logDetFromCholesky: l must be lower triangular/);
    assert.throws(() => inverseSpd(matrix(2, 2, [1, 2, 3, 4])), /must be symmetric/);
    assert.throws(() => matmul(A3, matrix(2, 3)), /matmul: inner dimensions differ: a has shape \[3, 3\], b has shape \[2, 3\]/);
  });
});

describe('matrix() argument checks', () => {
  test('wrong lengths, non-finite, bad dims', () => {
    assert.throws(() => matrix(2, 2, [1, 2, 3]), /matrix: values has length 3, expected rows \* cols = 4/);
    assert.throws(() => matrix(2, 2, [[1, 2], [3]]), /matrix: values\[1\] has length 1, expected 2/);
    assert.throws(() => matrix(3, 2, [[1, 2], [3, 4]]), /matrix: values has 2 rows, expected 3/);
    assert.throws(() => matrix(2, 2, [1, NaN, 3, 4]), /matrix: values\[1\] \(entry \[0\]\[1\]\) is NaN/);
    assert.throws(() => matrix(2, 2, [[1, 2], [Infinity, 4]]), /matrix: values\[1\]\[0\] is Infinity/);
    assert.throws(() => matrix(1, 2, [1, '2' as unknown as number]), /values\[1\] \(entry \[0\]\[1\]\) is "2"/);
    assert.throws(() => matrix(-1, 2), /matrix: rows must be a non-negative integer, got -1/);
    assert.throws(() => matrix(2, 1.5), /matrix: cols must be a non-negative integer, got 1.5/);
    assert.throws(() => identity(NaN), /identity: n must be a non-negative integer, got NaN/);
  });
});

describe('gaussianLogDensity and GaussianFactor (float64)', () => {
  test('1-D normal: N(2; 1, 4) = -0.5 log(2 pi) - log 2 - (2 - 1)^2 / (2 * 4)', () => {
    const lp = gaussianLogDensity(matrix(2, 1, [2, 1]), [1], matrix(1, 1, [4]));
    assertClose(lp[0], -0.5 * LOG_2PI - Math.log(2) - 0.125, 1e-14, 'x = 2');
    assertClose(lp[1], -0.5 * LOG_2PI - Math.log(2), 1e-14, 'x = mean');
  });

  test('2-D correlated Gaussian by hand', () => {
    // mean = [1, -1], cov = [[2, 1], [1, 2]]: det = 4 - 1 = 3, cov^{-1} = (1/3) [[2, -1], [-1, 2]],
    // so log p(x) = -log(2 pi) - 0.5 log 3 - 0.5 q with q = (2 r1^2 - 2 r1 r2 + 2 r2^2) / 3, r = x - mean.
    //   x = [2, 1]:  r = [1, 2],  q = (2 - 4 + 8) / 3 = 2   -> -log(2 pi) - 0.5 log 3 - 1
    //   x = [1, 2]:  r = [0, 3],  q = (0 - 0 + 18) / 3 = 6  -> -log(2 pi) - 0.5 log 3 - 3
    //   x = [0, 0]:  r = [-1, 1], q = (2 + 2 + 2) / 3 = 2   -> -log(2 pi) - 0.5 log 3 - 1
    //   x = [2, 0]:  r = [1, 1],  q = (2 - 2 + 2) / 3 = 2/3 -> -log(2 pi) - 0.5 log 3 - 1/3
    const base = -LOG_2PI - 0.5 * Math.log(3);
    const x = matrix(4, 2, [
      [2, 1],
      [1, 2],
      [0, 0],
      [2, 0],
    ]);
    const cov = matrix(2, 2, [2, 1, 1, 2]);
    const expected = [base - 1, base - 3, base - 1, base - 1 / 3];
    const lp = gaussianLogDensity(x, [1, -1], cov);
    const f = new GaussianFactor(new Float64Array([1, -1]), cov);
    const lpf = f.logDensity(x);
    assert.equal(lp.length, 4);
    for (let i = 0; i < 4; i++) {
      assertClose(lp[i], expected[i], 1e-14, `gaussianLogDensity row ${i}`);
      assertClose(lpf[i], expected[i], 1e-14, `GaussianFactor row ${i}`);
    }
    assert.equal(f.dim, 2);
    assertClose(f.logNormalizer, base, 1e-15, 'logNormalizer');
  });

  test('3-D: A3 covariance, log-normalizer from det 36 and quadratic form from the cofactor inverse', () => {
    // r = [1, 0, 0]: q = (A3^{-1})_11 = 1777 / 36;  r = [0, 0, 1]: q = 4 / 36.
    const mean = [0.5, -2, 3];
    const x = matrix(2, 3, [1.5, -2, 3, 0.5, -2, 4]);
    const lp = gaussianLogDensity(x, mean, A3);
    const c = -1.5 * LOG_2PI - 0.5 * Math.log(36);
    assertClose(lp[0], c - 0.5 * 1777 / 36, 1e-11, 'r = e1');
    assertClose(lp[1], c - 0.5 * 4 / 36, 1e-13, 'r = e3');
  });

  test('empty batch gives an empty result', () => {
    assert.equal(gaussianLogDensity(matrix(0, 2), [0, 0], identity(2)).length, 0);
  });

  test('errors name the argument', () => {
    const cov = matrix(2, 2, [2, 1, 1, 2]);
    assert.throws(() => gaussianLogDensity(matrix(1, 3), [0, 0], cov), /gaussianLogDensity: x has shape \[1, 3\], expected \[m, 2\]/);
    assert.throws(() => gaussianLogDensity(matrix(1, 2), [0, 0, 0], cov), /gaussianLogDensity: mean has length 3 but cov has shape \[2, 2\]/);
    assert.throws(() => gaussianLogDensity(matrix(1, 2), [0, NaN], cov), /gaussianLogDensity: mean\[1\] is NaN/);
    assert.throws(() => gaussianLogDensity(matrix(1, 2), [0, 0], matrix(2, 2, [1, 2, 2, 1])), /gaussianLogDensity: cov is not positive definite: pivot 1 \(0-based\) is -3/);
    assert.throws(() => new GaussianFactor([0, 0], matrix(2, 2, [1, 0.5, 0, 1])), /GaussianFactor: cov must be symmetric/);
    assert.throws(() => new GaussianFactor([0, 0], matrix(2, 3)), /GaussianFactor: cov must be square, got shape \[2, 3\]/);
    const f = new GaussianFactor([0, 0], cov);
    const bad = matrix(1, 2);
    bad.data[0] = NaN;
    assert.throws(() => f.logDensity(bad), /GaussianFactor.logDensity: x\[0\]\[0\] is NaN/);
    assert.throws(() => f.logDensity(matrix(2, 1)), /GaussianFactor.logDensity: x has shape \[2, 1\], expected \[m, 2\]/);
  });
});

onBackends(TEST_BACKENDS, (backend) => {
  describe(`GaussianFactor tensors on ${backend}`, () => {
    const mean = [0.5, -2, 3];
    const factor = new GaussianFactor(mean, A3);

    test('tensors(): L, L^{-T} and mean in float32; device log-density matches the float64 path', async () => {
      const before = tf.memory().numTensors;
      const t = factor.tensors();
      assert.equal(t.mean.dtype, 'float32');
      assert.deepEqual(t.cholesky.shape, [3, 3]);
      assert.deepEqual(t.choleskyInverseT.shape, [3, 3]);
      assert.deepEqual(Array.from(await t.mean.data()), mean);
      assert.deepEqual(Array.from(await t.cholesky.data()), Array.from(L3.data));
      // L^{-T} is upper triangular and L^T L^{-T} = I.
      const linvT = matrix(3, 3, await t.choleskyInverseT.data());
      assert.equal(linvT.data[3], 0);
      assertMatrixClose(matmul(transpose(L3), linvT), identity(3), 1e-6, 'L^T L^{-T}');

      const r = rng(31);
      const x = matrix(64, 3, Array.from({ length: 64 * 3 }, () => 6 * r() - 3));
      const lp64 = factor.logDensity(x);
      const lpDevice = tf.tidy(() => {
        const xt = tf.tensor2d(Float32Array.from(x.data), [64, 3]);
        const y = tf.matMul(tf.sub(xt, t.mean), t.choleskyInverseT);
        return tf.sub(tf.scalar(factor.logNormalizer), tf.mul(0.5, tf.sum(tf.square(y), 1)));
      });
      const lp32 = await lpDevice.data();
      lpDevice.dispose();
      for (let i = 0; i < 64; i++) {
        assertClose(lp32[i], lp64[i], 1e-4 * Math.max(1, Math.abs(lp64[i])), `row ${i}`);
      }
      tf.dispose([t.mean, t.cholesky, t.choleskyInverseT]);
      assert.equal(tf.memory().numTensors, before, 'tensors() must not leak');
    });

    test('transform(): mean + z L^T on a fixed z, and covariance L L^T = cov', async () => {
      // cov = [[4,2],[2,3]], L = [[2,0],[1,sqrt 2]], mean = [1,-1]: z L^T = [2 z1, z1 + sqrt(2) z2].
      //   z = [1, 0]  -> [3, 0];  z = [0, 1] -> [1, -1 + sqrt 2];  z = [1, 1] -> [3, sqrt 2];
      //   z = [0, 0]  -> [1, -1]; z = [-0.5, 2] -> [1 - 1, -1 - 0.5 + 2 sqrt 2] = [0, -1.5 + 2 sqrt 2]
      const f2 = new GaussianFactor([1, -1], matrix(2, 2, [4, 2, 2, 3]));
      const z = tf.tensor2d([[1, 0], [0, 1], [1, 1], [0, 0], [-0.5, 2]]);
      const before = tf.memory().numTensors;
      const out = f2.transform(z);
      assert.equal(tf.memory().numTensors, before + 1, 'transform must leave only its result');
      assert.deepEqual(out.shape, [5, 2]);
      assert.equal(out.dtype, 'float32');
      const got = await out.data();
      const s2 = Math.SQRT2;
      const expected = [3, 0, 1, -1 + s2, 3, s2, 1, -1, 0, -1.5 + 2 * s2];
      for (let k = 0; k < expected.length; k++) assertClose(got[k], expected[k], 1e-6, `entry ${k}`);
      tf.dispose([z, out]);

      // With z = I_3 the centred outputs are the rows of L^T, so (y - mean)^T (y - mean) = L L^T = cov exactly.
      const z3 = tf.eye(3) as tf.Tensor2D;
      const y = factor.transform(z3);
      const centred = matrix(3, 3, await y.data());
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) centred.data[i * 3 + j] -= mean[j];
      assertMatrixClose(matmul(transpose(centred), centred), A3, 1e-4, 'Y^T Y = cov');
      tf.dispose([z3, y]);
    });

    test('transform(): bad z', () => {
      const z = tf.zeros([4, 2]) as tf.Tensor2D;
      assert.throws(() => factor.transform(z), /GaussianFactor.transform: z has shape \[4, 2\], expected \[n, 3\]/);
      const zi = tf.zeros([4, 3], 'int32') as tf.Tensor2D;
      assert.throws(() => factor.transform(zi), /z has dtype int32, expected float32/);
      const z1 = tf.zeros([3]) as unknown as tf.Tensor2D;
      assert.throws(() => factor.transform(z1), /z has shape \[3\], expected \[n, 3\]/);
      assert.throws(() => factor.transform([[0, 0, 0]] as unknown as tf.Tensor2D), /z must be a tf.Tensor2D/);
      tf.dispose([z, zi, z1]);
    });
  });
});
