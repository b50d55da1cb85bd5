/**
 * HMC's integrator: velocity Verlet is time-reversible (forward, flip the momentum, forward again: back at the
 * start to float32 precision) and second order (the energy error |dH| scales as h^2 at fixed path length), and
 * the kinetic energy / mass-matrix conventions are consistent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal, split } from '../../lib/core/random.js';
import { hmc, kineticEnergy, velocityVerlet, type PhasePoint } from '../../lib/samplers/mcmc/index.js';
import { logDensityAndGrad } from '../../lib/targets/target.js';
import { useBackend } from '../helpers/backends.js';
import { sampleMean } from '../helpers/stats.js';
import { correlatedGaussian, skewedMixture, type TestTarget } from './mcmc-fixtures.js';

before(() => useBackend('wasm'));

let targets: TestTarget[];
before(() => {
  targets = [correlatedGaussian(), skewedMixture()];
});
after(() => targets.forEach((t) => t.dispose()));

function phasePoint(target: TestTarget, seed: number, n: number): PhasePoint {
  const [kx, kp] = split(key(seed), 2);
  const position = target.sample(kx, n);
  const momentum = normal(kp, [n, target.dim]) as tf.Tensor2D;
  return { position, momentum, ...logDensityAndGrad(target, position) };
}

const FLOAT32_EPS = 2 ** -23;

test('velocity Verlet is time-reversible to float32 precision (flip the momentum and integrate back)', () => {
  const numSteps = 25;
  for (const target of targets) {
    const start = phasePoint(target, 1, 256);
    const invMass = tf.tensor1d(target.dim === 3 ? [0.5, 1, 2] : [0.7]);
    const forward = velocityVerlet(target, start, 0.1, numSteps, invMass);
    const flipped = { ...forward, momentum: tf.neg(forward.momentum) as tf.Tensor2D };
    const back = velocityVerlet(target, flipped, 0.1, numSteps, invMass);
    const x0 = start.position.dataSync();
    const p0 = start.momentum.dataSync();
    const x1 = back.position.dataSync();
    const p1 = back.momentum.dataSync();
    const moved = forward.position.dataSync();
    // Rounding errors: a few ulps per leapfrog step on values of size |x|, |p| <= ~10, over 2 * 25 steps.
    const tolerance = 2 * numSteps * 16 * FLOAT32_EPS * 10;
    let maxErr = 0;
    let maxMove = 0;
    for (let i = 0; i < x0.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(x1[i] - x0[i]), Math.abs(-p1[i] - p0[i]));
      maxMove = Math.max(maxMove, Math.abs(moved[i] - x0[i]));
    }
    assert.ok(maxErr < tolerance, `${target.name}: max |start - back| = ${maxErr} >= ${tolerance}`);
    assert.ok(maxMove > 0.5, `${target.name}: the trajectory must actually move (max move ${maxMove})`);
    tf.dispose([start, forward, flipped.momentum, back, invMass]);
  }
});

/** Mean |H(end) - H(start)| over chains for step h and path length h * numSteps. */
function meanAbsEnergyError(target: TestTarget, start: PhasePoint, h: number, numSteps: number): number {
  const end = velocityVerlet(target, start, h, numSteps);
  const dH = tf.tidy(() =>
    tf.abs(
      tf.sub(
        tf.sub(kineticEnergy(end.momentum), end.logDensity),
        tf.sub(kineticEnergy(start.momentum), start.logDensity),
      ),
    ),
  );
  const values = Array.from(dH.dataSync());
  tf.dispose([end, dH]);
  return sampleMean(values);
}

test('the energy error is O(h^2): halving h at fixed path length divides mean |dH| by about 4', () => {
  for (const target of targets) {
    const start = phasePoint(target, 2, 2048);
    const pathLength = 1.2;
    const coarse = meanAbsEnergyError(target, start, 0.1, Math.round(pathLength / 0.1));
    const fine = meanAbsEnergyError(target, start, 0.05, Math.round(pathLength / 0.05));
    const finer = meanAbsEnergyError(target, start, 0.025, Math.round(pathLength / 0.025));
    // Leapfrog's global energy error is c h^2 + O(h^4): the ratio is 4 (1 + O(h^2)), within 5%.
    for (const [ratio, label] of [[coarse / fine, 'h=0.1 / h=0.05'], [fine / finer, 'h=0.05 / h=0.025']] as const) {
      assert.ok(Math.abs(ratio - 4) < 0.2, `${target.name}: mean |dH| ratio ${label} = ${ratio}, expected about 4`);
    }
    assert.ok(finer < 0.01, `${target.name}: mean |dH| at h = 0.025 is ${finer}`);
    tf.dispose(start);
  }
});

test('kinetic energy is p^T M^{-1} p / 2, and a per-chain inverse mass matrix with equal rows equals the shared one', async () => {
  const target = targets[0];
  const p = tf.tensor2d([[1, 2, -1], [0.5, 0, 3]]);
  const invMass = tf.tensor1d([0.5, 1, 2]);
  assert.deepEqual(Array.from(kineticEnergy(p, invMass).dataSync()), [0.5 * (0.5 + 4 + 2), 0.5 * (0.125 + 0 + 18)]);
  assert.deepEqual(Array.from(kineticEnergy(p).dataSync()), [3, 0.5 * 9.25]);

  const kernel = hmc(target);
  const start = target.sample(key(3), 64);
  const state = await kernel.init(start);
  const perChain = tf.tile(tf.expandDims(invMass, 0), [64, 1]) as tf.Tensor2D;
  const params = { stepSize: 0.2, numIntegrationSteps: 4 };
  const a = kernel.step(key(4), state, { ...params, inverseMassMatrix: invMass });
  const b = kernel.step(key(4), state, { ...params, inverseMassMatrix: perChain });
  const xa = a.state.position.dataSync();
  const xb = b.state.position.dataSync();
  xa.forEach((v, i) => assert.ok(Math.abs(v - xb[i]) < 1e-5, `entry ${i}`));
  assert.ok(a.info.energyChange instanceof tf.Tensor && a.info.energyChange.shape[0] === 64);
  // log alpha = -dH (the Metropolis rule on the joint (x, p))
  const la = a.info.logAcceptance.dataSync();
  a.info.energyChange.dataSync().forEach((dh, i) => assert.equal(la[i], -dh));
  tf.dispose([p, invMass, start, state, perChain, a, b]);
});

test('velocityVerlet rejects bad options', () => {
  const target = targets[0];
  const start = phasePoint(target, 5, 4);
  assert.throws(() => velocityVerlet(target, start, 0.1, -1), /velocityVerlet: option "numSteps" = -1, expected an integer >= 0/);
  assert.throws(() => velocityVerlet(target, start, NaN, 3), /velocityVerlet: option "stepSize" = NaN, expected a finite number/);
  const same = velocityVerlet(target, start, 0.1, 0);
  assert.deepEqual(Array.from(same.position.dataSync()), Array.from(start.position.dataSync()), 'zero steps: the start');
  tf.dispose([start, same]);
});
