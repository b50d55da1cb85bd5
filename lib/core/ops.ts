/**
 * Fused ops with gradients that are correct to every order and fast on the wasm backend.
 *
 * Every fix for the tfjs traps of DESIGN.md section 1 lives here (traps 1, 2, 3 and 8):
 *
 * 1. **Transposed matmuls are slow on wasm.** tfjs-backend-wasm sends every matmul with a `transposeA` /
 *    `transposeB` flag to a blocked scalar loop (0.4 GFLOP/s; the XNNPACK path for plain `a · b` runs at
 *    13-28 GFLOP/s here), and the gradient of `tf.matMul` uses those flags. {@link matMul} and {@link dense}
 *    have gradients that materialise the transposes (`tf.transpose`, or a free reshape when one side is a
 *    vector) and then call this module's `matMul` again, so the gradient of the gradient avoids the slow path too.
 *    Where the flags are fast (other backends; wasm with the OpenBLAS kernels of nativeMatMul.ts) the gradients
 *    pass them instead of copying: see {@link setTransposePolicy}.
 * 2. **Second-order gradients through sigmoid / tanh / exp are silently wrong** (tfjs issue 3252): the native
 *    gradients reuse the saved *output*, and tfjs records the copy of that output on the tape before the op that
 *    produced it, so the outer tape never connects it to the input. The activations here get gradients that are
 *    recomputed from the *input* with this module's own ops, so every order is correct.
 * 3. **`tf.where` with a computed condition does not differentiate** ("gradient function not found for
 *    Greater"): {@link select} and {@link finiteOr} build their conditions off the tape.
 * 8. **Broadcast `tf.where` is slow on wasm** (13-24 ms for a [4096, 32] select): {@link select} is an
 *    arithmetic blend `mask * a + (1 - mask) * b`.
 *
 * How the ops are built. Each fused op is a kernel registered with `tf.registerKernel` (forward written with tfjs
 * ops, run with the tape off) plus a gradient registered with `tf.registerGradient`. Compared with
 * `tf.customGrad`, a registered gradient is lazy per input: tfjs only asks for the gradients of the inputs that
 * lead back to what is being differentiated. `customGrad` computes all of them eagerly, so an input-gradient
 * `tf.grad(f)(x)` through a `customGrad` dense layer would also pay for the weight gradient `x^T dy` of every
 * layer (one large matmul per layer, wasted). The saved inputs are tfjs' own copies, which tfjs connects to the
 * outer tape (the mechanism that makes `tf.mul` correct at every order).
 *
 * Each gradient comes in two forms. When the engine is recording the backward pass (`tf.engine().isTapeOn()`
 * inside a gradient function means an outer `tf.grad` / `tf.variableGrads` will differentiate it), the gradient
 * is built only from ops whose own gradients are correct (this module's kernels and tfjs ops whose gradients use
 * their inputs: add, sub, mul, neg, log, sum, reshape, transpose, ...), so every order is correct by induction.
 * When nothing records it (a plain first-order gradient), a shorter form may reuse the saved output, and the
 * sigmoid computed by the forward pass (SiLU computes it once per layer, off the tape, and hands it to every
 * derivative kernel of that layer).
 *
 * Measured with bench/ops-probe.ts (MLP 2-256-256-256-1 SiLU, batch 1024, one Adam step, wasm, 2-core VM):
 * regression 15 ms with the OpenBLAS matmul kernels / 45 ms with tfjs-wasm's XNNPACK ones (plain tfjs: 317 ms);
 * with an input-gradient in the loss (second order) 30 ms / 93 ms (plain tfjs: 627 ms, and wrong).
 */
import * as tf from '@tensorflow/tfjs';

type Tensor = tf.Tensor;
type Inputs = Record<string, Tensor>;
type Attrs = tf.NamedAttrMap;

// ---------------------------------------------------------------------------------------------------------------
// Argument checks

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  return `${typeof value} ${String(value)}`;
}

function checkTensor(fn: string, arg: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new TypeError(`${fn}: '${arg}' must be a tf.Tensor, got ${describe(x)}`);
  }
  if (x.isDisposed) throw new Error(`${fn}: '${arg}' (shape [${x.shape}]) is already disposed`);
}

/** A tensor of dtype float32, int32 or bool (the latter two are cast by the callers). */
function checkFloat(fn: string, arg: string, x: unknown): asserts x is Tensor {
  checkTensor(fn, arg, x);
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
    throw new TypeError(`${fn}: '${arg}' must have dtype float32 (or int32 / bool), got ${x.dtype}`);
  }
}

/** x as float32 (a cast for int32 / bool); call inside a tidy. */
function asFloat(x: Tensor): Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

function check2d(fn: string, arg: string, x: Tensor, expected: string): void {
  if (x.rank !== 2) {
    throw new Error(`${fn}: '${arg}' must be 2-D ${expected}, got shape [${x.shape}]`);
  }
}

function normAxis(fn: string, axis: number | undefined, rank: number): number {
  const a = axis ?? -1;
  if (!Number.isInteger(a) || a < -Math.max(rank, 1) || a >= Math.max(rank, 1)) {
    throw new RangeError(`${fn}: 'axis' must be an integer in [${-rank}, ${rank - 1}], got ${String(axis)}`);
  }
  return a < 0 ? a + rank : a;
}

// ---------------------------------------------------------------------------------------------------------------
// Engine helpers

/** True while a gradient function runs inside an outer tape, i.e. when its result will itself be differentiated. */
function recording(): boolean {
  return tf.engine().isTapeOn();
}

/**
 * True while a gradient is being taken inside another one (tfjs' gradient depth above 1): the fused kernels with a
 * first-order gradient only (fusedMlp.ts, fusedCoupling.ts) must not run then, since their gradient will be
 * differentiated.
 */
export function insideNestedGradient(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 1;
}

/**
 * Run `f` without recording its ops on the gradient tape (tfjs records an op only when no kernel is running;
 * this marks one as running). Used for values that must carry no gradient: stopGradient, masks and shifts.
 */
function untaped<T>(f: () => T): T {
  const state = tf.engine().state;
  state.kernelDepth++;
  try {
    return f();
  } finally {
    state.kernelDepth--;
  }
}

interface OpDef {
  name: string;
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  forward: (inputs: Inputs, attrs: Attrs) => Tensor;
  grad: (dy: Tensor, saved: Tensor[], attrs: Attrs) => Record<string, () => Tensor>;
}

/**
 * Register a kernel (for whatever backend is active when it is first called) and its gradient. The forward runs
 * inside the engine's kernel scope, so its inner ops are not taped; its intermediates are freed by the tidy.
 */
function defineOp(def: OpDef): (inputs: Inputs, attrs?: Attrs) => Tensor {
  const kernelName = `SamplingLab${def.name}`;
  tf.registerGradient({
    kernelName,
    inputsToSave: def.inputsToSave,
    outputsToSave: def.outputsToSave,
    gradFunc: (dy, saved, attrs) => def.grad(dy as Tensor, saved, attrs),
  });
  const kernelFunc: tf.KernelFunc = ({ inputs, attrs }) => tf.tidy(() => def.forward(inputs as Inputs, attrs ?? {}));
  return (inputs, attrs = {}) => {
    const backendName = tf.getBackend();
    if (tf.getKernel(kernelName, backendName) == null) {
      tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
    return tf.engine().runKernel(kernelName, inputs as tf.NamedTensorMap, attrs) as Tensor;
  };
}

interface UnaryDef {
  name: string;
  /**
   * An auxiliary value of x (e.g. sigmoid(x)) computed off the tape before the kernel and passed as a second
   * input, so that the forward and the first-order backward can share it instead of recomputing it. It is a
   * constant as far as the tape is concerned: the kernel's gradient w.r.t. x is the full derivative anyway.
   */
  aux?: (x: Tensor) => Tensor;
  /** The value, with any tfjs ops (not taped). */
  forward: (x: Tensor, aux: Tensor | undefined) => Tensor;
  /**
   * f'(x), exact at every order as a function of x: built from ops whose gradients are correct, applied to x.
   * `aux` and the saved output `y` are constants on the tape, so they may only be passed on as the `aux` of
   * another kernel of this module (whose value they equal), never enter the arithmetic directly.
   */
  derivative: (x: Tensor, aux: Tensor | undefined, y: Tensor | undefined) => Tensor;
  /** dy * f'(x) for a first-order backward (not taped): may use aux and the saved output y freely. */
  vjpFast?: (dy: Tensor, x: Tensor, aux: Tensor | undefined, y: Tensor | undefined) => Tensor;
  saveOutput?: boolean;
}

type UnaryOp = (x: Tensor, aux?: Tensor) => Tensor;

function defineUnary(def: UnaryDef): UnaryOp {
  const hasAux = def.aux != null;
  const op = defineOp({
    name: def.name,
    inputsToSave: hasAux ? ['x', 'aux'] : ['x'],
    outputsToSave: def.saveOutput ? [true] : undefined,
    forward: ({ x, aux }) => def.forward(x, aux),
    grad: (dy, saved) => {
      const x = saved[0];
      const aux = hasAux ? saved[1] : undefined;
      const y = def.saveOutput ? saved[hasAux ? 2 : 1] : undefined;
      return {
        x: () => {
          if (recording() || def.vjpFast == null) return tf.mul(dy, def.derivative(x, aux, y));
          return def.vjpFast(dy, x, aux, y);
        },
        // never asked for: aux is created off the tape, so no gradient path reaches it
        aux: () => tf.zerosLike(dy),
      };
    },
  });
  return (x, aux) => {
    if (!hasAux) return op({ x });
    if (aux != null) return op({ x, aux });
    const a = untaped(() => (def.aux as (t: Tensor) => Tensor)(x));
    try {
      return op({ x, aux: a });
    } finally {
      a.dispose(); // the tape keeps its own copy when it needs one
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Activations and their derivative kernels. Notation: s = sigmoid(x).

/** sigmoid'(x) = s (1 - s), with aux s. */
const sigmoidD1Op: UnaryOp = defineUnary({
  name: 'SigmoidD1',
  aux: (x) => tf.sigmoid(x),
  forward: (_x, s) => tf.mul(s as Tensor, tf.sub(1, s as Tensor)),
  // sigmoid''(x) = s (1 - s) (1 - 2 s)
  derivative: (x, s) => tf.mul(sigmoidD1Op(x, s), tf.sub(1, tf.mul(2, sigmoidOp(x)))),
  vjpFast: (dy, _x, s, y) => tf.mul(dy, tf.mul(y as Tensor, tf.sub(1, tf.mul(2, s as Tensor)))),
  saveOutput: true,
});

const sigmoidOp: UnaryOp = defineUnary({
  name: 'Sigmoid',
  forward: (x) => tf.sigmoid(x),
  derivative: (x, _aux, y) => sigmoidD1Op(x, y), // y = sigmoid(x) is the aux of sigmoidD1
  vjpFast: (dy, _x, _aux, y) => tf.mul(dy, tf.mul(y as Tensor, tf.sub(1, y as Tensor))),
  saveOutput: true,
});

/** tanh'(x) = 1 - tanh(x)^2 = 4 s2 (1 - s2) with aux s2 = sigmoid(2x): no cancellation, and fast on wasm. */
const tanhD1Op: UnaryOp = defineUnary({
  name: 'TanhD1',
  aux: (x) => tf.sigmoid(tf.mul(x, 2)),
  forward: (_x, s2) => tf.mul(tf.mul(s2 as Tensor, tf.sub(1, s2 as Tensor)), 4),
  // tanh''(x) = -2 tanh(x) tanh'(x)
  derivative: (x, s2) => tf.mul(tf.mul(tanhOp(x), tanhD1Op(x, s2)), -2),
  // -2 tanh(x) y = 2 y (1 - 2 s2), as tanh(x) = 2 s2 - 1
  vjpFast: (dy, _x, s2, y) => tf.mul(dy, tf.mul(tf.mul(y as Tensor, 2), tf.sub(1, tf.mul(s2 as Tensor, 2)))),
  saveOutput: true,
});

const tanhOp: UnaryOp = defineUnary({
  name: 'Tanh',
  forward: (x) => tf.tanh(x),
  derivative: (x) => tanhD1Op(x),
  vjpFast: (dy, _x, _aux, y) => tf.mul(dy, tf.sub(1, tf.square(y as Tensor))),
  saveOutput: true,
});

const expOp: UnaryOp = defineUnary({
  name: 'Exp',
  forward: (x) => tf.exp(x),
  derivative: (x) => expOp(x),
  vjpFast: (dy, _x, _aux, y) => tf.mul(dy, y as Tensor),
  saveOutput: true,
});

const softplusOp: UnaryOp = defineUnary({
  name: 'Softplus',
  // tf.softplus is stable on cpu and wasm (x for large x, exp(x) for very negative x; checked in the tests).
  forward: (x) => tf.softplus(x),
  derivative: (x) => sigmoidOp(x),
  vjpFast: (dy, x) => tf.mul(dy, tf.sigmoid(x)),
});

const logSigmoidOp: UnaryOp = defineUnary({
  name: 'LogSigmoid',
  forward: (x) => tf.neg(tf.softplus(tf.neg(x))),
  derivative: (x) => sigmoidOp(tf.neg(x)),
  vjpFast: (dy, x) => tf.mul(dy, tf.sigmoid(tf.neg(x))),
});

/** silu'(x) = s (1 + x (1 - s)), with aux s. */
const siluD1Op: UnaryOp = defineUnary({
  name: 'SiluD1',
  aux: (x) => tf.sigmoid(x),
  forward: (x, s) => tf.mul(s as Tensor, tf.add(1, tf.mul(x, tf.sub(1, s as Tensor)))),
  // silu''(x) = s (1 - s) (2 + x (1 - 2 s))
  derivative: (x, s) => tf.mul(sigmoidD1Op(x, s), tf.add(2, tf.mul(x, tf.sub(1, tf.mul(2, sigmoidOp(x)))))),
  vjpFast: (dy, x, s) => {
    const oneMinusS = tf.sub(1, s as Tensor);
    const d2 = tf.mul(tf.mul(s as Tensor, oneMinusS), tf.add(2, tf.mul(x, tf.sub(oneMinusS, s as Tensor))));
    return tf.mul(dy, d2);
  },
});

/** silu(x) = x s, with aux s: the forward's sigmoid serves every later derivative kernel of this layer. */
const siluOp: UnaryOp = defineUnary({
  name: 'Silu',
  aux: (x) => tf.sigmoid(x),
  forward: (x, s) => tf.mul(x, s as Tensor),
  derivative: (x, s) => siluD1Op(x, s),
  // silu'(x) = s + y (1 - s)
  vjpFast: (dy, _x, s, y) => tf.mul(dy, tf.add(s as Tensor, tf.mul(y as Tensor, tf.sub(1, s as Tensor)))),
  saveOutput: true,
});

function applyUnary(fn: string, op: (x: Tensor) => Tensor, x: Tensor): Tensor {
  checkFloat(fn, 'x', x);
  if (x.dtype === 'float32') return op(x);
  return tf.tidy(() => op(asFloat(x)));
}

/** Logistic sigmoid 1 / (1 + exp(-x)); derivatives of every order are exact (recomputed from x). */
export function sigmoid(x: Tensor): Tensor {
  return applyUnary('sigmoid', sigmoidOp, x);
}

/** Hyperbolic tangent; derivatives of every order are exact (recomputed from x). */
export function tanh(x: Tensor): Tensor {
  return applyUnary('tanh', tanhOp, x);
}

/** exp(x); derivatives of every order are exact (recomputed from x). */
export function exp(x: Tensor): Tensor {
  return applyUnary('exp', expOp, x);
}

/**
 * softplus(x) = log(1 + exp(x)), stable for large |x| (returns x for large x and exp(x) for very negative x,
 * never Inf or NaN for finite x). Derivative sigmoid(x), exact at every order.
 */
export function softplus(x: Tensor): Tensor {
  return applyUnary('softplus', softplusOp, x);
}

/** log(sigmoid(x)) = -softplus(-x), stable for large |x|. Derivative sigmoid(-x), exact at every order. */
export function logSigmoid(x: Tensor): Tensor {
  return applyUnary('logSigmoid', logSigmoidOp, x);
}

/** SiLU / swish: x * sigmoid(x), with exact derivatives of every order (one kernel per derivative). */
export function silu(x: Tensor): Tensor {
  return applyUnary('silu', siluOp, x);
}

/**
 * max(x, 0). tfjs' own relu gradient (dy * step(x)) is built from the input, so it is already correct at every
 * order (second derivative 0 almost everywhere); this wrapper only adds the argument check.
 */
export function relu(x: Tensor): Tensor {
  return applyUnary('relu', tf.relu, x);
}

// ---------------------------------------------------------------------------------------------------------------
// Matmul and dense

/**
 * How the gradients of {@link matMul} / {@link dense} form products with a transposed operand:
 * - `'materialise'`: `tf.transpose` (or a free reshape when one side is a vector) then a plain matmul. Needed
 *   on tfjs-backend-wasm's own kernels, whose transposed path is a 0.4 GFLOP/s scalar loop.
 * - `'flags'`: `tf.matMul(a, b, transposeA, transposeB)`, no extra copy. Right for backends whose matmul
 *   handles the flags at full speed: cpu, webgpu, tensorflow, and wasm with the OpenBLAS kernels of
 *   lib/core/nativeMatMul.ts (where a materialised transpose costs ~1.7 ms per [1024, 256] for nothing).
 * - `'auto'` (default): `'materialise'` on the wasm backend while its own XNNPACK matmul kernels are registered,
 *   `'flags'` when the OpenBLAS kernels replace them (checked at each call) and on every other backend.
 * Both forms are exact at every order; only speed differs.
 */
export type TransposePolicy = 'auto' | 'materialise' | 'flags';

let transposePolicy: TransposePolicy = 'auto';

/**
 * A kernel function carrying this symbol (set to true) handles matmul transpose flags at full speed; the
 * OpenBLAS kernels of nativeMatMul.ts set it, so ops.ts needs no import of that Node-only module.
 */
export const FAST_TRANSPOSE_FLAGS = Symbol.for('sampling-lab.fastTransposeFlags');

function wasmFlagsAreFast(): boolean {
  const kernel = tf.getKernel('BatchMatMul', 'wasm');
  return kernel != null && (kernel.kernelFunc as unknown as Record<symbol, unknown>)[FAST_TRANSPOSE_FLAGS] === true;
}

/** Set how matMul / dense gradients transpose (see {@link TransposePolicy}); returns the previous policy. */
export function setTransposePolicy(policy: TransposePolicy): TransposePolicy {
  if (policy !== 'auto' && policy !== 'materialise' && policy !== 'flags') {
    throw new RangeError(`setTransposePolicy: 'policy' must be 'auto', 'materialise' or 'flags', got ${String(policy)}`);
  }
  const previous = transposePolicy;
  transposePolicy = policy;
  return previous;
}

function useFlags(): boolean {
  if (transposePolicy === 'auto') return tf.getBackend() !== 'wasm' || wasmFlagsAreFast();
  return transposePolicy === 'flags';
}

/** 2-D transpose; a free reshape when one dimension is 1 (tf.transpose costs ~1.7 ms per 262k floats on wasm). */
function transpose2d(x: Tensor): Tensor {
  const [r, c] = x.shape as number[];
  if (r === 1 || c === 1) return tf.reshape(x, [c, r]);
  return tf.transpose(x);
}

/** Elements a materialised transpose of x copies (0 when it is a reshape). */
function transposeCost(x: Tensor): number {
  const [r, c] = x.shape as number[];
  return r === 1 || c === 1 ? 0 : r * c;
}

/**
 * op(a) · op(b) with op = transpose where asked, through this module's matMul kernel: either with the flags or,
 * under 'materialise', with explicit transposes of whichever operands (or of the product) copy least.
 */
function mm(a: Tensor, b: Tensor, tA: boolean, tB: boolean): Tensor {
  if (!tA && !tB) return matMulOp({ a, b });
  if (useFlags()) return matMulOp({ a, b }, { transposeA: tA, transposeB: tB });
  if (!tA) return matMulOp({ a, b: transpose2d(b) }); // a b^T (b is usually the smaller, e.g. weights)
  // a^T b^T = (b a)^T: one transpose, of the product
  if (tB) return transpose2d(matMulOp({ a: b, b: a }));
  // a^T b with a [k, n], b [k, m]: transpose a, or compute (b^T a)^T, whichever copies less
  const n = (a.shape as number[])[1];
  const m = (b.shape as number[])[1];
  const viaProduct = transposeCost(b) + (n === 1 || m === 1 ? 0 : n * m);
  if (transposeCost(a) <= viaProduct) return matMulOp({ a: transpose2d(a), b });
  return transpose2d(matMulOp({ a: transpose2d(b), b: a }));
}

/** Gradients of y = op(a) op(b) (the same cases as tfjs' MatMul gradient, written with {@link mm}). */
function matMulGrads(dy: Tensor, a: Tensor, b: Tensor, tA: boolean, tB: boolean): { a: () => Tensor; b: () => Tensor } {
  if (!tA && !tB) return { a: () => mm(dy, b, false, true), b: () => mm(a, dy, true, false) };
  if (!tA && tB) return { a: () => mm(dy, b, false, false), b: () => mm(dy, a, true, false) };
  if (tA && !tB) return { a: () => mm(b, dy, false, true), b: () => mm(a, dy, false, false) };
  return { a: () => mm(b, dy, true, true), b: () => mm(dy, a, true, true) };
}

const matMulOp = defineOp({
  name: 'MatMul',
  inputsToSave: ['a', 'b'],
  forward: ({ a, b }, attrs) => tf.matMul(a, b, attrs.transposeA === true, attrs.transposeB === true),
  grad: (dy, [a, b], attrs) => matMulGrads(dy, a, b, attrs.transposeA === true, attrs.transposeB === true),
});

const denseOp = defineOp({
  name: 'Dense',
  inputsToSave: ['x', 'W'],
  // bias-add fused into the matmul (XNNPACK fully-connected with bias, or OpenBLAS, on wasm)
  forward: ({ x, W, bias }) => tf.fused.matMul({ a: x, b: W, bias }),
  grad: (dy, [x, W]) => {
    const g = matMulGrads(dy, x, W, false, false);
    return {
      x: g.a,
      W: g.b,
      // column sums as a matmul with a row of ones: tf.sum over axis 0 transposes first on wasm (1.8 vs 0.05 ms)
      bias: () => {
        const [n, o] = dy.shape as number[];
        return tf.reshape(matMulOp({ a: tf.ones([1, n]), b: dy }), [o]);
      },
    };
  },
});

/**
 * 2-D matrix product a [n, k] · b [k, m] -> [n, m]. The gradients call this matMul again, so every order is
 * exact, and on wasm's own (XNNPACK) kernels they materialise the transposes instead of using the transposeA /
 * transposeB flags (a 0.4 GFLOP/s loop there); see {@link setTransposePolicy}.
 */
export function matMul(a: Tensor, b: Tensor): Tensor {
  checkFloat('matMul', 'a', a);
  checkFloat('matMul', 'b', b);
  check2d('matMul', 'a', a, '[n, k]');
  check2d('matMul', 'b', b, `[${a.shape[1]}, m] (k = a.shape[1])`);
  if (b.shape[0] !== a.shape[1]) {
    throw new Error(`matMul: 'b' must have shape [${a.shape[1]}, m] to match 'a' [${a.shape}], got shape [${b.shape}]`);
  }
  if (a.dtype === 'float32' && b.dtype === 'float32') return matMulOp({ a, b });
  return tf.tidy(() => matMulOp({ a: tf.cast(a, 'float32'), b: tf.cast(b, 'float32') }));
}

/**
 * Affine layer x [n, i] · W [i, o] + b [o] -> [n, o], with the bias add fused into the matmul on the forward pass
 * and the gradients of {@link matMul} (exact at every order, no transposed-flag matmul on XNNPACK). The bias
 * gradient is a ones-row matmul (a column sum), and only the gradients that are asked for are computed: an
 * input-gradient `tf.grad(f)(x)` does not pay for the weight gradients.
 */
export function dense(x: Tensor, W: Tensor, b?: Tensor): Tensor {
  checkFloat('dense', 'x', x);
  checkFloat('dense', 'W', W);
  check2d('dense', 'x', x, '[n, inputs]');
  check2d('dense', 'W', W, `[${x.shape[1]}, outputs] (inputs = x.shape[1])`);
  if (W.shape[0] !== x.shape[1]) {
    throw new Error(`dense: 'W' must have shape [${x.shape[1]}, outputs] to match 'x' [${x.shape}], got shape [${W.shape}]`);
  }
  if (b != null) {
    checkFloat('dense', 'b', b);
    if (b.rank !== 1 || b.shape[0] !== W.shape[1]) {
      throw new Error(`dense: 'b' must have shape [${W.shape[1]}] (outputs = W.shape[1]), got shape [${b.shape}]`);
    }
  }
  const inputs: Inputs = b == null ? { x, W } : { x, W, bias: b };
  if (Object.values(inputs).every((t) => t.dtype === 'float32')) return denseOp(inputs);
  return tf.tidy(() => {
    const cast: Inputs = {};
    for (const [k, t] of Object.entries(inputs)) cast[k] = t.dtype === 'float32' ? t : tf.cast(t, 'float32');
    return denseOp(cast);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Gradient plumbing, reductions, selection

/**
 * The same values with no gradient: an outer tf.grad sees a constant. Costs nothing (a reference to the same
 * data, not a copy). Dispose it like any tensor; a tf.Variable comes back as a plain tensor of the same shape.
 */
export function stopGradient<T extends Tensor>(x: T): T {
  checkTensor('stopGradient', 'x', x);
  return untaped(() => tf.clone(x)) as T;
}

/**
 * Numerically stable log(sum(exp(x))) along `axis` (default: last), in float32. The shift by the maximum is
 * taken off the tape (its gradient is zero in exact arithmetic), so the gradient is softmax(x) and every higher
 * derivative is exact. Rows whose maximum is not finite are handled: all -Infinity -> -Infinity, any +Infinity ->
 * +Infinity, NaN -> NaN. For long-run accumulators use a float64 log-sum-exp on the JS side (DESIGN.md trap 6).
 */
export function logSumExp(x: Tensor, axis?: number, keepDims = false): Tensor {
  checkFloat('logSumExp', 'x', x);
  const ax = normAxis('logSumExp', axis, x.rank);
  return tf.tidy(() => {
    const fx = asFloat(x);
    const shift = untaped(() => {
      const m = tf.max(fx, ax, true);
      return whereSameShape(tf.isFinite(m), m, tf.zerosLike(m));
    });
    const out = tf.add(tf.log(tf.sum(expOp(tf.sub(fx, shift)), ax, true)), shift);
    return keepDims ? out : tf.squeeze(out, [ax]);
  });
}

/** log(softmax(x)) along `axis` (default: last) = x - logSumExp(x, axis, keepDims=true). */
export function logSoftmax(x: Tensor, axis?: number): Tensor {
  checkFloat('logSoftmax', 'x', x);
  normAxis('logSoftmax', axis, x.rank);
  return tf.tidy(() => {
    const fx = asFloat(x);
    return tf.sub(fx, logSumExp(fx, axis, true));
  });
}

/** sum(x^2) over `axis` (all axes when omitted). */
export function sumSquares(x: Tensor, axis?: number): Tensor {
  checkFloat('sumSquares', 'x', x);
  const ax = axis === undefined ? undefined : normAxis('sumSquares', axis, x.rank);
  return tf.tidy(() => tf.sum(tf.square(asFloat(x)), ax));
}

function broadcastShape(fn: string, named: [string, Tensor][]): number[] {
  let shape: number[] = [];
  for (const [name, t] of named) {
    try {
      shape = tf.broadcast_util.assertAndGetBroadcastShape(shape, t.shape);
    } catch {
      const all = named.map(([n, u]) => `${n} [${u.shape}]`).join(', ');
      throw new Error(`${fn}: '${name}' with shape [${t.shape}] does not broadcast against the others (${all})`);
    }
  }
  return shape;
}

/**
 * `tf.where(condition, a, b)` for tensors that already share one shape: the same `Select` kernel (and its registered
 * gradient) without the three `broadcastTo` copies `tf.where` makes even when nothing broadcasts (three Identity
 * kernels per call: 18 of the 126 kernels of a SLIPS MALA step, `npm run bench -- --profile`). Same values, bit
 * for bit.
 */
function whereSameShape(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  return tf.engine().runKernel('Select', { condition, t: a, e: b } as unknown as tf.NamedTensorMap) as Tensor;
}

/**
 * Elementwise choice by a 0/1 mask, as the arithmetic blend `mask * a + (1 - mask) * b` (mask 1 -> a, 0 -> b),
 * with broadcasting (e.g. a per-chain mask [n, 1] against positions [n, d]). `mask` may be float (0/1) or bool;
 * it is treated as a constant (no gradient flows into it, so it may be computed from differentiated values, e.g.
 * `tf.step(logU - logAlpha)`, where `tf.where` would throw "gradient function not found"); the gradient is
 * `mask * dy` into `a` and `(1 - mask) * dy` into `b`, summed over broadcast dimensions.
 *
 * Non-finite values: a selected ±Infinity or NaN comes through unchanged. When nothing is broadcast (mask, a and
 * b all of the output's shape, e.g. per-chain log-densities [n] with a mask [n]) the selection is a `tf.where`
 * with an off-tape condition, exact for every value: a NaN or ±Infinity in the branch that is NOT selected never
 * reaches the output (a chain at log-density -Infinity accepting a finite proposal gets that proposal's value).
 * With broadcasting it is the blend, where such a value propagates as NaN (`0 * NaN = NaN`, `0 * Infinity = NaN`):
 * clean branches that may be non-finite (a diverged position) with {@link finiteOr} first.
 * The broadcast case is not `tf.where`: on wasm a broadcast `tf.where` took 13-24 ms for a [4096, 32] select (and
 * materialising the mask with `tf.broadcastTo` 18 ms), this blend 0.5 ms; an unbroadcast `tf.where` takes about as
 * long as the blend.
 */
export function select(mask: Tensor, a: Tensor, b: Tensor): Tensor {
  checkFloat('select', 'mask', mask);
  checkFloat('select', 'a', a);
  checkFloat('select', 'b', b);
  const shape = broadcastShape('select', [['mask', mask], ['a', a], ['b', b]]);
  return tf.tidy(() => {
    const fa = asFloat(a);
    const fb = asFloat(b);
    if (tf.util.arraysEqual(mask.shape, shape) && tf.util.arraysEqual(fa.shape, shape) && tf.util.arraysEqual(fb.shape, shape)) {
      // Nothing broadcast: a `tf.where` is as fast as the blend on wasm (only a broadcast condition is slow) and
      // exact for every value, so a ±Infinity or NaN in the branch that is not selected stays out (a chain at
      // log-density -Infinity that accepts a move). The condition is built off the tape (trap 3).
      const condition = untaped(() => tf.greater(asFloat(mask), 0.5));
      return whereSameShape(condition, fa, fb);
    }
    const m = untaped(() => (mask.dtype === 'float32' ? tf.clone(mask) : tf.cast(mask, 'float32')));
    return tf.add(tf.mul(m, fa), tf.mul(tf.sub(1, m), fb));
  });
}

/**
 * x with every NaN / ±Infinity entry replaced by `fallback` (a number, or a tensor that broadcasts to x's shape).
 * Use it before {@link select} and to make NaN log-acceptance ratios count as rejections.
 *
 * tfjs has no NaN-zeroing multiply (`0 * NaN = NaN`, and clip / maximum treat NaN differently on cpu and wasm),
 * so this is a `tf.where` whose condition (`tf.isFinite`) is computed off the tape and whose branches both have
 * x's shape: no broadcasting, which is what makes `tf.where` slow on wasm (measured 0.07 ms for [4096], as fast
 * as the blend, and ~1 ms for [1024, 256], against 16 ms for a broadcast condition). Gradient: dy into x
 * where x is finite, into `fallback` elsewhere. As with any select, a NaN in the derivative of whatever produced
 * the replaced entries still propagates through `0 * NaN` further up the chain.
 */
export function finiteOr(x: Tensor, fallback: number | Tensor): Tensor {
  checkFloat('finiteOr', 'x', x);
  if (typeof fallback !== 'number') {
    checkFloat('finiteOr', 'fallback', fallback);
    const shape = broadcastShape('finiteOr', [['x', x], ['fallback', fallback]]);
    if (!tf.util.arraysEqual(shape, x.shape)) {
      throw new Error(`finiteOr: 'fallback' with shape [${fallback.shape}] must broadcast to the shape of 'x' [${x.shape}]`);
    }
  }
  return tf.tidy(() => {
    const fx = asFloat(x);
    const ok = untaped(() => tf.isFinite(fx));
    let full: Tensor;
    if (typeof fallback === 'number') full = tf.fill(fx.shape, fallback);
    else {
      const fb = asFloat(fallback);
      full = tf.util.arraysEqual(fb.shape, fx.shape) ? fb : tf.broadcastTo(fb, fx.shape);
    }
    return whereSameShape(ok, fx, full);
  });
}

/**
 * tfjs-backend-webgpu 4.22 compiles `tf.addN` of k tensors into one shader with k + 1 storage buffers; past the
 * device's maxStorageBuffersPerShaderStage (8 unless raised: tfjs does not raise it) the pipeline is invalid and
 * every later dispatch fails with a validation error. fit's finite probe and RealNVP's log-det sum add one tensor
 * per variable (33 for a small flow). The wrapped kernel sums in chunks of at most limit - 1 inputs, as the
 * backend's own concat does. `lib/core/backend.ts` calls this once the webgpu backend is imported (trap fixes live
 * in this file, DESIGN.md section 1).
 */
export function patchWebgpuAddN(): void {
  const original = tf.getKernel('AddN', 'webgpu');
  if (original == null || (original as { splitsInputs?: boolean }).splitsInputs) return;
  type Backend = { device: { limits: { maxStorageBuffersPerShaderStage: number } }; disposeData(dataId: object): void };
  const kernelFunc: tf.KernelFunc = (args) => {
    const backend = args.backend as unknown as Backend;
    const maxInputs = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    let level = args.inputs as unknown as tf.TensorInfo[];
    const partial: tf.TensorInfo[] = [];
    while (level.length > maxInputs) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < level.length; i += maxInputs) {
        const chunk = level.slice(i, i + maxInputs);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const sum = original.kernelFunc({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
        partial.push(sum);
        next.push(sum);
      }
      level = next;
    }
    const out = original.kernelFunc({ ...args, inputs: level as unknown as tf.NamedTensorInfoMap });
    for (const t of partial) backend.disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({ ...original, kernelFunc, splitsInputs: true } as tf.KernelConfig);
}

/**
 * tfjs-backend-wasm's Identity copies its input, and so does its Cast to the same dtype. The engine clones every
 * tensor it saves for a gradient through Identity, and tfjs' Multiply gradient casts the other operand to
 * float32 even when it is float32 already: a RealNVP training step spent about 100 copies on them. The wrapped
 * kernels return the input's data with one more reference (what the cpu backend's Identity does; tensors are
 * immutable, so sharing is safe); other dtypes and real casts go to the original kernels. `lib/core/backend.ts`
 * calls this once the wasm backend is active.
 */
export function patchWasmCopies(): void {
  type Backend = { incRef(dataId: tf.DataId): void };
  const share = (args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    (args.backend as Backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  for (const name of ['Identity', 'Cast']) {
    const original = tf.getKernel(name, 'wasm');
    if (original == null || (original as { sharesData?: boolean }).sharesData) continue;
    const kernelFunc: tf.KernelFunc = (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const same = name === 'Identity' ? x.dtype !== 'string' : args.attrs?.dtype === x.dtype && x.dtype !== 'string';
      return same ? share(args) : original.kernelFunc(args);
    };
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc, sharesData: true } as tf.KernelConfig);
  }
}
