/**
 * SMC log Z on webgpu (test/stats/smc-logz.test.ts at a small size): the 3-component 2-D Gaussian mixture with
 * unequal weights 5, 3, 2 and unequal covariances (log Z = log 10), reference N(0, 9 I), MALA moves with the
 * step size adapted to 0.574 acceptance, adaptive temperatures (conditional ESS 0.8 N), resampling at ESS < N / 2.
 * N = 256 particles, R = 4 runs from keys foldIn(key(200), r), on webgpu and on wasm.
 *
 * Checked on the log scale:
 * 1. Truth: each log Ẑ_r is log Z plus Monte Carlo noise of sd s (the spread of log Ẑ over runs, pooled over both
 *    backends: 2R - 2 degrees of freedom) and a bias of order -s^2 / 2 (Jensen: Ẑ is unbiased, log Ẑ is not). The mean
 *    of the R webgpu estimates must be within z s / sqrt(R) + s^2 / 2 of log Z, z = 4.
 * 2. wasm: the random numbers do not depend on the backend (lib/core/random.ts), so run r makes the same moves on
 *    both backends up to float32 rounding, until rounding flips an accept or a resampling decision; then the two
 *    runs are as good as independent draws of log Ẑ, whose difference has sd s sqrt(2). Bound: |log Ẑ_gpu,r -
 *    log Ẑ_wasm,r| < z s sqrt(2) for every r. Pathwise: a run makes about 256 x 5 levels x 4 steps = 5000 accept
 *    decisions, each flipped by rounding with probability <= 1e-5 (test/webgpu/mcmc-moments.test.ts), and N
 *    resampling comparisons of float64 cumulative weights; so a run flips with probability < 0.06, and at least half
 *    of the runs must agree to 1e-4 (P(3 or 4 of 4 runs flip) < 1e-3): float32 rounding alone moves log Ẑ by ~1e-6.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { foldIn, key } from '../../lib/core/random.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import { gaussian } from '../../lib/targets/gaussian.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { smc } from '../../lib/samplers/smc/smc.js';
import { adapterLine, agreement, assertNoSyncReads, onWasm, useWebgpu } from '../helpers/webgpu.js';

const Z = 4;
const RUNS = 4;
const NUM_PARTICLES = 256;
const LOG_Z = Math.log(10);

before(async () => {
  await useWebgpu();
  console.log(`# ${adapterLine()}`);
});
after(() => assertNoSyncReads());

async function runs(): Promise<{ logZ: number[]; levels: number[]; ms: number }> {
  const target = gaussianMixture({ weights: [5, 3, 2], means: [[-3, 0], [2, 2], [2, -3]], covariances: [0.5, [0.3, 0.8], 0.4] });
  const reference = gaussian([0, 0], 9);
  const t0 = performance.now();
  const logZ: number[] = [];
  const levels: number[] = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      const result = await smc(foldIn(key(200), r), {
        reference,
        target,
        kernel: (t) => mala(t),
        params: { stepSize: 0.3 },
        numParticles: NUM_PARTICLES,
        numMcmcSteps: 4,
        adaptStepSize: { targetAcceptance: 0.574 },
        schedule: 'adaptive',
        essFraction: 0.8,
        resampleThreshold: 0.5,
      });
      result.particles.dispose();
      logZ.push(result.logZ);
      levels.push(result.levels.length);
    }
  } finally {
    target.dispose();
    reference.dispose();
  }
  return { logZ, levels, ms: performance.now() - t0 };
}

function pooledSd(groups: number[][]): number {
  let ss = 0;
  let dof = 0;
  for (const g of groups) {
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    ss += g.reduce((a, b) => a + (b - m) ** 2, 0);
    dof += g.length - 1;
  }
  return Math.sqrt(ss / dof);
}

test(`adaptive SMC with MALA: log Z of a 3-mode 2-D mixture (exact log 10) on webgpu, run by run next to wasm`, async () => {
  const wasm = await onWasm(runs);
  const gpu = await runs();
  assert.ok(gpu.logZ.every(Number.isFinite), `non-finite log Z on webgpu: ${gpu.logZ}`);
  const s = pooledSd([gpu.logZ, wasm.logZ]);
  const mean = gpu.logZ.reduce((a, b) => a + b, 0) / RUNS;
  const detail =
    `log Z webgpu ${gpu.logZ.map((v) => v.toFixed(4)).join(', ')}; wasm ${wasm.logZ.map((v) => v.toFixed(4)).join(', ')}; ` +
    `exact ${LOG_Z.toFixed(4)}; sd of log Ẑ ${s.toFixed(4)}; levels webgpu ${gpu.levels.join(', ')}, wasm ${wasm.levels.join(', ')}; ` +
    `${RUNS} runs: webgpu ${(gpu.ms / 1000).toFixed(1)} s, wasm ${(wasm.ms / 1000).toFixed(1)} s`;
  console.log(`# ${detail}`);
  assert.ok(s > 0, `${detail}: the runs are not independent`);
  assert.ok(Math.abs(mean - LOG_Z) < (Z * s) / Math.sqrt(RUNS) + (s * s) / 2, `mean log Ẑ on webgpu ${mean.toFixed(4)}: ${detail}`);
  const a = agreement('SMC log Z, run by run', gpu.logZ, wasm.logZ, () => Z * s * Math.SQRT2);
  assert.ok(a.worstRatio! <= 1, `webgpu vs wasm log Z: ${detail}`);
  const same = gpu.logZ.filter((v, r) => Math.abs(v - wasm.logZ[r]) < 1e-4).length;
  assert.ok(same >= RUNS / 2, `only ${same} of ${RUNS} runs agree with wasm to 1e-4: ${detail}`);
});
