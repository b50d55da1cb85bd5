/**
 * The Langevin move, once (nfmcmc spec section 1.3 "MALA"; slips spec sections 1.4, 1.7 and 4.3):
 *   x' = x + h ∇log π(x) + √(2h) ξ,   ξ ~ N(0, I),
 * and what is built on it:
 *   - the MALA transition (`malaStep`: the proposal, its log-acceptance, the Metropolis accept of ./metropolis.ts),
 *     which the `mala` kernel runs, and with it SLIPS's denoiser and RDMC's score estimator;
 *   - the unadjusted Langevin step (ULA, `ulaStep`) and loop (`unadjustedLangevin`): the Gaussian initialisations of
 *     SLIPS (Langevin-within-Langevin on p_{t_0}) and RDMC (on p_T), with the score as an argument.
 *
 * Float32 rounding. Every caller computes (x + h g) + √(2h) ξ in that order. They round the noise term √(2h) ξ
 * differently, and each keeps its own rounding because the papers' figures are pinned byte for byte
 * (`NoiseRounding`): MALA takes √(2h) in float32 tensor ops (h may be a per-chain tensor, and the acceptance needs
 * ξ itself); SLIPS's initialisation scales the draw in float64 before its one rounding to float32; RDMC's multiplies
 * the float32 draw by float32(√(2h)). The three are the same law; they differ in the last bit.
 */
import * as tf from '@tensorflow/tfjs';
import { sumSquares } from '../../core/ops.js';
import { foldIn, normal, split, type Key } from '../../core/random.js';
import { logDensityAndGrad, type Target } from '../../targets/target.js';
import type { ChainState, MetropolisInfo, StepSize } from './kernel.js';
import { metropolisAccept, perChainColumn } from './metropolis.js';

/** A step size broadcast against rows [n, d]: a number, or a per-chain column [n, 1] (`perChainColumn`). */
export type StepColumn = number | tf.Tensor2D;

/**
 * How the noise term √(2h) ξ of a ULA step is rounded to float32 (see the file header):
 *   'draw':    normal(key, shape, 0, √(2h)), the draw scaled in float64 and rounded once (SLIPS's initialisation);
 *   'product': float32(√(2h)) · ξ with ξ a float32 standard normal draw (RDMC's initialisation);
 *   'tensor':  √(2h) computed by float32 tensor ops, times ξ (MALA's proposal; the only form for a per-chain h).
 */
export type NoiseRounding = 'draw' | 'product' | 'tensor';

/** The Langevin move x + h g + noise, computed as (x + h g) + noise (the order every caller relies on). */
export function langevinMove(position: tf.Tensor2D, grad: tf.Tensor2D, h: StepColumn, noise: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.add(position, tf.mul(h, grad)), noise) as tf.Tensor2D;
}

/** √(2h) ξ from a float32 standard normal draw ξ, √(2h) computed in float32 tensor ops ('tensor' rounding). */
function scaleByTensorOps(xi: tf.Tensor, h: StepColumn): tf.Tensor {
  return tf.mul(tf.sqrt(tf.mul(2, h)), xi);
}

/** The noise term √(2h) ξ of shape `shape`, ξ ~ N(0, I) drawn from `key`, rounded as `rounding` says. */
export function langevinNoise(key: Key, shape: number[], h: StepColumn, rounding: NoiseRounding): tf.Tensor {
  if (rounding === 'tensor') return scaleByTensorOps(normal(key, shape), h);
  if (typeof h !== 'number') throw new Error(`langevinNoise: rounding '${rounding}' needs a number step size (use 'tensor' for per-chain step sizes)`);
  return rounding === 'draw' ? normal(key, shape, 0, Math.sqrt(2 * h)) : tf.mul(Math.sqrt(2 * h), normal(key, shape));
}

/**
 * The Langevin proposal x' = x + h ∇log π(x) + √(2h) ξ for all chains (h: a number, or a [n] tensor of per-chain
 * step sizes), with ξ ~ N(0, I) drawn from `key`. Returns x' and ξ (the forward proposal density needs it).
 */
export function langevinProposal(
  key: Key,
  position: tf.Tensor2D,
  grad: tf.Tensor2D,
  stepSize: StepSize,
): { proposal: tf.Tensor2D; noise: tf.Tensor2D } {
  const h = perChainColumn(stepSize);
  const noise = normal(key, position.shape) as tf.Tensor2D;
  return { proposal: langevinMove(position, grad, h, scaleByTensorOps(noise, h)), noise };
}

/**
 * log q(to | from) of the Langevin proposal, up to the constant −(d/2) log(4πh) that cancels in the MALA ratio
 * (for a per-chain h it cancels chain by chain): q(· | from) = N(from + h gradFrom, 2h I), so
 *   log q(to | from) = −|to − from − h gradFrom|² / (4h),   [n].
 */
export function langevinLogProposalDensity(
  to: tf.Tensor2D,
  from: tf.Tensor2D,
  gradFrom: tf.Tensor2D,
  stepSize: StepSize,
): tf.Tensor1D {
  const residual = tf.sub(tf.sub(to, from), tf.mul(perChainColumn(stepSize), gradFrom));
  return tf.div(sumSquares(residual, 1), tf.mul(-4, stepSize)) as tf.Tensor1D;
}

/** A chain state with what MALA needs at its position: the log-density and its gradient ∇log π, [n, d]. */
export type LangevinState = ChainState & {
  grad: tf.Tensor2D;
};

/**
 * The MALA log-acceptance of the move current -> proposed made with noise ξ (`langevinProposal`):
 *   log α = log π(x') − log π(x) + log q(x | x') − log q(x' | x),
 * with log q(x' | x) = −|√(2h) ξ|² / (4h) = −|ξ|² / 2 taken from ξ (exact, no cancellation).
 */
export function malaLogAcceptance(current: LangevinState, proposed: LangevinState, noise: tf.Tensor2D, stepSize: StepSize): tf.Tensor1D {
  const logForward = tf.mul(-0.5, sumSquares(noise, 1));
  const logBackward = langevinLogProposalDensity(current.position, proposed.position, proposed.grad, stepSize);
  return tf.add(tf.sub(proposed.logDensity, current.logDensity), tf.sub(logBackward, logForward)) as tf.Tensor1D;
}

/**
 * One MALA transition for all chains: the Langevin proposal, the target (and its gradient) evaluated once at the
 * proposal, the log-acceptance and the batched Metropolis accept (`metropolisAccept`). `key` is split in two
 * (noise, accept). No checks: the `mala` kernel checks its inputs. Call inside a tidy scope.
 */
export function malaStep(key: Key, target: Target, state: LangevinState, stepSize: StepSize): { state: LangevinState; info: MetropolisInfo } {
  const [kNoise, kAccept] = split(key, 2);
  const { proposal, noise } = langevinProposal(kNoise, state.position, state.grad, stepSize);
  const next = logDensityAndGrad(target, proposal);
  const proposed: LangevinState = { position: proposal, logDensity: next.logDensity, grad: next.grad };
  return metropolisAccept(kAccept, malaLogAcceptance(state, proposed, noise, stepSize), proposed, state);
}

/** One unadjusted Langevin step y + h s + √(2h) ξ (s: the score at y), ξ drawn from `key`. */
export function ulaStep(key: Key, y: tf.Tensor2D, score: tf.Tensor2D, stepSize: number, rounding: NoiseRounding): tf.Tensor2D {
  return tf.tidy(() => langevinMove(y, score, stepSize, langevinNoise(key, y.shape, stepSize, rounding)));
}

export interface UnadjustedLangevinOptions {
  numSteps: number;
  /** h > 0. */
  stepSize: number;
  /** The score at y for step i (the caller's estimate, exact or not); the loop disposes the returned tensor. */
  score: (key: Key, y: tf.Tensor2D, i: number) => tf.Tensor2D | Promise<tf.Tensor2D>;
  /** How √(2h) ξ is rounded (see `NoiseRounding`). */
  noise: NoiseRounding;
  /** Called after step i with the new y (valid during the call only): progress, abort checks. */
  afterStep?: (i: number, y: tf.Tensor2D) => void | Promise<void>;
}

/**
 * `numSteps` ULA steps from y0 (consumed: disposed unless numSteps = 0, then returned as is). Step i draws its keys
 * from foldIn(key, i) split in two: the score's key, then the noise's. On an error (from `score`, `afterStep` or an
 * abort there), the current y is disposed and the error rethrown. The caller owns the result.
 */
export async function unadjustedLangevin(key: Key, y0: tf.Tensor2D, options: UnadjustedLangevinOptions): Promise<tf.Tensor2D> {
  const { numSteps, stepSize, score, noise, afterStep } = options;
  let y = y0;
  try {
    for (let i = 0; i < numSteps; i++) {
      const [scoreKey, noiseKey] = split(foldIn(key, i), 2);
      const s = await score(scoreKey, y, i);
      const next = ulaStep(noiseKey, y, s, stepSize, noise);
      tf.dispose([y, s]);
      y = next;
      await afterStep?.(i, y);
    }
  } catch (err) {
    y.dispose();
    throw err;
  }
  return y;
}
