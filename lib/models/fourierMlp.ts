/**
 * The LRDS control network FourierMLP and its scalar time network TimeEmbed (spec slips-lrds-amcbg.md 2.4, the
 * reference's sde_sampler `models/mlp.py`), on raw `tf.Variable`s and the fused `dense` op of lib/core/ops.ts:
 *   TimeEmbed(t):  f = [sin(c t + phi), cos(c t + phi)] (timeEmbedding.ts: c = linspace(0.1, 100, C), learnable
 *                  phase phi ~ N(0, 1)), then numLayers affine layers 2C -> C -> ... -> C -> out with GELU between.
 *   FourierMLP(t, x):  h = Linear(d -> C)(x) + TimeEmbed_{2 layers, out C}(t),
 *                      then (numLayers - 2) x [GELU, Linear(C -> C)], then GELU, Linear(C -> d).
 * GELU is the tanh form of gelu.ts. Initialisation as PyTorch's nn.Linear: W, b ~ U(+-1 / sqrt(fan_in)), except the
 * last layer of FourierMLP (and of ScoreCtrl's time net), which is near zero: W ~ kaiming_uniform with gain 1e-6,
 * i.e. U(+-1e-6 sqrt(3 / fan_in)), and b ~ U(+-1e-6 / sqrt(fan_in)), so the initial control is ~0 and training
 * starts from the reference process.
 *
 * t is one noising time for the whole batch (the RdsControl contract of controlledSde.ts): the time features are
 * computed once, [1, C], and broadcast over the rows. Variables are named `<scope>/...` (scope default a fresh
 * `fourierMlp#<n>`), so saveWeights / restoreWeights of lib/models/weights.ts store and restore them by stable name.
 */
import * as tf from '@tensorflow/tfjs';
import { dense } from '../core/ops.js';
import { split, uniform, type Key } from '../core/random.js';
import { checkInteger, checkNumber, checkOptions, invalidOption } from '../core/validate.js';
import { fourierTimeEmbedding, type FourierTimeEmbedding } from '../diffusion/timeEmbedding.js';
import type { RdsControl } from '../samplers/diffusion/rds/controlledSde.js';
import { gelu } from './gelu.js';
import { uniqueScope } from './mlp.js';

/** Gain of the near-zero output initialisation (spec 2.4). */
export const OUTPUT_INIT_GAIN = 1e-6;
/** The reference's frequency range of the time features. */
export const CONTROL_MIN_FREQUENCY = 0.1;
export const CONTROL_MAX_FREQUENCY = 100;

interface Linear {
  weight: tf.Variable;
  bias: tf.Variable;
}

/**
 * An affine layer [fanIn -> fanOut] with PyTorch's nn.Linear initialisation scaled by `gain`:
 * W ~ U(+-gain sqrt(3 / fanIn)) (kaiming_uniform; gain 1/sqrt(3) is nn.Linear's default), b ~ U(+-gain' / sqrt(fanIn))
 * with gain' = 1 for the default layer and `gain` for a near-zero one.
 */
function linear(key: Key, fanIn: number, fanOut: number, name: string, nearZero: boolean): Linear {
  const [kw, kb] = split(key, 2);
  const wBound = nearZero ? OUTPUT_INIT_GAIN * Math.sqrt(3 / fanIn) : 1 / Math.sqrt(fanIn);
  const bBound = (nearZero ? OUTPUT_INIT_GAIN : 1) / Math.sqrt(fanIn);
  const w0 = uniform(kw, [fanIn, fanOut], -wBound, wBound);
  const b0 = uniform(kb, [fanOut], -bBound, bBound);
  try {
    const weight = tf.variable(w0, true, `${name}/weight`);
    try {
      return { weight, bias: tf.variable(b0, true, `${name}/bias`) };
    } catch (err) {
      weight.dispose();
      throw err;
    }
  } finally {
    tf.dispose([w0, b0]);
  }
}

/** Build layers one by one; on failure (e.g. a scope already in use) free those made and report clearly. */
function buildAll(fn: string, scope: string, build: (made: tf.Variable[]) => void): tf.Variable[] {
  const made: tf.Variable[] = [];
  try {
    build(made);
  } catch (err) {
    for (const v of made) v.dispose();
    throw new Error(`${fn}: could not create the variables of scope "${scope}" (${(err as Error).message})`);
  }
  return made;
}

/** The `scope` option: a non-empty string, default a fresh `<prefix>#<n>`. */
export function checkScope(fn: string, scope: unknown, prefix: string): string {
  if (scope === undefined) return uniqueScope(prefix);
  if (typeof scope !== 'string' || scope.length === 0) invalidOption(fn, 'scope', scope, 'a non-empty string');
  return scope;
}

function checkTime(fn: string, t: unknown): number {
  return checkNumber(`${fn}.apply`, 't', t);
}

export interface TimeNetOptions {
  /** Output size. */
  out: number;
  /** Affine layers (>= 2); default 4. */
  numLayers?: number;
  /** C: Fourier frequencies and hidden width; default 64. */
  channels?: number;
  /** Near-zero last layer (ScoreCtrl's time net); default false. */
  nearZeroOutput?: boolean;
  /** Variable-name prefix; default a fresh `timeNet#<n>`. */
  scope?: string;
}

export interface TimeNet {
  readonly config: Required<Omit<TimeNetOptions, 'scope'>>;
  /** The Fourier features [sin(c t + phi), cos(c t + phi)]. */
  readonly features: FourierTimeEmbedding;
  /** The phase, then W, b of each layer. */
  readonly variables: tf.Variable[];
  /** t -> [1, out]. */
  apply(t: number): tf.Tensor2D;
  dispose(): void;
}

/** The reference's TimeEmbed: Fourier features of t and an MLP (see the file header). */
export function timeNet(key: Key, options: TimeNetOptions): TimeNet {
  const fn = 'timeNet';
  const opts = checkOptions<TimeNetOptions>(fn, options, ['out', 'numLayers', 'channels', 'nearZeroOutput', 'scope']);
  const out = checkInteger(fn, 'out', opts.out);
  const numLayers = checkInteger(fn, 'numLayers', opts.numLayers ?? 4, 2);
  const channels = checkInteger(fn, 'channels', opts.channels ?? 64);
  const nearZeroOutput = opts.nearZeroOutput ?? false;
  if (typeof nearZeroOutput !== 'boolean') invalidOption(fn, 'nearZeroOutput', nearZeroOutput, 'true or false');
  const scope = checkScope(fn, opts.scope, 'timeNet');

  const keys = split(key, numLayers + 1);
  let features: FourierTimeEmbedding | undefined;
  const layers: Linear[] = [];
  const variables = buildAll(fn, scope, (made) => {
    features = fourierTimeEmbedding(keys[0], {
      numFrequencies: channels,
      minFrequency: CONTROL_MIN_FREQUENCY,
      maxFrequency: CONTROL_MAX_FREQUENCY,
      scope: `${scope}/features`,
    });
    made.push(...features.variables);
    for (let l = 0; l < numLayers; l++) {
      const last = l === numLayers - 1;
      const layer = linear(keys[l + 1], l === 0 ? 2 * channels : channels, last ? out : channels, `${scope}/dense${l}`, last && nearZeroOutput);
      layers.push(layer);
      made.push(layer.weight, layer.bias);
    }
  });
  const embedding = features as FourierTimeEmbedding;
  return {
    config: { out, numLayers, channels, nearZeroOutput },
    features: embedding,
    variables,
    apply(t: number): tf.Tensor2D {
      const time = checkTime(fn, t);
      return tf.tidy(() => {
        let h: tf.Tensor = embedding.apply(tf.tensor2d([[time]]));
        layers.forEach((layer, l) => {
          if (l > 0) h = gelu(h);
          h = dense(h, layer.weight, layer.bias);
        });
        return h as tf.Tensor2D;
      });
    },
    dispose() {
      embedding.dispose(); // its phase and frequencies
      for (const layer of layers) tf.dispose([layer.weight, layer.bias]);
    },
  };
}

export interface FourierMlpOptions {
  /** d: input and output size. */
  dim: number;
  /** Affine layers after the embeddings count numLayers - 1 (see the file header); >= 2, default 4. */
  numLayers?: number;
  /** C; default 64. */
  channels?: number;
  /** Variable-name prefix; default a fresh `fourierMlp#<n>`. */
  scope?: string;
}

export interface FourierMlp {
  readonly config: Required<Omit<FourierMlpOptions, 'scope'>>;
  /** The embedding of t, [1, C]. */
  readonly timeEmbed: TimeNet;
  /** Every trainable variable (for fit / optimisers and weight files). */
  readonly variables: tf.Variable[];
  /** (t, x [n, d]) -> [n, d]. */
  apply(t: number, x: tf.Tensor2D): tf.Tensor2D;
  /** The network as an RDS control u(t, y). */
  asControl(): RdsControl;
  dispose(): void;
}

/** Check a batch x [n, dim] for `fn.apply`. */
export function checkControlInput(fn: string, x: unknown, dim: number): tf.Tensor2D {
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== dim || x.dtype !== 'float32') {
    invalidOption(`${fn}.apply`, 'x', x, `a float32 tensor of shape [n, ${dim}]`);
  }
  return x as tf.Tensor2D;
}

export function fourierMlp(key: Key, options: FourierMlpOptions): FourierMlp {
  const fn = 'fourierMlp';
  const opts = checkOptions<FourierMlpOptions>(fn, options, ['dim', 'numLayers', 'channels', 'scope']);
  const dim = checkInteger(fn, 'dim', opts.dim);
  const numLayers = checkInteger(fn, 'numLayers', opts.numLayers ?? 4, 2);
  const channels = checkInteger(fn, 'channels', opts.channels ?? 64);
  const scope = checkScope(fn, opts.scope, 'fourierMlp');

  const keys = split(key, numLayers + 1);
  let timeEmbed: TimeNet | undefined;
  const layers: Linear[] = [];
  const variables = buildAll(fn, scope, (made) => {
    const inputEmbed = linear(keys[0], dim, channels, `${scope}/inputEmbed`, false);
    layers.push(inputEmbed);
    made.push(inputEmbed.weight, inputEmbed.bias);
    timeEmbed = timeNet(keys[1], { out: channels, numLayers: 2, channels, scope: `${scope}/timeEmbed` });
    made.push(...timeEmbed.variables);
    for (let l = 0; l < numLayers - 1; l++) {
      const last = l === numLayers - 2;
      const layer = linear(keys[l + 2], channels, last ? dim : channels, `${scope}/dense${l}`, last);
      layers.push(layer);
      made.push(layer.weight, layer.bias);
    }
  });
  const time = timeEmbed as TimeNet;
  const [inputEmbed, ...rest] = layers;

  const apply = (t: number, x: tf.Tensor2D): tf.Tensor2D => {
    checkTime(fn, t);
    checkControlInput(fn, x, dim);
    return tf.tidy(() => {
      let h: tf.Tensor = tf.add(dense(x, inputEmbed.weight, inputEmbed.bias), time.apply(t));
      for (const layer of rest) h = dense(gelu(h), layer.weight, layer.bias);
      return h as tf.Tensor2D;
    });
  };
  return {
    config: { dim, numLayers, channels },
    timeEmbed: time,
    variables,
    apply,
    asControl: () => (t, y) => apply(t, y),
    dispose() {
      time.dispose();
      for (const layer of layers) tf.dispose([layer.weight, layer.bias]);
    },
  };
}
