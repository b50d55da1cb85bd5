/**
 * Every kernel (rwmh, mala, hmc, imh, isir) recovers the mean and the variance of two asymmetric targets: a 3-d
 * Gaussian with non-zero mean and unequal, correlated covariance, and the skewed 1-d mixture
 * 0.7 N(-1, 0.5^2) + 0.3 N(2, 1). C independent chains start from N(0, I) (not the target), run a burn-in, then
 * T recorded steps. Per chain c: m_c = mean_t x_ct and v_c = mean_t (x_ct - mu)^2 (mu exact). The chains are
 * independent, so the Monte Carlo standard error of mean_c m_c is sd_c(m_c) / sqrt(C) whatever the
 * autocorrelation inside a chain (it is sd / sqrt(ESS) with the ESS implied by the chains); same for v_c.
 * Same for the off-diagonal covariances of the 3-d Gaussian (per chain: mean_t (x_ctj - mu_j)(x_ctk - mu_k)), which
 * per-coordinate checks cannot see. Pass iff |estimate - truth| < z * SE with z = 4.5, for every coordinate and
 * pair (55 checks, C = 1000 chains: normal tails, 6.8e-6 each, 3.7e-4 in all; test/README.md).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key, normal, split } from '../../lib/core/random.js';
import { hmc, imh, isir, mala, rwmh, type ChainState, type Kernel } from '../../lib/samplers/mcmc/index.js';
import { useBackend } from '../helpers/backends.js';
import { meanAndSe } from '../helpers/stats.js';
import { ChainMoments, correlatedGaussian, proposalFor, skewedMixture, type TestTarget } from '../unit/mcmc-fixtures.js';

before(() => useBackend('wasm'));

const Z = 4.5;
const CHAINS = 1000;

interface Case {
  name: string;
  make: (target: TestTarget) => { kernel: Kernel<ChainState, any>; dispose?: () => void };
  /** Params per target dimension (3: the Gaussian, 1: the mixture). */
  params: (dim: number) => Record<string, unknown>;
  burnIn: number;
  draws: number;
}

const CASES: Case[] = [
  { name: 'rwmh', make: (t) => ({ kernel: rwmh(t) }), params: (d) => ({ stepSize: d === 3 ? 0.9 : 1.5 }), burnIn: 300, draws: 400 },
  { name: 'mala', make: (t) => ({ kernel: mala(t) }), params: (d) => ({ stepSize: d === 3 ? 0.25 : 0.3 }), burnIn: 300, draws: 400 },
  {
    name: 'hmc',
    make: (t) => ({ kernel: hmc(t) }),
    params: () => ({ stepSize: 0.3, numIntegrationSteps: 6, jitter: 0.2 }),
    burnIn: 100,
    draws: 150,
  },
  {
    name: 'imh',
    make: (t) => {
      const p = proposalFor(t);
      return { kernel: imh(t, p), dispose: () => p.dispose() };
    },
    params: () => ({}),
    burnIn: 200,
    draws: 400,
  },
  {
    name: 'isir',
    make: (t) => {
      const p = proposalFor(t);
      return { kernel: isir(t, p), dispose: () => p.dispose() };
    },
    params: () => ({ numParticles: 8 }),
    burnIn: 100,
    draws: 200,
  },
];

const PAIRS: [number, number][] = [[0, 1], [0, 2], [1, 2]];

/** Per-chain means of (x_j - mu_j)(x_k - mu_k) for PAIRS (mu exact); the estimate and its SE over chains. */
class ChainCrossMoments {
  private readonly sums: Float64Array;
  private draws = 0;
  constructor(private readonly numChains: number, private readonly exactMean: number[]) {
    this.sums = new Float64Array(numChains * PAIRS.length);
  }
  record(position: tf.Tensor2D): void {
    if (this.exactMean.length < 3) return;
    const x = position.dataSync();
    const d = this.exactMean.length;
    for (let c = 0; c < this.numChains; c++) {
      PAIRS.forEach(([j, k], p) => {
        this.sums[c * PAIRS.length + p] += (x[c * d + j] - this.exactMean[j]) * (x[c * d + k] - this.exactMean[k]);
      });
    }
    this.draws++;
  }
  estimate(j: number, k: number): [number, number] {
    const p = PAIRS.findIndex(([a, b]) => a === j && b === k);
    return meanAndSe(Array.from({ length: this.numChains }, (_, c) => this.sums[c * PAIRS.length + p] / this.draws));
  }
}

let targets: TestTarget[];
before(() => {
  targets = [correlatedGaussian(), skewedMixture()];
});
after(() => targets.forEach((t) => t.dispose()));

for (const c of CASES) {
  describe(c.name, () => {
    for (const which of [0, 1]) {
      test(`mean and variance within ${Z} MCSE on ${which === 0 ? 'the correlated 3-d Gaussian' : 'the skewed 1-d mixture'}`, async () => {
        const target = targets[which];
        const { kernel, dispose } = c.make(target);
        const params = c.params(target.dim);
        const [kInit, kRun] = split(key(2024 + which), 2);
        const start = normal(kInit, [CHAINS, target.dim]) as tf.Tensor2D;
        let state = await kernel.init(start);
        start.dispose();
        const moments = new ChainMoments(CHAINS, target.mean);
        const cross = new ChainCrossMoments(CHAINS, target.mean);
        let acceptance = 0;
        for (let i = 0; i < c.burnIn + c.draws; i++) {
          let info: tf.Tensor | null = null;
          state = advance(state, (s) => {
            const out = kernel.step(foldIn(kRun, i), s, params);
            info = tf.keep(tf.mean(out.info.acceptanceRate));
            return out.state;
          });
          if (i >= c.burnIn) {
            moments.record(state.position);
            cross.record(state.position);
            acceptance += (info as unknown as tf.Tensor).dataSync()[0] / c.draws;
          }
          (info as unknown as tf.Tensor).dispose();
        }
        tf.dispose(state);
        dispose?.();
        const lines: string[] = [];
        for (let j = 0; j < target.dim; j++) {
          const s = moments.summary(j);
          const zMean = (s.mean - target.mean[j]) / s.meanSe;
          const zVar = (s.variance - target.variance[j]) / s.varianceSe;
          lines.push(
            `x${j}: mean ${s.mean.toFixed(4)} (exact ${target.mean[j]}, SE ${s.meanSe.toFixed(4)}, z ${zMean.toFixed(2)}), ` +
              `var ${s.variance.toFixed(4)} (exact ${target.variance[j].toFixed(4)}, SE ${s.varianceSe.toFixed(4)}, z ${zVar.toFixed(2)})`,
          );
          assert.ok(Math.abs(zMean) < Z, `${c.name} ${target.name} ${lines[j]}`);
          assert.ok(Math.abs(zVar) < Z, `${c.name} ${target.name} ${lines[j]}`);
        }
        if (target.covariance) {
          for (const [j, k] of PAIRS) {
            const [cov, se] = cross.estimate(j, k);
            const exact = target.covariance[j][k];
            const line = `cov(x${j}, x${k}) ${cov.toFixed(4)} (exact ${exact}, SE ${se.toFixed(4)}, z ${((cov - exact) / se).toFixed(2)})`;
            lines.push(line);
            assert.ok(Math.abs(cov - exact) < Z * se, `${c.name} ${target.name} ${line}`);
          }
        }
        console.log(`# ${c.name} on ${target.name}: mean acceptance ${acceptance.toFixed(3)}\n#   ${lines.join('\n#   ')}`);
      });
    }
  });
}
