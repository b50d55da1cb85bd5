/**
 * The case the ops exist for: the gradient w.r.t. the parameters of a loss that contains an input-gradient
 * (score matching, PINN, energy-model regularisers). MLP 2-16-16-1 built from ops.dense + an activation,
 *   loss = mean_b( 0.5 f(x_b)^2 + |grad_x f(x_b)|^2 ),
 * the input-gradient taken with tf.grad inside tf.variableGrads / tf.grads (second order). Checked on cpu and wasm.
 * Cases, float64 references and tolerances (with their error models) are shared with the webgpu suite:
 * test/helpers/ops-cases.ts (the comment above SIZES).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ops from '../../lib/core/ops.js';
import { onBackends } from '../helpers/backends.js';
import { ACTIVATIONS, BATCH, FD_COORDS, SIZES, X, fdAll, loss64, lossTf, makeParams, paramTensors, worstRatio } from '../helpers/ops-cases.js';

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
      for (const [k, j] of FD_COORDS) {
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
