/**
 * The timing method shared by the workloads and the paper cells (the peer's method, bench/torch_peer.py): `warmup`
 * calls, then `reps` repetitions of `inner` calls each, synchronised at the end of each repetition; the median,
 * min and max of the per-call times of the repetitions.
 */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median: no values');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Warm-up calls, repetitions and calls per repetition. */
export interface Plan {
  warmup: number;
  reps: number;
  inner: number;
}

export interface Timing {
  ms: number;
  ms_min: number;
  ms_max: number;
  /** Per-call ms of each repetition. */
  samples: number[];
}

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Time `step` (sync or async) with `plan`, calling `sync` at the end of the warm-up and of each repetition. */
export async function timeRepeated(step: () => void | Promise<void>, sync: () => Promise<void>, plan: Plan): Promise<Timing> {
  // Await only what is a promise, so that a synchronous step is timed without an extra microtask per call.
  for (let i = 0; i < plan.warmup; i++) {
    const r = step();
    if (r) await r;
  }
  await sync();
  const samples: number[] = [];
  for (let r = 0; r < plan.reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < plan.inner; i++) {
      const r = step();
      if (r) await r;
    }
    await sync();
    samples.push((performance.now() - t0) / plan.inner);
  }
  return { ms: round(median(samples)), ms_min: round(Math.min(...samples)), ms_max: round(Math.max(...samples)), samples };
}
