/**
 * `npx tsx bench/native-matmul-probe.ts [--skip-slow]`
 *
 * GFLOP/s of float32 matmuls on the wasm backend with its own kernels (XNNPACK; a scalar loop when a transpose
 * flag is set) and with the OpenBLAS kernels of lib/core/nativeMatMul.ts (threads: SAMPLING_LAB_BLAS_THREADS,
 * default 1). Method as bench/run.ts: 2 warm-up calls, then the median over 5 repetitions of `inner` calls,
 * each repetition synchronised by reading the last result. The same operands are reused across calls (XNNPACK
 * caches packed weights per B tensor, so this is its best case). The original transposed kernel runs at about
 * 0.4 GFLOP/s, i.e. about 5 s per 1024^3 call: it gets one repetition of one call (none with --skip-slow).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/core/backend.js';
import { enableNativeMatMul, disableNativeMatMul } from '../lib/core/nativeMatMul.js';
import { key, split, normal } from '../lib/core/random.js';

interface Case {
  name: string;
  M: number;
  K: number;
  N: number;
  transposeA: boolean;
  transposeB: boolean;
}

const CASES: Case[] = [
  { name: '1024^3 A.B', M: 1024, K: 1024, N: 1024, transposeA: false, transposeB: false },
  { name: '1024^3 At.B', M: 1024, K: 1024, N: 1024, transposeA: true, transposeB: false },
  { name: '1024^3 A.Bt', M: 1024, K: 1024, N: 1024, transposeA: false, transposeB: true },
  { name: 'MLP layer [1024,256].[256,256]', M: 1024, K: 256, N: 256, transposeA: false, transposeB: false },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Milliseconds per call, wall and process CPU time: medians over `reps` repetitions of `inner` calls each.
 * On a shared machine CPU time shows the kernel's own speed when the wall clock includes waiting for a core.
 */
async function timeCalls(c: Case, a: tf.Tensor, b: tf.Tensor, reps: number, inner: number, warmup: number): Promise<{ wall: number; cpu: number }> {
  const call = () => tf.matMul(a, b, c.transposeA, c.transposeB);
  for (let i = 0; i < warmup; i++) call().dispose();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let last: tf.Tensor | null = null;
    for (let i = 0; i < inner; i++) {
      last?.dispose();
      last = call();
    }
    await last?.data();
    last?.dispose();
    wall.push((performance.now() - t0) / inner);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / 1000 / inner);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

async function main(): Promise<void> {
  const skipSlow = process.argv.includes('--skip-slow');
  await initBackend({ force: 'wasm' });
  const status = enableNativeMatMul();
  console.log(`native: ${status.ok ? 'enabled' : 'NOT enabled'}: ${status.detail}`);
  if (!status.ok) process.exitCode = 1;
  for (const c of CASES) {
    const [ka, kb] = split(key(7), 2);
    const a = normal(ka, c.transposeA ? [c.K, c.M] : [c.M, c.K]);
    const b = normal(kb, c.transposeB ? [c.N, c.K] : [c.K, c.N]);
    const flop = 2 * c.M * c.N * c.K;
    // About 0.4 s per repetition at the expected speed.
    const innerFor = (gflops: number) => Math.max(1, Math.round(0.4 / (flop / (gflops * 1e9))));
    const row: Record<string, unknown> = { case: c.name };
    if (status.ok) {
      const t = await timeCalls(c, a, b, 5, innerFor(80), 2);
      row.native_ms = +t.wall.toFixed(2);
      row.native_gflops = +(flop / t.wall / 1e6).toFixed(1);
      row.native_gflops_cpu_time = +(flop / t.cpu / 1e6).toFixed(1);
      disableNativeMatMul();
    }
    const slow = c.transposeA || c.transposeB;
    if (!(slow && skipSlow)) {
      const t = slow ? await timeCalls(c, a, b, 1, 1, 0) : await timeCalls(c, a, b, 5, innerFor(13), 2);
      row.wasm_ms = +t.wall.toFixed(2);
      row.wasm_gflops = +(flop / t.wall / 1e6).toFixed(2);
      row.wasm_gflops_cpu_time = +(flop / t.cpu / 1e6).toFixed(2);
      if (slow) row.wasm_note = 'one call (scalar loop)';
    }
    if (status.ok) {
      enableNativeMatMul();
      if (row.wasm_ms != null) row.speedup = +((row.wasm_ms as number) / (row.native_ms as number)).toFixed(1);
    }
    console.log(JSON.stringify(row));
    tf.dispose([a, b]);
  }
}

await main();
