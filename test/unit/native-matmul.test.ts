/**
 * The OpenBLAS matmul kernels for the wasm backend (lib/core/nativeMatMul.ts), against a float64 reference and
 * against the original XNNPACK kernels. Skipped when build/native/sgemm.node is not built.
 *
 * Tolerance (deterministic, no seeds tuned): a float32 dot product of length K computed in any order satisfies
 * |c - c_exact| <= gamma_K * sum_k |a_ik b_kj| with gamma_K = K u / (1 - K u), u = 2^-24 (Higham, Accuracy and
 * Stability of Numerical Algorithms, eq. 3.5); we allow (K + 2) u * sum|a b| (one more u for the output rounding).
 * Two float32 results (native, XNNPACK) are each within that bound of the exact value, so within twice of each
 * other. Activations are 1-Lipschitz, and their float32 evaluation adds a few ulps: + 8 u (|ref| + 1).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  enableNativeMatMul,
  disableNativeMatMul,
  nativeMatMulStatus,
  loadSgemmAddon,
  NATIVE_ADDON_PATH,
} from '../../lib/core/nativeMatMul.js';
import { key, normalArray } from '../../lib/core/random.js';
import { initBackend } from '../../lib/core/backend.js';
import { useBackend } from '../helpers/backends.js';

const U = 2 ** -24;

const skip = !existsSync(NATIVE_ADDON_PATH)
  ? 'build/native/sgemm.node is not built (run `node scripts/build-native.mjs`; needs `apt-get install libopenblas-dev`)'
  : process.env.SAMPLING_LAB_NATIVE_MATMUL === '0'
    ? 'SAMPLING_LAB_NATIVE_MATMUL=0'
    : false;

interface Operand {
  tensor: tf.Tensor;
  values: Float32Array;
  shape: number[];
}

let seedCounter = 1000;
function operand(shape: number[]): Operand {
  const size = shape.reduce((p, d) => p * d, 1);
  const values = Float32Array.from(normalArray(key(seedCounter++), size));
  return { tensor: tf.tensor(values, shape), values, shape };
}

/** Float64 op(A) op(B) with numpy batch broadcasting, and the error bound (K + 2) u sum|a b| per entry. */
function reference(a: Operand, b: Operand, tA: boolean, tB: boolean): { values: Float64Array; bound: Float64Array; shape: number[] } {
  const ar = a.shape.length;
  const br = b.shape.length;
  const M = tA ? a.shape[ar - 1] : a.shape[ar - 2];
  const K = tA ? a.shape[ar - 2] : a.shape[ar - 1];
  const N = tB ? b.shape[br - 2] : b.shape[br - 1];
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const rank = Math.max(aOuter.length, bOuter.length);
  const pad = (s: number[]) => [...new Array(rank - s.length).fill(1), ...s];
  const pa = pad(aOuter);
  const pb = pad(bOuter);
  const outOuter = pa.map((d, i) => Math.max(d, pb[i]));
  const batches = outOuter.reduce((p, d) => p * d, 1);
  const values = new Float64Array(batches * M * N);
  const bound = new Float64Array(batches * M * N);
  for (let bi = 0; bi < batches; bi++) {
    // Multi-index of this output batch, then the operands' flat batch indices (size-1 dims broadcast).
    let rest = bi;
    const coords = new Array<number>(rank);
    for (let d = rank - 1; d >= 0; d--) {
      coords[d] = rest % outOuter[d];
      rest = Math.floor(rest / outOuter[d]);
    }
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia = ia * pa[d] + (pa[d] === 1 ? 0 : coords[d]);
      ib = ib * pb[d] + (pb[d] === 1 ? 0 : coords[d]);
    }
    const aBase = ia * M * K;
    const bBase = ib * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        let sAbs = 0;
        for (let k = 0; k < K; k++) {
          const av = a.values[aBase + (tA ? k * M + i : i * K + k)];
          const bv = b.values[bBase + (tB ? j * K + k : k * N + j)];
          s += av * bv;
          sAbs += Math.abs(av * bv);
        }
        values[(bi * M + i) * N + j] = s;
        bound[(bi * M + i) * N + j] = (K + 2) * U * sAbs + 1e-30;
      }
    }
  }
  return { values, bound, shape: [...outOuter, M, N] };
}

function assertClose(actual: Float32Array | Float64Array, expected: Float64Array, bound: Float64Array, scale: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= scale * bound[i])) {
      assert.fail(`${what}: entry ${i} is ${actual[i]}, expected ${expected[i]} (error ${err} > ${scale} x bound ${bound[i]})`);
    }
  }
}

/** Run with the original XNNPACK kernels, then put the native ones back. */
function withOriginalKernels<T>(fn: () => T): T {
  assert.ok(disableNativeMatMul(), 'native kernels were enabled');
  try {
    return fn();
  } finally {
    assert.ok(enableNativeMatMul().ok);
  }
}

function matMulValues(a: Operand, b: Operand, tA: boolean, tB: boolean): { values: Float32Array; shape: number[] } {
  const c = tf.matMul(a.tensor, b.tensor, tA, tB);
  const out = { values: c.dataSync() as Float32Array, shape: c.shape };
  c.dispose();
  return out;
}

const FLAGS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/** Shape of a stored operand whose op() is rows x cols under the transpose flag. */
const stored = (batch: number[], rows: number, cols: number, t: boolean) => [...batch, ...(t ? [cols, rows] : [rows, cols])];

describe('native OpenBLAS matmul on the wasm backend', { skip }, () => {
  let originalBatchKernel: tf.KernelFunc;

  before(async () => {
    await useBackend('wasm'); // the ladder enables the native kernels itself: start from the originals
    disableNativeMatMul();
    originalBatchKernel = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
    const status = enableNativeMatMul();
    assert.ok(status.ok, status.detail);
  });

  after(() => {
    disableNativeMatMul();
  });

  test('enable reports the OpenBLAS build and one thread by default, and replaces both kernels', () => {
    const status = nativeMatMulStatus();
    assert.ok(status.ok);
    assert.match(status.detail, /OpenBLAS/);
    assert.match(status.detail, /BatchMatMul and _FusedMatMul/);
    if (process.env.SAMPLING_LAB_BLAS_THREADS == null) assert.match(status.detail, /1 thread\)/);
    assert.notEqual(tf.getKernel('BatchMatMul', 'wasm').kernelFunc, originalBatchKernel);
  });

  for (const [tA, tB] of FLAGS) {
    test(`rectangular 2-D, transposeA=${tA} transposeB=${tB}: equals float64 and the XNNPACK kernel`, () => {
      const [M, K, N] = [37, 53, 29];
      const a = operand(stored([], M, K, tA));
      const b = operand(stored([], K, N, tB));
      const ref = reference(a, b, tA, tB);
      const native = matMulValues(a, b, tA, tB);
      const xnn = withOriginalKernels(() => matMulValues(a, b, tA, tB));
      assert.deepEqual(native.shape, [M, N]);
      assertClose(native.values, ref.values, ref.bound, 1, 'native vs float64');
      assertClose(native.values, Float64Array.from(xnn.values), ref.bound, 2, 'native vs XNNPACK');
      tf.dispose([a.tensor, b.tensor]);
    });
  }

  const batchedCases: { name: string; a: (t: boolean) => number[]; b: (t: boolean) => number[]; xnnpack: boolean }[] = [
    { name: 'equal batch dims [3] x [3]', a: (t) => stored([3], 5, 7, t), b: (t) => stored([3], 7, 4, t), xnnpack: true },
    { name: 'shared rank-2 B [3, 2] x []', a: (t) => stored([3, 2], 5, 7, t), b: (t) => stored([], 7, 4, t), xnnpack: true },
    { name: 'broadcast A [1] x [4]', a: (t) => stored([1], 5, 7, t), b: (t) => stored([4], 7, 6, t), xnnpack: true },
    // General numpy broadcasting: the tfjs kernels mis-index these (they pair batch i with i % batch), so
    // only the float64 reference applies.
    { name: 'general broadcast [2, 1] x [1, 3]', a: (t) => stored([2, 1], 5, 7, t), b: (t) => stored([1, 3], 7, 4, t), xnnpack: false },
    { name: 'general broadcast [2, 3] x [2, 1]', a: (t) => stored([2, 3], 5, 7, t), b: (t) => stored([2, 1], 7, 4, t), xnnpack: false },
  ];
  for (const c of batchedCases) {
    test(`batched ${c.name}, all transpose flags`, () => {
      for (const [tA, tB] of FLAGS) {
        const a = operand(c.a(tA));
        const b = operand(c.b(tB));
        const ref = reference(a, b, tA, tB);
        const native = matMulValues(a, b, tA, tB);
        assert.deepEqual(native.shape, ref.shape, `shape with tA=${tA} tB=${tB}`);
        assertClose(native.values, ref.values, ref.bound, 1, `native vs float64, tA=${tA} tB=${tB}`);
        if (c.xnnpack) {
          const xnn = withOriginalKernels(() => matMulValues(a, b, tA, tB));
          assertClose(native.values, Float64Array.from(xnn.values), ref.bound, 2, `native vs XNNPACK, tA=${tA} tB=${tB}`);
        }
        tf.dispose([a.tensor, b.tensor]);
      }
    });
  }

  test('1x1 and empty dimensions: right shapes, and K = 0 gives zeros', () => {
    for (const [tA, tB] of FLAGS) {
      const a = operand([1, 1]);
      const b = operand([1, 1]);
      const c = matMulValues(a, b, tA, tB);
      assert.deepEqual(c.shape, [1, 1]);
      assert.equal(c.values[0], Math.fround(a.values[0] * b.values[0]));
      tf.dispose([a.tensor, b.tensor]);
    }
    const cases: [number[], number[], number[]][] = [
      [[0, 4], [4, 3], [0, 3]],
      [[2, 4], [4, 0], [2, 0]],
      [[2, 0], [0, 3], [2, 3]],
      [[0, 2, 4], [4, 3], [0, 2, 3]],
    ];
    for (const [sa, sb, sc] of cases) {
      const c = tf.matMul(tf.zeros(sa), tf.zeros(sb));
      assert.deepEqual(c.shape, sc);
      const v = c.dataSync();
      assert.equal(v.length, sc.reduce((p, d) => p * d, 1));
      assert.ok(v.every((x) => x === 0), `matMul(${sa}, ${sb}) must be all zeros`);
      c.dispose();
    }
    // K = 0 into a recycled heap block that held non-zero values: the output must still be zeros.
    tf.tidy(() => tf.fill([2, 3], Number.NaN).dataSync());
    const z = tf.matMul(tf.ones([2, 0]), tf.ones([0, 3]));
    assert.deepEqual(Array.from(z.dataSync()), [0, 0, 0, 0, 0, 0]);
    z.dispose();
  });

  const activations: { name: 'linear' | 'relu' | 'relu6' | 'leakyrelu' | 'sigmoid' | 'elu'; f: (x: number) => number; op: (x: tf.Tensor) => tf.Tensor }[] = [
    { name: 'linear', f: (x) => x, op: (x) => x },
    { name: 'relu', f: (x) => Math.max(x, 0), op: tf.relu },
    { name: 'relu6', f: (x) => Math.min(Math.max(x, 0), 6), op: tf.relu6 },
    { name: 'leakyrelu', f: (x) => (x < 0 ? 0.3 * x : x), op: (x) => tf.leakyRelu(x, 0.3) },
    { name: 'sigmoid', f: (x) => 1 / (1 + Math.exp(-x)), op: tf.sigmoid },
    { name: 'elu', f: (x) => (x < 0 ? Math.expm1(x) : x), op: tf.elu },
  ];
  for (const act of activations) {
    test(`_FusedMatMul with bias and ${act.name}: equals float64 and the original wasm kernels`, () => {
      for (const [tA, tB] of FLAGS) {
        for (const [batch, biasLength] of [[1, 11], [2, 11], [2, 1]]) {
          const a = operand(stored([batch], 6, 9, tA));
          const b = operand(stored([batch], 9, 11, tB));
          const bias = operand([biasLength]);
          const fused = () => {
            const c = tf.fused.matMul({
              a: a.tensor as tf.Tensor3D, b: b.tensor as tf.Tensor3D, transposeA: tA, transposeB: tB,
              bias: bias.tensor, activation: act.name, leakyreluAlpha: 0.3,
            });
            const v = c.dataSync() as Float32Array;
            c.dispose();
            return v;
          };
          const unfused = () => tf.tidy(() => act.op(tf.add(tf.matMul(a.tensor, b.tensor, tA, tB), bias.tensor)).dataSync() as Float32Array);
          const ref = reference(a, b, tA, tB);
          const expected = ref.values.map((x, i) => act.f(x + bias.values[biasLength === 1 ? 0 : i % 11]));
          const bound = ref.bound.map((e, i) => e + 8 * U * (Math.abs(expected[i]) + 1));
          const what = `${act.name}, tA=${tA} tB=${tB}, batch ${batch}, bias length ${biasLength}`;
          const native = fused();
          assertClose(native, expected, bound, 1, `native vs float64, ${what}`);
          // The original unfused ops are the semantics to keep. The original fused kernel agrees with them only
          // on its XNNPACK path (one batch, no transpose flag, full-length bias); with a batch of 2 or a transpose
          // flag it adds the bias at wrong offsets (tfjs-backend-wasm 4.22).
          const xnnpackPath = batch === 1 && biasLength === 11 && !tA && !tB;
          const original = withOriginalKernels(() => ({ unfused: unfused(), fused: xnnpackPath ? fused() : null }));
          assertClose(native, Float64Array.from(original.unfused), bound, 2, `native vs original unfused ops, ${what}`);
          if (original.fused != null) assertClose(native, Float64Array.from(original.fused), bound, 2, `native vs XNNPACK fused, ${what}`);
          tf.dispose([a.tensor, b.tensor, bias.tensor]);
        }
      }
    });
  }

  test('_FusedMatMul with prelu falls back to the original kernel and matches it', () => {
    const a = operand([1, 4, 5]);
    const b = operand([1, 5, 3]);
    const alpha = tf.tensor1d([0.1, 0.2, 0.3]);
    const run = () => {
      const c = tf.fused.matMul({ a: a.tensor as tf.Tensor3D, b: b.tensor as tf.Tensor3D, activation: 'prelu', preluActivationWeights: alpha });
      const v = c.dataSync();
      c.dispose();
      return v;
    };
    assert.deepEqual(Array.from(run()), Array.from(withOriginalKernels(run)));
    tf.dispose([a.tensor, b.tensor, alpha]);
  });

  for (const [tA, tB] of FLAGS) {
    test(`gradients through tf.matMul (transposeA=${tA} transposeB=${tB}) equal the analytic float64 ones`, () => {
      const [M, K, N] = [13, 17, 11];
      const a = operand(stored([], M, K, tA));
      const b = operand(stored([], K, N, tB));
      const w = operand([M, N]);
      // loss = sum(op(A) op(B) * W): d op(A) = W op(B)^T, d op(B) = op(A)^T W.
      const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), w.tensor)));
      const [da, db] = grads([a.tensor, b.tensor]);
      const refA = tA ? reference(b, w, tB, true) : reference(w, b, false, !tB);
      const refB = tB ? reference(w, a, true, tA) : reference(a, w, !tA, false);
      // The summed loss adds no error to the gradient products; the bound covers their float32 evaluation.
      assertClose(da.dataSync() as Float32Array, refA.values, refA.bound, 1, 'dA');
      assertClose(db.dataSync() as Float32Array, refB.values, refB.bound, 1, 'dB');
      tf.dispose([a.tensor, b.tensor, w.tensor, da, db]);
    });
  }

  test('gradient through tf.fused.matMul with a bias: dBias is the column sum of dY', () => {
    const a = operand([1, 8, 5]);
    const b = operand([1, 5, 4]);
    const bias = operand([4]);
    const w = operand([1, 8, 4]);
    const g = tf.grad((bb: tf.Tensor) =>
      tf.sum(tf.mul(tf.fused.matMul({ a: a.tensor as tf.Tensor3D, b: b.tensor as tf.Tensor3D, bias: bb }), w.tensor)));
    const dBias = g(bias.tensor).dataSync();
    for (let j = 0; j < 4; j++) {
      let s = 0;
      let sAbs = 0;
      for (let i = 0; i < 8; i++) {
        s += w.values[i * 4 + j];
        sAbs += Math.abs(w.values[i * 4 + j]);
      }
      assert.ok(Math.abs(dBias[j] - s) <= 10 * U * sAbs, `dBias[${j}] = ${dBias[j]}, expected ${s}`);
    }
    tf.dispose([a.tensor, b.tensor, bias.tensor, w.tensor]);
  });

  test('tensor count and wasm heap buffers stay flat over 150 matmuls and fused matmuls', () => {
    const a = operand([3, 16, 8]);
    const b = operand([8, 12]);
    const bias = operand([12]);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const step = () => tf.tidy(() => {
      const c = tf.matMul(a.tensor, b.tensor);
      const d = tf.fused.matMul({ a: a.tensor as tf.Tensor3D, b: tf.reshape(b.tensor, [1, 8, 12]) as tf.Tensor3D, bias: bias.tensor, activation: 'relu' });
      return tf.sum(tf.add(c, d));
    });
    step().dispose();
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    for (let i = 0; i < 150; i++) step().dispose();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(backend.numDataIds(), dataIds);
    tf.dispose([a.tensor, b.tensor, bias.tensor]);
  });

  test('an output allocation that grows wasm memory still writes into the live heap', () => {
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const before = heap();
    // An outer product whose output is larger than the whole current heap forces memory.grow in makeOutput.
    const M = 1024;
    const N = Math.ceil(before / 4 / M) + 256;
    const a = operand([M, 1]);
    const b = operand([1, N]);
    const c = tf.matMul(a.tensor, b.tensor);
    assert.ok(heap() > before, `the heap grew (${before} -> ${heap()} bytes)`);
    const v = c.dataSync();
    for (const [i, j] of [[0, 0], [M - 1, N - 1], [517, 1234], [M - 1, 0]]) {
      assert.equal(v[i * N + j], Math.fround(a.values[i] * b.values[j]), `entry (${i}, ${j})`);
    }
    tf.dispose([a.tensor, b.tensor, c]);
  });

  test('the thread count follows options.threads and can go back to 1', () => {
    assert.match(enableNativeMatMul({ threads: 2 }).detail, /2 threads\)/);
    assert.match(enableNativeMatMul({ threads: 1 }).detail, /1 thread\)/);
    assert.equal(loadSgemmAddon().addon?.getThreads(), 1);
  });

  test('with 2 threads, small products run on one (same bits) and large ones on both; the setting stays 2', () => {
    const a = operand([1024, 16]);
    const b = operand([16, 64]);
    const big = operand([512, 512]);
    const small1 = tf.matMul(a.tensor, b.tensor).dataSync();
    const big1 = tf.matMul(big.tensor, big.tensor).dataSync();
    try {
      assert.ok(enableNativeMatMul({ threads: 2 }).ok);
      const small2 = tf.matMul(a.tensor, b.tensor).dataSync();
      const big2 = tf.matMul(big.tensor, big.tensor).dataSync();
      assert.equal(loadSgemmAddon().addon!.getThreads(), 2, 'the small product put the thread count back');
      assert.deepEqual(Array.from(small2), Array.from(small1));
      assert.deepEqual(Array.from(big2), Array.from(big1), 'OpenBLAS splits C between threads, not K');
    } finally {
      assert.ok(enableNativeMatMul({ threads: 1 }).ok);
    }
  });

  test('addon sgemm on Float32Array views honours alpha, beta, transposes and padded leading dimensions', () => {
    const blas = loadSgemmAddon().addon!;
    const [M, N, K, pad] = [4, 3, 5, 2];
    for (const [tA, tB] of FLAGS) {
      const aRows = tA ? K : M;
      const aCols = tA ? M : K;
      const bRows = tB ? N : K;
      const bCols = tB ? K : N;
      const lda = aCols + pad;
      const ldb = bCols + pad;
      const ldc = N + pad;
      const A = Float32Array.from(normalArray(key(seedCounter++), aRows * lda));
      const B = Float32Array.from(normalArray(key(seedCounter++), bRows * ldb));
      const C = Float32Array.from(normalArray(key(seedCounter++), M * ldc));
      const C0 = C.slice();
      blas.sgemm(tA, tB, M, N, K, 2, A, lda, B, ldb, 0.5, C, ldc);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < ldc; j++) {
          if (j >= N) {
            assert.equal(C[i * ldc + j], C0[i * ldc + j], 'padding columns are left alone');
            continue;
          }
          let s = 0;
          let sAbs = 0;
          for (let k = 0; k < K; k++) {
            const p = A[tA ? k * lda + i : i * lda + k] * B[tB ? j * ldb + k : k * ldb + j];
            s += p;
            sAbs += Math.abs(p);
          }
          const expected = 2 * s + 0.5 * C0[i * ldc + j];
          const bound = (K + 4) * U * (2 * sAbs + 0.5 * Math.abs(C0[i * ldc + j]));
          assert.ok(Math.abs(C[i * ldc + j] - expected) <= bound, `C[${i},${j}] tA=${tA} tB=${tB}`);
        }
      }
    }
  });

  test('the same inputs give bitwise the same output', () => {
    const a = operand([64, 48]);
    const b = operand([40, 48]);
    const first = matMulValues(a, b, false, true);
    const second = matMulValues(a, b, false, true);
    assert.deepEqual(first.values, second.values);
    tf.dispose([a.tensor, b.tensor]);
  });

  test('the addon rejects operands that do not fit, naming the problem', () => {
    const blas = loadSgemmAddon().addon!;
    const A = new Float32Array(6);
    const B = new Float32Array(6);
    const C = new Float32Array(4);
    assert.throws(() => blas.sgemm(false, false, 2, 2, 4, 1, A, 4, B, 2, 0, C, 2), /shorter than its matrix/);
    assert.throws(() => blas.sgemm(false, false, 2, 2, 3, 1, A, 2, B, 2, 0, C, 2), /leading dimension/);
    assert.throws(() => blas.sgemm(false, false, -1, 2, 3, 1, A, 3, B, 2, 0, C, 2), /M must be an integer in \[0, 2\^31\), got -1/);
    const heap = new ArrayBuffer(64);
    const off = (x: number) => new Uint32Array([x]);
    assert.throws(() => blas.sgemmBatch(false, false, 2, 2, 3, heap, off(0), off(24), off(56), -1, 0, 0, 0), /outside the heap/);
    assert.throws(() => blas.sgemmBatch(false, false, 2, 2, 3, heap, off(0), off(24), off(40), -1, 0, 3, 0), /activation must be/);
  });

  test('disable restores the original kernels, enable puts the native ones back', () => {
    assert.ok(disableNativeMatMul());
    assert.equal(tf.getKernel('BatchMatMul', 'wasm').kernelFunc, originalBatchKernel);
    assert.equal(nativeMatMulStatus().ok, false);
    assert.equal(disableNativeMatMul(), false, 'a second disable is a no-op');
    assert.ok(enableNativeMatMul().ok);
    assert.notEqual(tf.getKernel('BatchMatMul', 'wasm').kernelFunc, originalBatchKernel);
  });

  test('on a backend other than wasm, enable does nothing and says why', async () => {
    disableNativeMatMul();
    await initBackend({ force: 'cpu' });
    try {
      const status = enableNativeMatMul();
      assert.equal(status.ok, false);
      assert.match(status.detail, /active backend is 'cpu'/);
    } finally {
      await useBackend('wasm');
      assert.ok(enableNativeMatMul().ok);
    }
  });
});

describe('native matmul options', () => {
  test('a bad thread count throws, naming the option, the value and what was expected', () => {
    assert.throws(() => enableNativeMatMul({ threads: 0 }), /options\.threads=0 is not a valid OpenBLAS thread count: expected an integer in \[1, 256\]/);
    assert.throws(() => enableNativeMatMul({ threads: 1.5 }), /options\.threads=1\.5/);
    const saved = process.env.SAMPLING_LAB_BLAS_THREADS;
    process.env.SAMPLING_LAB_BLAS_THREADS = 'many';
    try {
      assert.throws(() => enableNativeMatMul(), /SAMPLING_LAB_BLAS_THREADS="many" is not a valid OpenBLAS thread count/);
    } finally {
      if (saved == null) delete process.env.SAMPLING_LAB_BLAS_THREADS;
      else process.env.SAMPLING_LAB_BLAS_THREADS = saved;
    }
  });
});
