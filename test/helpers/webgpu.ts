/**
 * The webgpu suite's helpers (test/webgpu/*.test.ts, run by `npm run test:webgpu`): start webgpu, compute a wasm
 * reference in the same process, and report how far apart the two are.
 *
 * Only one tfjs backend is active at a time. A test computes its wasm reference first (`onWasm`), reads it into host
 * arrays and frees its tensors, then switches to webgpu (`useWebgpu`): tensors never cross from webgpu to wasm (that
 * move would read webgpu memory synchronously, which Node cannot do).
 *
 * `useWebgpu` turns off tfjs-backend-webgpu's CPU forwarding (WEBGPU_CPU_FORWARD: ops whose inputs are small and
 * still on the host run on its CPU kernels), so that every op of the suite runs as a WGSL shader, whatever its size.
 * A side effect the suite relies on: any synchronous read (`dataSync`, `arraySync`) of a computed tensor throws
 * (`OffscreenCanvas is not defined`), so a sync read left in a library path fails the test that covers it; tfjs'
 * "synchronously reading data from GPU to CPU" warning is caught as well (`assertNoSyncReads`).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendReport } from '../../lib/core/backend.js';

const syncReadWarnings: string[] = [];
let warnHooked = false;

function hookWarnings(): void {
  if (warnHooked) return;
  warnHooked = true;
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (/synchronously reading data from GPU/i.test(text)) syncReadWarnings.push(text);
    warn(...args);
  };
}

let report: BackendReport | null = null;

/** Force webgpu (SwiftShader in CI, the GPU elsewhere) with CPU forwarding off; returns the backend report. */
export async function useWebgpu(): Promise<BackendReport> {
  hookWarnings();
  report = await initBackend({ force: 'webgpu' });
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  return report;
}

/** The adapter line of the report, e.g. "adapter google swiftshader SwiftShader driver 5.0.0 (software: ...)". */
export function adapterLine(): string {
  return report?.attempts.find((a) => a.name === 'webgpu' && a.ok)?.detail ?? 'webgpu not started';
}

/** Run `f` on wasm (its result must be host data), then come back to webgpu. */
export async function onWasm<T>(f: () => T | Promise<T>): Promise<T> {
  await initBackend({ force: 'wasm' });
  try {
    return await f();
  } finally {
    await useWebgpu();
  }
}

/** Fails if tfjs warned about a synchronous GPU read since the process started. */
export function assertNoSyncReads(): void {
  assert.deepEqual(syncReadWarnings, [], 'a synchronous read-back reached the webgpu backend');
}

/** Values of a tensor computed by `f` (one async read), its tensors freed. */
export async function readTidy(f: () => tf.Tensor): Promise<Float32Array> {
  const t = tf.tidy(f);
  try {
    return Float32Array.from(await t.data());
  } finally {
    t.dispose();
  }
}

/** Values of several tensors computed by `f` (one batch of async reads), their tensors freed. */
export async function readTidyAll(f: () => tf.Tensor[]): Promise<Float32Array[]> {
  const ts = tf.tidy(f);
  try {
    return (await Promise.all(ts.map((t) => t.data()))).map((v) => Float32Array.from(v));
  } finally {
    tf.dispose(ts);
  }
}

export interface Agreement {
  what: string;
  maxAbs: number;
  /** max |a - b| / max(|b|, floor) (floor: where values near 0 make a relative difference meaningless). */
  maxRel: number;
  /** The largest difference over its tolerance (<= 1 passes), when a tolerance is given. */
  worstRatio?: number;
}

/**
 * The agreement of `got` (webgpu) with `ref` (wasm): max absolute and relative differences, and, with a tolerance
 * per entry, the worst difference / tolerance. Prints one `# agreement` line (the figures the suite reports).
 */
export function agreement(
  what: string,
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol?: (i: number) => number,
  floor = 1e-6,
): Agreement {
  assert.equal(got.length, ref.length, `${what}: lengths differ`);
  let maxAbs = 0;
  let maxRel = 0;
  let worstRatio = 0;
  let where = -1;
  let bad = -1;
  for (let i = 0; i < ref.length; i++) {
    if (got[i] === ref[i]) continue; // same value, infinities included
    const d = Math.abs(got[i] - ref[i]);
    if (Number.isNaN(d)) {
      if (bad < 0) bad = i;
      continue;
    }
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(ref[i]), floor));
    if (tol && d / tol(i) > worstRatio) {
      worstRatio = d / tol(i);
      where = i;
    }
  }
  if (bad >= 0) {
    // a NaN, or infinities that differ: no finite distance
    maxAbs = maxRel = worstRatio = Infinity;
    where = bad;
  }
  const a: Agreement = { what, maxAbs, maxRel, ...(tol ? { worstRatio } : {}) };
  console.log(
    `# agreement ${what}: webgpu vs wasm max |diff| ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)}` +
      (tol ? `, worst |diff| / tolerance ${worstRatio.toPrecision(2)}${where >= 0 ? ` (entry ${where}: ${got[where]} vs ${ref[where]})` : ''}` : ''),
  );
  return a;
}

/** `agreement` that fails when an entry is off by more than its tolerance (or is NaN). */
export function assertAgree(
  what: string,
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  tol: (i: number) => number,
  floor?: number,
): Agreement {
  const a = agreement(what, got, ref, tol, floor);
  assert.ok(a.worstRatio! <= 1 && Number.isFinite(a.maxAbs), `${what}: webgpu vs wasm off by more than the tolerance (worst ratio ${a.worstRatio})`);
  return a;
}
