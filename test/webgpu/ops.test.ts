/**
 * lib/core/ops.ts on webgpu: the cases of test/unit/ops.test.ts and ops-second-order.test.ts (shared through
 * test/helpers/ops-cases.ts), each checked against its float64 / finite-difference reference on webgpu, and
 * against the same computation on wasm in this process.
 *
 * Tolerances (error models in test/helpers/ops-cases.ts):
 * - Closed forms: `closedTol` (about 40 (1 + |x|) ulp) covers WGSL's accuracy: exp is allowed 3 + 2|x| ulp, and
 *   the activations are a few exp, divisions (2.5 ulp) and multiplications (correctly rounded) deep.
 * - Finite differences: the stencil's rounding is 2.29e-5 * u * F for values within u ulp; WGSL's exp on
 *   |x| <= 4.02 (+ the ops around it) gives u = 12 (`stencilRounding(12)` = 2.7e-4 F), where cpu / wasm use u = 4.
 * - webgpu against wasm: each is within its tolerance of the float64 truth, so they are within the sum of the two
 *   (triangle inequality): 2 closedTol for the closed-form quantities, 2 (2e-4 G + 1e-3 |g|) for the MLP's
 *   parameter gradients, and 2e-5 * max(1, max |ref|) for matMul / dense (1e-5 each).
 * Every op runs as a shader (CPU forwarding off, test/helpers/webgpu.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  ACTIVATIONS,
  ACTS,
  BATCH,
  FD_COORDS,
  MATMUL_SHAPES,
  SIZES,
  X,
  XS,
  closedTol,
  deriv,
  fdAll,
  gradTol,
  largestEntry,
  lossTf,
  matmulInputs,
  matmulQuantities,
  paramTensors,
  makeParams,
  stencilFromValues,
  stencilPoints,
  stencilRounding,
  worstRatio,
  type Fn,
  type Wave,
} from '../helpers/ops-cases.js';
import { adapterLine, assertAgree, assertNoSyncReads, onWasm, readTidy, readTidyAll, useWebgpu } from '../helpers/webgpu.js';

/** Finite-difference tolerance on webgpu: values within 12 ulp (WGSL exp, see the file comment). */
const fdTolWebgpu = (F: number, ref: number): number => stencilRounding(12) * Math.max(1, F) + 4e-6 * Math.max(1, Math.abs(ref));

before(async () => {
  await useWebgpu();
  console.log(`# ${adapterLine()}`);
});
after(() => assertNoSyncReads());

function assertClose(got: ArrayLike<number>, want: number[], tol: (i: number) => number, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert.ok(
      Number.isFinite(got[i]) && err <= tol(i),
      `${what}: at index ${i} (x = ${XS[i]}) got ${got[i]}, want ${want[i]} (|err| ${err.toExponential(2)} > tol ${tol(i).toExponential(2)})`,
    );
  }
}

/** Derivatives of order 0..3 of our activations at XS (one host array per order). */
async function derivatives(f: Fn): Promise<Float32Array[]> {
  return readTidyAll(() => [0, 1, 2, 3].map((k) => deriv(f, k)(tf.tensor1d(XS))));
}

async function stencil(f: Fn): Promise<{ d: number[]; F: number[] }> {
  return stencilFromValues(await readTidy(() => f(tf.tensor1d(stencilPoints(XS)))), XS.length);
}

test('activations: values and derivatives of order 1, 2, 3 against closed forms, finite differences and wasm', async () => {
  const wasm = await onWasm(async () => {
    const out: Float32Array[][] = [];
    for (const act of ACTS) out.push(await derivatives(act.ours));
    return out;
  });
  for (const [a, act] of ACTS.entries()) {
    const got = await derivatives(act.ours);
    const closed = [act.value, act.d1, act.d2, act.d3];
    for (let k = 0; k <= 3; k++) {
      const ref = XS.map(closed[k]);
      assertClose(got[k], ref, (i) => closedTol(XS[i], ref[i]), `${act.name} order ${k} vs closed form`);
      assertAgree(`${act.name} order ${k}`, got[k], wasm[a][k], (i) => 2 * closedTol(XS[i], ref[i]));
    }
    // tfjs' first derivative is right (its bug is at second order), so its finite differences are references
    const fds: [number, Fn][] = [
      [1, act.native],
      [2, deriv(act.native, 1)],
      [3, deriv(act.ours, 2)],
    ];
    for (const [k, f] of fds) {
      const { d, F } = await stencil(f);
      assertClose(got[k], d, (i) => fdTolWebgpu(F[i], d[i]), `${act.name} order ${k} vs finite differences`);
    }
  }
});

test("the trap is visible on webgpu too: tfjs' own silu'' fails the finite-difference check that ours passes", async () => {
  const native = (t: tf.Tensor) => tf.mul(t, tf.sigmoid(t));
  const wrong = await readTidy(() => deriv(native, 2)(tf.tensor1d(XS)));
  const { d, F } = await stencil(deriv(native, 1));
  const worst = Math.max(...XS.map((_, i) => Math.abs(wrong[i] - d[i]) / fdTolWebgpu(F[i], d[i])));
  assert.ok(worst > 100, `the FD check must flag tfjs' silu'' on webgpu (worst error / tolerance = ${worst.toFixed(1)})`);
  const ours = await readTidy(() => deriv(ACTS[5].ours, 2)(tf.tensor1d(XS)));
  assertClose(ours, d, (i) => fdTolWebgpu(F[i], d[i]), "ours silu'' vs FD");
});

test('matMul / dense: values, gradients and gradients of gradients against tf.matMul on webgpu, and against wasm', async () => {
  const compute = async (ours: boolean, wave: Wave): Promise<Float32Array[][]> => {
    const out: Float32Array[][] = [];
    for (const [si, shape] of MATMUL_SHAPES.entries()) {
      const [n, k, m] = shape;
      const inputs = matmulInputs(shape, si);
      out.push(
        await readTidyAll(() => {
          const a = tf.tensor2d(inputs.a, [n, k]);
          const b = tf.tensor2d(inputs.b, [k, m]);
          const bias = tf.tensor1d(inputs.bias);
          return matmulQuantities(a, b, bias, ours, wave).flatMap((q) => q.values);
        }),
      );
    }
    return out;
  };
  // the unit tests' case (sin, cos): ours against tfjs' matMul, both on webgpu
  const ours = await compute(true, 'trig');
  const reference = await compute(false, 'trig');
  for (const [s, shape] of MATMUL_SHAPES.entries()) {
    ours[s].forEach((got, i) => {
      const scale = Math.max(1, ...Array.from(reference[s][i], Math.abs));
      for (let j = 0; j < got.length; j++) {
        const what = `matMul/dense [${shape}] output ${i} entry ${j}`;
        assert.ok(Math.abs(got[j] - reference[s][i][j]) <= 1e-5 * scale, `${what}: ${got[j]} vs tf.matMul ${reference[s][i][j]}`);
      }
    });
  }
  // webgpu against wasm on the polynomial variant (rounding only on both sides): 1e-5 each, so 2e-5 * scale
  const wasm = await onWasm(() => compute(true, 'poly'));
  const poly = await compute(true, 'poly');
  for (const [s, shape] of MATMUL_SHAPES.entries()) {
    // every output of the shape at once, each entry with its output's scale
    const tols = wasm[s].flatMap((ref) => Array(ref.length).fill(2e-5 * Math.max(1, ...Array.from(ref, Math.abs))) as number[]);
    const flat = (outputs: Float32Array[]) => outputs.flatMap((o) => Array.from(o));
    assertAgree(`matMul/dense [${shape}], ${wasm[s].length} outputs`, flat(poly[s]), flat(wasm[s]), (i) => tols[i]);
  }
});

const params = makeParams();
for (const act of ACTIVATIONS) {
  test(`${act.name} MLP: every parameter gradient of a loss with grad_x f (second order) vs float64 FD and wasm`, async (t) => {
    const reference = fdAll(params, act);
    const grads = async (): Promise<Float32Array[]> =>
      readTidyAll(() => {
        const x = tf.tensor2d(X, [BATCH, SIZES[0]]);
        return tf.grads((...p: tf.Tensor[]) => lossTf(p, x, act.ours, true))(paramTensors(params));
      });
    const wasm = await onWasm(grads);
    const got = await grads();
    const worst = worstRatio(got, reference);
    t.diagnostic(`worst error / tolerance vs float64 FD ${worst.ratio.toExponential(2)}`);
    assert.ok(worst.ratio <= 1, `${act.name}: ${worst.where} (error / tolerance ${worst.ratio.toFixed(2)})`);
    const G = largestEntry(reference);
    const flat = (a: ArrayLike<number>[]) => a.flatMap((v) => Array.from(v));
    const ref = flat(reference);
    assertAgree(`${act.name} MLP parameter gradients`, flat(got), flat(wasm), (i) => 2 * gradTol(G, ref[i]));
    // coordinates in the first, middle and last layers (3 of ops-second-order's 7: SwiftShader spends ~0.4 s per
    // loss) against finite differences of the float32 loss evaluated on webgpu
    const h = 2 ** -6;
    for (const [k, j] of [FD_COORDS[0], FD_COORDS[2], FD_COORDS[6]]) {
      const at = async (d: number): Promise<number> => {
        const pert = params.map((p) => Float32Array.from(p));
        pert[k][j] += d;
        return (await readTidy(() => lossTf(paramTensors(pert), tf.tensor2d(X, [BATCH, SIZES[0]]), act.ours, true)))[0];
      };
      const L = await at(0);
      const fd = ((await at(-2 * h)) - 8 * (await at(-h)) + 8 * (await at(h)) - (await at(2 * h))) / (12 * h);
      const tol = 1e-3 * Math.max(1, Math.abs(L)) + 1e-3 * Math.abs(fd);
      assert.ok(Math.abs(got[k][j] - fd) <= tol, `${act.name} param ${k}[${j}]: autodiff ${got[k][j]} vs float32 FD on webgpu ${fd}`);
    }
  });
}

test("tf.addN of more tensors than one shader's storage buffers (lib/core/backend.ts splits it) on webgpu", async () => {
  // RealNVP's log-det sum and fit's finite probe add one tensor per variable; without the split, a pipeline with
  // 34 storage buffers is invalid (limit 8) and every later dispatch fails.
  const values = Array.from({ length: 33 }, (_, i) => [i, -2 * i, 0.5 * i]);
  const got = await readTidy(() => tf.addN(values.map((v) => tf.add(tf.tensor1d(v), 0))));
  const want = [0, 1, 2].map((j) => values.reduce((acc, v) => acc + v[j], 0));
  assert.deepEqual(Array.from(got), want);
});
