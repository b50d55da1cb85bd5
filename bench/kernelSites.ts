/**
 * Which lines of the library dispatch the kernels of a run: every top-level `ENGINE.runKernel` call is attributed
 * to the first two stack frames inside lib/ (the op's line and its caller), counted per (kernel, site). For
 * `--profile` (bench/profileCell.ts): it shows e.g. that each `tf.where` also runs three Identity kernels (tfjs's
 * `where` clones its three inputs through `broadcastTo` even when nothing broadcasts). Bench-side only; capturing a
 * stack per kernel slows the run down several-fold, so its time is not reported.
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelSite {
  kernel: string;
  /** "lib/core/ops.ts:620 <- lib/core/ops.ts:611" */
  site: string;
  count: number;
}

/** The first `depth` frames of the current stack inside lib/, as "lib/...:line" joined by " <- ". */
function libFrames(stack: string, depth: number): string {
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const m = line.includes('node_modules') ? null : /\/(lib\/[^:)\s]+):(\d+)/.exec(line);
    if (m) frames.push(`${m[1]}:${m[2]}`);
    if (frames.length === depth) break;
  }
  return frames.length ? frames.join(' <- ') : '(outside lib/)';
}

export async function withKernelSites<T>(fn: () => Promise<T>, depth = 2): Promise<{ result: T; sites: KernelSite[] }> {
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...args: unknown[]) => unknown };
  const runKernel = engine.runKernel;
  const own = Object.prototype.hasOwnProperty.call(engine, 'runKernel');
  const counts = new Map<string, KernelSite>();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  let nested = 0;
  engine.runKernel = function (this: unknown, name: string, ...args: unknown[]) {
    if (nested === 0) {
      const site = libFrames(new Error().stack ?? '', depth);
      const key = `${name} @ ${site}`;
      const s = counts.get(key) ?? { kernel: name, site, count: 0 };
      s.count += 1;
      counts.set(key, s);
    }
    nested += 1;
    try {
      return runKernel.call(this, name, ...args);
    } finally {
      nested -= 1;
    }
  };
  try {
    const result = await fn();
    return { result, sites: [...counts.values()].sort((a, b) => b.count - a.count) };
  } finally {
    Error.stackTraceLimit = limit;
    if (own) engine.runKernel = runKernel;
    else delete (engine as Partial<typeof engine>).runKernel;
  }
}
