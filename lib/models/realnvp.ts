/**
 * RealNVP with residual affine couplings, as flow_mcmc `flow/realnvp.py` (spec NF-MCMC 1.5 and 4.2), implementing
 * the `Flow` contract of lib/models/flow.ts.
 *
 * A mask m in {0, 1}^d: 'half' sets m[i] = 0 for i < floor(d / 2) and 1 after; 'checkerboard' (the reference's
 * 'inter' with dim_phys = 1) sets m[i] = i mod 2. Each of the K blocks holds two couplings, updating the
 * coordinates u = 1 - m and then u = m. A coupling with update mask u and separate MLPs s_net, t_net of layer
 * sizes [d] + [H] * (D - 2) + [d] (D - 1 affine layers, the activation between them) computes, with dt = 1 / K
 * (the reference's 2 / (K * 2 * block_depth), block_depth = 1):
 *   s = dt tanh(u * s_net(x * (1 - u))),   t = dt u * t_net(x * (1 - u))
 *   forward (z -> x):  x <- (x + t) exp(s),   log|det| += sum(s)
 *   inverse (x -> z):  x <- x exp(-s) - t,    log|det| -= sum(s)
 * The coordinates with u = 0 pass through unchanged, so s and t are the same on both sides of a coupling and the
 * inverse is exact. `forward` runs blocks 0..K-1, couplings in order; `inverse` runs them in reverse.
 * As u is 0 or 1 and tanh(0) = 0, dt tanh(u * a) = (dt u) tanh(a) entry by entry (same values and gradients);
 * the code uses the second form (one multiply fewer). The masks are float multipliers, so no concat / split.
 *
 * Initialisation: every layer's weights ~ N(0, (initScale / sqrt(fan_in))^2), biases 0; with the reference's
 * initScale = 1e-6 the flow starts at the identity up to ~1e-6 (spec 1.5).
 *
 * `scaleWeightNorm()` is the reference's `get_weight_scale()`: the sum of the squared weight matrices (no
 * biases) of every scale net, the regulariser 5e-5 ||W_s||^2 of the flow losses (spec 1.3).
 *
 * Not ported: `block_depth` > 1 (couplings reused within a block), `equivariant` (|s|), non-residual couplings
 * and convolutional conditioners; none is used by the paper's RealNVP experiments (spec 1.5 table).
 *
 * In d = 1 the conditioners only see zeros, so the flow is an affine map with learnable constants (biases).
 */
import * as tf from '@tensorflow/tfjs';
import { exp, sumSquares, tanh } from '../core/ops.js';
import { canFuseCoupling, fusedCoupling } from '../core/fusedCoupling.js';
import { split, type Key } from '../core/random.js';
import { checkChoice, checkInteger, checkNumber, checkOptions, invalidOption } from '../core/validate.js';
import { checkPositions } from '../targets/target.js';
import type { Flow, FlowOutput } from './flow.js';
import { MLP_ACTIVATIONS, mlp, uniqueScope, type Activation, type Mlp } from './mlp.js';

export const REALNVP_MASK_TYPES = ['half', 'checkerboard'] as const;
export type RealNvpMaskType = (typeof REALNVP_MASK_TYPES)[number];

/** The full configuration of a RealNVP (plain data: it is what weight files store to rebuild the flow). */
export interface RealNvpConfig {
  dim: number;
  /** K, the number of blocks (two couplings each); dt = 1 / K. */
  numBlocks: number;
  /** H, the width of the hidden layers of s_net and t_net. */
  hiddenDim: number;
  /** D: layer sizes [d] + [H] * (D - 2) + [d], i.e. D - 1 affine layers (D = 2: one d -> d layer). */
  hiddenDepth: number;
  /** Weight scale at initialisation: std = initScale / sqrt(fan_in). */
  initScale: number;
  maskType: RealNvpMaskType;
  /** Only residual couplings are implemented (the reference's default). */
  residual: true;
  activation: Activation;
}

export interface RealNvpOptions {
  /** Required. */
  dim: number;
  /** Default 4. */
  numBlocks?: number;
  /** Default 64. */
  hiddenDim?: number;
  /** Default 3 (d -> H -> d). */
  hiddenDepth?: number;
  /** Default 1e-6 (near-identity start). */
  initScale?: number;
  /** Default 'half'. */
  maskType?: RealNvpMaskType;
  /** Default true; false is rejected (not implemented). */
  residual?: boolean;
  /** Default 'relu'. */
  activation?: Activation;
}

export interface RealNvp extends Flow {
  readonly kind: 'realnvp';
  readonly config: Readonly<RealNvpConfig>;
  /**
   * Variables in a fixed order: for block b = 0..K-1, coupling c = 0, 1: the scale net's W_0, b_0, W_1, b_1, ...,
   * then the translation net's. Names: `realnvp#<n>/block<b>/coupling<c>/{scale,translation}/dense<l>/{weight,bias}`.
   */
  readonly variables: tf.Variable[];
  /** The weight matrices of every scale net (the regularised ones). */
  readonly scaleWeights: readonly tf.Variable[];
  /** sum of squared scale-net weights (no biases), a scalar differentiable in the variables. */
  scaleWeightNorm(): tf.Scalar;
}

const OPTION_NAMES = ['dim', 'numBlocks', 'hiddenDim', 'hiddenDepth', 'initScale', 'maskType', 'residual', 'activation'] as const;

/** Validate options and fill in the defaults. */
export function realNvpConfig(options: RealNvpOptions, fn = 'realNvp'): RealNvpConfig {
  const opts = checkOptions<RealNvpOptions>(fn, options, OPTION_NAMES);
  if (opts.residual !== undefined && opts.residual !== true) {
    invalidOption(fn, 'residual', opts.residual, 'true (only the residual affine couplings of the reference are implemented)');
  }
  return {
    dim: checkInteger(fn, 'dim', opts.dim),
    numBlocks: checkInteger(fn, 'numBlocks', opts.numBlocks ?? 4),
    hiddenDim: checkInteger(fn, 'hiddenDim', opts.hiddenDim ?? 64),
    hiddenDepth: checkInteger(fn, 'hiddenDepth', opts.hiddenDepth ?? 3, 2),
    initScale: checkNumber(fn, 'initScale', opts.initScale ?? 1e-6, 'nonNegative'),
    maskType: checkChoice(fn, 'maskType', opts.maskType ?? 'half', REALNVP_MASK_TYPES),
    residual: true,
    activation: checkChoice(fn, 'activation', opts.activation ?? 'relu', MLP_ACTIVATIONS),
  };
}

/** The base mask m as numbers (coupling 0 updates 1 - m, coupling 1 updates m). */
export function realNvpMask(dim: number, maskType: RealNvpMaskType): number[] {
  return Array.from({ length: dim }, (_, i) => (maskType === 'half' ? (i < Math.floor(dim / 2) ? 0 : 1) : i % 2));
}

interface Coupling {
  scaleNet: Mlp;
  translationNet: Mlp;
  /** 1 - u: the coordinates the conditioners see, [1, d]. */
  conditionMask: tf.Tensor2D;
  /** dt * u, [1, d]. */
  scaledUpdateMask: tf.Tensor2D;
}

/** Create a RealNVP flow; `key` draws the initial weights. */
export function realNvp(key: Key, options: RealNvpOptions): RealNvp {
  const config = realNvpConfig(options);
  const { dim, numBlocks, hiddenDim, hiddenDepth, initScale, maskType, activation } = config;
  const dt = 1 / numBlocks;
  const sizes = [dim, ...new Array<number>(hiddenDepth - 2).fill(hiddenDim), dim];
  const mask = realNvpMask(dim, maskType);
  const scope = uniqueScope('realnvp');

  const couplings: Coupling[] = [];
  const dispose = (): void => {
    for (const c of couplings) {
      c.scaleNet.dispose();
      c.translationNet.dispose();
      c.conditionMask.dispose();
      c.scaledUpdateMask.dispose();
    }
  };
  try {
    const blockKeys = split(key, numBlocks);
    for (let b = 0; b < numBlocks; b++) {
      const couplingKeys = split(blockKeys[b], 2);
      for (let c = 0; c < 2; c++) {
        const [scaleKey, translationKey] = split(couplingKeys[c], 2);
        const update = mask.map((mi) => (c === 0 ? 1 - mi : mi));
        const netOptions = { activation, initScale } as const;
        const scaleNet = mlp(scaleKey, sizes, { ...netOptions, scope: `${scope}/block${b}/coupling${c}/scale` });
        let translationNet: Mlp;
        try {
          translationNet = mlp(translationKey, sizes, { ...netOptions, scope: `${scope}/block${b}/coupling${c}/translation` });
        } catch (err) {
          scaleNet.dispose();
          throw err;
        }
        couplings.push({
          scaleNet,
          translationNet,
          // kept: a flow created inside a user's tf.tidy must not lose its constants when that tidy ends
          conditionMask: tf.keep(tf.tensor2d(update.map((ui) => 1 - ui), [1, dim])),
          scaledUpdateMask: tf.keep(tf.tensor2d(update.map((ui) => dt * ui), [1, dim])),
        });
      }
    }
  } catch (err) {
    dispose();
    throw err;
  }

  const variables = couplings.flatMap((c) => [...c.scaleNet.variables, ...c.translationNet.variables]);
  const scaleWeights = couplings.flatMap((c) => c.scaleNet.weights);

  /** One coupling's update of x and its s (spec 1.5): one fused kernel where the backend has it (same values). */
  const update = (c: Coupling, x: tf.Tensor2D, forward: boolean): { x: tf.Tensor2D; s: tf.Tensor2D } => {
    const conditioner = tf.mul(x, c.conditionMask) as tf.Tensor2D;
    const a = c.scaleNet.apply(conditioner);
    const b = c.translationNet.apply(conditioner);
    if (canFuseCoupling(x, a, b)) {
      const { y, s } = fusedCoupling(x, a, b, c.scaledUpdateMask, !forward);
      return { x: y, s };
    }
    const s = tf.mul(c.scaledUpdateMask, tanh(a)) as tf.Tensor2D;
    const t = tf.mul(c.scaledUpdateMask, b) as tf.Tensor2D;
    const next = forward
      ? (tf.mul(tf.add(x, t), exp(s)) as tf.Tensor2D) // (x + t) exp(s)
      : (tf.sub(tf.mul(x, exp(tf.neg(s))), t) as tf.Tensor2D); // x exp(-s) - t
    return { x: next, s };
  };

  /** Apply the couplings in the given order, forward (z -> x) or inverse (x -> z) updates. */
  const run = (input: tf.Tensor2D, order: readonly Coupling[], forward: boolean): FlowOutput => {
    return tf.tidy(() => {
      let x = input;
      const scales: tf.Tensor2D[] = [];
      for (const c of order) {
        const next = update(c, x, forward);
        x = next.x;
        scales.push(next.s);
      }
      const sumS = tf.sum(scales.length === 1 ? scales[0] : tf.addN(scales), 1) as tf.Tensor1D;
      return { value: x, logDet: forward ? sumS : (tf.neg(sumS) as tf.Tensor1D) };
    });
  };
  const reversed = [...couplings].reverse();

  return {
    kind: 'realnvp',
    dim,
    config: Object.freeze({ ...config }),
    variables,
    scaleWeights,
    forward(z: tf.Tensor2D): FlowOutput {
      checkPositions('realNvp.forward', z, dim, 'z');
      return run(z, couplings, true);
    },
    inverse(x: tf.Tensor2D): FlowOutput {
      checkPositions('realNvp.inverse', x, dim, 'x');
      return run(x, reversed, false);
    },
    scaleWeightNorm(): tf.Scalar {
      return tf.tidy(() => tf.addN(scaleWeights.map((w) => sumSquares(w))) as tf.Scalar);
    },
    dispose,
  };
}
