/**
 * NeuTra (lib/samplers/transport/neutra.ts) and elliptical slice sampling (ellipticalSlice.ts):
 * - the latent log-density equals log pi(T z) / temperature + logDet_forward(z), checked against a float64
 *   computation from the closed forms (funnel target, funnel flow), with the temperature applied once;
 * - the latent gradient (analytic-gradient path and pure-autodiff path) equals central finite differences of that
 *   float64 function, and J^T grad log pi(x) / temperature for an affine flow on a Gaussian;
 * - the NeuTra kernel starts at T^-1(x0), carries x = T z, runs under runChain with its `transform`, keeps the
 *   tensor count flat and is deterministic; the elliptical slice kernel likewise;
 * - bad options and inputs throw errors naming the option.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { inverseSpd, matrix } from '../../lib/core/linalg.js';
import { advance } from '../../lib/core/memory.js';
import { foldIn, key, normal } from '../../lib/core/random.js';
import { hmc } from '../../lib/samplers/mcmc/hmc.js';
import { mala } from '../../lib/samplers/mcmc/mala.js';
import type { ChainState, Kernel } from '../../lib/samplers/mcmc/kernel.js';
import { runChain } from '../../lib/samplers/runChain.js';
import { ellipticalSlice } from '../../lib/samplers/transport/ellipticalSlice.js';
import { funnelFlow, gaussianFlow } from '../../lib/samplers/transport/imperfectFlows.js';
import { neutra, neutraTarget } from '../../lib/samplers/transport/neutra.js';
import { funnel } from '../../lib/targets/funnel.js';
import { gaussian, type GaussianTarget } from '../../lib/targets/gaussian.js';
import type { Target } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';

before(() => useBackend('wasm'));

const DIM = 3;
const BETA = 0.4;
const SCALE = Math.sqrt(3);
const MEAN = [1, -2, 0.5];
const COV = [
  [2.0, 0.6, 0.2],
  [0.6, 1.0, -0.3],
  [0.2, -0.3, 0.5],
];

let gauss: GaussianTarget;
before(() => {
  gauss = gaussian(MEAN, COV);
});
after(() => gauss.dispose());

/** log pi_T(z) / for the funnel target and the funnel flow, in float64 from the closed forms (no tfjs). */
function latentFunnel64(z: number[], temperature: number): number {
  const x0 = SCALE * z[0];
  const rest = z.slice(1).map((v) => v * Math.exp(x0 / 2) / Math.sqrt(BETA));
  const m = DIM - 1;
  const logPi =
    -0.5 * DIM * Math.log(2 * Math.PI) - Math.log(SCALE) - (x0 * x0) / (2 * SCALE * SCALE) - (m / 2) * x0 -
    0.5 * Math.exp(-x0) * rest.reduce((s, v) => s + v * v, 0);
  const logDet = Math.log(SCALE) - (m / 2) * Math.log(BETA) + (m / 2) * x0;
  return logPi / temperature + logDet;
}

/** The same target with only `logDensity` (forces the pure-autodiff path). */
function withoutGradient(target: Target): Target {
  return { name: `${target.name}-no-grad`, dim: target.dim, logDensity: (x) => target.logDensity(x) };
}

test('latent log-density = log pi(T z) / temperature + logDet (float64 closed form), temperature applied once', () => {
  const target = funnel({ dim: DIM, scale: SCALE });
  const flow = funnelFlow({ dim: DIM, scale: SCALE, beta: BETA });
  const z = normal(key(1), [24, DIM]) as tf.Tensor2D;
  const zs = z.arraySync();
  for (const temperature of [1, 2.5]) {
    const latent = neutraTarget(flow, target, { temperature });
    const values = latent.logDensity(z).arraySync();
    // Direct composition with the library's own pieces, and the float64 closed form.
    const direct = tf.tidy(() => {
      const { value: x, logDet } = flow.forward(z);
      return tf.add(tf.div(target.logDensity(x), temperature), logDet).arraySync() as number[];
    });
    values.forEach((v, i) => {
      const exact = latentFunnel64(zs[i], temperature);
      assert.ok(Math.abs(v - direct[i]) < 1e-5 * (1 + Math.abs(v)), `T = ${temperature} row ${i}: ${v} vs composition ${direct[i]}`);
      assert.ok(Math.abs(v - exact) < 1e-4 * (1 + Math.abs(exact)), `T = ${temperature} row ${i}: ${v} vs float64 ${exact}`);
    });
    // Both gradient paths give the same values and match central differences of the float64 function.
    for (const [path, t] of [['analytic', latent], ['autodiff', neutraTarget(flow, withoutGradient(target), { temperature })]] as const) {
      const { logDensity, grad } = t.logDensityAndGrad(z);
      const lp = logDensity.arraySync();
      const g = grad.arraySync();
      zs.forEach((row, i) => {
        assert.ok(Math.abs(lp[i] - values[i]) < 1e-5 * (1 + Math.abs(values[i])), `${path} value row ${i}`);
        for (let j = 0; j < DIM; j++) {
          const h = 1e-5;
          const up = row.slice();
          const down = row.slice();
          up[j] += h;
          down[j] -= h;
          const fd = (latentFunnel64(up, temperature) - latentFunnel64(down, temperature)) / (2 * h);
          assert.ok(Math.abs(g[i][j] - fd) < 1e-3 * (1 + Math.abs(fd)), `${path} T = ${temperature} grad[${i}][${j}] ${g[i][j]} vs FD ${fd}`);
        }
      });
      tf.dispose([logDensity, grad]);
    }
  }
  assert.equal(neutraTarget(flow, target).logZ, 0, 'pi_T has the normaliser of pi at temperature 1');
  assert.equal(typeof neutraTarget(flow, target).sample, 'function', 'exact latent draws T^-1(x), x ~ pi, at temperature 1');
  assert.equal(neutraTarget(flow, target, { temperature: 2 }).sample, undefined, 'no exact draws of a tempered target');
  z.dispose();
});

test('affine flow on a Gaussian: latent gradient = A^T grad log pi(A z + b) / temperature', () => {
  const s = 1.3;
  const shift = [0.3, -0.2, 0.1];
  const flow = gaussianFlow(MEAN, COV, { scale: s, shift });
  const temperature = 1.7;
  const latent = neutraTarget(flow, gauss, { temperature });
  const z = normal(key(2), [8, DIM]) as tf.Tensor2D;
  const { grad } = latent.logDensityAndGrad(z);
  const g = grad.arraySync();
  // A = s L (L = chol(COV)), x = mean + shift + A z, grad_x log pi = -COV^{-1} (x - mean).
  const L = gauss.factor.cholesky;
  const P = inverseSpd(matrix(DIM, DIM, COV));
  z.arraySync().forEach((row, i) => {
    const x = MEAN.map((m, a) => m + shift[a] + s * row.reduce((acc, v, b) => acc + L.data[a * DIM + b] * v, 0));
    const gx = MEAN.map((_, a) => -x.reduce((acc, v, b) => acc + P.data[a * DIM + b] * (v - MEAN[b]), 0));
    for (let j = 0; j < DIM; j++) {
      const exact = (s * gx.reduce((acc, v, a) => acc + L.data[a * DIM + j] * v, 0)) / temperature;
      assert.ok(Math.abs(g[i][j] - exact) < 1e-4 * (1 + Math.abs(exact)), `grad[${i}][${j}] ${g[i][j]} vs ${exact}`);
    }
  });
  tf.dispose([z, grad]);
  flow.dispose();
});

const KERNELS: { name: string; make: (flow: ReturnType<typeof gaussianFlow>) => Kernel<ChainState, any>; params: object }[] = [
  { name: 'neutra-mala', make: (flow) => neutra((t) => mala(t), flow, gauss), params: { stepSize: 0.3 } },
  { name: 'neutra-hmc', make: (flow) => neutra((t) => hmc(t), flow, gauss), params: { stepSize: 0.3, numIntegrationSteps: 4 } },
  { name: 'transport ESS', make: (flow) => neutra((t) => ellipticalSlice(t), flow, gauss), params: {} },
  { name: 'ellipticalSlice (plain)', make: () => ellipticalSlice(gauss), params: { maxShrinks: 50 } },
];

for (const c of KERNELS) {
  test(`${c.name}: flat tensor count over 100 steps, determinism, data positions = T(latent positions)`, async () => {
    const flow = gaussianFlow(MEAN, COV, { scale: 0.8, shift: 0.2 });
    const kernel = c.make(flow);
    const x0 = gauss.sample(key(3), 32);
    const run = async (seed: number, steps: number) => {
      let state = await kernel.init(x0);
      const counts: number[] = [];
      for (let i = 0; i < steps; i++) {
        state = advance(state, (s) => kernel.step(foldIn(key(seed), i), s, c.params).state);
        if (i >= 1) counts.push(tf.memory().numTensors);
      }
      return { state, counts };
    };
    const a = await run(4, 100);
    assert.equal(Math.min(...a.counts), Math.max(...a.counts), `${c.name}: numTensors moved`);
    const b = await run(4, 100);
    const other = await run(5, 100);
    assert.deepEqual(a.state.position.dataSync(), b.state.position.dataSync(), 'same key, same chains');
    assert.notDeepEqual(a.state.position.dataSync(), other.state.position.dataSync());
    if ('dataPosition' in a.state) {
      const pushed = tf.tidy(() => flow.forward(a.state.position).value);
      assert.deepEqual(pushed.dataSync(), (a.state.dataPosition as tf.Tensor).dataSync(), 'dataPosition = T(position)');
      const start = await (c.make(flow) as ReturnType<typeof neutra>).init(x0);
      const z0 = tf.tidy(() => flow.inverse(x0).value);
      assert.deepEqual(start.position.dataSync(), z0.dataSync(), 'init starts at T^-1(x0)');
      const back = start.dataPosition.dataSync();
      x0.dataSync().forEach((v, i) => assert.ok(Math.abs(back[i] - v) < 1e-4 * (1 + Math.abs(v)), 'T(T^-1(x0)) = x0'));
      tf.dispose([pushed, start, z0]);
    }
    tf.dispose([a.state, b.state, other.state, x0]);
    flow.dispose();
  });
}

test('runChain drives a NeuTra kernel and records data-space positions through its transform', async () => {
  const flow = gaussianFlow(MEAN, COV, { scale: 0.8 });
  const kernel = neutra((t) => mala(t), flow, gauss);
  const x0 = gauss.sample(key(6), 16);
  const result = await runChain(key(7), kernel, x0, { numSteps: 12, params: { stepSize: 0.3 }, transform: kernel.transform, chunkSize: 5 });
  assert.deepEqual(result.samples.shape, [12, 16, DIM]);
  const last = result.samples.data.slice(11 * 16 * DIM);
  assert.deepEqual(Array.from(last), Array.from(result.state.dataPosition.dataSync()));
  tf.dispose([result.state, x0]);
  flow.dispose();
});

test('ellipticalSlice: a chain that finds no point within maxShrinks stays where it is', async () => {
  // A target that is -Infinity everywhere except where it starts: every proposal is off the slice.
  const spike: Target = {
    name: 'spike',
    dim: 2,
    logDensity: (x) => tf.tidy(() => tf.add(tf.mul(tf.log(tf.cast(tf.less(tf.sum(tf.abs(x), 1), 1e-6), 'float32')), 1), 0) as tf.Tensor1D),
  };
  const kernel = ellipticalSlice(spike);
  const x0 = tf.zeros([4, 2]) as tf.Tensor2D;
  const state = await kernel.init(x0);
  const out = kernel.step(key(1), state, { maxShrinks: 5 });
  assert.deepEqual(Array.from(out.state.position.dataSync()), new Array(8).fill(0));
  assert.deepEqual(Array.from(out.info.isAccepted.dataSync()), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(out.info.numShrinks.dataSync()), [5, 5, 5, 5]);
  tf.dispose([x0, state, out]);
});

test('bad options and inputs throw errors naming the option, the value and what was expected', async () => {
  const flow = gaussianFlow(MEAN, COV);
  const flow2 = gaussianFlow([0, 0], [[1, 0], [0, 1]]);
  assert.throws(() => neutraTarget(flow, gauss, { temperature: 0 }), /neutraTarget: option "temperature" = 0, expected a finite number > 0/);
  assert.throws(() => neutraTarget(flow, gauss, { temprature: 2 } as never), /neutraTarget: option "temprature" = 2, expected no such option/);
  assert.throws(() => neutraTarget(flow2, gauss), /neutraTarget: option "flow.dim" = 2, expected the target's dimension 3/);
  assert.throws(() => neutraTarget({} as never, gauss), /neutraTarget: option "flow" = \{\}, expected a Flow/);
  assert.throws(() => neutra('mala' as never, flow, gauss), /neutra: option "kernelFactory" = "mala", expected a function \(latentTarget\) -> Kernel/);
  assert.throws(() => neutra(() => null as never, flow, gauss), /neutra: option "kernelFactory" = "a function returning null", expected a function returning a Kernel/);
  const kernel = neutra((t) => mala(t), flow, gauss);
  const wrong = tf.zeros([4, 2]) as tf.Tensor2D;
  const nan = tf.tensor2d([[0, NaN, 0]]);
  await assert.rejects(() => kernel.init(wrong), /neutra.init: option "position" has shape \[4, 2\], expected \[n, 3\]/);
  await assert.rejects(() => kernel.init(nan), /neutra.init: option "position" has a non-finite entry NaN at flat index 1/);
  const state = await kernel.init(gauss.sample(key(0), 4));
  assert.throws(() => kernel.step(key(1), state, { stepSize: -1 }), /mala.step: option "stepSize" = -1, expected a finite number > 0/);
  const ess = ellipticalSlice(gauss);
  const essState = await ess.init(tf.zeros([2, 3]) as tf.Tensor2D);
  assert.throws(() => ess.step(key(1), essState, { maxShrinks: 0 }), /ellipticalSlice.step: option "maxShrinks" = 0, expected an integer >= 1/);
  assert.throws(() => ess.step(key(1), essState, 3 as never), /ellipticalSlice.step: option "params" = 3, expected an options object/);
  await assert.rejects(() => ess.init(wrong), /ellipticalSlice.init: option "position" has shape \[4, 2\], expected \[n, 3\]/);
  tf.dispose([wrong, nan, state, essState]);
  flow.dispose();
  flow2.dispose();
});
