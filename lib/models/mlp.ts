/**
 * A multilayer perceptron on raw `tf.Variable` weights: layer sizes [n0, n1, ..., nL], L affine layers
 * `dense(x, W_l, b_l)` (lib/core/ops.ts: fast on wasm, exact gradients at every order) with the activation
 * between them and none after the last one, as the reference `MLP` of flow_mcmc `flow/realnvp.py` (spec 1.5).
 *
 * Initialisation (spec 1.5): W_l ~ N(0, (scale / sqrt(fan_in))^2) with fan_in = n_l, biases 0; `scale` is
 * `initScale` for every layer but the last, which uses `finalInitScale` (default `initScale`). A scale of 0 gives
 * zero weights.
 *
 * Where the backend has a fused-MLP kernel (wasm with the OpenBLAS addon: lib/core/fusedMlp.ts, nativeMlp.ts) and
 * the activation is relu or silu, `apply` runs the whole net as one kernel with a first-order gradient; while a
 * gradient is taken inside another, it runs layer by layer (every order exact).
 *
 * Variables come in a fixed order, W_0, b_0, W_1, b_1, ..., and carry the names
 * `<scope>/dense<l>/weight` and `<scope>/dense<l>/bias` (the scope defaults to a unique `mlp#<n>`), which the
 * weight files of lib/models/weights.ts store without the unique `#<n>` part.
 */
import * as tf from '@tensorflow/tfjs';
import { dense, exp, relu, silu, tanh } from '../core/ops.js';
import { canFuseMlp, fusedMlp, type FusedMlpActivation } from '../core/fusedMlp.js';
import { normal, split, type Key } from '../core/random.js';
import { checkChoice, checkInteger, checkNumber, checkOptions, invalidOption, showValue } from '../core/validate.js';

export const MLP_ACTIVATIONS = ['relu', 'silu', 'tanh', 'elu'] as const;
export type Activation = (typeof MLP_ACTIVATIONS)[number];

export interface MlpOptions {
  /** Hidden activation (required). */
  activation: Activation;
  /** Weight scale of every layer but the last: std = initScale / sqrt(fan_in). Default 1. */
  initScale?: number;
  /** Weight scale of the last layer. Default `initScale`. */
  finalInitScale?: number;
  /**
   * Prefix of the variable names; it must be unique among live variables (tfjs registers names globally).
   * Default: a fresh `mlp#<n>`. Models that own several MLPs pass `<their scope>/<path>`.
   */
  scope?: string;
  /** Whether the variables are trainable (default true). */
  trainable?: boolean;
}

export interface Mlp {
  /** Layer sizes [inputs, hidden..., outputs]. */
  readonly sizes: readonly number[];
  readonly activation: Activation;
  /** W_l with shape [sizes[l], sizes[l + 1]]. */
  readonly weights: readonly tf.Variable[];
  /** b_l with shape [sizes[l + 1]]. */
  readonly biases: readonly tf.Variable[];
  /** W_0, b_0, W_1, b_1, ... (the order of weight files and optimiser states). */
  readonly variables: tf.Variable[];
  /** x [n, sizes[0]] -> [n, sizes[L]]. */
  apply(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

const OPTION_NAMES = ['activation', 'initScale', 'finalInitScale', 'scope', 'trainable'] as const;

/**
 * ELU, exp(x) - 1 for x <= 0 and x above, written as relu(x) + exp(-relu(-x)) - 1 with this module's ops so that
 * every derivative order is exact (tfjs' EluGrad has no gradient of its own).
 */
function elu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(relu(x), tf.sub(exp(tf.neg(relu(tf.neg(x)))), 1)));
}

const ACTIVATION_FUNCTIONS: Record<Activation, (x: tf.Tensor) => tf.Tensor> = { relu, silu, tanh, elu };

/** The hidden activation by name (exact derivatives at every order). */
export function activationFunction(name: Activation): (x: tf.Tensor) => tf.Tensor {
  return ACTIVATION_FUNCTIONS[checkChoice('activationFunction', 'activation', name, MLP_ACTIVATIONS)];
}

let scopeCounter = 0;

/** A fresh variable-name scope `<prefix>#<n>` (unique within this process). */
export function uniqueScope(prefix: string): string {
  scopeCounter += 1;
  return `${prefix}#${scopeCounter}`;
}

/** Create an MLP with layer sizes `sizes` (at least two entries), drawing its initial weights from `key`. */
export function mlp(key: Key, sizes: readonly number[], options: MlpOptions): Mlp {
  const fn = 'mlp';
  if (!Array.isArray(sizes) || sizes.length < 2) {
    invalidOption(fn, 'sizes', sizes, 'an array of at least 2 layer sizes [inputs, ..., outputs]');
  }
  sizes.forEach((s, i) => checkInteger(fn, `sizes[${i}]`, s));
  const opts = checkOptions<MlpOptions>(fn, options, OPTION_NAMES);
  if (opts.activation === undefined) invalidOption(fn, 'activation', undefined, `one of ${MLP_ACTIVATIONS.map((a) => JSON.stringify(a)).join(', ')}`);
  const activation = checkChoice(fn, 'activation', opts.activation, MLP_ACTIVATIONS);
  const initScale = checkNumber(fn, 'initScale', opts.initScale ?? 1, 'nonNegative');
  const finalInitScale = checkNumber(fn, 'finalInitScale', opts.finalInitScale ?? initScale, 'nonNegative');
  const scope = opts.scope ?? uniqueScope('mlp');
  if (typeof scope !== 'string' || scope.length === 0) invalidOption(fn, 'scope', scope, 'a non-empty string');
  const trainable = opts.trainable ?? true;
  if (typeof trainable !== 'boolean') invalidOption(fn, 'trainable', trainable, 'true or false');

  const numLayers = sizes.length - 1;
  const keys = split(key, numLayers);
  const weights: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  try {
    for (let l = 0; l < numLayers; l++) {
      const fanIn = sizes[l];
      const std = (l === numLayers - 1 ? finalInitScale : initScale) / Math.sqrt(fanIn);
      const shape = [fanIn, sizes[l + 1]];
      const init = std > 0 ? normal(keys[l], shape, 0, std) : tf.zeros(shape);
      const zeros = tf.zeros([sizes[l + 1]]);
      try {
        weights.push(tf.variable(init, trainable, `${scope}/dense${l}/weight`));
        biases.push(tf.variable(zeros, trainable, `${scope}/dense${l}/bias`));
      } finally {
        tf.dispose([init, zeros]);
      }
    }
  } catch (err) {
    // e.g. a scope whose names are already registered: free what was made, then report
    for (const v of [...weights, ...biases]) v.dispose();
    throw new Error(`${fn}: could not create the variables of scope ${showValue(scope)} (${(err as Error).message})`);
  }
  const variables = weights.flatMap((w, l) => [w, biases[l]]);
  const act = ACTIVATION_FUNCTIONS[activation];

  return {
    sizes: [...sizes],
    activation,
    weights,
    biases,
    variables,
    apply(x: tf.Tensor2D): tf.Tensor2D {
      if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== sizes[0]) {
        invalidOption(`${fn}.apply`, 'x', x, `a tensor of shape [n, ${sizes[0]}]`);
      }
      // one kernel for the whole net where the backend has one (lib/core/fusedMlp.ts; same values)
      if (canFuseMlp(x, weights, biases, activation)) return fusedMlp(x, weights, biases, activation as FusedMlpActivation);
      return tf.tidy(() => {
        let h: tf.Tensor = x;
        for (let l = 0; l < numLayers; l++) {
          h = dense(h, weights[l], biases[l]);
          if (l < numLayers - 1) h = act(h);
        }
        return h as tf.Tensor2D;
      });
    },
    dispose(): void {
      for (const v of variables) v.dispose();
    },
  };
}
