/**
 * The case the ops exist for: the gradient w.r.t. the parameters of a loss that contains an input-gradient
 * (score matching, PINN, energy-model regularisers). MLP 2-16-16-1 built from ops.dense + an activation,
 *   loss = mean_b( 0.5 f(x_b)^2 + |grad_x f(x_b)|^2 ),
 * the input-gradient taken with tf.grad inside tf.variableGrads / tf.grads (second order). Checked on cpu and wasm:
 *
 * 1. every parameter gradient against central finite differences of the same loss written in float64 JavaScript
 *    (forward pass and analytic input-gradient). 4th-order stencil with h = 1e-3: truncation h^4/30 |L'''''| ~ 1e-13,
 *    rounding 1.5 * 2^-52 * |L| / h ~ 3e-13, so the reference is exact to float32 eyes. Our float32 gradients carry
 *    rounding from a few hundred operations per entry, each within 2^-24 relative of its inputs, whose sizes are
 *    bounded by the largest gradient entry G: tolerance 2e-4 * G + 1e-3 |g| (about 1000 ulp of G). The bug these
 *    tests are for is 5-60 % of G (asserted below for tfjs' own silu and tanh).
 * 2. a handful of coordinates against central finite differences of the float32 tfjs loss itself (h = 2^-6,
 *    4th-order stencil): rounding 1.5 * eps_L / h with eps_L <= 1e-6 |L| (float32 sums over a 32-sample batch),
 *    so ~1e-4 |L|; truncation h^4/30 |L'''''| ~ 2e-9 |L'''''|. Tolerance 1e-3 * max(1, |L|) + 1e-3 |g|.
 * Parameters and data are fixed float32 numbers (a deterministic sine sequence): no seeds are involved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ops from '../../lib/core/ops.js';
import { onBackends } from '../helpers/backends.js';

const SIZES = [2, 16, 16, 1];
const BATCH = 32;

interface Activation {
  name: string;
  ours: (t: tf.Tensor) => tf.Tensor;
  native: ((t: tf.Tensor) => tf.Tensor) | null;
  f: (v: number) => number;
  df: (v: number) => number;
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const ACTIVATIONS: Activation[] = [
  {
    name: 'silu',
    ours: ops.silu,
    native: (t) => tf.mul(t, tf.sigmoid(t)),
    f: (v) => v * sig(v),
    df: (v) => sig(v) * (1 + v * (1 - sig(v))),
  },
  { name: 'tanh', ours: ops.tanh, native: tf.tanh, f: Math.tanh, df: (v) => 1 - Math.tanh(v) ** 2 },
  { name: 'softplus', ours: ops.softplus, native: null, f: (v) => Math.log1p(Math.exp(v)), df: sig },
];

/** Deterministic float32 numbers with zero mean and unit-ish variance (no random generator, no seed). */
function series(n: number, phase: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => scale * Math.SQRT2 * Math.sin(12.9898 * (i + 1) + 78.233 * phase));
}

/** Parameters as flat float32 arrays: W_l [in, out] row-major, b_l [out]. */
function makeParams(): Float32Array[] {
  const p: Float32Array[] = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const [i, o] = [SIZES[l], SIZES[l + 1]];
    p.push(series(i * o, 2 * l + 1, 1 / Math.sqrt(i)));
    p.push(series(o, 2 * l + 2, 0.3));
  }
  return p;
}

const X = series(BATCH * SIZES[0], 17, 1);

/** The loss in float64: forward, analytic input-gradient, mean of 0.5 f^2 + |grad_x f|^2. */
function loss64(params: Float64Array[], act: Activation): number {
  const L = SIZES.length - 1;
  let total = 0;
  for (let s = 0; s < BATCH; s++) {
    let h = Array.from(X.subarray(s * SIZES[0], (s + 1) * SIZES[0]));
    const slopes: number[][] = [];
    for (let l = 0; l < L; l++) {
      const [W, b] = [params[2 * l], params[2 * l + 1]];
      const [ni, no] = [SIZES[l], SIZES[l + 1]];
      const z = Array.from({ length: no }, (_, o) => {
        let acc = b[o];
        for (let i = 0; i < ni; i++) acc += h[i] * W[i * no + o];
        return acc;
      });
      if (l + 1 < L) {
        slopes.push(z.map(act.df));
        h = z.map(act.f);
      } else {
        h = z;
      }
    }
    const f = h[0];
    // backward for grad_x f: v = W_L (out 1), then v <- W_l (slope_l * v) down to the input
    let v = [1];
    for (let l = L - 1; l >= 0; l--) {
      const [W] = [params[2 * l]];
      const [ni, no] = [SIZES[l], SIZES[l + 1]];
      const u = l + 1 < L ? v.map((vo, o) => vo * slopes[l][o]) : v;
      v = Array.from({ length: ni }, (_, i) => {
        let acc = 0;
        for (let o = 0; o < no; o++) acc += W[i * no + o] * u[o];
        return acc;
      });
    }
    total += 0.5 * f * f + v.reduce((acc, g) => acc + g * g, 0);
  }
  return total / BATCH;
}

function fdAll(params: Float32Array[], act: Activation): Float64Array[] {
  const p64 = params.map((p) => Float64Array.from(p));
  const h = 1e-3;
  return p64.map((p) =>
    Float64Array.from(p, (_, j) => {
      const v0 = p[j];
      const at = (d: number): number => {
        p[j] = v0 + d;
        const l = loss64(p64, act);
        p[j] = v0;
        return l;
      };
      return (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h);
    }),
  );
}

/** The tfjs loss: net built from ops.dense + activation; input-gradient by tf.grad (inside the caller's tape). */
function lossTf(params: tf.Tensor[], x: tf.Tensor, act: (t: tf.Tensor) => tf.Tensor, useOurs: boolean): tf.Scalar {
  const net = (u: tf.Tensor): tf.Tensor => {
    let h = u;
    for (let l = 0; l + 1 < SIZES.length; l++) {
      const [W, b] = [params[2 * l], params[2 * l + 1]];
      h = useOurs ? ops.dense(h, W, b) : tf.add(tf.matMul(h, W), b);
      if (l + 2 < SIZES.length) h = act(h);
    }
    return h;
  };
  const g = tf.grad((u: tf.Tensor) => tf.sum(net(u)))(x);
  const f = net(x);
  return tf.mean(tf.add(tf.mul(0.5, tf.sum(tf.square(f), 1)), tf.sum(tf.square(g), 1))) as tf.Scalar;
}

function paramTensors(params: Float32Array[]): tf.Tensor[] {
  return params.map((p, k) => {
    const l = Math.floor(k / 2);
    return k % 2 === 0 ? tf.tensor2d(p, [SIZES[l], SIZES[l + 1]]) : tf.tensor1d(p);
  });
}

/** Largest |ours - reference| / (2e-4 G + 1e-3 |ref|) over every coordinate (> 1 means a failure). */
function worstRatio(got: Float32Array[], ref: Float64Array[]): { ratio: number; where: string; relToG: number } {
  const G = Math.max(...ref.map((r) => Math.max(...Array.from(r, Math.abs))));
  let worst = { ratio: 0, where: '', relToG: 0 };
  ref.forEach((r, k) =>
    r.forEach((want, j) => {
      const err = Math.abs(got[k][j] - want);
      const ratio = err / (2e-4 * G + 1e-3 * Math.abs(want));
      if (!(ratio <= worst.ratio)) worst = { ratio, where: `param ${k} entry ${j}: ${got[k][j]} vs ${want}`, relToG: err / G };
    }),
  );
  return worst;
}

onBackends(['cpu', 'wasm'], (backend) => {
  const params = makeParams();
  for (const act of ACTIVATIONS) {
    const reference = fdAll(params, act);

    test(`[${backend}] ${act.name} MLP: every parameter gradient of a loss with grad_x f matches float64 FD`, (t) => {
      const x = tf.tensor2d(X, [BATCH, SIZES[0]]);
      const vars = paramTensors(params).map((t, k) => tf.variable(t, true, `ops2_${backend}_${act.name}_${k}`));
      // tf.variableGrads for one activation (what optimizers use), tf.grads for the others
      let got: Float32Array[];
      if (act.name === 'silu') {
        const { value, grads } = tf.variableGrads(() => lossTf(vars, x, act.ours, true), vars);
        got = vars.map((v) => grads[v.name].dataSync() as Float32Array);
        assert.ok(Math.abs(value.dataSync()[0] - loss64(params.map((p) => Float64Array.from(p)), act)) < 1e-5 * Math.max(1, value.dataSync()[0]));
        tf.dispose([value, ...Object.values(grads)]);
      } else {
        const grads = tf.grads((...ps: tf.Tensor[]) => lossTf(ps, x, act.ours, true))(vars);
        got = grads.map((g) => g.dataSync() as Float32Array);
        tf.dispose(grads);
      }
      const worst = worstRatio(got, reference);
      t.diagnostic(`worst error / tolerance ${worst.ratio.toExponential(2)} (${(100 * worst.relToG).toExponential(2)} % of the largest gradient)`);
      assert.ok(worst.ratio <= 1, `${act.name}: ${worst.where} (error / tolerance ${worst.ratio.toFixed(2)})`);
      tf.dispose([x, ...vars]);
    });

    if (act.native != null) {
      const native = act.native;
      test(`[${backend}] ${act.name} MLP: tfjs' own activation fails the same check (the test can fail)`, (t) => {
        const x = tf.tensor2d(X, [BATCH, SIZES[0]]);
        const ps = paramTensors(params);
        const grads = tf.grads((...p: tf.Tensor[]) => lossTf(p, x, native, false))(ps);
        const worst = worstRatio(grads.map((g) => g.dataSync() as Float32Array), reference);
        t.diagnostic(`tfjs ${act.name}: worst error / tolerance ${worst.ratio.toFixed(1)} (${(100 * worst.relToG).toFixed(1)} % of the largest gradient)`);
        assert.ok(worst.ratio > 20, `tfjs ${act.name} was expected to be wrong here (error / tolerance ${worst.ratio.toFixed(2)})`);
        assert.ok(worst.relToG > 0.02, `tfjs ${act.name}: largest error only ${(100 * worst.relToG).toFixed(2)} % of the largest gradient`);
        tf.dispose([x, ...ps, ...grads]);
      });
    }

    test(`[${backend}] ${act.name} MLP: a handful of coordinates against FD of the float32 tfjs loss`, () => {
      const x = tf.tensor2d(X, [BATCH, SIZES[0]]);
      const ps = paramTensors(params);
      const grads = tf.grads((...p: tf.Tensor[]) => lossTf(p, x, act.ours, true))(ps);
      const h = 2 ** -6;
      // one coordinate in each weight matrix and bias, plus a second one in the middle layer
      const coords: [number, number][] = [[0, 5], [1, 3], [2, 37], [2, 200], [3, 11], [4, 7], [5, 0]];
      for (const [k, j] of coords) {
        const base = params[k];
        const at = (d: number): number => {
          const pert = Float32Array.from(base);
          pert[j] = base[j] + d;
          const tensors = ps.slice();
          tensors[k] = k % 2 === 0 ? tf.tensor2d(pert, ps[k].shape as [number, number]) : tf.tensor1d(pert);
          let v = 0;
          tf.tidy(() => {
            v = lossTf(tensors, x, act.ours, true).dataSync()[0];
          });
          tensors[k].dispose();
          return v;
        };
        const L = at(0);
        const fd = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h);
        const g = grads[k].dataSync()[j];
        const tol = 1e-3 * Math.max(1, Math.abs(L)) + 1e-3 * Math.abs(fd);
        assert.ok(Math.abs(g - fd) <= tol, `${act.name} param ${k}[${j}]: autodiff ${g} vs float32 FD ${fd} (tol ${tol.toExponential(2)})`);
        assert.ok(Math.abs(g - reference[k][j]) <= tol, `${act.name} param ${k}[${j}]: autodiff ${g} vs float64 FD ${reference[k][j]}`);
      }
      tf.dispose([x, ...ps, ...grads]);
    });
  }

  test(`[${backend}] the input-gradient loss step keeps the tensor count flat`, () => {
    const x = tf.tensor2d(X, [BATCH, SIZES[0]]);
    const vars = paramTensors(params).map((t, k) => tf.variable(t, true, `ops2_mem_${backend}_${k}`));
    const opt = tf.train.adam(1e-3);
    const step = (): void => {
      tf.tidy(() => {
        opt.minimize(() => lossTf(vars, x, ops.silu, true), false, vars);
      });
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
    tf.dispose([x, ...vars]);
  });
});
