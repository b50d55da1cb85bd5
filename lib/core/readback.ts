/**
 * Reading tensor values back to the host. Device backends (webgpu: Dawn in Node, or a browser) have no
 * synchronous read-back in Node (`dataSync` needs an OffscreenCanvas), and a synchronous read stalls the GPU
 * pipeline anyway. So every read in `lib/` goes through the async API, once per chunk, level or call, never per
 * step; a test (test/unit/readback.test.ts) keeps `dataSync` / `arraySync` / `bufferSync` out of `lib/`.
 */
import * as tf from '@tensorflow/tfjs';

export type HostValues = Float32Array | Int32Array | Uint8Array;

/** The values of one tensor (one device round trip). */
export async function readValues(t: tf.Tensor): Promise<HostValues> {
  return (await t.data()) as HostValues;
}

/** The values of several tensors in one round trip: the reads are queued together, then awaited. */
export async function readAll(ts: readonly tf.Tensor[]): Promise<HostValues[]> {
  return (await Promise.all(ts.map((t) => t.data()))) as HostValues[];
}

/** The values of a tensor copied to float64 (host-side accumulators and metrics: DESIGN.md section 1, trap 6). */
export async function readFloat64(t: tf.Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}

/** The single value of a scalar (or the first value of any tensor). */
export async function readScalar(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}

/** Backends whose tensors live in host memory: a synchronous read there is a copy, not a device stall. */
const HOST_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * The values of `t` read synchronously where that is cheap (host backends: cpu, wasm, tensorflow), or null on a
 * device backend (webgpu has no synchronous read in Node, and one would stall the GPU in a browser). Only for
 * optional early exits inside a synchronous step, whose result must not depend on whether the read happened.
 */
export function readIfOnHost(t: tf.Tensor): HostValues | null {
  return HOST_BACKENDS.has(tf.getBackend()) ? (t.dataSync() as HostValues) : null;
}
