/**
 * The kernels a run dispatches, with their execution times: tfjs's own profiler (`tf.profile`'s machinery), but
 * without `tf.profile`'s final `Math.max(...kernels)`, which overflows the call stack past ~100k kernels (a whole
 * SLIPS run dispatches ~200k). It switches the engine's profiling state on and off directly (tfjs-core 4.x's
 * `engine.state.profiling` / `activeProfile`), which is what `tf.profile` does, and tags each kernel with its
 * nesting depth (a kernel that runs other kernels, e.g. BatchMatMul running the native SamplingLabMatMul, times
 * them too: only depth-1 times add up to the run's kernel time). Bench-side only.
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelRecord {
  name: string;
  /** Kernel execution time as the backend times it (wasm: the synchronous kernel call, nested kernels included). */
  ms: number;
  /** 1: called from outside any kernel; 2+: inside another kernel's call. */
  depth: number;
  /** Bytes held by all tensors right after the kernel ran (the engine's count). */
  totalBytes: number;
}

interface RawKernel {
  name: string;
  kernelTimeMs: number | Promise<number | { error: string }>;
  totalBytesSnapshot: number;
  depth?: number;
}

interface EngineInternals {
  runKernelFunc: (...args: unknown[]) => unknown;
  state: { profiling: boolean; activeProfile: { kernels: RawKernel[] } };
}

export async function recordKernels<T>(fn: () => Promise<T>): Promise<{ result: T; kernels: KernelRecord[] }> {
  const engine = tf.engine() as unknown as EngineInternals;
  if (!engine.state || !('profiling' in engine.state) || typeof engine.runKernelFunc !== 'function') {
    throw new Error('recordKernels: this tfjs engine has no profiling state (tfjs-core 4.x expected)');
  }
  let depth = 0;
  // the engine pushes a kernel's record at the end of its own runKernelFunc call, so `depth` is that kernel's depth
  class DepthTagged extends Array<RawKernel> {
    override push(...items: RawKernel[]): number {
      for (const k of items) k.depth = depth;
      return super.push(...items);
    }
  }
  const runKernelFunc = engine.runKernelFunc;
  const own = Object.prototype.hasOwnProperty.call(engine, 'runKernelFunc');
  engine.runKernelFunc = function (this: unknown, ...args: unknown[]) {
    depth += 1;
    try {
      return runKernelFunc.apply(this, args);
    } finally {
      depth -= 1;
    }
  };
  engine.state.activeProfile.kernels = new DepthTagged();
  engine.state.profiling = true;
  let result: T;
  try {
    result = await fn();
  } finally {
    engine.state.profiling = false;
    if (own) engine.runKernelFunc = runKernelFunc;
    else delete (engine as Partial<EngineInternals>).runKernelFunc;
  }
  const raw = [...engine.state.activeProfile.kernels];
  engine.state.activeProfile.kernels = [];
  const kernels: KernelRecord[] = [];
  for (const k of raw) {
    const t = await k.kernelTimeMs;
    kernels.push({ name: k.name, ms: typeof t === 'number' ? t : NaN, depth: k.depth ?? 1, totalBytes: k.totalBytesSnapshot });
  }
  return { result, kernels };
}
