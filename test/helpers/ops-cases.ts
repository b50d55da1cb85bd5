/**
 * The cases of the lib/core/ops.ts gradient tests, shared by test/unit/ops.test.ts, test/unit/ops-second-order.test.ts
 * (cpu, wasm) and test/webgpu/ops.test.ts (webgpu against wasm). Everything here is backend-free: case definitions,
 * float64 references, finite-difference stencils on host arrays, and the tolerances with their error models.
 * Reading tensors back is the caller's business (synchronous on cpu / wasm, asynchronous on webgpu).
 *
 * Part 1, elementwise activations (ops.test.ts). Points x are multiples of 1/8 in [-4, 4] and h = 2^-7, so x ± h
 * and x ± 2h are exact float32 numbers; the 4th-order stencil (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h has
 * truncation error h^4 / 30 * max|f'''''| <= 1.2e-10 * max|f'''''| (negligible here: |f'''''| < 60 for every
 * function on [-4.02, 4.02]). Its rounding error: each float32 value is within u ulp <= u * 2^-23 * F of the exact
 * one (F = the largest |f| on the stencil), so the stencil is off by at most 18 / (12 h) * u * 2^-23 * F
 * = 2.29e-5 * u * F. tfjs' cpu / wasm transcendental kernels are accurate to a few ulp: u = 4 gives 9.2e-5 * F,
 * the tolerance 1e-4 * max(1, F) (`fdTol`), plus 4e-6 * max(1, |ref|) for the float32 rounding of the derivative
 * under test. Closed forms in float64: our float32 derivative is a product of a few terms each within a few ulp,
 * the largest term bounded by (1 + |x|) * max(1, |ref|); tolerance 5e-6 * (1 + |x|) * max(1, |ref|) (`closedTol`,
 * about 40 ulp). The wrong second derivatives these tests exist to catch are off by 0.05 to 1.
 *
 * Part 2, the MLP input-gradient loss (ops-second-order.test.ts): see the comment above `loss64`.
 */
import * as tf from '@tensorflow/tfjs';
import * as ops from '../../lib/core/ops.js';

export type Fn = (t: tf.Tensor) => tf.Tensor;

// ---------------------------------------------------------------------------------------------------
// Part 1: activations

export const H = 2 ** -7;
export const XS = [-4, -2.5, -1.25, -0.5, -0.125, 0, 0.25, 0.75, 1.5, 3, 4];

/** The 4 stencil points of each x: x - 2h, x - h, x + h, x + 2h (exact float32 numbers). */
export function stencilPoints(xs: number[]): number[] {
  return xs.flatMap((x) => [x - 2 * H, x - H, x + H, x + 2 * H]);
}

/** d/dx f at each x from f's values at `stencilPoints(xs)`; F = max |f| on each stencil. */
export function stencilFromValues(y: ArrayLike<number>, count: number): { d: number[]; F: number[] } {
  const d: number[] = [];
  const F: number[] = [];
  for (let i = 0; i < count; i++) {
    const [a, b, c, e] = [y[4 * i], y[4 * i + 1], y[4 * i + 2], y[4 * i + 3]];
    d.push((a - 8 * b + 8 * c - e) / (12 * H));
    F.push(Math.max(Math.abs(a), Math.abs(b), Math.abs(c), Math.abs(e)));
  }
  return { d, F };
}

/** Elementwise derivative of order k by nested tf.grad. */
export function deriv(f: Fn, k: number): Fn {
  let g = f;
  for (let i = 0; i < k; i++) {
    const inner = g;
    g = (t) => tf.grad((u: tf.Tensor) => tf.sum(inner(u)))(t);
  }
  return g;
}

export const sig = (v: number): number => 1 / (1 + Math.exp(-v));

export interface Act {
  name: string;
  ours: Fn;
  native: Fn;
  value: (v: number) => number;
  d1: (v: number) => number;
  d2: (v: number) => number;
  d3: (v: number) => number;
}

export const ACTS: Act[] = [
  {
    name: 'sigmoid',
    ours: ops.sigmoid,
    native: tf.sigmoid,
    value: sig,
    d1: (v) => sig(v) * (1 - sig(v)),
    d2: (v) => {
      const s = sig(v);
      return s * (1 - s) * (1 - 2 * s);
    },
    d3: (v) => {
      const s = sig(v);
      return s * (1 - s) * (1 - 6 * s + 6 * s * s);
    },
  },
  {
    name: 'tanh',
    ours: ops.tanh,
    native: tf.tanh,
    value: Math.tanh,
    d1: (v) => 1 - Math.tanh(v) ** 2,
    d2: (v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2),
    d3: (v) => {
      const t = Math.tanh(v);
      return (1 - t * t) * (6 * t * t - 2);
    },
  },
  { name: 'exp', ours: ops.exp, native: tf.exp, value: Math.exp, d1: Math.exp, d2: Math.exp, d3: Math.exp },
  {
    name: 'softplus',
    ours: ops.softplus,
    native: tf.softplus,
    value: (v) => Math.log1p(Math.exp(v)),
    d1: sig,
    d2: (v) => sig(v) * (1 - sig(v)),
    d3: (v) => {
      const s = sig(v);
      return s * (1 - s) * (1 - 2 * s);
    },
  },
  {
    name: 'logSigmoid',
    ours: ops.logSigmoid,
    native: tf.logSigmoid,
    value: (v) => -Math.log1p(Math.exp(-v)),
    d1: (v) => sig(-v),
    d2: (v) => -sig(v) * (1 - sig(v)),
    d3: (v) => {
      const s = sig(v);
      return s * (1 - s) * (2 * s - 1);
    },
  },
  {
    name: 'silu',
    ours: ops.silu,
    native: (t) => tf.mul(t, tf.sigmoid(t)),
    value: (v) => v * sig(v),
    d1: (v) => {
      const s = sig(v);
      return s * (1 + v * (1 - s));
    },
    d2: (v) => {
      const s = sig(v);
      return s * (1 - s) * (2 + v * (1 - 2 * s));
    },
    d3: (v) => {
      const s = sig(v);
      const s1 = s * (1 - s);
      return s1 * ((1 - 2 * s) * (3 + v * (1 - 2 * s)) - 2 * v * s1);
    },
  },
];

/** Stencil rounding for values within `ulps` ulp of the exact ones: 18 / (12 h) * ulps * 2^-23 (see the file comment). */
export const stencilRounding = (ulps: number): number => ((18 / (12 * H)) * ulps) / 2 ** 23;

/** Finite-difference tolerance for kernels accurate to 4 ulp (cpu, wasm): 1e-4 >= stencilRounding(4) = 9.2e-5. */
export const fdTol = (F: number, ref: number): number => 1e-4 * Math.max(1, F) + 4e-6 * Math.max(1, Math.abs(ref));
export const closedTol = (x: number, ref: number): number => 5e-6 * (1 + Math.abs(x)) * Math.max(1, Math.abs(ref));

// ---------------------------------------------------------------------------------------------------
// Part 2: the MLP input-gradient loss (second order through the parameters)

/**
 * MLP 2-16-16-1 built from ops.dense + an activation, loss = mean_b( 0.5 f(x_b)^2 + |grad_x f(x_b)|^2 ), the
 * input-gradient taken with tf.grad inside tf.variableGrads / tf.grads (second order).
 * 1. Every parameter gradient against central finite differences of the same loss written in float64 JavaScript
 *    (`loss64`: forward pass and analytic input-gradient). 4th-order stencil with h = 1e-3: truncation
 *    h^4/30 |L'''''| ~ 1e-13, rounding 1.5 * 2^-52 * |L| / h ~ 3e-13, so the reference is exact to float32 eyes. Our
 *    float32 gradients carry rounding from a few hundred operations per entry, each within 2^-24 relative of its
 *    inputs, whose sizes are bounded by the largest gradient entry G: tolerance 2e-4 * G + 1e-3 |g| (`worstRatio`,
 *    about 1000 ulp of G). The bug these tests are for is 5-60 % of G.
 * 2. A handful of coordinates against central finite differences of the float32 tfjs loss itself (h = 2^-6,
 *    4th-order stencil): rounding 1.5 * eps_L / h with eps_L <= 1e-6 |L| (float32 sums over a 32-sample batch),
 *    so ~1e-4 |L|; truncation h^4/30 |L'''''| ~ 2e-9 |L'''''|. Tolerance 1e-3 * max(1, |L|) + 1e-3 |g|.
 * Parameters and data are fixed float32 numbers (a deterministic sine sequence): no seeds are involved.
 */
export const SIZES = [2, 16, 16, 1];
export const BATCH = 32;

export interface Activation {
  name: string;
  ours: (t: tf.Tensor) => tf.Tensor;
  native: ((t: tf.Tensor) => tf.Tensor) | null;
  f: (v: number) => number;
  df: (v: number) => number;
}

export const ACTIVATIONS: Activation[] = [
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
export function series(n: number, phase: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => scale * Math.SQRT2 * Math.sin(12.9898 * (i + 1) + 78.233 * phase));
}

/** Parameters as flat float32 arrays: W_l [in, out] row-major, b_l [out]. */
export function makeParams(): Float32Array[] {
  const p: Float32Array[] = [];
  for (let l = 0; l + 1 < SIZES.length; l++) {
    const [i, o] = [SIZES[l], SIZES[l + 1]];
    p.push(series(i * o, 2 * l + 1, 1 / Math.sqrt(i)));
    p.push(series(o, 2 * l + 2, 0.3));
  }
  return p;
}

export const X = series(BATCH * SIZES[0], 17, 1);

/** The loss in float64: forward, analytic input-gradient, mean of 0.5 f^2 + |grad_x f|^2. */
export function loss64(params: Float64Array[], act: Activation): number {
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

/** Every parameter gradient of `loss64` by central finite differences (h = 1e-3, 4th order). */
export function fdAll(params: Float32Array[], act: Activation): Float64Array[] {
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
export function lossTf(params: tf.Tensor[], x: tf.Tensor, act: (t: tf.Tensor) => tf.Tensor, useOurs: boolean): tf.Scalar {
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

export function paramTensors(params: Float32Array[]): tf.Tensor[] {
  return params.map((p, k) => {
    const l = Math.floor(k / 2);
    return k % 2 === 0 ? tf.tensor2d(p, [SIZES[l], SIZES[l + 1]]) : tf.tensor1d(p);
  });
}

/** Tolerance of one parameter gradient entry (see the comment above SIZES): 2e-4 G + 1e-3 |ref|. */
export const gradTol = (G: number, ref: number): number => 2e-4 * G + 1e-3 * Math.abs(ref);

/** The largest |ref| over every coordinate (G of the tolerance). */
export const largestEntry = (ref: ArrayLike<number>[]): number => Math.max(...ref.map((r) => Math.max(...Array.from(r, Math.abs))));

/** Largest |ours - reference| / gradTol over every coordinate (> 1 means a failure). */
export function worstRatio(got: ArrayLike<number>[], ref: Float64Array[]): { ratio: number; where: string; relToG: number } {
  const G = largestEntry(ref);
  let worst = { ratio: 0, where: '', relToG: 0 };
  ref.forEach((r, k) =>
    r.forEach((want, j) => {
      const err = Math.abs(got[k][j] - want);
      const ratio = err / gradTol(G, want);
      if (!(ratio <= worst.ratio)) worst = { ratio, where: `param ${k} entry ${j}: ${got[k][j]} vs ${want}`, relToG: err / G };
    }),
  );
  return worst;
}

/** The coordinates of the float32-FD check: one in each weight matrix and bias, plus a second in the middle layer. */
export const FD_COORDS: [number, number][] = [[0, 5], [1, 3], [2, 37], [2, 200], [3, 11], [4, 7], [5, 0]];

// ---------------------------------------------------------------------------------------------------
// Part 3: matMul / dense against tf.matMul, values and gradients to second order (ops.test.ts)

/** [n, k, m]: square, vectors on either side, k = 1, and both product-transpose orientations. */
export const MATMUL_SHAPES: [number, number, number][] = [
  [5, 3, 4],
  [5, 1, 4],
  [1, 3, 4],
  [6, 3, 1],
  [64, 8, 2],
  [2, 8, 64],
];

/** Deterministic inputs a [n, k], b [k, m], bias [m] of shape number `si` (no seeds), as host arrays. */
export function matmulInputs([n, k, m]: [number, number, number], si: number): { a: number[]; b: number[]; bias: number[] } {
  return {
    a: Array.from({ length: n * k }, (_, i) => Math.sin(i + si)),
    b: Array.from({ length: k * m }, (_, i) => Math.cos(0.7 * i + si)),
    bias: Array.from({ length: m }, (_, i) => 0.1 * i - 0.2),
  };
}

type MM = (p: tf.Tensor, q: tf.Tensor) => tf.Tensor;
type MMB = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.Tensor;

/**
 * The smooth functions wrapped around the products: 'trig' (sin, cos: the unit tests' case) or 'poly' (their
 * Taylor polynomials x - x^3/6 and 1 - x^2/2, products and sums only). WGSL allows sin and cos an absolute error of
 * 2^-11 (SwiftShader: 1.9e-4), far above float32 rounding, so webgpu is compared with wasm on 'poly', where both
 * backends only round; 'trig' is compared with tf.matMul on the same backend (the same sin / cos kernels).
 */
export type Wave = 'trig' | 'poly';

function waves(wave: Wave): { s: Fn; c: Fn } {
  if (wave === 'trig') return { s: tf.sin, c: tf.cos };
  return {
    s: (x) => tf.sub(x, tf.mul(1 / 6, tf.mul(x, tf.mul(x, x)))),
    c: (x) => tf.sub(1, tf.mul(0.5, tf.mul(x, x))),
  };
}

/**
 * The quantities compared, for our ops (`ours = true`) or tfjs' own matMul (the reference): values of matMul and
 * dense, the gradient of sum(s(a b)), and two gradients of losses that contain a gradient (second order):
 * d/d(a, b, bias) of |d/da sum(s(a b + bias))|^2 + sum(c(a b + bias)), and d/d(a, b) of |d/da|^2 + |d/db|^2
 * (s, c = sin, cos by default). Every entry is a sum of O(k m) products of rounded float32 numbers: within
 * 1e-5 * max(1, max |ref|) of the exact value (the tolerance of ops.test.ts).
 */
export function matmulQuantities(a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor, ours: boolean, wave: Wave = 'trig'): { name: string; values: tf.Tensor[] }[] {
  const { s, c } = waves(wave);
  const mm: MM = ours ? ops.matMul : (p, q) => tf.matMul(p, q);
  const dense: MMB = ours ? ops.dense : (p, q, r) => tf.add(tf.matMul(p, q), r);
  const mmLoss = (p: tf.Tensor, q: tf.Tensor) => tf.sum(s(mm(p, q)));
  const gg = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => {
    const ga = tf.grad((u: tf.Tensor) => tf.sum(s(dense(u, q, r))))(p);
    return tf.add(tf.sum(tf.square(ga)), tf.sum(c(dense(p, q, r))));
  };
  const gg2 = (p: tf.Tensor, q: tf.Tensor) => {
    const ga = tf.grad((u: tf.Tensor) => tf.sum(s(mm(u, q))))(p);
    const gb = tf.grad((w: tf.Tensor) => tf.sum(s(mm(p, w))))(q);
    return tf.add(tf.sum(tf.square(ga)), tf.sum(tf.square(gb)));
  };
  return [
    { name: 'matMul value', values: [mm(a, b)] },
    { name: 'dense value', values: [dense(a, b, bias)] },
    { name: 'matMul grad', values: tf.grads(mmLoss)([a, b]) },
    { name: 'dense grad-of-grad', values: tf.grads(gg)([a, b, bias]) },
    { name: 'matMul grad-of-grad', values: tf.grads(gg2)([a, b]) },
  ];
}
