/**
 * Optional native matmul for the wasm backend: replaces the wasm `BatchMatMul` and `_FusedMatMul` kernels
 * by OpenBLAS's `cblas_sgemm` (the N-API addon `native/sgemm.c`, built into `build/native/sgemm.node` by
 * `scripts/build-native.mjs`). The operands are read in place from the wasm heap (zero copy), transpose
 * flags go to BLAS (no materialised transposes), and batch dims broadcast as in numpy.
 *
 * Why: XNNPACK in tfjs-wasm reaches about 13 GFLOP/s on one thread (and 0.4 GFLOP/s with a transpose flag),
 * OpenBLAS about 90 (DESIGN.md section 1, trap 1; research/compute-backends.md section 2).
 *
 * With it come the fused MLP kernels (nativeMlp.ts) and the elementwise kernels of nativeElementwise.ts of the same addon.
 *
 *   SAMPLING_LAB_NATIVE_MATMUL=0   never enable it.
 *   SAMPLING_LAB_NATIVE_ELEMENTWISE=0   matmuls only: MLPs layer by layer, elementwise ops on tfjs-wasm's kernels.
 *   SAMPLING_LAB_BLAS_THREADS=n    OpenBLAS threads (default 1: a per-thread comparison with the 1-thread peer).
 */
import * as tf from '@tensorflow/tfjs';
import { FAST_TRANSPOSE_FLAGS } from './ops.js';
import { disableNativeMlp, enableNativeMlp } from './nativeMlp.js';
import { heapOffset, type WasmBackend } from './wasmHeap.js';
import { disableNativeElementwise, enableNativeElementwise } from './nativeElementwise.js';
import { disableNativeAdam, enableNativeAdam } from './nativeAdam.js';
import { disableNativeCoupling, enableNativeCoupling } from './nativeCoupling.js';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The exports of build/native/sgemm.node (see native/sgemm.c for the exact contracts). */
export interface SgemmAddon {
  sgemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number,
  ): void;
  sgemmBatch(
    transA: boolean, transB: boolean, M: number, N: number, K: number, heap: ArrayBufferLike | ArrayBufferView,
    aOffsets: Uint32Array, bOffsets: Uint32Array, cOffsets: Uint32Array,
    biasOffset: number, biasLength: number, activation: number, activationAlpha: number,
  ): void;
  setThreads(n: number): void;
  getThreads(): number;
  /** native/elementwise.c (absent from an addon built before it): h = act(z), out = dh * act'(z), column sums. */
  activate?(heap: Uint8Array, zOffset: number, hOffset: number, n: number, code: number): void;
  activationVjp?(heap: Uint8Array, dhOffset: number, zOffset: number, outOffset: number, n: number, code: number): void;
  columnSums?(heap: Uint8Array, aOffset: number, rows: number, cols: number, outOffset: number): void;
  select?(heap: Uint8Array, condOffset: number, tOffset: number, eOffset: number, outOffset: number, n: number): void;
  /** native/adam.c: one Adam step for many variables (see lib/core/nativeAdam.ts). */
  adam?(
    heap: Uint8Array, thetaOffsets: Uint32Array, gradOffsets: Uint32Array, outOffsets: Uint32Array, sizes: Uint32Array,
    m: Float32Array, v: Float32Array, beta1: number, beta2: number, lrT: number, epsT: number, weightDecay: number,
  ): void;
  /** native/coupling.c (see lib/core/fusedCoupling.ts). */
  coupling?(heap: Uint8Array, x: number, a: number, b: number, m: number, y: number, s: number, n: number, d: number, inverse: number): void;
  couplingGrad?(
    heap: Uint8Array, dy: number, ds: number, x: number, a: number, b: number, m: number, dx: number, da: number, db: number,
    n: number, d: number, inverse: number,
  ): void;
  binary?(heap: Uint8Array, aOffset: number, bOffset: number, outOffset: number, n: number, d: number, aKind: number, bKind: number, op: number): void;
  info(): { config: string; corename: string; parallel: string; threads: number; procs: number };
}

/** The addon with every export: what the kernels past the matmuls need (an addon built before them has fewer). */
export type FullSgemmAddon = Required<SgemmAddon>;

export interface NativeMatMulStatus {
  ok: boolean;
  /** What was enabled (BLAS build, core, threads), or why not. */
  detail: string;
}

export interface NativeMatMulOptions {
  /** OpenBLAS threads; default `SAMPLING_LAB_BLAS_THREADS`, else 1. */
  threads?: number;
}

export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../build/native/sgemm.node', import.meta.url));

type KernelArgs = { inputs: Record<string, tf.TensorInfo | undefined>; backend: unknown; attrs?: Record<string, unknown> };

/** tfjs-backend-wasm's FusableActivation codes (kernels/types.ts); prelu stays on the original kernel. */
const ACTIVATION_CODES: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 4, sigmoid: 5, elu: 6 };

let addon: SgemmAddon | null = null;
let originals: { batch: tf.KernelConfig; fused: tf.KernelConfig | null } | null = null;
let enabledDetail = '';

/**
 * Load the addon once; null (and the reason) when it is not built or does not load. `threads` is the count the
 * caller will ask for: when it is 1 and OPENBLAS_NUM_THREADS is unset, OpenBLAS is loaded with that variable set to 1
 * (then restored), so that it starts no worker threads. Started workers keep polling between calls
 * (sched_yield) even after openblas_set_num_threads(1), on a core the single-threaded work could use; a later
 * setThreads(n) still starts n.
 */
export function loadSgemmAddon(threads = 1): { addon: SgemmAddon | null; reason: string } {
  if (addon != null) return { addon, reason: '' };
  if (!existsSync(NATIVE_ADDON_PATH)) {
    return {
      addon: null,
      reason: 'build/native/sgemm.node is not built (`node scripts/build-native.mjs`; needs gcc and `apt-get install libopenblas-dev`)',
    };
  }
  const setEnv = threads === 1 && process.env.OPENBLAS_NUM_THREADS == null;
  if (setEnv) process.env.OPENBLAS_NUM_THREADS = '1';
  try {
    addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as SgemmAddon;
    return { addon, reason: '' };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { addon: null, reason: `build/native/sgemm.node did not load: ${msg.split('\n')[0]}` };
  } finally {
    if (setEnv) delete process.env.OPENBLAS_NUM_THREADS;
  }
}

function resolveThreads(options: NativeMatMulOptions): number {
  const fromEnv = process.env.SAMPLING_LAB_BLAS_THREADS;
  const source = options.threads != null ? 'options.threads' : 'SAMPLING_LAB_BLAS_THREADS';
  const value = options.threads ?? (fromEnv == null || fromEnv === '' ? 1 : Number(fromEnv));
  if (!Number.isInteger(value) || value < 1 || value > 256) {
    throw new Error(
      `${source}=${JSON.stringify(options.threads ?? fromEnv)} is not a valid OpenBLAS thread count: expected an integer in [1, 256]`,
    );
  }
  return value;
}

/**
 * Route the wasm backend's matmuls through OpenBLAS. Returns `{ ok: false }` with the reason when the addon
 * is not built, the active backend is not 'wasm', or `SAMPLING_LAB_NATIVE_MATMUL=0`; nothing changes then.
 * Calling it again while enabled only updates the thread count.
 */
export function enableNativeMatMul(options: NativeMatMulOptions = {}): NativeMatMulStatus {
  const threads = resolveThreads(options);
  if (process.env.SAMPLING_LAB_NATIVE_MATMUL === '0') {
    return { ok: false, detail: 'native OpenBLAS matmul disabled by SAMPLING_LAB_NATIVE_MATMUL=0' };
  }
  const active = tf.getBackend();
  if (active !== 'wasm') {
    return { ok: false, detail: `native OpenBLAS matmul is for the wasm backend; the active backend is '${active}'` };
  }
  const loaded = loadSgemmAddon(threads);
  if (loaded.addon == null) return { ok: false, detail: loaded.reason };
  const blas = loaded.addon;
  const info = blas.info();
  if (!/openblas/i.test(info.config)) {
    return { ok: false, detail: `build/native/sgemm.node is linked to a BLAS that is not OpenBLAS (${info.config})` };
  }
  blas.setThreads(threads);
  if (originals == null) {
    const batch = tf.getKernel(tf.BatchMatMul, 'wasm');
    if (batch == null) return { ok: false, detail: "the wasm backend registered no 'BatchMatMul' kernel" };
    const fused = tf.getKernel(tf._FusedMatMul, 'wasm') ?? null;
    override(batch, nativeBatchMatMul(blas, batch.kernelFunc));
    if (fused != null) override(fused, nativeFusedMatMul(blas, fused.kernelFunc));
    originals = { batch, fused };
  }
  // the fused MLPs and elementwise kernels need native/elementwise.c, adam.c and coupling.c
  const elementwise = typeof blas.binary === 'function' && typeof blas.adam === 'function' &&
    typeof blas.coupling === 'function' && process.env.SAMPLING_LAB_NATIVE_ELEMENTWISE !== '0';
  if (elementwise) {
    enableNativeMlp(blas as FullSgemmAddon);
    enableNativeElementwise(blas as FullSgemmAddon);
    enableNativeAdam(blas as FullSgemmAddon);
    enableNativeCoupling(blas as FullSgemmAddon);
  }
  const kernels = (originals.fused != null ? 'BatchMatMul and _FusedMatMul' : 'BatchMatMul') +
    (elementwise ? ', fused MLPs and elementwise kernels (Exp, Tanh, Select, Add, Sub, Multiply), RealNVP couplings, Adam' : '');
  enabledDetail =
    `${kernels} on OpenBLAS sgemm (${info.config}; ` +
    `${info.parallel}, ${blas.getThreads()} thread${blas.getThreads() === 1 ? '' : 's'})`;
  return { ok: true, detail: enabledDetail };
}

/** Put the original wasm kernels back. Returns false when the native kernels were not enabled. */
export function disableNativeMatMul(): boolean {
  if (originals == null) return false;
  restore(originals.batch);
  if (originals.fused != null) restore(originals.fused);
  disableNativeMlp();
  disableNativeElementwise();
  disableNativeAdam();
  disableNativeCoupling();
  originals = null;
  enabledDetail = '';
  return true;
}

/** Whether the native kernels are registered now, and what they run on. */
export function nativeMatMulStatus(): NativeMatMulStatus {
  return originals != null
    ? { ok: true, detail: enabledDetail }
    : { ok: false, detail: 'native OpenBLAS matmul is not enabled' };
}

function override(original: tf.KernelConfig, kernelFunc: tf.KernelFunc): void {
  tf.unregisterKernel(original.kernelName, original.backendName);
  // Keep the original setupFunc: it binds the original kernel to a (re-)initialised backend, and the
  // native kernels fall back to that kernel for cases they do not handle.
  (kernelFunc as unknown as Record<symbol, unknown>)[FAST_TRANSPOSE_FLAGS] = true;
  tf.registerKernel({ ...original, kernelFunc });
}

function restore(original: tf.KernelConfig): void {
  tf.unregisterKernel(original.kernelName, original.backendName);
  tf.registerKernel(original);
}

/** Shapes of op(A) op(B) with numpy broadcasting of the leading (batch) dims. */
interface MatMulPlan {
  M: number;
  N: number;
  K: number;
  outShape: number[];
  /** Element offsets of each output batch's A and B matrix within their tensors. */
  aIndex: number[];
  bIndex: number[];
}

function planMatMul(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, op: string): MatMulPlan {
  const ar = aShape.length;
  const br = bShape.length;
  if (ar < 2 || br < 2) {
    throw new Error(`Error in ${op}: inputs must be at least rank 2, got shapes ${aShape} and ${bShape}`);
  }
  const M = transposeA ? aShape[ar - 1] : aShape[ar - 2];
  const K = transposeA ? aShape[ar - 2] : aShape[ar - 1];
  const innerB = transposeB ? bShape[br - 1] : bShape[br - 2];
  const N = transposeB ? bShape[br - 2] : bShape[br - 1];
  // Same check and message as the wasm kernel.
  tf.util.assert(K === innerB, () =>
    `Error in ${op}: inner shapes (${K}) and (${innerB}) of Tensors with shapes ${aShape} and ` +
    `${bShape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  const aOuter = aShape.slice(0, -2);
  const bOuter = bShape.slice(0, -2);
  const outOuter = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  const batches = tf.util.sizeFromShape(outOuter);
  const aIndex = broadcastIndex(aOuter, outOuter, batches, M * K);
  const bIndex = broadcastIndex(bOuter, outOuter, batches, K * N);
  return { M, N, K, outShape: [...outOuter, M, N], aIndex, bIndex };
}

/**
 * For each output batch (row-major over `outOuter`), the element offset of the operand's matrix, where the
 * operand's batch dims `outer` align right with `outOuter` and broadcast where they are 1 (numpy rules).
 */
function broadcastIndex(outer: number[], outOuter: number[], batches: number, matrixSize: number): number[] {
  const size = tf.util.sizeFromShape(outer);
  if (size === batches) return Array.from({ length: batches }, (_, i) => i * matrixSize); // no broadcasting
  if (size === 1) return new Array<number>(batches).fill(0);
  const offset = outOuter.length - outer.length;
  const strides = tf.util.computeStrides(outer);
  const index = new Array<number>(batches);
  for (let i = 0; i < batches; i++) {
    let rest = i;
    let flat = 0;
    for (let d = outOuter.length - 1; d >= 0; d--) {
      const coord = rest % outOuter[d];
      rest = Math.floor(rest / outOuter[d]);
      const od = d - offset;
      if (od >= 0 && outer[od] !== 1) flat += coord * (od === outer.length - 1 ? 1 : strides[od]);
    }
    index[i] = flat * matrixSize;
  }
  return index;
}

/**
 * Run the plan through `sgemmBatch` on the wasm heap. The heap view is fetched after the output is
 * allocated: an allocation can grow wasm memory, which detaches earlier buffers. No JavaScript runs during
 * the native call, so the heap cannot move under it.
 */
function runNative(
  blas: SgemmAddon, backend: WasmBackend, plan: MatMulPlan, a: tf.TensorInfo, b: tf.TensorInfo,
  transposeA: boolean, transposeB: boolean, bias: tf.TensorInfo | null, activation: number, alpha: number,
): tf.TensorInfo {
  const out = backend.makeOutput(plan.outShape, 'float32');
  const aBase = heapOffset(backend, a);
  const bBase = heapOffset(backend, b);
  const cBase = heapOffset(backend, out);
  const biasOffset = bias == null ? -1 : heapOffset(backend, bias);
  const biasLength = bias == null ? 0 : tf.util.sizeFromShape(bias.shape);
  const batches = plan.aIndex.length;
  let { M } = plan;
  let count = batches;
  // A shared B and an untransposed, unbroadcast A: the batch is one tall [batches * M, K] product.
  if (batches > 1 && !transposeA && plan.bIndex.every((o) => o === 0) && plan.aIndex.every((o, i) => o === i * plan.M * plan.K)) {
    M = batches * plan.M;
    count = 1;
  }
  const aOffsets = new Uint32Array(count);
  const bOffsets = new Uint32Array(count);
  const cOffsets = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    aOffsets[i] = aBase + 4 * plan.aIndex[i];
    bOffsets[i] = bBase + 4 * plan.bIndex[i];
    cOffsets[i] = cBase + 4 * i * plan.M * plan.N;
  }
  // HEAPU8 (not its buffer): emscripten replaces it after memory.grow, and a view also works when the heap
  // is a SharedArrayBuffer (the threaded wasm build, which tfjs does not use in Node).
  const heap = backend.wasm.HEAPU8;
  blas.sgemmBatch(transposeA, transposeB, M, plan.N, plan.K, heap, aOffsets, bOffsets, cOffsets,
    biasOffset, biasLength, activation, alpha);
  return out;
}

function nativeBatchMatMul(blas: SgemmAddon, original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args as never); // it throws the usual error
    const transposeA = Boolean(args.attrs?.transposeA);
    const transposeB = Boolean(args.attrs?.transposeB);
    const plan = planMatMul(a.shape, b.shape, transposeA, transposeB, 'matMul');
    return runNative(blas, args.backend as WasmBackend, plan, a, b, transposeA, transposeB, null, 0, 0);
  }) as tf.KernelFunc;
}

/** act(op(A) op(B) + bias) with a rank-1 bias of length N or 1; anything else goes to the wasm kernel. */
function nativeFusedMatMul(blas: SgemmAddon, original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const transposeA = Boolean(args.attrs?.transposeA);
    const transposeB = Boolean(args.attrs?.transposeB);
    const activation = ACTIVATION_CODES[String(args.attrs?.activation ?? 'linear')];
    const N = b == null ? 0 : transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const biasUsable = bias == null || (bias.dtype === 'float32' && bias.shape.length === 1 && (bias.shape[0] === N || bias.shape[0] === 1));
    if (a == null || b == null || a.dtype !== 'float32' || b.dtype !== 'float32' || activation == null ||
        preluActivationWeights != null || !biasUsable) {
      return original(args as never);
    }
    const plan = planMatMul(a.shape, b.shape, transposeA, transposeB, 'fused matMul');
    const alpha = Number(args.attrs?.leakyreluAlpha ?? 0);
    return runNative(blas, args.backend as WasmBackend, plan, a, b, transposeA, transposeB, bias ?? null, activation, alpha);
  }) as tf.KernelFunc;
}
