/**
 * The wasm backend's `Exp` and `Tanh` kernels on the OpenBLAS addon's vectorised loops (native/elementwise.c),
 * in place on the wasm heap. tfjs-backend-wasm computes both with scalar libm calls: 8 ns (exp) and 21 ns (tanh)
 * per element on this project's machine, against about 1 ns natively (AVX2), and they are the costliest kernels
 * of the SLIPS, MALA and RealNVP steps. Accuracy: within 3 ulp (exp) and 5 ulp (tanh) of the correctly rounded
 * value over the whole float range (checked in test/unit/native-unary.test.ts); exp's results below the smallest
 * normal float flush to 0. Not bit for bit what tfjs-wasm returns, so runs are reproducible on one setting only.
 *
 * Enabled with the native matmul (lib/core/nativeMatMul.ts) and switched off with it; non-float32 inputs go to the
 * original kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { SgemmAddon, WasmBackend } from './nativeMatMul.js';

/** native/elementwise.c's codes. */
const UNARY_CODES = { Exp: 10, Tanh: 11 } as const;

type KernelArgs = { inputs: { x: tf.TensorInfo }; backend: unknown; attrs?: Record<string, unknown> };

let originals: tf.KernelConfig[] | null = null;

function nativeUnary(blas: Required<SgemmAddon>, code: number, original: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { x } = args.inputs;
    if (x.dtype !== 'float32') return original(args as never);
    const backend = args.backend as WasmBackend;
    const out = backend.makeOutput(x.shape, 'float32');
    const size = tf.util.sizeFromShape(x.shape);
    const xOffset = backend.dataIdMap.get(x.dataId).memoryOffset;
    const outOffset = backend.dataIdMap.get(out.dataId).memoryOffset;
    blas.activate(backend.wasm.HEAPU8, xOffset, outOffset, size, code);
    return out;
  }) as unknown as tf.KernelFunc;
}

/** Replace the wasm `Exp` and `Tanh` kernels (idempotent); false when the wasm backend has no such kernels. */
export function enableNativeUnary(blas: Required<SgemmAddon>): boolean {
  if (originals != null) return true;
  const found: tf.KernelConfig[] = [];
  for (const name of Object.keys(UNARY_CODES) as (keyof typeof UNARY_CODES)[]) {
    const original = tf.getKernel(name, 'wasm');
    if (original == null) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: nativeUnary(blas, UNARY_CODES[name], original.kernelFunc) });
    found.push(original);
  }
  originals = found;
  return found.length > 0;
}

/** Put the original kernels back; false when they were not replaced. */
export function disableNativeUnary(): boolean {
  if (originals == null) return false;
  for (const original of originals) {
    tf.unregisterKernel(original.kernelName, 'wasm');
    tf.registerKernel(original);
  }
  originals = null;
  return true;
}
