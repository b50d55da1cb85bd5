/**
 * What the native kernels (nativeMatMul.ts, nativeMlp.ts, nativeCoupling.ts, nativeElementwise.ts, nativeAdam.ts)
 * use of tfjs-backend-wasm: its tensors' places on the wasm heap, where the addon reads and writes them in place.
 */
import type * as tf from '@tensorflow/tfjs';

/** The slice of tfjs-backend-wasm's BackendWasm used here. */
export interface WasmTensorData {
  memoryOffset: number;
  shape: number[];
}
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: tf.DataId): WasmTensorData };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** What a registered kernel function receives. */
export type NativeKernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: unknown; attrs?: Record<string, unknown> };

/** Byte offset of a tensor's data on the wasm heap. */
export function heapOffset(backend: WasmBackend, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}
