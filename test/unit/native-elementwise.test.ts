/**
 * The addon's elementwise kernels on the wasm backend: Exp and Tanh (lib/core/nativeElementwise.ts) against float64
 * Math.exp / Math.tanh, and the fused MLP kernels (lib/core/fusedMlp.ts, nativeMlp.ts) against the same MLP run
 * layer by layer. Skipped when build/native/sgemm.node is not built or lacks native/elementwise.c.
 *
 * Tolerances (deterministic; no seed is tuned):
 * - exp: 3 ulp of the correctly rounded float (the polynomial's measured worst case over 2^20 random points was
 *   3; the documented contract in nativeElementwise.ts). tanh: 5 ulp. Subnormal exp results flush to 0.
 * - relu MLPs: the fused kernels make the same OpenBLAS calls with the same arithmetic, so values and every
 *   gradient are compared bit for bit.
 * - silu MLPs: only the sigmoid differs (the addon's exp against XNNPACK's), by a few ulp per activation; through
 *   3 layers of width <= 33 with unit-scale weights the differences stay below 64 u times the largest |entry| of
 *   each array (u = 2^-24): a 16x margin over the 4 u measured.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadSgemmAddon, NATIVE_ADDON_PATH } from '../../lib/core/nativeMatMul.js';
import { disableNativeMlp, enableNativeMlp } from '../../lib/core/nativeMlp.js';
import { disableNativeElementwise, enableNativeElementwise } from '../../lib/core/nativeElementwise.js';
import { canFuseMlp, mlpKernelName } from '../../lib/core/fusedMlp.js';
import { mlp, type Activation } from '../../lib/models/mlp.js';
import { realNvp } from '../../lib/models/realnvp.js';
import { disableNativeCoupling, enableNativeCoupling } from '../../lib/core/nativeCoupling.js';
import { key, normal, normalArray } from '../../lib/core/random.js';
import { useBackend } from '../helpers/backends.js';

const U = 2 ** -24;
const loaded = loadSgemmAddon();
const skip = loaded.addon == null
  ? `addon not available (${loaded.reason})`
  : typeof loaded.addon.binary !== 'function'
    ? `${NATIVE_ADDON_PATH} was built before native/elementwise.c (rerun node scripts/build-native.mjs)`
    : process.env.SAMPLING_LAB_NATIVE_MATMUL === '0' || process.env.SAMPLING_LAB_NATIVE_ELEMENTWISE === '0'
      ? 'native kernels switched off by the environment'
      : (process.env.SAMPLING_LAB_TEST_BACKEND ?? 'wasm') !== 'wasm'
        ? 'wasm-only kernels'
        : false;
const blas = loaded.addon as Required<NonNullable<typeof loaded.addon>>;

/** Distance in units in the last place between two floats of the same sign (or both zero). */
function ulpDistance(a: number, b: number): number {
  if (a === b) return 0; // also +0 and -0 (the sign of zero is checked separately)
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  return Math.abs(i[0] - i[1]);
}

function checkUnary(name: string, op: (x: tf.Tensor) => tf.Tensor, exact: (x: number) => number, xs: Float32Array, maxUlp: number): number {
  const got = op(tf.tensor1d(xs)).dataSync();
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const want = Math.fround(exact(xs[i]));
    // below the smallest normal float the contract is a flush to 0
    if (Math.abs(want) < 2 ** -126 && want !== 0) {
      assert.ok(got[i] === 0 || ulpDistance(got[i], want) <= maxUlp, `${name}(${xs[i]}) = ${got[i]}, expected 0 or ${want}`);
      continue;
    }
    const d = Number.isNaN(want) ? (Number.isNaN(got[i]) ? 0 : Infinity) : ulpDistance(got[i], want);
    worst = Math.max(worst, d);
    if (!(d <= maxUlp)) assert.fail(`${name}(${xs[i]}) = ${got[i]}, expected ${want} (${d} ulp > ${maxUlp})`);
  }
  return worst;
}

describe('native Exp and Tanh kernels (wasm)', { skip }, () => {
  before(async () => {
    await useBackend('wasm');
  });

  test('exp is within 3 ulp over the float range, with 0, inf and NaN at the edges', () => {
    const xs = Float32Array.from(normalArray(key(11), 100_000), (z) => z * 30);
    const edges = [0, -0, 1e-30, -1e-8, 0.5, -87.3, -87.34, -88, -104, -1000, 88.7, 88.72, 88.73, 1000, Infinity, -Infinity, NaN];
    const worst = checkUnary('exp', tf.exp, Math.exp, Float32Array.from([...xs, ...edges]), 3);
    console.log(`# exp: worst ${worst} ulp over ${xs.length + edges.length} points`);
  });

  test('tanh is within 5 ulp, odd, exact at 0 and saturating to +-1', () => {
    const wide = Float32Array.from(normalArray(key(12), 50_000), (z) => z * 4);
    const small = Float32Array.from(normalArray(key(13), 50_000), (z) => z * 0.2);
    const edges = [0, -0, 1e-30, -1e-30, 0.25, -0.25, 0.2499, 20, -20, 1e30, Infinity, -Infinity, NaN];
    const worst = checkUnary('tanh', tf.tanh, Math.tanh, Float32Array.from([...wide, ...small, ...edges]), 5);
    console.log(`# tanh: worst ${worst} ulp over ${wide.length + small.length + edges.length} points`);
    const signs = tf.tanh(tf.tensor1d([-0, 0])).dataSync();
    assert.ok(Object.is(signs[0], -0) && Object.is(signs[1], 0), `tanh(-0), tanh(0) = ${signs[0]}, ${signs[1]}`);
  });

  test('select picks the same elements as the original kernel (per element, per row, int32, fallbacks)', () => {
    const t = normal(key(21), [300, 7]);
    const e = normal(key(22), [300, 7]);
    const cases: [string, () => tf.Tensor][] = [
      ['per element', () => tf.where(tf.greater(t, e), t, e)],
      ['per row (original kernel)', () => tf.engine().runKernel('Select', { condition: tf.greater(tf.sum(t, 1), 0), t, e }) as tf.Tensor],
      ['int32', () => tf.where(tf.greater(t, 0), tf.cast(tf.mul(t, 100), 'int32'), tf.cast(e, 'int32'))],
      ['1-d', () => tf.where(tf.less(tf.sum(e, 1), 0), tf.sum(t, 1), tf.sum(e, 1))],
      ['broadcast (original kernel)', () => tf.where(tf.greater(t, 0), t, tf.zerosLike(t))],
    ];
    for (const [name, run] of cases) {
      const native = tf.tidy(() => run().dataSync());
      assert.ok(disableNativeElementwise());
      let original: ArrayLike<number>;
      try {
        original = tf.tidy(() => run().dataSync());
      } finally {
        enableNativeElementwise(blas);
      }
      assert.deepEqual(Array.from(native), Array.from(original), name);
    }
    // the masks above are not trivial: both branches are taken
    const taken = tf.tidy(() => tf.sum(tf.cast(tf.greater(t, e), 'float32')).dataSync()[0]);
    assert.ok(taken > 500 && taken < 1600, `elements taken from t: ${taken} of 2100`);
  });

  test('add / sub / mul give the same bits as the original kernels (full, row, scalar, either side; fallbacks)', () => {
    const full = normal(key(31), [50, 7]);
    const full2 = normal(key(32), [50, 7]);
    const row = normal(key(33), [1, 7]);
    const vec = normal(key(34), [7]);
    const col = normal(key(35), [50, 1]);
    const scalar = tf.scalar(-1.75);
    const pairs: [string, tf.Tensor, tf.Tensor][] = [
      ['full, full', full, full2], ['full, row', full, row], ['row, full', row, full], ['full, [d]', full, vec],
      ['[d], full', vec, full], ['full, scalar', full, scalar], ['scalar, full', scalar, full],
      ['full, column (original kernel)', full, col], ['row, column (original kernel)', row, col],
    ];
    for (const [name, a, b] of pairs) {
      for (const op of [tf.add, tf.sub, tf.mul]) {
        const native = tf.tidy(() => op(a, b).dataSync());
        assert.ok(disableNativeElementwise());
        let original: ArrayLike<number>;
        try {
          original = tf.tidy(() => op(a, b).dataSync());
        } finally {
          enableNativeElementwise(blas);
        }
        assert.deepEqual(Array.from(native), Array.from(original), `${op.name} ${name}`);
      }
    }
    // the row case is not the full case: a wrong stride would read past the row
    const rowSum = tf.tidy(() => tf.add(full, row).dataSync());
    const byHand = full.dataSync().map((v, i) => Math.fround(v + row.dataSync()[i % 7]));
    assert.deepEqual(Array.from(rowSum), Array.from(byHand));
  });

  test('non-float32 inputs go to the original kernels; disabling restores them', () => {
    const ints = tf.exp(tf.tensor1d([0, 1, 2], 'int32')).dataSync();
    assert.deepEqual(Array.from(ints, (v) => Math.round(v * 1e4) / 1e4), [1, 2.7183, 7.3891]);
    const x = tf.tensor1d([0.3, -2.5, 7]);
    const native = tf.exp(x).dataSync();
    assert.ok(disableNativeElementwise(), 'they were enabled');
    try {
      const original = tf.exp(x).dataSync();
      native.forEach((v, i) => assert.ok(ulpDistance(v, original[i]) <= 3, `exp(${x.dataSync()[i]}): ${v} vs ${original[i]}`));
    } finally {
      assert.ok(enableNativeElementwise(blas));
    }
  });
});

/** Values, input gradient and every parameter gradient of a first-order loss through `net`. */
function mlpRun(net: ReturnType<typeof mlp>, x: tf.Tensor2D): Float32Array[] {
  return tf.tidy(() => {
    const weights = tf.range(1, net.sizes[net.sizes.length - 1] + 1);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(net.apply(x), weights)) as tf.Scalar, net.variables);
    const gx = tf.grad((xi: tf.Tensor) => tf.sum(tf.square(net.apply(xi as tf.Tensor2D))))(x);
    const y = net.apply(x);
    return [y, value, gx, ...net.variables.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
  });
}

function layerByLayer<T>(fn: () => T): T {
  assert.ok(disableNativeMlp(), 'the fused kernels were enabled');
  try {
    return fn();
  } finally {
    enableNativeMlp(blas);
  }
}

describe('fused MLP kernels (wasm)', { skip }, () => {
  const nets: ReturnType<typeof mlp>[] = [];
  before(async () => {
    await useBackend('wasm');
  });
  after(() => nets.forEach((n) => n.dispose()));

  const make = (activation: Activation, sizes: number[], seed: number) => {
    const net = mlp(key(seed), sizes, { activation });
    nets.push(net);
    return net;
  };

  test('relu: values and every gradient equal the layer-by-layer run bit for bit', () => {
    for (const sizes of [[5, 33, 17, 3], [4, 9], [16, 64, 64, 16]]) {
      const net = make('relu', sizes, sizes.length * 7);
      const x = normal(key(sizes[1]), [70, sizes[0]]) as tf.Tensor2D;
      assert.ok(canFuseMlp(x, net.weights, net.biases, 'relu'), 'the fused kernel is available');
      const fused = mlpRun(net, x);
      const plain = layerByLayer(() => mlpRun(net, x));
      fused.forEach((a, i) => a.forEach((v, j) => {
        if (!Object.is(v, plain[i][j])) assert.fail(`sizes ${sizes}: array ${i} entry ${j}: fused ${v}, layer by layer ${plain[i][j]}`);
      }));
      x.dispose();
    }
  });

  test('silu: values and every gradient within 64 u of the layer-by-layer run', () => {
    const net = make('silu', [5, 33, 17, 3], 3);
    const x = normal(key(4), [70, 5]) as tf.Tensor2D;
    const fused = mlpRun(net, x);
    const plain = layerByLayer(() => mlpRun(net, x));
    let worst = 0;
    fused.forEach((a, i) => {
      const scale = Math.max(...Array.from(plain[i], Math.abs));
      a.forEach((v, j) => {
        const err = Math.abs(v - plain[i][j]) / (U * scale);
        worst = Math.max(worst, err);
        if (!(err <= 64)) assert.fail(`array ${i} entry ${j}: fused ${v}, layer by layer ${plain[i][j]} (${err.toFixed(1)} u of the scale)`);
      });
    });
    console.log(`# silu fused vs layer by layer: worst ${worst.toFixed(2)} u of each array's scale`);
    x.dispose();
  });

  test('one forward kernel per net, and layer by layer inside a gradient of a gradient (same values)', () => {
    const net = make('silu', [3, 16, 16, 1], 5);
    const x = normal(key(6), [20, 3]) as tf.Tensor2D;
    const kernels: string[] = [];
    const profile = tf.engine() as unknown as { state: { profiling: boolean; activeProfile: { kernels: { name: string }[] } } };
    const count = (fn: () => void): string[] => {
      profile.state.activeProfile.kernels = [];
      profile.state.profiling = true;
      try {
        fn();
      } finally {
        profile.state.profiling = false;
      }
      return profile.state.activeProfile.kernels.map((k) => k.name);
    };
    kernels.push(...count(() => tf.tidy(() => void net.apply(x))));
    assert.deepEqual(kernels.filter((k) => k.startsWith('SamplingLabMlp')), ['SamplingLabMlpWorkspace', mlpKernelName(3)]);
    // the loss holds an input-gradient: the inner gradient is taken at depth 2, so no fused kernel runs
    const secondOrder = (): (number[] | null)[] => {
      let out: (number[] | null)[] = [];
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const g = tf.grad((xi: tf.Tensor) => tf.sum(net.apply(xi as tf.Tensor2D)))(x);
          return tf.mean(tf.sum(tf.square(g), 1)) as tf.Scalar;
        }, net.variables);
        out = net.variables.map((v) => (grads[v.name] == null ? null : Array.from(grads[v.name].dataSync())));
      });
      return out;
    };
    let fusedGrads: (number[] | null)[] = [];
    const inner = count(() => void (fusedGrads = secondOrder()));
    assert.equal(inner.filter((k) => k.startsWith('SamplingLabMlp')).length, 0, `kernels: ${[...new Set(inner)]}`);
    const plainGrads = layerByLayer(secondOrder);
    assert.deepEqual(fusedGrads, plainGrads);
    x.dispose();
  });

  test('a training step leaves no tensor behind, and an input-gradient computes no weight gradient', () => {
    const net = make('relu', [4, 32, 32, 2], 8);
    const x = normal(key(9), [64, 4]) as tf.Tensor2D;
    const step = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.apply(x))) as tf.Scalar, net.variables);
      value.dataSync();
      Object.values(grads).forEach((g) => g.dataSync());
    });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before, 'tensors after 3 steps');
    // only some weights asked for: the weight gradients nobody took are freed with the backward pass
    const partial = (vars: tf.Variable[]) => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.mean(tf.square(net.apply(x))) as tf.Scalar, vars);
      return vars.map((v) => Array.from(grads[v.name].dataSync()));
    });
    const some = partial([net.weights[2], net.biases[0]]);
    assert.equal(tf.memory().numTensors, before, 'tensors after a gradient of two of the six variables');
    const all = partial(net.variables);
    assert.deepEqual(some, [all[4], all[1]], 'the same gradients as when all are asked for');
    const profile = tf.engine() as unknown as { state: { profiling: boolean; activeProfile: { kernels: { name: string }[] } } };
    profile.state.activeProfile.kernels = [];
    profile.state.profiling = true;
    try {
      tf.tidy(() => void tf.grad((xi: tf.Tensor) => tf.sum(net.apply(xi as tf.Tensor2D)))(x).dataSync());
    } finally {
      profile.state.profiling = false;
    }
    const names = profile.state.activeProfile.kernels.map((k) => k.name);
    assert.equal(names.filter((k) => k === 'SamplingLabMlpWeightGrads').length, 0, `kernels: ${names}`);
    assert.equal(names.filter((k) => k === 'SamplingLabMlpDeltas').length, 1, `kernels: ${names}`);
    x.dispose();
  });
});

describe('fused RealNVP couplings (wasm)', { skip }, () => {
  before(async () => {
    await useBackend('wasm');
  });

  /** Both directions: output, log-det, the input gradient and every parameter gradient of a first-order loss. */
  const flowRun = (flow: ReturnType<typeof realNvp>, x: tf.Tensor2D): Float32Array[] => tf.tidy(() => {
    const out: Float32Array[] = [];
    for (const dir of ['inverse', 'forward'] as const) {
      const loss = (xi: tf.Tensor2D) => {
        const o = flow[dir](xi);
        return tf.add(tf.sum(tf.square(o.value)), tf.sum(tf.mul(o.logDet, 3))) as tf.Scalar;
      };
      const { value, grads } = tf.variableGrads(() => loss(x), flow.variables);
      const gx = tf.grad((xi: tf.Tensor) => loss(xi as tf.Tensor2D))(x);
      const o = flow[dir](x);
      out.push(...[value, gx, o.value, o.logDet, ...flow.variables.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array));
    }
    return out;
  });

  test('values, log-dets and every gradient equal the op-by-op run bit for bit, both directions', () => {
    const flow = realNvp(key(41), { dim: 6, numBlocks: 3, hiddenDim: 16, initScale: 1 });
    const x = normal(key(42), [50, 6]) as tf.Tensor2D;
    const fused = flowRun(flow, x);
    assert.ok(disableNativeCoupling(), 'the fused kernels were enabled');
    let plain: Float32Array[];
    try {
      plain = flowRun(flow, x);
    } finally {
      enableNativeCoupling(blas);
    }
    fused.forEach((a, i) => a.forEach((v, j) => {
      if (!Object.is(v, plain[i][j])) assert.fail(`array ${i} entry ${j}: fused ${v}, op by op ${plain[i][j]}`);
    }));
    // the flow is not near the identity (initScale 1): the couplings do move x
    const moved = fused[2].some((v, i) => Math.abs(v - x.dataSync()[i]) > 0.05);
    assert.ok(moved, 'the inverse pass changed x');
    flow.dispose();
    x.dispose();
  });

  test('a gradient of a gradient runs op by op (no fused coupling kernel), with the same values', () => {
    const flow = realNvp(key(43), { dim: 4, numBlocks: 2, hiddenDim: 8, initScale: 1 });
    const x = normal(key(44), [20, 4]) as tf.Tensor2D;
    const secondOrder = (): number[][] => {
      let out: number[][] = [];
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const g = tf.grad((xi: tf.Tensor) => tf.sum(flow.inverse(xi as tf.Tensor2D).logDet))(x);
          return tf.sum(tf.square(g)) as tf.Scalar;
        }, flow.variables);
        out = flow.variables.filter((v) => grads[v.name] != null).map((v) => Array.from(grads[v.name].dataSync()));
      });
      return out;
    };
    const profile = tf.engine() as unknown as { state: { profiling: boolean; activeProfile: { kernels: { name: string }[] } } };
    profile.state.activeProfile.kernels = [];
    profile.state.profiling = true;
    let fused: number[][];
    try {
      fused = secondOrder();
    } finally {
      profile.state.profiling = false;
    }
    const names = profile.state.activeProfile.kernels.map((k) => k.name);
    assert.ok(!names.includes('SamplingLabAffineCoupling'), 'no fused coupling inside a second-order gradient');
    assert.ok(fused.length > 0 && fused.some((g) => g.some((v) => v !== 0)), 'second-order gradients are not all zero');
    assert.ok(disableNativeCoupling());
    try {
      assert.deepEqual(fused, secondOrder());
    } finally {
      enableNativeCoupling(blas);
    }
    flow.dispose();
    x.dispose();
  });
});
