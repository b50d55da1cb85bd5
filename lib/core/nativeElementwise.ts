/**
 * The wasm backend's `Exp`, `Tanh`, `Select`, `Add`, `Sub` and `Multiply` kernels on the OpenBLAS addon's vectorised loops
 * (native/elementwise.c), in place on the wasm heap.
 *
 * - Exp and Tanh: tfjs-backend-wasm computes both with scalar libm calls, 8 ns (exp) and 21 ns (tanh) per element
 *   on this project's machine, against about 1 ns natively (AVX2); they were the costliest kernels of the SLIPS,
 *   MALA and RealNVP steps. Accuracy: within 3 ulp (exp) and 5 ulp (tanh) of the correctly rounded value over
 *   the whole float range (test/unit/native-elementwise.test.ts); exp's results below the smallest normal float
 *   flush to 0. Not bit for bit what tfjs-wasm returns: results are reproducible with one setting only.
 * - Select: tfjs-wasm's SelectV2 runs ~2 ns per element (290 us for a [4096, 32] select, six per MALA step); the
 *   native loop copies the same elements, so values are identical.
 * - Add, Sub, Multiply (float32, operands full, one broadcast row, or a scalar): the same IEEE operation per
 *   element, so values are identical; tfjs-wasm's broadcast path costs ~2.5 ns per element (a [1024, 16] times
 *   [1, 16] mask: 40 us, against 20 us for two full operands), and a RealNVP coupling multiplies by its masks
 *   about ten times per training step.
 *
 * Enabled with the native matmul (lib/core/nativeMatMul.ts) and switched off with it; inputs the loops do not
 * handle (other dtypes, broadcast or per-row conditions) go to the original kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { FullSgemmAddon } from './nativeMatMul.js';
import { heapOffset, type NativeKernelArgs, type WasmBackend } from './wasmHeap.js';

/** native/elementwise.c's codes for `activate`. */
const UNARY_CODES = { Exp: 10, Tanh: 11 } as const;

function nativeUnary(blas: FullSgemmAddon, code: number, original: tf.KernelFunc): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const { x } = args.inputs;
    if (x.dtype !== 'float32') return original(args as never);
    const backend = args.backend as WasmBackend;
    const out = backend.makeOutput(x.shape, 'float32');
    blas.activate(backend.wasm.HEAPU8, heapOffset(backend, x), heapOffset(backend, out), tf.util.sizeFromShape(x.shape), code);
    return out;
  }) as unknown as tf.KernelFunc;
}

const FOUR_BYTES = new Set(['float32', 'int32']);

function nativeSelect(blas: FullSgemmAddon, original: tf.KernelFunc): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const { condition, t, e } = args.inputs;
    const size = tf.util.sizeFromShape(t.shape);
    // one condition per element only: tfjs' row-condition form (rank-1 condition, higher-rank t) stays on the
    // original kernel, whose indexing the native loop would not reproduce
    const handled = condition.dtype === 'bool' && FOUR_BYTES.has(t.dtype) && t.dtype === e.dtype &&
      tf.util.arraysEqual(t.shape, e.shape) && tf.util.arraysEqual(condition.shape, t.shape) && size > 0;
    if (!handled) return original(args as never);
    const backend = args.backend as WasmBackend;
    const out = backend.makeOutput(t.shape, t.dtype);
    blas.select(backend.wasm.HEAPU8, heapOffset(backend, condition), heapOffset(backend, t), heapOffset(backend, e),
      heapOffset(backend, out), size);
    return out;
  }) as unknown as tf.KernelFunc;
}

/** native/elementwise.c's `binary` op codes. */
const BINARY_CODES = { Add: 0, Sub: 1, Multiply: 2 } as const;

/**
 * How an operand of shape `shape` enters an output of shape `out`: 0 full (same size), 1 one row (its shape,
 * right-aligned, is [1, ..., 1, d] with d the output's last dimension), 2 a scalar; null for any other broadcast.
 */
function operandKind(shape: number[], out: number[]): 0 | 1 | 2 | null {
  const size = tf.util.sizeFromShape(shape);
  if (size === tf.util.sizeFromShape(out) && tf.util.arraysEqual(shape, out)) return 0;
  if (size === 1) return 2;
  const d = out[out.length - 1];
  if (shape.length >= 1 && shape[shape.length - 1] === d && size === d) return 1;
  return null;
}

function nativeBinary(blas: FullSgemmAddon, op: number, original: tf.KernelFunc): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const { a, b } = args.inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args as never);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = tf.util.sizeFromShape(outShape);
    const aKind = operandKind(a.shape, outShape);
    const bKind = operandKind(b.shape, outShape);
    if (n === 0 || aKind == null || bKind == null || (aKind !== 0 && bKind !== 0)) return original(args as never);
    const backend = args.backend as WasmBackend;
    const out = backend.makeOutput(outShape, 'float32');
    blas.binary(backend.wasm.HEAPU8, heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out), n,
      outShape.length === 0 ? 1 : outShape[outShape.length - 1], aKind, bKind, op);
    return out;
  }) as unknown as tf.KernelFunc;
}

let originals: tf.KernelConfig[] | null = null;

/** Replace the wasm kernels above (idempotent); false when none was found. */
export function enableNativeElementwise(blas: FullSgemmAddon): boolean {
  if (originals != null) return true;
  const replacements: Record<string, (original: tf.KernelFunc) => tf.KernelFunc> = {
    Exp: (o) => nativeUnary(blas, UNARY_CODES.Exp, o),
    Tanh: (o) => nativeUnary(blas, UNARY_CODES.Tanh, o),
    Select: (o) => nativeSelect(blas, o),
    Add: (o) => nativeBinary(blas, BINARY_CODES.Add, o),
    Sub: (o) => nativeBinary(blas, BINARY_CODES.Sub, o),
    Multiply: (o) => nativeBinary(blas, BINARY_CODES.Multiply, o),
  };
  const found: tf.KernelConfig[] = [];
  for (const [name, replace] of Object.entries(replacements)) {
    const original = tf.getKernel(name, 'wasm');
    if (original == null) continue;
    tf.unregisterKernel(name, 'wasm');
    // keep the original setupFunc: it binds the original kernel, which the replacement falls back to
    tf.registerKernel({ ...original, kernelFunc: replace(original.kernelFunc) });
    found.push(original);
  }
  originals = found;
  return found.length > 0;
}

/** Put the original kernels back; false when they were not replaced. */
export function disableNativeElementwise(): boolean {
  if (originals == null) return false;
  for (const original of originals) {
    tf.unregisterKernel(original.kernelName, 'wasm');
    tf.registerKernel(original);
  }
  originals = null;
  return true;
}
