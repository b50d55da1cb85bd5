/**
 * The wasm kernels of lib/core/fusedMlp.ts on the OpenBLAS addon (build/native/sgemm.node): each fused-MLP kernel
 * runs its matrix products through `sgemmBatch` and its activations through native/elementwise.c, in place on the
 * wasm heap, with no tfjs kernel between the layers. Registered by {@link enableNativeMlp}, which
 * lib/core/nativeMatMul.ts calls when it routes the matmuls to OpenBLAS (the two are on or off together).
 *
 * The products are the same `sgemmBatch` calls the layer-by-layer path makes through the BatchMatMul and
 * _FusedMatMul kernels (bias seeded into C, transposes as flags, column sums as a ones-row product), and the relu
 * arithmetic is tfjs' (max with 0; dy * step(z)), so a relu MLP gives the same bits either way.
 */
import * as tf from '@tensorflow/tfjs';
import {
  FUSED_MLP_ACTIVATIONS, MAX_FUSED_MLP_LAYERS, MLP_DELTAS_KERNEL, MLP_WORKSPACE_KERNEL, MLP_WEIGHT_GRADS_KERNEL, mlpKernelName,
  type FusedMlpActivation,
} from './fusedMlp.js';
import type { FullSgemmAddon } from './nativeMatMul.js';
import { heapOffset, type NativeKernelArgs, type WasmBackend } from './wasmHeap.js';

function activationCode(attrs: Record<string, unknown> | undefined): number {
  const name = String(attrs?.activation);
  const code = FUSED_MLP_ACTIVATIONS[name as FusedMlpActivation];
  if (code == null) {
    throw new Error(`fused MLP kernel: activation ${JSON.stringify(name)} has no fused kernel (expected relu or silu)`);
  }
  return code;
}

/** C = op(A) op(B) (+ bias) for one contiguous product at byte offsets (a one-item sgemmBatch). */
function gemm(
  blas: FullSgemmAddon, backend: WasmBackend, tA: boolean, tB: boolean, M: number, N: number, K: number,
  a: number, b: number, c: number, bias = -1,
): void {
  blas.sgemmBatch(tA, tB, M, N, K, backend.wasm.HEAPU8, Uint32Array.of(a), Uint32Array.of(b), Uint32Array.of(c),
    bias, bias < 0 ? 0 : N, 0, 0);
}

function forwardKernel(blas: FullSgemmAddon, numLayers: number): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const backend = args.backend as WasmBackend;
    const code = activationCode(args.attrs);
    const { x } = args.inputs;
    const n = x.shape[0];
    const weights = Array.from({ length: numLayers }, (_, l) => args.inputs[`W${l}`]);
    const biases = Array.from({ length: numLayers }, (_, l) => args.inputs[`b${l}`]);
    const sizes = [x.shape[1], ...weights.map((w) => w.shape[1])];
    let hiddenElements = 0;
    for (let l = 1; l < numLayers; l++) hiddenElements += 2 * n * sizes[l];
    const { workspace } = args.inputs;
    if (workspace.shape[0] !== hiddenElements) {
      throw new Error(`fused MLP kernel: workspace of ${workspace.shape[0]} floats, expected ${hiddenElements}`);
    }
    // allocate first: an allocation can grow (and move) the heap view, not the offsets
    const y = backend.makeOutput([n, sizes[numLayers]], 'float32');
    const ws = heapOffset(backend, workspace);
    let input = heapOffset(backend, x);
    let at = ws;
    for (let l = 0; l < numLayers; l++) {
      const last = l === numLayers - 1;
      const z = last ? heapOffset(backend, y) : at;
      gemm(blas, backend, false, false, n, sizes[l + 1], sizes[l], input, heapOffset(backend, weights[l]), z,
        heapOffset(backend, biases[l]));
      if (!last) {
        const h = z + 4 * n * sizes[l + 1];
        blas.activate(backend.wasm.HEAPU8, z, h, n * sizes[l + 1], code);
        input = h;
        at = h + 4 * n * sizes[l + 1];
      }
    }
    return y;
  }) as unknown as tf.KernelFunc;
}

function workspaceKernel(args: NativeKernelArgs): tf.TensorInfo {
  return (args.backend as WasmBackend).makeOutput([Number(args.attrs?.size)], 'float32');
}

function deltasKernel(blas: FullSgemmAddon): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const backend = args.backend as WasmBackend;
    const code = activationCode(args.attrs);
    const sizes = args.attrs?.sizes as number[];
    const numLayers = sizes.length - 1;
    const list = Object.values(args.inputs); // [dy, W1..W{L-1}, workspace]
    const dy = list[0];
    const weights = list.slice(1, numLayers);
    const workspace = list[numLayers];
    const n = dy.shape[0];
    const deltas = Array.from({ length: numLayers - 1 }, (_, l) => backend.makeOutput([n, sizes[l + 1]], 'float32'));
    const biasGrads = Array.from({ length: numLayers }, (_, l) => backend.makeOutput([sizes[l + 1]], 'float32'));
    // z_l's byte offset in the workspace
    const zOffsets: number[] = [];
    let at = heapOffset(backend, workspace);
    for (let l = 1; l < numLayers; l++) {
      zOffsets.push(at);
      at += 8 * n * sizes[l];
    }
    let delta = heapOffset(backend, dy);
    for (let l = numLayers - 1; l >= 1; l--) {
      // delta_{l-1} = (delta_l W_l^T) * act'(z_{l-1}), the product written in place then scaled
      const out = heapOffset(backend, deltas[l - 1]);
      gemm(blas, backend, false, true, n, sizes[l], sizes[l + 1], delta, heapOffset(backend, weights[l - 1]), out);
      blas.activationVjp(backend.wasm.HEAPU8, out, zOffsets[l - 1], out, n * sizes[l], code);
      delta = out;
    }
    const allDeltas = [...deltas.map((d) => heapOffset(backend, d)), heapOffset(backend, dy)];
    for (let l = 0; l < numLayers; l++) {
      blas.columnSums(backend.wasm.HEAPU8, allDeltas[l], n, sizes[l + 1], heapOffset(backend, biasGrads[l]));
    }
    return [...deltas, ...biasGrads];
  }) as unknown as tf.KernelFunc;
}

function weightGradsKernel(blas: FullSgemmAddon): tf.KernelFunc {
  return ((args: NativeKernelArgs) => {
    const backend = args.backend as WasmBackend;
    const [x, workspace, ...deltas] = Object.values(args.inputs);
    const offsets = args.attrs?.offsets as number[];
    const rows = Number(args.attrs?.rows);
    const sizes = args.attrs?.sizes as number[];
    const outs = deltas.map((_, l) => backend.makeOutput([sizes[l], sizes[l + 1]], 'float32'));
    deltas.forEach((delta, l) => {
      const a = l === 0 ? heapOffset(backend, x) : heapOffset(backend, workspace) + 4 * offsets[l];
      gemm(blas, backend, true, false, sizes[l], sizes[l + 1], rows, a, heapOffset(backend, delta), heapOffset(backend, outs[l]));
    });
    return outs;
  }) as unknown as tf.KernelFunc;
}

let registered = false;

/** Register the fused-MLP kernels for the wasm backend on `blas` (idempotent). */
export function enableNativeMlp(blas: FullSgemmAddon): void {
  if (registered) return;
  for (let l = 1; l <= MAX_FUSED_MLP_LAYERS; l++) {
    tf.registerKernel({ kernelName: mlpKernelName(l), backendName: 'wasm', kernelFunc: forwardKernel(blas, l) });
  }
  tf.registerKernel({ kernelName: MLP_WORKSPACE_KERNEL, backendName: 'wasm', kernelFunc: workspaceKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: MLP_DELTAS_KERNEL, backendName: 'wasm', kernelFunc: deltasKernel(blas) });
  tf.registerKernel({ kernelName: MLP_WEIGHT_GRADS_KERNEL, backendName: 'wasm', kernelFunc: weightGradsKernel(blas) });
  registered = true;
}

/** Remove them (the MLPs then run layer by layer); false when they were not registered. */
export function disableNativeMlp(): boolean {
  if (!registered) return false;
  for (let l = 1; l <= MAX_FUSED_MLP_LAYERS; l++) tf.unregisterKernel(mlpKernelName(l), 'wasm');
  tf.unregisterKernel(MLP_WORKSPACE_KERNEL, 'wasm');
  tf.unregisterKernel(MLP_DELTAS_KERNEL, 'wasm');
  tf.unregisterKernel(MLP_WEIGHT_GRADS_KERNEL, 'wasm');
  registered = false;
  return true;
}
