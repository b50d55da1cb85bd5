/**
 * The kernel behind lib/trainers/adam.ts' host path on wasm with the OpenBLAS addon: one Adam step for every
 * variable in one native call (native/adam.c), the same arithmetic as adam.ts' JavaScript loop (same bits), without
 * copying each parameter and gradient out of the wasm heap and each new parameter back in. Registered with the
 * native matmul (lib/core/nativeMatMul.ts).
 *
 * Kernel `SamplingLabAdam`: inputs [theta_0, ..., theta_{k-1}, g_0, ..., g_{k-1}] (float32, g_i shaped like
 * theta_i), attrs {m, v (Float32Arrays of every variable's moments one after the other, updated in place), beta1,
 * beta2, lrT, epsT, weightDecay}; outputs the k new parameters.
 */
import * as tf from '@tensorflow/tfjs';
import type { FullSgemmAddon } from './nativeMatMul.js';
import { heapOffset, type NativeKernelArgs, type WasmBackend } from './wasmHeap.js';

export const ADAM_KERNEL = 'SamplingLabAdam';

function adamKernel(blas: FullSgemmAddon): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const backend = args.backend as WasmBackend;
    const list = Object.values(args.inputs);
    const k = list.length / 2;
    const thetas = list.slice(0, k);
    const grads = list.slice(k);
    const outs = thetas.map((t) => backend.makeOutput(t.shape, 'float32'));
    const offsets = (ts: tf.TensorInfo[]) => Uint32Array.from(ts, (t) => heapOffset(backend, t));
    const a = args.attrs as { m: Float32Array; v: Float32Array; beta1: number; beta2: number; lrT: number; epsT: number; weightDecay: number };
    blas.adam(backend.wasm.HEAPU8, offsets(thetas), offsets(grads), offsets(outs),
      Uint32Array.from(thetas, (t) => tf.util.sizeFromShape(t.shape)), a.m, a.v, a.beta1, a.beta2, a.lrT, a.epsT, a.weightDecay);
    return outs;
  }) as unknown as tf.KernelFunc;
}

/** Register the kernel for wasm (idempotent). */
export function enableNativeAdam(blas: FullSgemmAddon): void {
  if (tf.getKernel(ADAM_KERNEL, 'wasm') == null) {
    tf.registerKernel({ kernelName: ADAM_KERNEL, backendName: 'wasm', kernelFunc: adamKernel(blas) });
  }
}

/** Remove it (adam.ts then runs its JavaScript loop); false when it was not registered. */
export function disableNativeAdam(): boolean {
  if (tf.getKernel(ADAM_KERNEL, 'wasm') == null) return false;
  tf.unregisterKernel(ADAM_KERNEL, 'wasm');
  return true;
}
