/**
 * The wasm kernels of lib/core/fusedCoupling.ts on the OpenBLAS addon (native/coupling.c), in place on the wasm
 * heap; registered with the native matmul (lib/core/nativeMatMul.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { COUPLING_GRAD_KERNEL, COUPLING_KERNEL } from './fusedCoupling.js';
import type { FullSgemmAddon } from './nativeMatMul.js';
import { heapOffset, type NativeKernelArgs, type WasmBackend } from './wasmHeap.js';

/** n (elements) and d (row length) of the coupling's operands, checked. */
function sizes(kernel: string, x: tf.TensorInfo, others: tf.TensorInfo[], mask: tf.TensorInfo): { n: number; d: number } {
  const d = x.shape[x.shape.length - 1];
  const n = tf.util.sizeFromShape(x.shape);
  const ok = others.every((t) => tf.util.arraysEqual(t.shape, x.shape)) && tf.util.sizeFromShape(mask.shape) === d;
  if (!ok) {
    throw new Error(`${kernel}: operands [${[x, ...others].map((t) => `[${t.shape}]`)}] and mask [${mask.shape}] do not match`);
  }
  return { n, d };
}

function couplingKernel(blas: FullSgemmAddon): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const backend = args.backend as WasmBackend;
    const { x, scale, shift, mask } = args.inputs;
    const { n, d } = sizes(COUPLING_KERNEL, x, [scale, shift], mask);
    const y = backend.makeOutput(x.shape, 'float32');
    const s = backend.makeOutput(x.shape, 'float32');
    const o = (t: tf.TensorInfo) => heapOffset(backend, t);
    blas.coupling(backend.wasm.HEAPU8, o(x), o(scale), o(shift), o(mask), o(y), o(s), n, d, args.attrs?.inverse ? 1 : 0);
    return [y, s];
  }) as unknown as tf.KernelFunc;
}

function couplingGradKernel(blas: FullSgemmAddon): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const backend = args.backend as WasmBackend;
    const { dy, ds, x, scale, shift, mask } = args.inputs;
    const { n, d } = sizes(COUPLING_GRAD_KERNEL, x, [dy, ds, scale, shift], mask);
    const outs = [0, 1, 2].map(() => backend.makeOutput(x.shape, 'float32'));
    const o = (t: tf.TensorInfo) => heapOffset(backend, t);
    blas.couplingGrad(backend.wasm.HEAPU8, o(dy), o(ds), o(x), o(scale), o(shift), o(mask), o(outs[0]), o(outs[1]),
      o(outs[2]), n, d, args.attrs?.inverse ? 1 : 0);
    return outs;
  }) as unknown as tf.KernelFunc;
}

/** Register both kernels for wasm (idempotent). */
export function enableNativeCoupling(blas: FullSgemmAddon): void {
  if (tf.getKernel(COUPLING_KERNEL, 'wasm') != null) return;
  tf.registerKernel({ kernelName: COUPLING_KERNEL, backendName: 'wasm', kernelFunc: couplingKernel(blas) });
  tf.registerKernel({ kernelName: COUPLING_GRAD_KERNEL, backendName: 'wasm', kernelFunc: couplingGradKernel(blas) });
}

/** Remove them (couplings then run op by op); false when they were not registered. */
export function disableNativeCoupling(): boolean {
  if (tf.getKernel(COUPLING_KERNEL, 'wasm') == null) return false;
  tf.unregisterKernel(COUPLING_KERNEL, 'wasm');
  tf.unregisterKernel(COUPLING_GRAD_KERNEL, 'wasm');
  return true;
}
