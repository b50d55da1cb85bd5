/**
 * lib/diffusion/probabilityFlow.ts with the perfect model of a Gaussian (one-component mixture, full covariance)
 * and of an asymmetric 2-D mixture: the PF-ODE log-density against the exact one, with an error that shrinks at
 * the method's order as the steps double (RK4 ~ h^4, Heun ~ h^2); the autodiff divergence path (a model without
 * a closed-form divergence, and the learned score / energy networks) against the closed form; Hutchinson's estimate against the exact divergence in
 * expectation (4 standard errors of the single-probe estimates); 'auto' switching; forward then backward returns
 * the start; determinism; a flat tensor count; bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal } from '../../lib/core/random.js';
import { gaussianMixture } from '../../lib/targets/mixture.js';
import type { DiffusionModel } from '../../lib/diffusion/diffusionModel.js';
import { perfectModel } from '../../lib/diffusion/forwardNoising.js';
import { energyNetwork, scoreNetwork } from '../../lib/diffusion/scoreModels.js';
import {
  exactDivergence,
  hutchinsonDivergence,
  integrateProbabilityFlow,
  probabilityFlowLogDensity,
  probabilityFlowVelocity,
  rademacherProbes,
  type FlowLogDensityResult,
} from '../../lib/diffusion/probabilityFlow.js';
import { vpSchedule } from '../../lib/diffusion/vpSchedule.js';
import { veSchedule } from '../../lib/diffusion/veSchedule.js';
import { useBackend } from '../helpers/backends.js';

const Z = 4;
const gaussian2d = () => gaussianMixture({ weights: [1], means: [[1, -0.5]], covariances: [[[0.5, 0.2], [0.2, 0.3]]] });
const mixture2d = () => gaussianMixture({ weights: [0.7, 0.3], means: [[-1.5, 0.5], [1.5, -1]], covariances: [0.2, [0.4, 0.1]] });

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function disposeResult(r: FlowLogDensityResult): void {
  tf.dispose([r.logDensity, r.endpoint, r.terminalLogDensity, r.divergenceIntegral]);
}

/** Only what the ODE needs: no closed-form divergence, so the exact path takes d backprop passes. */
function scoreOnly(model: DiffusionModel): DiffusionModel {
  return { dim: model.dim, schedule: model.schedule, score: (x, t) => model.score(x, t) };
}

describe('probability-flow ODE', () => {
  before(() => useBackend('wasm'));

  test('log-density of a Gaussian equals the exact one; the error shrinks at order 4 (RK4) and 2 (Heun)', () => {
    // VE (sigma from 0.01 to 10) moves further per step: it starts its doubling one level later
    for (const [schedule, rk4Steps, heunSteps] of [
      [vpSchedule(), [8, 16, 32], [16, 32, 64]],
      [veSchedule({ sigmaMax: 10 }), [16, 32, 64], [32, 64, 128]],
    ] as const) {
      const g = gaussian2d();
      const model = perfectModel(g, schedule);
      const x = normal(key(1), [32, 2]) as tf.Tensor2D;
      const from = 0;
      const exact = model.logDensity(x, from).dataSync();
      const errorWith = (numSteps: number, method: 'rk4' | 'heun') => {
        const r = probabilityFlowLogDensity(model, key(2), x, { numSteps, method, from, terminalLogDensity: (xT) => model.logDensity(xT, schedule.horizon) });
        const err = maxAbsDiff(r.logDensity.dataSync(), exact);
        // logDensity = terminal + integral, and the endpoint is x_T
        assert.ok(maxAbsDiff(r.logDensity.dataSync(), tf.tidy(() => tf.add(r.terminalLogDensity, r.divergenceIntegral)).dataSync()) < 1e-5);
        disposeResult(r);
        return err;
      };
      const rk4 = rk4Steps.map((n) => errorWith(n, 'rk4'));
      const heun = heunSteps.map((n) => errorWith(n, 'heun'));
      const name = `${schedule.kind}: RK4 errors ${rk4.map((e) => e.toExponential(2))}, Heun ${heun.map((e) => e.toExponential(2))}`;
      // order p: halving h divides the error by about 2^p; asked: > 2^p / 2 (float32 rounding is ~1e-5 here)
      assert.ok(rk4[0] / rk4[1] > 8 && rk4[1] / rk4[2] > 8, `RK4 convergence, ${name}`);
      assert.ok(heun[0] / heun[1] > 3 && heun[1] / heun[2] > 3, `Heun convergence, ${name}`);
      assert.ok(rk4[2] < 1e-3, `RK4 with ${rk4Steps[2]} steps within 1e-3 nats, ${name}`);
      x.dispose();
      model.dispose();
      g.dispose();
    }
  });

  test('with the default terminal density N(0, priorStd^2 I) the error is the terminal mismatch log p_T - log N(0, I) (VP: a(T) ~ 6e-3)', () => {
    const g = gaussian2d();
    const model = perfectModel(g, vpSchedule());
    const x = normal(key(3), [16, 2]) as tf.Tensor2D;
    const r = probabilityFlowLogDensity(model, key(4), x, { numSteps: 32 });
    const exactTerminal = model.logDensity(r.endpoint, 1).dataSync();
    const mismatch = maxAbsDiff(r.terminalLogDensity.dataSync(), exactTerminal);
    const error = maxAbsDiff(r.logDensity.dataSync(), g.logDensity(x).dataSync());
    assert.ok(mismatch > 0 && mismatch < 0.05, `mismatch ${mismatch}`);
    assert.ok(error < mismatch + 1e-3, `error ${error} vs terminal mismatch ${mismatch}`);
    disposeResult(r);
    x.dispose();
    model.dispose();
    g.dispose();
  });

  test('the autodiff divergence (d backprop passes) gives the closed-form result; velocity = f x - g^2/2 score', () => {
    const mixture = mixture2d();
    const schedule = vpSchedule();
    const model = perfectModel(mixture, schedule);
    const x = normal(key(5), [16, 2]) as tf.Tensor2D;
    const a = probabilityFlowLogDensity(model, key(6), x, { numSteps: 16, from: 0.01 });
    const b = probabilityFlowLogDensity(scoreOnly(model), key(6), x, { numSteps: 16, from: 0.01, divergence: 'exact' });
    assert.ok(maxAbsDiff(a.logDensity.dataSync(), b.logDensity.dataSync()) < 1e-3);
    const t = 0.3;
    const v = probabilityFlowVelocity(model, x, t);
    const score = model.score(x, t);
    const expected = tf.tidy(() => tf.sub(tf.mul(x, schedule.drift(t)), tf.mul(score, 0.5 * schedule.diffusionSquared(t))));
    assert.ok(maxAbsDiff(v.dataSync(), expected.dataSync()) < 1e-5);
    [a, b].forEach(disposeResult);
    tf.dispose([x, v, score, expected]);
    model.dispose();
    mixture.dispose();
  });

  test('learned networks (score and energy: divergence by autodiff, second order for the energy) with a zero last layer give the Gaussian log-density', () => {
    const schedule = vpSchedule();
    const dataStd = 0.8;
    const g = gaussianMixture({ weights: [1], means: [[0, 0]], covariances: [dataStd * dataStd] });
    const perfect = perfectModel(g, schedule);
    const x = normal(key(12), [8, 2]) as tf.Tensor2D;
    const options = { from: 0.01, numSteps: 16, terminalLogDensity: (xT: tf.Tensor2D) => perfect.logDensity(xT, 1) };
    const reference = probabilityFlowLogDensity(perfect, key(13), x, options);
    for (const make of [scoreNetwork, energyNetwork]) {
      const net = make(key(14), schedule, 2, { dataStd, finalInitScale: 0 });
      const r = probabilityFlowLogDensity(net, key(13), x, options);
      assert.ok(maxAbsDiff(r.logDensity.dataSync(), reference.logDensity.dataSync()) < 1e-3, net.kind);
      disposeResult(r);
      net.dispose();
    }
    disposeResult(reference);
    x.dispose();
    perfect.dispose();
    g.dispose();
  });

  test("Hutchinson's divergence is unbiased: mean of 2000 single-probe estimates = exact, within 4 SE", () => {
    const mixture = mixture2d();
    const model = perfectModel(mixture, vpSchedule());
    const points = tf.tensor2d([[-1.2, 0.4], [0.3, -0.2], [1.4, -1.1]]);
    const R = 2000;
    const x = tf.tile(points, [R, 1]) as tf.Tensor2D; // row r * 3 + i is point i
    const t = 0.15;
    const field = (xi: tf.Tensor2D) => model.score(xi, t);
    const probes = rademacherProbes(key(7), 1, 3 * R, 2);
    const estimates = hutchinsonDivergence(field, x, probes).dataSync();
    const exact = exactDivergence(field, points).dataSync();
    const closedForm = model.scoreDivergence(points, t).dataSync();
    assert.ok(maxAbsDiff(exact, closedForm) < 1e-3 * (1 + Math.max(...Array.from(closedForm, Math.abs))));
    for (let i = 0; i < 3; i++) {
      const values = Array.from({ length: R }, (_, r) => estimates[r * 3 + i]);
      const mean = values.reduce((s, v) => s + v, 0) / R;
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (R - 1));
      assert.ok(sd > 0, 'the estimates vary (Rademacher probes on a non-diagonal Jacobian)');
      assert.ok(Math.abs(mean - exact[i]) < (Z * sd) / Math.sqrt(R), `point ${i}: ${mean} vs ${exact[i]} (sd ${sd})`);
    }
    tf.dispose([points, x, probes]);
    model.dispose();
    mixture.dispose();
  });

  test("'auto' is exact (key-independent) for d <= exactMaxDim and Hutchinson above; same key -> same output", () => {
    const mixture = mixture2d();
    const model = perfectModel(mixture, vpSchedule());
    const x = normal(key(8), [8, 2]) as tf.Tensor2D;
    const run = (seed: number, exactMaxDim?: number) => {
      const r = probabilityFlowLogDensity(model, key(seed), x, { numSteps: 8, from: 0.05, exactMaxDim });
      const out = Array.from(r.logDensity.dataSync());
      disposeResult(r);
      return out;
    };
    assert.deepEqual(run(1), run(2), 'exact: no randomness');
    assert.deepEqual(run(1, 1), run(1, 1), 'Hutchinson: same key, same output');
    assert.notDeepEqual(run(1, 1), run(2, 1), 'Hutchinson: the key matters');
    x.dispose();
    model.dispose();
    mixture.dispose();
  });

  test('forward then backward integration returns the start; the log-SNR grid and given times agree with the uniform grid', () => {
    const mixture = mixture2d();
    const schedule = vpSchedule();
    const model = perfectModel(mixture, schedule);
    const x = mixture.sample(key(9), 64);
    const noise = integrateProbabilityFlow(model, x, { from: 0.01, to: 1, numSteps: 64, spacing: 'logSnr' });
    const back = integrateProbabilityFlow(model, noise, { from: 1, to: 0.01, numSteps: 64, spacing: 'logSnr' });
    assert.ok(maxAbsDiff(back.dataSync(), x.dataSync()) < 5e-3, `round trip ${maxAbsDiff(back.dataSync(), x.dataSync())}`);
    const uniform = integrateProbabilityFlow(model, x, { from: 0.01, to: 1, numSteps: 64 });
    assert.ok(maxAbsDiff(uniform.dataSync(), noise.dataSync()) < 5e-3, 'both grids converge to the same map');
    const times = Array.from({ length: 65 }, (_, k) => 0.01 + (0.99 * k) / 64);
    const given = integrateProbabilityFlow(model, x, { times });
    assert.ok(maxAbsDiff(given.dataSync(), uniform.dataSync()) < 1e-6);
    tf.dispose([x, noise, back, uniform, given]);
    model.dispose();
    mixture.dispose();
  });

  test('tensor count is flat across repeated solves (exact and Hutchinson)', () => {
    const mixture = mixture2d();
    const model = perfectModel(mixture, vpSchedule());
    const x = normal(key(10), [8, 2]) as tf.Tensor2D;
    const solve = () => {
      disposeResult(probabilityFlowLogDensity(model, key(11), x, { numSteps: 4, from: 0.1 }));
      disposeResult(probabilityFlowLogDensity(model, key(11), x, { numSteps: 4, from: 0.1, divergence: 'hutchinson', numProbes: 2 }));
      tf.dispose(integrateProbabilityFlow(model, x, { from: 1, to: 0.1, numSteps: 4, method: 'heun' }));
    };
    solve();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) solve();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    model.dispose();
    mixture.dispose();
  });

  test('bad inputs', () => {
    const mixture = mixture2d();
    const model = perfectModel(mixture, vpSchedule());
    const x = tf.zeros([4, 2]) as tf.Tensor2D;
    const fn = 'integrateProbabilityFlow';
    assert.throws(() => integrateProbabilityFlow(model, x, { to: 1, numSteps: 4 }), new RegExp(`${fn}: option "from" = undefined, expected a start time`));
    assert.throws(() => integrateProbabilityFlow(model, x, { from: 0.5, to: 0.5, numSteps: 4 }), /option "to" = 0.5, expected a time different from from = 0.5/);
    assert.throws(() => integrateProbabilityFlow(model, x, { from: 0, to: 1 }), /option "numSteps" = undefined, expected an integer >= 1/);
    assert.throws(() => integrateProbabilityFlow(model, x, { from: 0, to: 1, numSteps: 4, method: 'euler' as never }), /option "method" = "euler", expected one of "rk4", "heun"/);
    assert.throws(() => integrateProbabilityFlow(model, x, { times: [0, 0.5, 0.4] }), /option "times\[2\]" = 0.4, expected strictly monotone times/);
    assert.throws(() => integrateProbabilityFlow(model, x, { times: [0.5] }), /option "times" = \[0.5\], expected an array of at least 2 times/);
    assert.throws(() => integrateProbabilityFlow(model, x, { from: 0, to: 2, numSteps: 4 }), /option "to" = 2, expected a time in \[0, 1\]/);
    assert.throws(() => integrateProbabilityFlow(model, tf.zeros([4, 3]) as tf.Tensor2D, { from: 0, to: 1, numSteps: 4 }), /option "x" = Tensor\(float32, \[4, 3\]\), expected a tensor of shape \[n, 2\]/);
    assert.throws(() => integrateProbabilityFlow({} as never, x, { from: 0, to: 1, numSteps: 4 }), /option "model" = \{\}, expected a diffusion model/);
    assert.throws(() => integrateProbabilityFlow(model, x, { from: 0, to: 1, numSteps: 4, steps: 3 } as never), /option "steps" = 3, expected no such option/);
    const lfn = 'probabilityFlowLogDensity';
    assert.throws(() => probabilityFlowLogDensity(model, key(0), x, { numSteps: 4, divergence: 'trace' as never }), new RegExp(`${lfn}: option "divergence" = "trace", expected one of "auto", "exact", "hutchinson"`));
    assert.throws(() => probabilityFlowLogDensity(model, key(0), x, { numSteps: 4, numProbes: 0 }), /option "numProbes" = 0, expected an integer >= 1/);
    assert.throws(() => probabilityFlowLogDensity(model, key(0), x, { numSteps: 4, exactMaxDim: -1 }), /option "exactMaxDim" = -1, expected an integer >= 0/);
    assert.throws(() => probabilityFlowLogDensity(model, key(0), x, { numSteps: 4, terminalLogDensity: 3 as never }), /option "terminalLogDensity" = 3, expected a function/);
    disposeResult(probabilityFlowLogDensity(model, key(0), x, { numSteps: 2 })); // fills the model's cache
    const before = tf.memory().numTensors;
    assert.throws(() => probabilityFlowLogDensity(model, key(0), x, { numSteps: 2, terminalLogDensity: (xT) => tf.sum(xT) as never }), /option "terminalLogDensity" = Tensor\(float32, \[\]\), expected a function returning a tensor of shape \[4\]/);
    assert.equal(tf.memory().numTensors, before + 1, 'nothing but the bad return value is left');
    assert.throws(() => probabilityFlowVelocity(model, x, -1), /probabilityFlowVelocity: option "t" = -1/);
    assert.throws(() => hutchinsonDivergence((u) => u, x, tf.zeros([1, 3, 2]) as tf.Tensor3D), /hutchinsonDivergence: option "probes" = Tensor\(float32, \[1, 3, 2\]\), expected a tensor of shape \[numProbes, 4, 2\]/);
    assert.throws(() => rademacherProbes(key(0), 0, 4, 2), /rademacherProbes: option "numProbes" = 0, expected an integer >= 1/);
    assert.throws(() => exactDivergence('f' as never, x), /exactDivergence: option "field" = "f", expected a function/);
    x.dispose();
    model.dispose();
    mixture.dispose();
  });
});
