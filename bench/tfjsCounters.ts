/**
 * Bench-side instruments around tfjs, for `npm run bench -- --profile <cell>` (bench/profileCell.ts). Nothing in
 * lib/ changes: the counters wrap the tensor read methods and the engine's `runKernel` for the duration of one
 * run, then restore them.
 *
 * - read-backs: calls of Tensor.data / dataSync / array / arraySync / bytes / buffer / bufferSync (the
 *   device-to-host reads; lib/core/readback.ts funnels every lib/ read through `data()`), and the time from each
 *   asynchronous read's call to its resolution;
 * - time inside tfjs ops: wall time of top-level `ENGINE.runKernel` calls (nested ones, e.g. a custom op's inner
 *   kernels, count once), i.e. the kernels plus the engine's bookkeeping around them. The rest of the wall time is
 *   the JS outside tfjs ops: the library's own code, tidy / gradient-tape work and host-side arithmetic.
 */
import * as tf from '@tensorflow/tfjs';

const READ_METHODS = ['data', 'dataSync', 'array', 'arraySync', 'bytes', 'buffer', 'bufferSync'] as const;
type ReadMethod = (typeof READ_METHODS)[number];

export interface TfjsCounts {
  /** Read calls by method (only those called). */
  reads: Partial<Record<ReadMethod, number>>;
  totalReads: number;
  /** Summed ms from each async read's call to its resolution (overlapping reads add up). */
  asyncReadMs: number;
  /** Top-level runKernel calls and their summed wall ms. */
  opCalls: number;
  opMs: number;
}

/** Run `fn` with the counters on; the prototypes and the engine are restored afterwards, even on an error. */
export async function withTfjsCounters<T>(fn: () => Promise<T>): Promise<{ result: T; counts: TfjsCounts }> {
  const counts: TfjsCounts = { reads: {}, totalReads: 0, asyncReadMs: 0, opCalls: 0, opMs: 0 };
  const proto = tf.Tensor.prototype as unknown as Record<ReadMethod, (...args: unknown[]) => unknown>;
  const saved = READ_METHODS.map((m) => [m, proto[m]] as const);
  for (const [m, original] of saved) {
    proto[m] = function (this: tf.Tensor, ...args: unknown[]) {
      counts.reads[m] = (counts.reads[m] ?? 0) + 1;
      counts.totalReads += 1;
      const out = original.apply(this, args);
      if (out instanceof Promise) {
        const t0 = performance.now();
        return out.finally(() => {
          counts.asyncReadMs += performance.now() - t0;
        });
      }
      return out;
    };
  }
  const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
  const runKernel = engine.runKernel;
  const ownRunKernel = Object.prototype.hasOwnProperty.call(engine, 'runKernel');
  let depth = 0;
  engine.runKernel = function (this: unknown, ...args: unknown[]) {
    if (depth > 0) return runKernel.apply(this, args);
    depth += 1;
    const t0 = performance.now();
    try {
      return runKernel.apply(this, args);
    } finally {
      counts.opMs += performance.now() - t0;
      counts.opCalls += 1;
      depth -= 1;
    }
  };
  try {
    return { result: await fn(), counts };
  } finally {
    for (const [m, original] of saved) proto[m] = original;
    if (ownRunKernel) engine.runKernel = runKernel;
    else delete (engine as Partial<typeof engine>).runKernel;
  }
}
