/**
 * lib/models/realnvp.ts: the residual-affine-coupling RealNVP of spec NF-MCMC 1.5.
 * Checked on flows pushed far from the identity (every weight and bias re-drawn N(0, 0.5^2); each test asserts
 * the map is far from the identity so that it is not vacuous): the forward pass against a float64 transcription of
 * the reference, round trips, log-dets against autodiff Jacobians (d = 2, 3, 4, both masks), the tanh / dt bound,
 * the mask order, near-identity initialisation, the scale-weight regulariser, parameter gradients of KL-type losses
 * against finite differences, determinism, memory and bad inputs.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { key, normal, normalArray } from '../../lib/core/random.js';
import { realNvp, realNvpMask, type RealNvp, type RealNvpOptions } from '../../lib/models/realnvp.js';
import { flowDistribution } from '../../lib/models/flowTarget.js';
import { useBackend } from '../helpers/backends.js';
import { jacobians, logAbsDet, maxAbs, maxAbsDiff, perturb, perturbedRealNvp, referenceForward } from './flows-fixtures.js';

function latent(seed: number, n: number, d: number): tf.Tensor2D {
  return normal(key(seed), [n, d]) as tf.Tensor2D;
}

const CASES: { name: string; options: RealNvpOptions }[] = [
  { name: 'd = 2, half mask', options: { dim: 2, numBlocks: 4, hiddenDim: 16 } },
  { name: 'd = 3 (odd), half mask, D = 4', options: { dim: 3, numBlocks: 3, hiddenDim: 8, hiddenDepth: 4 } },
  { name: 'd = 4, checkerboard mask', options: { dim: 4, numBlocks: 3, hiddenDim: 12, maskType: 'checkerboard' } },
];

describe('realNvp', () => {
  before(() => useBackend('wasm'));

  test('masks: half = [0 x floor(d/2), 1 ...], checkerboard = i mod 2', () => {
    assert.deepEqual(realNvpMask(5, 'half'), [0, 0, 1, 1, 1]);
    assert.deepEqual(realNvpMask(4, 'half'), [0, 0, 1, 1]);
    assert.deepEqual(realNvpMask(5, 'checkerboard'), [0, 1, 0, 1, 0]);
    assert.deepEqual(realNvpMask(1, 'half'), [1]);
  });

  test('forward pass equals a float64 transcription of the reference (flow/realnvp.py), d = 3 and 4', () => {
    for (const { name, options } of [CASES[1], CASES[2]]) {
      const flow = perturbedRealNvp(options, 11);
      const z = latent(12, 16, options.dim);
      const { value, logDet } = flow.forward(z);
      const zs = z.arraySync();
      const xs = value.arraySync();
      const lds = logDet.arraySync();
      let far = 0;
      zs.forEach((zi, r) => {
        const ref = referenceForward(flow, zi);
        far = Math.max(far, maxAbsDiff(ref.x, zi));
        // float32 against float64: a few ulps per op over 2K couplings, relative to the size of the values
        assert.ok(maxAbsDiff(xs[r], ref.x) < 1e-5 * (1 + maxAbs(ref.x)), `${name} row ${r}: ${xs[r]} vs ${ref.x}`);
        assert.ok(Math.abs(lds[r] - ref.logDet) < 1e-5 * (1 + Math.abs(ref.logDet)), `${name} row ${r}: logDet ${lds[r]} vs ${ref.logDet}`);
      });
      assert.ok(far > 0.5, `${name}: the perturbed flow should be far from the identity (max |T(z) - z| = ${far})`);
      tf.dispose([z, value, logDet]);
      flow.dispose();
    }
  });

  test('round trip inverse(forward(z)) = z and forward(inverse(x)) = x to float32 precision; logDets opposite', () => {
    for (const { name, options } of CASES) {
      const flow = perturbedRealNvp(options, 21);
      const z = latent(22, 256, options.dim);
      const fwd = flow.forward(z);
      const back = flow.inverse(fwd.value);
      const x = latent(23, 256, options.dim);
      const inv = flow.inverse(x);
      const again = flow.forward(inv.value);
      const zv = z.dataSync();
      const xv = fwd.value.dataSync();
      assert.ok(maxAbsDiff(xv, zv) > 0.5, `${name}: the flow should move points (max |T(z) - z| = ${maxAbsDiff(xv, zv)})`);
      const ldSpread = Math.max(...fwd.logDet.dataSync()) - Math.min(...fwd.logDet.dataSync());
      assert.ok(ldSpread > 0.3, `${name}: log-dets should vary (spread ${ldSpread})`);
      // float32: a few ulps of the largest value per coupling
      const tol = (v: ArrayLike<number>) => 1e-5 * (1 + maxAbs(v));
      assert.ok(maxAbsDiff(back.value.dataSync(), zv) < tol(xv), `${name}: inverse(forward(z)) - z = ${maxAbsDiff(back.value.dataSync(), zv)}`);
      assert.ok(maxAbsDiff(again.value.dataSync(), x.dataSync()) < tol(x.dataSync()), `${name}: forward(inverse(x)) - x`);
      // log |det J_T(z)| = -log |det J_T^-1(T z)|
      const sum = tf.add(fwd.logDet, back.logDet).dataSync();
      assert.ok(maxAbs(sum) < 1e-5 * (1 + maxAbs(fwd.logDet.dataSync())), `${name}: forward + inverse logDet = ${maxAbs(sum)}`);
      tf.dispose([z, x, fwd.value, fwd.logDet, back.value, back.logDet, inv.value, inv.logDet, again.value, again.logDet]);
      flow.dispose();
    }
  });

  test('logDet equals log |det| of the autodiff Jacobian (forward and inverse; d = 2, 3, 4)', () => {
    for (const { name, options } of CASES) {
      const flow = perturbedRealNvp(options, 31);
      const z = latent(32, 24, options.dim);
      const { value: x, logDet } = flow.forward(z);
      const inv = flow.inverse(x);
      const jf = jacobians((zi) => flow.forward(zi).value, z);
      const ji = jacobians((xi) => flow.inverse(xi).value, x);
      const ldf = logDet.dataSync();
      const ldi = inv.logDet.dataSync();
      let spread = 0;
      for (let r = 0; r < jf.length; r++) {
        const wantF = logAbsDet(jf[r]);
        const wantI = logAbsDet(ji[r]);
        spread = Math.max(spread, Math.abs(wantF));
        // float32 Jacobian entries (relative error ~1e-6) through a d x d determinant
        assert.ok(Math.abs(ldf[r] - wantF) < 1e-4, `${name} row ${r}: forward logDet ${ldf[r]} vs Jacobian ${wantF}`);
        assert.ok(Math.abs(ldi[r] - wantI) < 1e-4, `${name} row ${r}: inverse logDet ${ldi[r]} vs Jacobian ${wantI}`);
      }
      assert.ok(spread > 0.1, `${name}: the log-dets should be away from 0 (max ${spread})`);
      tf.dispose([z, x, logDet, inv.value, inv.logDet]);
      flow.dispose();
    }
  });

  test('couplings update 1 - m then m: with the second coupling zeroed, only the 1 - m coordinates move', () => {
    for (const maskType of ['half', 'checkerboard'] as const) {
      const flow = realNvp(key(41), { dim: 5, numBlocks: 1, hiddenDim: 8, maskType });
      perturb(flow.variables, 42);
      for (const v of flow.variables) if (v.name.includes('/coupling1/')) v.assign(tf.zerosLike(v));
      const z = latent(43, 32, 5);
      const x = flow.forward(z).value;
      const moved = tf.max(tf.abs(tf.sub(x, z)), 0).arraySync() as number[];
      const m = realNvpMask(5, maskType);
      m.forEach((mi, i) => {
        if (mi === 1) assert.equal(moved[i], 0, `${maskType}: coordinate ${i} (m = 1) moved by ${moved[i]}`);
        else assert.ok(moved[i] > 1e-2, `${maskType}: coordinate ${i} (m = 0) should move (${moved[i]})`);
      });
      flow.dispose();
    }
  });

  test('tanh bound with dt = 1/K: |logDet| <= d for any weights, and large weights approach it', () => {
    const dim = 3;
    const flow = perturbedRealNvp({ dim, numBlocks: 5, hiddenDim: 8 }, 51, 20);
    const z = latent(52, 256, dim);
    const ld = flow.forward(z).logDet.dataSync();
    // each coordinate is updated once per block with |s| <= dt = 1 / K: sum over K blocks <= d
    assert.ok(maxAbs(ld) <= dim * (1 + 1e-6), `max |logDet| = ${maxAbs(ld)} > d = ${dim}`);
    assert.ok(maxAbs(ld) > 0.5 * dim, `with weights of scale 20 the tanh saturates: max |logDet| = ${maxAbs(ld)}`);
    flow.dispose();
  });

  test('near-identity initialisation (initScale 1e-6): |T(z) - z| < 1e-4, |logDet| < 1e-4', () => {
    const flow = realNvp(key(61), { dim: 6, numBlocks: 4, hiddenDim: 32 });
    assert.equal(flow.config.initScale, 1e-6);
    const z = latent(62, 512, 6);
    const { value, logDet } = flow.forward(z);
    assert.ok(maxAbsDiff(value.dataSync(), z.dataSync()) < 1e-4);
    assert.ok(maxAbs(logDet.dataSync()) < 1e-4);
    // the weights are N(0, (1e-6 / sqrt(fan_in))^2), biases zero
    const w0 = flow.variables[0].dataSync();
    const rms = Math.sqrt(Array.from(w0).reduce((a, v) => a + v * v, 0) / w0.length);
    assert.ok(rms > 0.3e-6 / Math.sqrt(6) && rms < 3e-6 / Math.sqrt(6), `rms of the first weights ${rms}`);
    assert.equal(maxAbs(flow.variables[1].dataSync()), 0);
    flow.dispose();
  });

  test('variables: fixed order and names (block, coupling, scale then translation, dense layers)', () => {
    const flow = realNvp(key(71), { dim: 4, numBlocks: 2, hiddenDim: 8, hiddenDepth: 3 });
    const names = flow.variables.map((v) => v.name.replace(/^realnvp#\d+\//, ''));
    const expected: string[] = [];
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 2; c++) {
        for (const net of ['scale', 'translation']) {
          for (let l = 0; l < 2; l++) expected.push(`block${b}/coupling${c}/${net}/dense${l}/weight`, `block${b}/coupling${c}/${net}/dense${l}/bias`);
        }
      }
    }
    assert.deepEqual(names, expected);
    assert.deepEqual(flow.variables[0].shape, [4, 8]);
    assert.deepEqual(flow.variables[2].shape, [8, 4]);
    assert.deepEqual(flow.variables[3].shape, [4]);
    assert.equal(flow.scaleWeights.length, 2 * 2 * 2);
    flow.dispose();
  });

  test('scaleWeightNorm = sum of squared scale-net weight matrices (no biases); its gradient is 2W there, 0 elsewhere', () => {
    const flow = perturbedRealNvp({ dim: 4, numBlocks: 3, hiddenDim: 8 }, 81);
    let manual = 0;
    for (const v of flow.variables) {
      if (/\/scale\/dense\d+\/weight$/.test(v.name)) for (const w of v.dataSync()) manual += w * w;
    }
    const norm = flow.scaleWeightNorm();
    assert.ok(Math.abs(norm.dataSync()[0] - manual) < 1e-5 * manual, `${norm.dataSync()[0]} vs ${manual}`);
    const { value, grads } = tf.variableGrads(() => flow.scaleWeightNorm(), flow.variables);
    for (const v of flow.variables) {
      const g = grads[v.name];
      const isScaleWeight = /\/scale\/dense\d+\/weight$/.test(v.name);
      if (isScaleWeight) assert.ok(maxAbsDiff(g.dataSync(), v.dataSync().map((w) => 2 * w)) < 1e-6, v.name);
      else assert.ok(g == null || maxAbs(g.dataSync()) === 0, `${v.name} should not enter the norm`);
    }
    tf.dispose([norm, value, ...Object.values(grads)]);
    flow.dispose();
  });

  test('parameter gradients of reverse-KL (forward pass) and forward-KL (inverse pass) losses match finite differences', () => {
    const dim = 2;
    const flow = perturbedRealNvp({ dim, numBlocks: 3, hiddenDim: 16 }, 91);
    // target N(mu, diag sd^2), asymmetric
    const mu = tf.tensor2d([[1, -0.5]]);
    const sd = tf.tensor2d([[1.5, 0.7]]);
    const logTarget = (x: tf.Tensor) => tf.neg(tf.sum(tf.add(tf.mul(0.5, tf.square(tf.div(tf.sub(x, mu), sd))), tf.log(sd)), 1));
    const z = latent(92, 128, dim);
    const xData = tf.tidy(() => tf.add(tf.mul(latent(93, 128, dim), sd), mu)) as tf.Tensor2D;
    const dist = flowDistribution(flow);
    // Per-sample losses [n]: autodiff differentiates their float32 mean, the finite differences average them in
    // float64 (so rounding noise shrinks by sqrt(n)).
    const perSample: Record<string, () => tf.Tensor1D> = {
      // -[log pi(T z) + log |det J_T(z)|], z ~ rho: reverse KL up to a constant
      reverseKl: () => tf.tidy(() => {
        const { value, logDet } = flow.forward(z);
        return tf.neg(tf.add(logTarget(value), logDet)) as tf.Tensor1D;
      }),
      // -log lambda(x), x ~ pi: forward KL up to a constant
      forwardKl: () => tf.tidy(() => tf.neg(dist.logDensity(xData)) as tf.Tensor1D),
    };
    const mean64 = (values: tf.Tensor1D): number => {
      const v = values.dataSync();
      values.dispose();
      return Array.from(v).reduce((a, b) => a + b, 0) / v.length;
    };
    // Entries without effect, whose gradient must be exactly 0: row 0 of the first scale-net weight W [2, 16] of
    // coupling 0 (it updates 1 - m = [1, 0] and sees x * m = (0, x1), so row 0 multiplies a masked 0), and entry 0 of
    // a coupling-1 translation output bias (coupling 1 updates m = [0, 1]). Entries with effect: in each of the
    // two tensors, the one with the largest autodiff gradient (a rule fixed before looking at the values).
    const scaleW = flow.variables.find((v) => v.name.endsWith('block0/coupling0/scale/dense0/weight'))!;
    const transB = flow.variables.find((v) => v.name.endsWith('block2/coupling1/translation/dense1/bias'))!;
    const eps = 1e-2;
    const argMaxAbs = (g: ArrayLike<number>) => Array.from(g).reduce((best, x, i, arr) => (Math.abs(x) > Math.abs(arr[best]) ? i : best), 0);
    for (const [lossName, lossValues] of Object.entries(perSample)) {
      const { value, grads } = tf.variableGrads(() => tf.mean(lossValues()) as tf.Scalar, [scaleW, transB]);
      const entries: [tf.Variable, number, boolean][] = [
        [scaleW, argMaxAbs(grads[scaleW.name].dataSync()), true],
        [transB, argMaxAbs(grads[transB.name].dataSync()), true],
        [scaleW, 3, false],
        [transB, 0, false],
      ];
      for (const [v, index, hasEffect] of entries) {
        const g = grads[v.name].dataSync()[index];
        assert.ok(Number.isFinite(g));
        const original = v.dataSync().slice();
        const at = (delta: number): [number, number] => {
          const values = original.slice();
          values[index] = original[index] + delta;
          const actual = values[index] - original[index]; // after float32 rounding
          tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
          return [mean64(lossValues()), actual];
        };
        const [lp, dp] = at(eps);
        const [lm, dm] = at(-eps);
        tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
        const fd = (lp - lm) / (dp - dm);
        if (!hasEffect) {
          assert.equal(g, 0, `${lossName} ${v.name}[${index}]: a masked entry has no effect`);
          assert.equal(lp, lm);
          continue;
        }
        assert.ok(Math.abs(g) > 1e-2, `${lossName} ${v.name}[${index}]: gradient ${g} should not be ~0 (vacuous)`);
        // Error budget: central-difference bias eps^2 L''' / 6, a few 1e-4 here (ReLU kinks crossed within eps add
        // O(eps^2) too); float32 rounding of each per-sample loss (~1e-6 relative, |L| ~ 3) averaged over 128
        // samples and divided by 2 eps: ~1e-5.
        assert.ok(Math.abs(fd - g) < 1e-3 + 1e-2 * Math.abs(g), `${lossName} ${v.name}[${index}]: autodiff ${g} vs finite difference ${fd}`);
      }
      tf.dispose([value, ...Object.values(grads)]);
    }
    tf.dispose([mu, sd, z, xData]);
    flow.dispose();
  });

  test('determinism: the same key gives the same weights, another key different ones', () => {
    const a = realNvp(key(101), { dim: 3, numBlocks: 2, hiddenDim: 8, initScale: 1 });
    const b = realNvp(key(101), { dim: 3, numBlocks: 2, hiddenDim: 8, initScale: 1 });
    const c = realNvp(key(102), { dim: 3, numBlocks: 2, hiddenDim: 8, initScale: 1 });
    a.variables.forEach((v, i) => assert.deepEqual(v.dataSync(), b.variables[i].dataSync()));
    assert.notDeepEqual(a.variables[0].dataSync(), c.variables[0].dataSync());
    tf.dispose([a, b, c].map((f) => f.variables).flat());
  });

  test('memory: forward / inverse add only their outputs; tensor count flat over repeated passes and training steps', () => {
    const flow = perturbedRealNvp({ dim: 4, numBlocks: 3, hiddenDim: 16 }, 111);
    const z = latent(112, 64, 4);
    const start = tf.memory().numTensors;
    const out = flow.forward(z);
    assert.equal(tf.memory().numTensors, start + 2);
    tf.dispose([out.value, out.logDet]);
    for (let i = 0; i < 40; i++) {
      tf.tidy(() => {
        const f = flow.forward(z);
        flow.inverse(f.value);
        flow.scaleWeightNorm();
      });
      const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(flow.forward(z).logDet)) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.equal(tf.memory().numTensors, start);
    z.dispose();
    const before = tf.memory().numTensors;
    flow.dispose();
    assert.equal(tf.memory().numTensors, before - flow.variables.length - 2 * 2 * 3, 'dispose frees variables and masks');
  });

  test('a flow created inside tf.tidy survives it', () => {
    let flow!: RealNvp;
    tf.tidy(() => {
      flow = realNvp(key(121), { dim: 2, numBlocks: 2, hiddenDim: 4 });
    });
    const z = latent(122, 3, 2);
    const { value } = flow.forward(z);
    assert.equal(value.shape[0], 3);
    tf.dispose([z, value]);
    flow.dispose();
  });

  test('d = 1 is an affine map (the conditioners see only zeros): still exact round trip and log-det', () => {
    const flow = perturbedRealNvp({ dim: 1, numBlocks: 2, hiddenDim: 4 }, 131);
    const z = tf.tensor2d(Float32Array.from(normalArray(key(132), 64)), [64, 1]);
    const { value, logDet } = flow.forward(z);
    const back = flow.inverse(value);
    // A message: without one, a failing assert.ok makes Node parse this TypeScript file with acorn for minutes.
    assert.ok(maxAbsDiff(back.value.dataSync(), z.dataSync()) < 1e-5 * (1 + maxAbs(value.dataSync())), 'd = 1: inverse(forward(z)) = z');
    const ld = logDet.dataSync();
    assert.ok(maxAbsDiff(ld, new Float32Array(64).fill(ld[0])) === 0, 'constant log-det');
    const [z0, z1] = [z.dataSync()[0], z.dataSync()[1]];
    const [x0, x1] = [value.dataSync()[0], value.dataSync()[1]];
    assert.ok(Math.abs(Math.log(Math.abs((x1 - x0) / (z1 - z0))) - ld[0]) < 1e-4, 'log slope = log-det');
    tf.dispose([z, value, logDet, back.value, back.logDet]);
    flow.dispose();
  });

  test('bad options and inputs throw errors naming the option, the value and what was expected', () => {
    const k = key(0);
    const bad: [RealNvpOptions | unknown, RegExp][] = [
      [undefined, /realNvp: option "dim" = undefined, expected an integer >= 1/],
      [{ dim: 0 }, /option "dim" = 0, expected an integer >= 1/],
      [{ dim: 2.5 }, /option "dim" = 2.5, expected an integer >= 1/],
      [{ dim: 2, numBlocks: 0 }, /option "numBlocks" = 0, expected an integer >= 1/],
      [{ dim: 2, hiddenDim: NaN }, /option "hiddenDim" = NaN, expected an integer >= 1/],
      [{ dim: 2, hiddenDepth: 1 }, /option "hiddenDepth" = 1, expected an integer >= 2/],
      [{ dim: 2, initScale: -1 }, /option "initScale" = -1, expected a finite number >= 0/],
      [{ dim: 2, maskType: 'inter' }, /option "maskType" = "inter", expected one of "half", "checkerboard"/],
      [{ dim: 2, residual: false }, /option "residual" = false, expected true/],
      [{ dim: 2, activation: 'gelu' }, /option "activation" = "gelu", expected one of "relu", "silu", "tanh", "elu"/],
      [{ dim: 2, hidden: 3 }, /option "hidden" = 3, expected no such option/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => realNvp(k, options as RealNvpOptions), message);
    }
    const flow = realNvp(k, { dim: 3, numBlocks: 1, hiddenDim: 4 });
    const wrong = tf.zeros([5, 2]) as tf.Tensor2D;
    const vector = tf.zeros([3]) as unknown as tf.Tensor2D;
    assert.throws(() => flow.forward(wrong), /realNvp.forward: option "z" has shape \[5, 2\], expected \[n, 3\]/);
    assert.throws(() => flow.inverse(wrong), /realNvp.inverse: option "x" has shape \[5, 2\], expected \[n, 3\]/);
    assert.throws(() => flow.forward(vector), /has shape \[3\], expected \[n, 3\]/);
    assert.throws(() => flow.forward([[1, 2, 3]] as unknown as tf.Tensor2D), /option "z" = .*expected a tf.Tensor of shape \[n, 3\]/);
    tf.dispose([wrong, vector]);
    flow.dispose();
  });
});
