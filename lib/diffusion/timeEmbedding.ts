/**
 * Fourier time embedding of the LRDS / DDS `TimeEmbed` (spec slips-lrds-amcbg.md sections 2.4 and 4.5): a scalar
 * time input u [n, 1] becomes [sin(c u + phi), cos(c u + phi)] [n, 2F], with F fixed frequencies
 * c = linspace(minFrequency, maxFrequency, F) (reference: 0.1 to 100, F = 64) and a learnable phase phi (1 x F,
 * initialised N(0, 1) as in the reference). The reference follows it with a small MLP; the diffusion networks of
 * scoreModels.ts feed it to their main MLP together with x instead (see there).
 */
import * as tf from '@tensorflow/tfjs';
import { normal, type Key } from '../core/random.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions, invalidOption } from '../core/validate.js';

export interface FourierEmbeddingOptions {
  /** F; default 16 (the output has 2F features). */
  numFrequencies?: number;
  /** Default 0.1. */
  minFrequency?: number;
  /** Default 100. */
  maxFrequency?: number;
  /** Learn the phase phi (default true); false keeps phi = 0. */
  learnablePhase?: boolean;
  /** Variable-name prefix (unique among live variables); default a fresh `timeEmbedding#<n>`. */
  scope?: string;
}

export type FourierEmbeddingConfig = Required<Omit<FourierEmbeddingOptions, 'scope'>>;

export interface FourierTimeEmbedding {
  readonly config: FourierEmbeddingConfig;
  /** 2F. */
  readonly size: number;
  /** [phi] when the phase is learnable, else []. */
  readonly variables: tf.Variable[];
  /** u [n, 1] -> [n, 2F]. */
  apply(u: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

const OPTION_NAMES = ['numFrequencies', 'minFrequency', 'maxFrequency', 'learnablePhase', 'scope'];

let counter = 0;

export function fourierTimeEmbedding(key: Key, options: FourierEmbeddingOptions = {}): FourierTimeEmbedding {
  const fn = 'fourierTimeEmbedding';
  const opts = checkOptions<FourierEmbeddingOptions>(fn, options, OPTION_NAMES);
  const numFrequencies = checkInteger(fn, 'numFrequencies', opts.numFrequencies ?? 16, 1);
  const minFrequency = checkNumber(fn, 'minFrequency', opts.minFrequency ?? 0.1, 'nonNegative');
  const maxFrequency = checkNumber(fn, 'maxFrequency', opts.maxFrequency ?? 100, 'positive');
  if (maxFrequency < minFrequency) invalidOption(fn, 'maxFrequency', maxFrequency, `a number >= minFrequency = ${minFrequency}`);
  const learnablePhase = checkBoolean(fn, 'learnablePhase', opts.learnablePhase ?? true);
  counter += 1;
  const scope = opts.scope ?? `timeEmbedding#${counter}`;
  if (typeof scope !== 'string' || scope.length === 0) invalidOption(fn, 'scope', scope, 'a non-empty string');
  const frequencies = new Float32Array(numFrequencies);
  for (let i = 0; i < numFrequencies; i++) {
    frequencies[i] = numFrequencies === 1 ? minFrequency : minFrequency + ((maxFrequency - minFrequency) * i) / (numFrequencies - 1);
  }
  const frequencyRow = tf.tensor2d(frequencies, [1, numFrequencies]);
  const variables: tf.Variable[] = [];
  if (learnablePhase) {
    const init = normal(key, [1, numFrequencies]);
    variables.push(tf.variable(init, true, `${scope}/phase`));
    init.dispose();
  }
  return {
    config: { numFrequencies, minFrequency, maxFrequency, learnablePhase },
    size: 2 * numFrequencies,
    variables,
    apply(u: tf.Tensor2D): tf.Tensor2D {
      if (!(u instanceof tf.Tensor) || u.rank !== 2 || u.shape[1] !== 1) invalidOption(`${fn}.apply`, 'u', u, 'a tensor of shape [n, 1]');
      return tf.tidy(() => {
        // [n, 1] x [1, F] outer product as a broadcast multiply (exact gradients, no matmul needed)
        let angle: tf.Tensor = tf.mul(u, frequencyRow);
        if (learnablePhase) angle = tf.add(angle, variables[0]);
        return tf.concat([tf.sin(angle), tf.cos(angle)], 1) as tf.Tensor2D;
      });
    },
    dispose() {
      frequencyRow.dispose();
      for (const v of variables) v.dispose();
    },
  };
}
