/**
 * Invariance: chains started at exact samples of the target must still be distributed as the target after k
 * steps (the kernel leaves pi invariant). n chains start at exact draws, run k = 20 steps with deliberately large
 * step sizes (where a missing or wrong Metropolis correction shows most), then
 *   - each coordinate is compared with n fresh exact draws by a two-sample Kolmogorov-Smirnov test (the chains are
 *     independent, so the n end points are n independent draws under the null): pass iff p > P_MIN = 1e-5;
 *   - on the correlated 3-d Gaussian, every entry of the sample covariance of the end points (3 variances and the
 *     3 off-diagonal covariances, which per-coordinate KS cannot see) is within z = 5 standard errors of the exact
 *     Sigma_jk, SE = sqrt((Sigma_jj Sigma_kk + Sigma_jk^2) / n) (the variance of a Gaussian product x_j x_k).
 * Cases: 7 kernels x 2 targets, among them HMC in a hard regime (20 leapfrog steps, a non-identity diagonal mass,
 * acceptance about 0.4, where a wrong momentum update at the end of the trajectory shows). False alarms:
 * 28 KS p-values at 1e-5 and 42 covariance entries at 5.7e-7 (normal tails): 3.0e-4 in all.
 * A control shows the test has power here: unadjusted Langevin (MALA's proposal, always accepted) at MALA's step
 * size is rejected.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key, normal, split, uniform } from '../../lib/core/random.js';
import { ksTwoSample } from '../../lib/metrics/ks.js';
import { hmc, imh, isir, mala, rwmh, velocityVerlet, type ChainState, type Kernel } from '../../lib/samplers/mcmc/index.js';
import { logDensityAndGrad } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';
import { column, correlatedGaussian, proposalFor, skewedMixture, type TestTarget } from '../unit/mcmc-fixtures.js';

before(() => useBackend('wasm'));

const N = 4000;
const K = 20;
const P_MIN = 1e-5;
const Z_COV = 5;
/** The hard HMC case's step on the 1-d mixture (acceptance about 0.4 there too). */
const HMC_HARD_STEP_1D = 0.68;

let targets: TestTarget[];
before(() => {
  targets = [correlatedGaussian(), skewedMixture()];
});
after(() => targets.forEach((t) => t.dispose()));

interface Case {
  name: string;
  /** Builds the kernel and its params; returns what to dispose afterwards. */
  make: (target: TestTarget) => { kernel: Kernel<ChainState, any>; params: Record<string, unknown>; owned: tf.Tensor[]; dispose?: () => void };
}

const CASES: Case[] = [
  { name: 'rwmh', make: (t) => ({ kernel: rwmh(t), params: { stepSize: 2 }, owned: [] }) },
  { name: 'mala', make: (t) => ({ kernel: mala(t), params: { stepSize: 0.5 }, owned: [] }) },
  {
    name: 'mala with per-chain step sizes',
    make: (t) => {
      const h = uniform(key(77), [N], 0.05, 0.8) as tf.Tensor1D;
      return { kernel: mala(t), params: { stepSize: h }, owned: [h] };
    },
  },
  {
    name: 'hmc (jittered, diagonal mass matrix)',
    make: (t) => {
      const inv = tf.tensor1d(t.dim === 3 ? [0.5, 1, 2] : [2]);
      return { kernel: hmc(t), params: { stepSize: 0.6, numIntegrationSteps: 5, jitter: 0.3, inverseMassMatrix: inv }, owned: [inv] };
    },
  },
  {
    // Acceptance about 0.4 on the Gaussian: the step size sits just below the stability edge of the mass-scaled
    // leapfrog (acceptance falls to 0 by h = 0.8), with 20 steps per trajectory.
    name: 'hmc (20 leapfrog steps, acceptance about 0.4, diagonal mass)',
    make: (t) => {
      const inv = tf.tensor1d(t.dim === 3 ? [0.5, 1, 2] : [2]);
      return { kernel: hmc(t), params: { stepSize: t.dim === 3 ? 0.735 : HMC_HARD_STEP_1D, numIntegrationSteps: 20, inverseMassMatrix: inv }, owned: [inv] };
    },
  },
  {
    name: 'imh',
    make: (t) => {
      const p = proposalFor(t);
      return { kernel: imh(t, p), params: {}, owned: [], dispose: () => p.dispose() };
    },
  },
  {
    name: 'isir',
    make: (t) => {
      const p = proposalFor(t);
      return { kernel: isir(t, p), params: { numParticles: 4 }, owned: [], dispose: () => p.dispose() };
    },
  },
];

/** Two-sample KS p-values per coordinate: the chains' end points against fresh exact draws. */
function pValues(target: TestTarget, end: tf.Tensor2D, seed: number): number[] {
  const fresh = target.sample(key(seed), N);
  const a = end.dataSync();
  const b = fresh.dataSync();
  fresh.dispose();
  return Array.from({ length: target.dim }, (_, j) => ksTwoSample(column(a, target.dim, j), column(b, target.dim, j)).pValue);
}

/** Every entry of the sample covariance of the rows of x within Z_COV standard errors of the exact one. */
function checkCovariance(what: string, x: tf.Tensor2D, exact: number[][]): void {
  const [n, d] = x.shape;
  const data = x.dataSync();
  const cols = Array.from({ length: d }, (_, j) => column(data, d, j));
  const means = cols.map((c) => c.reduce((s, v) => s + v, 0) / n);
  const failures: string[] = [];
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      let cov = 0;
      for (let i = 0; i < n; i++) cov += (cols[j][i] - means[j]) * (cols[k][i] - means[k]);
      cov /= n - 1;
      const se = Math.sqrt((exact[j][j] * exact[k][k] + exact[j][k] ** 2) / n);
      if (!(Math.abs(cov - exact[j][k]) < Z_COV * se)) failures.push(`cov[${j}][${k}] ${cov.toFixed(4)} vs ${exact[j][k]} (SE ${se.toFixed(4)})`);
    }
  }
  assert.deepEqual(failures, [], what);
}

for (const c of CASES) {
  describe(c.name, () => {
    for (const which of [0, 1]) {
      test(`exact draws stay exact after ${K} steps on ${which === 0 ? 'the correlated 3-d Gaussian' : 'the skewed 1-d mixture'}`, async () => {
        const target = targets[which];
        const { kernel, params, owned, dispose } = c.make(target);
        const [kStart, kRun] = split(key(31 + which), 2);
        const start = target.sample(kStart, N);
        let state = await kernel.init(start);
        start.dispose();
        let accepted = 0;
        for (let i = 0; i < K; i++) {
          let moved: tf.Tensor | null = null;
          state = advance(state, (s) => {
            const out = kernel.step(foldIn(kRun, i), s, params);
            moved = tf.keep(tf.mean(out.info.isAccepted));
            return out.state;
          });
          accepted += (moved as unknown as tf.Tensor).dataSync()[0] / K;
          (moved as unknown as tf.Tensor).dispose();
        }
        const p = pValues(target, state.position, 900 + which);
        console.log(`# ${c.name} on ${target.name}: accepted ${accepted.toFixed(3)}, KS p-values ${p.map((v) => v.toFixed(3)).join(', ')}`);
        assert.ok(accepted > 0.05, 'the chains must actually move for the test to mean anything');
        p.forEach((v, j) => assert.ok(v > P_MIN, `${c.name} on ${target.name}: coordinate ${j} KS p = ${v}`));
        if (target.covariance) checkCovariance(`${c.name} on ${target.name}`, state.position, target.covariance);
        tf.dispose([state, ...owned]);
        dispose?.();
      });
    }
  });
}

test('control: unadjusted Langevin at the MALA step size moves the distribution and is detected', () => {
  for (const [which, target] of targets.entries()) {
    const h = 0.5;
    let x = target.sample(key(41 + which), N);
    for (let i = 0; i < K; i++) {
      // One leapfrog step with p ~ N(0, I) and step sqrt(2h) is exactly MALA's proposal; accept it always.
      const next = tf.tidy(() => {
        const momentum = normal(foldIn(key(42), i), [N, target.dim]) as tf.Tensor2D;
        const end = velocityVerlet(target, { position: x, momentum, ...logDensityAndGrad(target, x) }, Math.sqrt(2 * h), 1);
        return end.position;
      });
      x.dispose();
      x = next;
    }
    const p = pValues(target, x, 900 + which);
    console.log(`# control (ULA) on ${target.name}: KS p-values ${p.map((v) => v.toExponential(2)).join(', ')}`);
    assert.ok(Math.min(...p) < P_MIN, `ULA must be detected on ${target.name}: p = ${p}`);
    x.dispose();
  }
});
