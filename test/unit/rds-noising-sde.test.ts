/**
 * lib/samplers/diffusion/rds/{noisingSde,rdsTimeGrid,generativeSteps,referenceMarginal}.ts: the RDS noising SDEs
 * (spec slips-lrds-amcbg.md section 2.2). s(t) and sigmaBar^2(t) against float64 Simpson quadrature of f and
 * g^2 / s^2 written here; the marginal std and the transitions (composing two equals one; the transition from 0 is
 * the marginal); log-SNR; the EI coefficients against the EM ones as the step shrinks (first order); the grids
 * (uniform; log-SNR equally spaced, and for PBM against the closed-form inverse); the references' scores against
 * autodiff of the noised law's log-density; bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import { pinnedBrownianSde, vpSde, type NoisingSde } from '../../lib/samplers/diffusion/rds/noisingSde.js';
import { rdsTimeGrid } from '../../lib/samplers/diffusion/rds/rdsTimeGrid.js';
import { eulerMaruyamaStep, generativeSteps } from '../../lib/samplers/diffusion/rds/generativeSteps.js';
import { defaultReference, energyReference, mixtureReference, noisedMarginal } from '../../lib/samplers/diffusion/rds/referenceMarginal.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

/** Composite Simpson rule of h on [a, b] with m (even) intervals, float64. */
function simpson(h: (u: number) => number, a: number, b: number, m = 2000): number {
  const dx = (b - a) / m;
  let sum = h(a) + h(b);
  for (let i = 1; i < m; i++) sum += (i % 2 === 1 ? 4 : 2) * h(a + i * dx);
  return (sum * dx) / 3;
}

const relClose = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.abs(expected), `${what}: ${actual} vs ${expected} (rel tol ${tol})`);

const SDES: [string, NoisingSde, number[]][] = [
  ['vp', vpSde({ betaMin: 0.1, betaMax: 10, scale: 1.3 }), [0.05, 0.3, 0.7, 1]],
  ['pbm', pinnedBrownianSde({ horizon: 5, scale: Math.sqrt(0.2) }), [0.1, 1, 2.5, 4]],
];

for (const [name, sde, times] of SDES) {
  describe(`${name} noising SDE`, () => {
    test('s(t) = exp(int f) and sigmaBar^2(t) = int g^2 / s^2 (Simpson quadrature)', () => {
      for (const t of times) {
        const s = Math.exp(simpson((u) => sde.drift(u), 0, t));
        relClose(sde.signalScale(t), s, 1e-9, `s(${t})`);
        // s(u) inside the integrand from the quadrature of f too, so the check does not use signalScale.
        const sigmaBar2 = simpson((u) => sde.diffusionSquared(u) / Math.exp(2 * simpson((v) => sde.drift(v), 0, u, 200)), 0, t, 400);
        relClose(sde.sigmaBarSquared(t), sigmaBar2, 1e-7, `sigmaBar^2(${t})`);
        relClose(sde.noiseStd(t) ** 2, s * s * sigmaBar2, 1e-7, `noise variance at ${t}`);
        assert.ok(Math.abs(sde.logSnr(t) + Math.log(sigmaBar2)) < 1e-7, `logSnr(${t}) = ${sde.logSnr(t)} vs ${-Math.log(sigmaBar2)}`);
      }
    });

    test('transitions compose, and the transition from 0 is the marginal', () => {
      const [a, b, c] = [times[0], times[1], times[2]];
      const ab = sde.transition(a, b);
      const bc = sde.transition(b, c);
      const ac = sde.transition(a, c);
      relClose(ab.scale * bc.scale, ac.scale, 1e-12, 'scale');
      relClose(bc.scale ** 2 * ab.std ** 2 + bc.std ** 2, ac.std ** 2, 1e-12, 'variance');
      const zero = sde.transition(0, c);
      relClose(zero.scale, sde.signalScale(c), 1e-12, 'scale from 0');
      relClose(zero.std, sde.noiseStd(c), 1e-12, 'std from 0');
    });

    test('the EI step agrees with the EM step to first order as the step shrinks', () => {
      const from = times[2];
      const errors = [1e-2, 1e-3].map((h) => {
        const ei = sde.exponentialIntegratorStep(from, from - h);
        const em = eulerMaruyamaStep(sde, from, from - h);
        return Math.max(
          Math.abs(ei.scale - em.scale) / Math.abs(em.scale - 1),
          Math.abs(ei.forcing - em.forcing) / em.forcing,
          Math.abs(ei.noiseStd ** 2 - em.noiseStd ** 2) / em.noiseStd ** 2,
        );
      });
      assert.ok(errors[0] < 0.1, `relative EI-EM difference at h = 1e-2: ${errors[0]}`);
      assert.ok(errors[1] < errors[0] / 5, `first order: ${errors[1]} at h = 1e-3 vs ${errors[0]} at h = 1e-2`);
    });

    test('grids: uniform, and equally spaced in log-SNR (bisection)', () => {
      const uniform = rdsTimeGrid(sde, 10);
      assert.equal(uniform.length, 11);
      assert.equal(uniform[0], sde.defaultTimeRange.tStart);
      assert.equal(uniform[10], sde.defaultTimeRange.tEnd);
      relClose(uniform[3] - uniform[2], (uniform[10] - uniform[0]) / 10, 1e-12, 'uniform spacing');
      const grid = rdsTimeGrid(sde, 20, { spacing: 'logSnr' });
      assert.equal(grid[0], 1e-4);
      relClose(grid[20], sde.horizon - 1e-4, 1e-15, 'end');
      const first = sde.logSnr(grid[0]);
      const step = (sde.logSnr(grid[20]) - first) / 20;
      for (let k = 1; k < 20; k++) assert.ok(Math.abs(sde.logSnr(grid[k]) - (first + k * step)) < 1e-9, `log-SNR at step ${k}`);
      if (sde.kind === 'pbm') {
        // closed form: sigmaBar^2 = sigma^2 T t / (T - t)  =>  t = T sigmaBar^2 / (sigma^2 T + sigmaBar^2)
        const T = sde.horizon;
        const s2 = sde.scale ** 2;
        for (let k = 1; k < 20; k++) {
          const v = Math.exp(-(first + k * step));
          relClose(grid[k], (T * v) / (s2 * T + v), 1e-10, `closed-form inverse at step ${k}`);
        }
      }
    });

    test('generative steps run the grid backwards with omega = (forcing / noiseStd)^2', () => {
      const grid = rdsTimeGrid(sde, 4);
      const steps = generativeSteps(sde, grid, 'ei');
      assert.deepEqual(steps.map((s) => s.from), [grid[4], grid[3], grid[2], grid[1]]);
      if (sde.kind === 'vp') {
        // spec 2.2: omega_k = 4 sigma^2 tanh(dA_k / 4), with dA = -2 log(s(from) / s(to))
        const s = steps[1];
        const dA = -2 * Math.log(sde.signalScale(s.from) / sde.signalScale(s.to));
        relClose(s.omega, 4 * sde.scale ** 2 * Math.tanh(dA / 4), 1e-10, 'VP omega');
      } else {
        const T = sde.horizon;
        const s = steps[1];
        const [r, r1] = [T - s.from, T - s.to];
        relClose(s.omega, sde.scale ** 2 * (r / r1) * (r1 - r), 1e-10, 'PBM omega');
      }
    });
  });
}

describe('references', () => {
  const sde = vpSde({ scale: 1.3 });
  const mixture = gaussianMixture({ weights: [0.7, 0.3], means: [[-1, 0.5], [1.5, -0.5]], covariances: [0.2, [0.4, 0.1]] });

  test('the GMM reference score is the gradient of log p_t^ref = the law of s X + s sigmaBar Z', () => {
    const ref = mixtureReference(sde, mixture);
    assert.equal(ref.kind, 'gmm');
    const y = normal(key(3), [16, 2]) as tf.Tensor2D;
    for (const t of [0.01, 0.4, 1]) {
      const law = noisedMarginal(sde, mixture, t);
      assert.equal(law.a, sde.signalScale(t));
      const auto = tf.grad((x: tf.Tensor) => tf.sum(law.logDensity(x as tf.Tensor2D)))(y);
      const score = ref.score(t, y);
      assert.ok(tf.max(tf.abs(tf.sub(auto, score))).dataSync()[0] < 1e-4, `score at t = ${t}`);
      tf.dispose([auto, score]);
      law.dispose();
    }
    y.dispose();
  });

  test('the default references are N(0, sigma^2 I) (VP, DDS) and N(0, T sigma^2 I) (PBM, PIS)', () => {
    assert.equal(defaultReference(sde, 3).mixture!.variance[1], 1.3 ** 2);
    const pbm = pinnedBrownianSde();
    assert.ok(Math.abs(defaultReference(pbm, 3).mixture!.variance[0] - 5 * 0.2) < 1e-12);
  });

  test('an energy reference scores by -grad E', () => {
    // E(t, x) = |x|^2 / (2 v(t)): score -x / v(t)
    const v = (t: number) => 1 + t;
    const ref = energyReference((t, x) => tf.div(tf.sum(tf.square(x), 1), 2 * v(t)) as tf.Tensor1D, 2);
    const y = tf.tensor2d([[1, -2], [0.5, 3]]);
    const diff = tf.max(tf.abs(tf.add(ref.score(0.5, y), tf.div(y, v(0.5))))).dataSync()[0];
    assert.ok(diff < 1e-6, `energy score error ${diff}`);
    y.dispose();
  });

  test('bad inputs name the option', () => {
    assert.throws(() => vpSde({ betaMax: -1 }), /option "betaMax"/);
    assert.throws(() => pinnedBrownianSde({ scale: 0 }), /option "scale"/);
    assert.throws(() => generativeSteps(sde, [0, 0.5, 1], 'rk4' as never), /option "scheme"/);
    assert.throws(() => generativeSteps(sde, [0, 0.5, 0.4], 'em'), /option "grid"/);
    assert.throws(() => pinnedBrownianSde().exponentialIntegratorStep(5, 4), /option "from"/);
    assert.throws(() => rdsTimeGrid(sde, 0), /option "numSteps"/);
  });
});
