/**
 * Every MCMC kernel (rwmh, mala, hmc, imh, isir) on webgpu: the moment test of test/stats/mcmc-moments.test.ts at a
 * small size, and the same run on wasm from the same keys.
 *
 * Target: the correlated 3-d Gaussian of test/unit/mcmc-fixtures.ts (non-zero mean, unequal and correlated
 * covariance). C = 128 chains start from N(0, I), run a burn-in, then T recorded steps (sizes below: SwiftShader
 * spends about 65 us per row on each row reduction, so a step costs 10-250 ms there at 128 chains). Per chain c:
 * m_c = mean_t x_ct and v_c = mean_t (x_ct - mu)^2 (accumulated on the device in float32: T <= 150 terms, relative
 * rounding < 150 * 2^-24 = 1e-5, far below the standard errors), read back once at the end.
 *
 * 1. Truth: |estimate - exact| < z SE with z = 4 and SE = sd_c(m_c) / sqrt(C) (the chains are independent, so
 *    this is sd / sqrt(ESS) whatever the autocorrelation), for every coordinate, on webgpu (and on wasm).
 * 2. wasm: the random numbers do not depend on the backend (lib/core/random.ts), so both runs make the same
 *    proposals and differ only by float32 rounding, until a rounding flips an accept decision of one chain (log u
 *    within ~1e-6 of log alpha: rare) and that chain then goes its own way. Each estimate is within z SE of the
 *    truth, so |webgpu - wasm| < z sqrt(SE_gpu^2 + SE_wasm^2) is the Monte Carlo bound (conservative: the runs are
 *    positively correlated). Pathwise: a flip needs |log u - log alpha| below the rounding of log alpha (~1e-5 for
 *    log-densities of order 10); log u has density e^v <= 1, so each decision flips with probability <= 1e-5, and
 *    C x (burn-in + draws) <= 128 x 300 decisions flip about 0.4 times per run. A chain that never flipped stays
 *    within float32 rounding of its wasm twin (measured: < 1e-6), so at most C / 16 = 8 chains may end more than 1e-3
 *    apart (P(Poisson(0.4) > 8) < 1e-9); a webgpu kernel that is slightly wrong moves every chain.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key, normal, split } from '../../lib/core/random.js';
import { hmc, imh, isir, mala, rwmh, type ChainState, type Kernel } from '../../lib/samplers/mcmc/index.js';
import { correlatedGaussian, proposalFor, type TestTarget } from '../unit/mcmc-fixtures.js';
import { meanAndSe } from '../helpers/stats.js';
import { adapterLine, agreement, assertNoSyncReads, onWasm, useWebgpu } from '../helpers/webgpu.js';

const Z = 4;
const CHAINS = 128;

interface Case {
  name: string;
  make: (target: TestTarget) => { kernel: Kernel<ChainState, any>; dispose?: () => void };
  params: Record<string, unknown>;
  burnIn: number;
  draws: number;
}

const withProposal = (make: (t: TestTarget, p: ReturnType<typeof proposalFor>) => Kernel<ChainState, any>) => (t: TestTarget) => {
  const p = proposalFor(t);
  return { kernel: make(t, p), dispose: () => p.dispose() };
};

const CASES: Case[] = [
  { name: 'rwmh', make: (t) => ({ kernel: rwmh(t) }), params: { stepSize: 0.9 }, burnIn: 150, draws: 150 },
  { name: 'mala', make: (t) => ({ kernel: mala(t) }), params: { stepSize: 0.25 }, burnIn: 100, draws: 120 },
  { name: 'hmc', make: (t) => ({ kernel: hmc(t) }), params: { stepSize: 0.3, numIntegrationSteps: 6, jitter: 0.2 }, burnIn: 30, draws: 60 },
  { name: 'imh', make: withProposal((t, p) => imh(t, p)), params: {}, burnIn: 60, draws: 120 },
  { name: 'isir', make: withProposal((t, p) => isir(t, p)), params: { numParticles: 8 }, burnIn: 30, draws: 60 },
];

interface RunResult {
  /** per chain and coordinate: sum_t x and sum_t (x - mu)^2 over the recorded draws, [C * d] */
  sum: Float32Array;
  sumSqDev: Float32Array;
  final: Float32Array;
  acceptance: number;
  ms: number;
}

async function run(c: Case, seed: number): Promise<RunResult> {
  const target = correlatedGaussian();
  const { kernel, dispose } = c.make(target);
  const t0 = performance.now();
  try {
    const [kInit, kRun] = split(key(seed), 2);
    const start = normal(kInit, [CHAINS, target.dim]) as tf.Tensor2D;
    let state = await kernel.init(start);
    start.dispose();
    const mu = tf.tensor1d(target.mean);
    let acc = { sum: tf.zeros([CHAINS, target.dim]), sumSqDev: tf.zeros([CHAINS, target.dim]), acceptance: tf.scalar(0) };
    for (let i = 0; i < c.burnIn + c.draws; i++) {
      let accept: tf.Tensor | null = null;
      state = advance(state, (s) => {
        const out = kernel.step(foldIn(kRun, i), s, c.params);
        accept = tf.keep(tf.mean(out.info.acceptanceRate));
        return out.state;
      });
      if (i >= c.burnIn) {
        const x = state.position;
        acc = advance(acc, (a) => ({
          sum: tf.add(a.sum, x),
          sumSqDev: tf.add(a.sumSqDev, tf.square(tf.sub(x, mu))),
          acceptance: tf.add(a.acceptance, accept!),
        }));
      }
      (accept as unknown as tf.Tensor).dispose();
    }
    const [sum, sumSqDev, final, acceptance] = await Promise.all([acc.sum.data(), acc.sumSqDev.data(), state.position.data(), acc.acceptance.data()]);
    tf.dispose([acc.sum, acc.sumSqDev, acc.acceptance, mu, ...Object.values(state)]);
    return { sum: sum as Float32Array, sumSqDev: sumSqDev as Float32Array, final: final as Float32Array, acceptance: acceptance[0] / c.draws, ms: performance.now() - t0 };
  } finally {
    dispose?.();
    target.dispose();
  }
}

/** Mean and variance estimates of coordinate j with their standard errors (spread over chains). */
function summary(r: RunResult, draws: number, d: number, j: number) {
  const means = Float64Array.from({ length: CHAINS }, (_, c) => r.sum[c * d + j] / draws);
  const vars = Float64Array.from({ length: CHAINS }, (_, c) => r.sumSqDev[c * d + j] / draws);
  const [mean, meanSe] = meanAndSe(means);
  const [variance, varianceSe] = meanAndSe(vars);
  return { mean, meanSe, variance, varianceSe };
}

before(async () => {
  await useWebgpu();
  console.log(`# ${adapterLine()}`);
});
after(() => assertNoSyncReads());

for (const [n, c] of CASES.entries()) {
  test(`${c.name}: mean and variance within ${Z} MCSE of the correlated 3-d Gaussian on webgpu, and next to wasm`, async () => {
    const exact = correlatedGaussian();
    const { mean: mu, variance: sigma2, dim: d } = exact;
    exact.dispose();
    const wasm = await onWasm(() => run(c, 700 + n));
    const gpu = await run(c, 700 + n);
    const lines: string[] = [];
    const gpuStats: number[] = [];
    const wasmStats: number[] = [];
    for (let j = 0; j < d; j++) {
      const g = summary(gpu, c.draws, d, j);
      const w = summary(wasm, c.draws, d, j);
      gpuStats.push(g.mean, g.variance);
      wasmStats.push(w.mean, w.variance);
      const line =
        `x${j}: mean ${g.mean.toFixed(4)} (wasm ${w.mean.toFixed(4)}, exact ${mu[j]}, SE ${g.meanSe.toFixed(4)}), ` +
        `var ${g.variance.toFixed(4)} (wasm ${w.variance.toFixed(4)}, exact ${sigma2[j]}, SE ${g.varianceSe.toFixed(4)})`;
      lines.push(line);
      for (const [what, s] of [['webgpu', g], ['wasm', w]] as const) {
        assert.ok(Math.abs(s.mean - mu[j]) < Z * s.meanSe, `${c.name} on ${what}, mean: ${line}`);
        assert.ok(Math.abs(s.variance - sigma2[j]) < Z * s.varianceSe, `${c.name} on ${what}, variance: ${line}`);
      }
      assert.ok(Math.abs(g.mean - w.mean) < Z * Math.hypot(g.meanSe, w.meanSe), `${c.name} webgpu vs wasm mean: ${line}`);
      assert.ok(Math.abs(g.variance - w.variance) < Z * Math.hypot(g.varianceSe, w.varianceSe), `${c.name} webgpu vs wasm variance: ${line}`);
    }
    let diverged = 0;
    for (let i = 0; i < CHAINS; i++) {
      let dmax = 0;
      for (let j = 0; j < d; j++) dmax = Math.max(dmax, Math.abs(gpu.final[i * d + j] - wasm.final[i * d + j]));
      if (dmax > 1e-3) diverged++;
    }
    assert.ok(diverged <= CHAINS / 16, `${c.name}: ${diverged} of ${CHAINS} chains end more than 1e-3 away from their wasm twins`);
    agreement(`${c.name} mean and variance estimates`, gpuStats, wasmStats);
    agreement(`${c.name} final positions (${diverged} of ${CHAINS} chains differ by > 1e-3)`, gpu.final, wasm.final);
    console.log(
      `# ${c.name}: acceptance webgpu ${gpu.acceptance.toFixed(4)}, wasm ${wasm.acceptance.toFixed(4)}; ` +
        `${c.burnIn} + ${c.draws} steps: webgpu ${(gpu.ms / 1000).toFixed(1)} s, wasm ${(wasm.ms / 1000).toFixed(1)} s\n#   ${lines.join('\n#   ')}`,
    );
  });
}
