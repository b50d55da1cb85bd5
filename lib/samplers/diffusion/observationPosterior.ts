/**
 * The posterior of X given a Gaussian observation of it, and its MCMC posterior mean: what SLIPS's denoiser and
 * RDMC's score estimator share (slips-lrds-amcbg.md sections 1.4 and 1.7).
 *
 * Observation Y = a X + √v Z, X ~ π, Z ~ N(0, I) independent. Then
 *   posterior:  q(x | y) ∝ π(x) exp(−|a x − y|² / (2v)),   ∇log q(x | y) = ∇log π(x) − (a / v)(a x − y),
 *   Tweedie:    ∇log p(y) = (a E[X | Y = y] − y) / v       (p = law(Y)).
 * Both papers are this model at each time t, with
 *   SLIPS (stochastic localization Y_t = α(t) X + σ W_t, in law α(t) X + σ√t Z):  a = α(t),  v = σ² t;
 *   RDMC (Ornstein-Uhlenbeck X_t = e^{−t} X_0 + √(1 − e^{−2t}) Z):               a = e^{−t}, v = 1 − e^{−2t}.
 * (RDMC's form N(x; y / a, (e^{2t} − 1) I) of the likelihood is the same function of x: |a x − y|² / v =
 * |x − y / a|² / (v / a²).)
 *
 * The MCMC estimate of E[X | Y = y] (`posteriorMeanEstimator`; SLIPS's `MCMCScoreEstimator`, estimator 'mc'): for
 * N particles y [N, d], `numChains` MALA chains per particle on q(· | y) (y tiled: row c·N + i is chain c of particle
 * i), `numMcmcSteps` steps per call, the mean of the last `keepFraction` of the iterates over steps and chains.
 * One step size per chain, updated after every MALA step by SLIPS's rule (×1.03 if the acceptance probability
 * exceeds 0.76, ÷1.03 if below 0.74, capped at 1: `adaptStepSizePerChain`), kept from call to call; the first call
 * first runs `numWarmupSteps` extra steps (not averaged) to adapt them. The chains start from the previous call's
 * last iterates (`warmStart`, SLIPS) or afresh at every call (RDMC's importance draws, given by the caller), and
 * at y / a when nothing else is given. The MALA steps are the library's `mala` kernel on the posterior as a Target.
 */
import * as tf from '@tensorflow/tfjs';
import { advance } from '../../core/memory.js';
import { sumSquares } from '../../core/ops.js';
import { foldIn, type Key } from '../../core/random.js';
import { checkChoice, checkInteger, checkInterval, checkNumber, checkOptions, invalidOption, verbatim } from '../../core/validate.js';
import { checkPositions, logDensityAndGrad, type Target } from '../../targets/target.js';
import { mala, type MalaState } from '../mcmc/mala.js';
import { adaptStepSizePerChain, SLIPS_RULE } from '../mcmc/stepSizeAdaptation.js';

// ---------------------------------------------------------------------------------------------------------------
// The posterior and Tweedie's formula

/** Check the `target` option of SLIPS, RDMC and the estimator: an object with a dim >= 1 and a logDensity. */
export function checkTarget(where: string, target: unknown): Target {
  const t = target as Target;
  if (t == null || typeof t !== 'object' || typeof t.logDensity !== 'function' || !Number.isSafeInteger(t.dim) || t.dim < 1) {
    invalidOption(where, 'target', target, 'a Target { name, dim, logDensity, gradLogDensity? }');
  }
  return t;
}

/**
 * The posterior q(x | y) ∝ π(x) exp(−|a x − y|² / (2v)) as a `Target` on x (see the file header), one conditioning
 * row of `y` [n, d] per row of x:
 *   logDensity(x) = log π(x) − |a x − y|² / (2v)  (unnormalised),   grad = ∇log π(x) − (a / v)(a x − y).
 * The target is evaluated at the posterior variable x, never at y. `y` is captured, not copied: keep it alive
 * while the posterior is in use.
 */
export function observationPosterior(target: Target, y: tf.Tensor2D, a: number, v: number): Target {
  const where = 'observationPosterior';
  checkPositions(where, y, target.dim, 'y');
  checkNumber(where, 'a', a, 'positive');
  checkNumber(where, 'v', v, 'positive');
  const checkRows = (x: tf.Tensor2D) => {
    checkPositions(where, x, target.dim, 'x');
    if (x.shape[0] !== y.shape[0]) {
      invalidOption(where, 'x', `a tensor with ${x.shape[0]} rows`, `one row per conditioning row of y (${y.shape[0]})`, verbatim);
    }
  };
  const residual = (x: tf.Tensor2D) => tf.sub(tf.mul(a, x), y); // a x − y
  const both = (x: tf.Tensor2D) => {
    checkRows(x);
    return tf.tidy(() => {
      const prior = logDensityAndGrad(target, x);
      const r = residual(x);
      return {
        logDensity: tf.sub(prior.logDensity, tf.div(sumSquares(r, 1), 2 * v)) as tf.Tensor1D,
        grad: tf.sub(prior.grad, tf.mul(a / v, r)) as tf.Tensor2D,
      };
    });
  };
  return {
    name: `${target.name}|y(a=${a},v=${v})`,
    dim: target.dim,
    logDensity(x) {
      checkRows(x);
      return tf.tidy(() => tf.sub(target.logDensity(x), tf.div(sumSquares(residual(x), 1), 2 * v)) as tf.Tensor1D);
    },
    gradLogDensity(x) {
      const { logDensity, grad } = both(x);
      logDensity.dispose();
      return grad;
    },
    logDensityAndGrad: both,
  };
}

/** Tweedie's formula: the score of the law of Y = a X + √v Z at y from the posterior mean, (a E[X | y] − y) / v. */
export function tweedieScore(posteriorMean: tf.Tensor2D, y: tf.Tensor2D, a: number, v: number): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.sub(tf.mul(a, posteriorMean), y), v) as tf.Tensor2D);
}

// ---------------------------------------------------------------------------------------------------------------
// The MCMC posterior mean

export interface PosteriorMeanOptions {
  /** Parallel chains per particle (default 4). */
  numChains?: number;
  /** MALA steps per call, M (default 32). */
  numMcmcSteps?: number;
  /** Fraction of the last iterates averaged, in (0, 1] (default 0.5); at least one iterate. */
  keepFraction?: number;
  /**
   * How keepFraction · M becomes a count: 'down' (default; the SLIPS reference's int(0.5 M)) or 'nearest'
   * (Math.round; RDMC). They differ only when keepFraction · M is not an integer (odd M with 0.5).
   */
  keptRounding?: 'down' | 'nearest';
  /** Extra MALA steps (not averaged) on the first call only, to adapt the step sizes (default 50 M: SLIPS's 50·M). */
  numWarmupSteps?: number;
  /** Initial per-chain MALA step size (default 1e-5, SLIPS; RDMC uses 0.01). */
  initialStepSize?: number;
  /** Start each call from the previous call's last iterates (default true, SLIPS); else afresh at every call. */
  warmStart?: boolean;
}

export const POSTERIOR_MEAN_OPTIONS = [
  'numChains', 'numMcmcSteps', 'keepFraction', 'keptRounding', 'numWarmupSteps', 'initialStepSize', 'warmStart',
] as const;

export type CheckedPosteriorMeanOptions = Required<PosteriorMeanOptions>;

/**
 * Check (and fill the defaults of) the estimator's options, naming them `${prefix}${name}` in errors (RDMC nests
 * them in its `estimator` option). Unknown keys are the caller's to check (its options object may hold more).
 */
export function checkPosteriorMeanOptions(where: string, o: PosteriorMeanOptions, prefix = ''): CheckedPosteriorMeanOptions {
  const numChains = checkInteger(where, `${prefix}numChains`, o.numChains ?? 4, 1);
  const numMcmcSteps = checkInteger(where, `${prefix}numMcmcSteps`, o.numMcmcSteps ?? 32, 1);
  const keepFraction = checkInterval(where, `${prefix}keepFraction`, o.keepFraction ?? 0.5, '(0, 1]');
  const keptRounding = checkChoice(where, `${prefix}keptRounding`, o.keptRounding ?? 'down', ['down', 'nearest'] as const);
  const numWarmupSteps = checkInteger(where, `${prefix}numWarmupSteps`, o.numWarmupSteps ?? 50 * numMcmcSteps, 0);
  const initialStepSize = checkNumber(where, `${prefix}initialStepSize`, o.initialStepSize ?? 1e-5, 'positive');
  const warmStart = o.warmStart ?? true;
  if (typeof warmStart !== 'boolean') invalidOption(where, `${prefix}warmStart`, warmStart, 'true or false');
  return { numChains, numMcmcSteps, keepFraction, keptRounding, numWarmupSteps, initialStepSize, warmStart };
}

/** The number of iterates per chain averaged by a call: keepFraction · M rounded as `keptRounding` says, >= 1. */
export function numKeptIterates(o: CheckedPosteriorMeanOptions): number {
  const kept = o.keepFraction * o.numMcmcSteps;
  return Math.max(1, o.keptRounding === 'down' ? Math.floor(kept) : Math.round(kept));
}

/** What one call returns; the caller owns the tensors. */
export interface PosteriorMeanEstimate {
  /** The estimate of E[X | Y = y], [N, d]: the mean of the kept iterates over steps and chains. */
  mean: tf.Tensor2D;
  /** Mean MALA acceptance probability over the call's M steps (warm-up excluded) and all chains (a scalar). */
  acceptanceRate: tf.Scalar;
  /** Mean acceptance over the warm-up steps, when this call ran them (the first call), else null. */
  warmupAcceptanceRate: tf.Scalar | null;
}

export interface PosteriorMeanEstimator {
  /**
   * Estimate E[X | Y = y] for y [N, d] (N fixed by the first call) under the observation Y = a X + √v Z. The MALA
   * steps use foldIn(key, j). `freshStart` gives the chain starts [numChains · N, d] when the chains do not continue
   * from the previous call (first call, or warmStart false); by default y / a. Synchronous: no read-back.
   */
  estimate(key: Key, y: tf.Tensor2D, a: number, v: number, freshStart?: () => tf.Tensor2D): PosteriorMeanEstimate;
  /** The per-chain step sizes [numChains · N] (chain c of particle i at row c·N + i), or null before the first call. */
  readonly stepSizes: tf.Tensor1D | null;
  /** Total MALA steps run so far (warm-up included). */
  readonly totalMcmcSteps: number;
  /** Free the step sizes and the last iterates. */
  dispose(): void;
}

type Carry = { state: MalaState; stepSize: tf.Tensor1D; keptSum: tf.Tensor2D; acceptanceSum: tf.Scalar; warmupSum: tf.Scalar };

/**
 * The MCMC posterior-mean estimator for `target` (see the file header). `where` names the caller in errors
 * (SLIPS's `createMcmcDenoiser`, RDMC's `rdmcScoreEstimator`).
 */
export function posteriorMeanEstimator(target: Target, options: PosteriorMeanOptions = {}, where = 'posteriorMeanEstimator'): PosteriorMeanEstimator {
  checkTarget(where, target);
  const o = checkPosteriorMeanOptions(where, checkOptions<PosteriorMeanOptions>(where, options, POSTERIOR_MEAN_OPTIONS));
  const numKept = numKeptIterates(o);
  const C = o.numChains;
  const d = target.dim;
  let lastIterate: tf.Tensor2D | null = null; // [C · N, d], warm start only
  let stepSize: tf.Tensor1D | null = null; // [C · N]
  let numParticles = -1;
  let totalMcmcSteps = 0;

  return {
    get stepSizes() {
      return stepSize;
    },
    get totalMcmcSteps() {
      return totalMcmcSteps;
    },
    dispose() {
      lastIterate?.dispose();
      stepSize?.dispose();
      lastIterate = null;
      stepSize = null;
    },
    estimate(key: Key, y: tf.Tensor2D, a: number, v: number, freshStart?: () => tf.Tensor2D): PosteriorMeanEstimate {
      const fn = `${where}.estimate`;
      checkPositions(fn, y, d, 'y');
      if (numParticles < 0) numParticles = y.shape[0];
      else if (y.shape[0] !== numParticles) {
        invalidOption(fn, 'y', y, `[${numParticles}, ${d}] (the number of particles is fixed by the first call)`);
      }
      const n = numParticles;
      const yTiled = tf.tile(y, [C, 1]) as tf.Tensor2D;
      let carry: Carry | null = null;
      try {
        const posterior = observationPosterior(target, yTiled, a, v);
        const kernel = mala(posterior);
        const warmup = stepSize === null ? o.numWarmupSteps : 0;
        const totalSteps = warmup + o.numMcmcSteps;
        const keepFrom = totalSteps - numKept;
        let start: tf.Tensor2D;
        if (lastIterate) {
          start = lastIterate;
          lastIterate = null;
        } else {
          start = freshStart ? freshStart() : (tf.div(yTiled, a) as tf.Tensor2D);
        }
        const initial = tf.tidy(() => {
          const { logDensity, grad } = logDensityAndGrad(posterior, start);
          return { position: start, logDensity, grad } as MalaState;
        });
        carry = {
          state: initial,
          stepSize: stepSize ?? (tf.fill([C * n], o.initialStepSize, 'float32') as tf.Tensor1D),
          keptSum: tf.zeros([C * n, d]) as tf.Tensor2D,
          acceptanceSum: tf.scalar(0),
          warmupSum: tf.scalar(0),
        };
        stepSize = null; // owned by the carry now
        for (let j = 0; j < totalSteps; j++) {
          carry = advance(carry as unknown as tf.TensorContainer, (c) => {
            const { state, stepSize: h, keptSum, acceptanceSum, warmupSum } = c as unknown as Carry;
            const { state: next, info } = kernel.step(foldIn(key, j), state, { stepSize: h });
            const meanAcceptance = tf.mean(info.acceptanceRate);
            const warming = j < warmup;
            return {
              state: next,
              stepSize: adaptStepSizePerChain(h, info.acceptanceRate, SLIPS_RULE),
              keptSum: j >= keepFrom ? tf.add(keptSum, next.position) : keptSum,
              acceptanceSum: warming ? acceptanceSum : tf.add(acceptanceSum, meanAcceptance),
              warmupSum: warming ? tf.add(warmupSum, meanAcceptance) : warmupSum,
            } as unknown as tf.TensorContainer;
          }) as unknown as Carry;
        }
        totalMcmcSteps += totalSteps;
        const done: Carry = carry;
        const out: PosteriorMeanEstimate = {
          // Row c·N + i is chain c of particle i: average over the kept steps and the chains.
          mean: tf.tidy(() => tf.div(tf.sum(tf.reshape(done.keptSum, [C, n, d]), 0), C * numKept) as tf.Tensor2D),
          acceptanceRate: tf.div(done.acceptanceSum, o.numMcmcSteps) as tf.Scalar,
          warmupAcceptanceRate: warmup > 0 ? (tf.div(done.warmupSum, warmup) as tf.Scalar) : null,
        };
        stepSize = done.stepSize;
        if (o.warmStart) lastIterate = done.state.position;
        else done.state.position.dispose();
        tf.dispose([done.state.logDensity, done.state.grad, done.keptSum, done.acceptanceSum, done.warmupSum]);
        carry = null;
        return out;
      } catch (err) {
        if (carry) tf.dispose(carry as unknown as tf.TensorContainer);
        throw err;
      } finally {
        yTiled.dispose();
      }
    },
  };
}
