/**
 * Forward noising along a schedule, and the "perfect diffusion model" of a Gaussian mixture.
 *
 * - `forwardNoise(schedule, key, x0, t)`: x_t = a(t) x_0 + s(t) eps for a batch, at one time or one time per row
 *   (the scales are computed in float64 on the JS side and uploaded; nothing is read back).
 * - `forwardTransition(schedule, key, x, from, to)`: x_to | x_from, the forward kernel of the SMC along the
 *   diffusion path (spec slips-lrds-amcbg.md section 3.4, F_k).
 * - `perfectModel(mixture, schedule)`: p_t is the law of a(t) X + s(t) Z for X ~ mixture, a Gaussian mixture in
 *   closed form (lib/targets/noisedMixture.ts, spec section 4.1): log-density, score, its divergence (trace of the
 *   Hessian), denoiser, posterior covariance and Hessian at any t. The noised laws are built per t (float64
 *   algebra plus a few small device constants) and the last `cacheSize` of them are kept, so an ODE step that
 *   evaluates the same t several times (RK4's midpoint) builds it once. A law is often first needed inside a
 *   caller's tf.tidy; its constants are created outside every tidy scope so that the cache keeps them (they are
 *   freed on eviction and by `dispose()`). A gradient taken through one call must finish before cacheSize other
 *   times are evaluated (the tape holds the evicted law's constants otherwise).
 */
import * as tf from '@tensorflow/tfjs';
import { normal, type Key } from '../core/random.js';
import { checkInteger, checkOptions, invalidOption } from '../core/validate.js';
import type { GaussianMixtureTarget } from '../targets/mixture.js';
import { noisedMixture, type DiagPlusLowRank, type NoisedMixtureTarget } from '../targets/noisedMixture.js';
import type { DiffusionModel } from './diffusionModel.js';
import { checkNoiseSchedule, checkTime, type NoiseSchedule } from './schedule.js';

/** Throw unless x is a rank-2 tensor (with `dim` columns when given). */
export function checkBatch(fn: string, option: string, x: unknown, dim?: number): tf.Tensor2D {
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || (dim !== undefined && x.shape[1] !== dim)) {
    invalidOption(fn, option, x, `a tensor of shape [n, ${dim ?? 'd'}]`);
  }
  return x as tf.Tensor2D;
}

/**
 * Per-row times: a number (every row) or n numbers in [0, T]. Returns the float64 times (length n) or the number.
 */
export function checkTimes(fn: string, option: string, t: unknown, n: number, horizon: number): number | Float64Array {
  if (typeof t === 'number') return checkTime(fn, option, t, horizon);
  const isArrayLike = Array.isArray(t) || (ArrayBuffer.isView(t) && !(t instanceof DataView));
  if (!isArrayLike || (t as ArrayLike<unknown>).length !== n) {
    invalidOption(fn, option, t, `a time in [0, ${horizon}] or an array of ${n} times (one per row)`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = checkTime(fn, `${option}[${i}]`, (t as ArrayLike<unknown>)[i], horizon);
  return out;
}

/** a(t) and s(t) as numbers (one time) or as [n, 1] float32 tensors (one time per row). Call inside a tidy. */
export function scaleColumns(
  schedule: NoiseSchedule,
  times: number | Float64Array,
): { signal: number | tf.Tensor2D; noise: number | tf.Tensor2D } {
  if (typeof times === 'number') return { signal: schedule.signalScale(times), noise: schedule.noiseScale(times) };
  const n = times.length;
  const signal = new Float32Array(n);
  const noise = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    signal[i] = schedule.signalScale(times[i]);
    noise[i] = schedule.noiseScale(times[i]);
  }
  return { signal: tf.tensor2d(signal, [n, 1]), noise: tf.tensor2d(noise, [n, 1]) };
}

/**
 * x_t = a(t) x_0 + s(t) eps with eps ~ N(0, I) drawn from `key`; t is one time or one per row. Returns the noised
 * batch and the noise (both new tensors).
 */
export function forwardNoise(
  schedule: NoiseSchedule,
  key: Key,
  x0: tf.Tensor2D,
  t: number | ArrayLike<number>,
): { noised: tf.Tensor2D; noise: tf.Tensor2D } {
  const fn = 'forwardNoise';
  checkNoiseSchedule(fn, schedule);
  const x = checkBatch(fn, 'x0', x0);
  const times = checkTimes(fn, 't', t, x.shape[0], schedule.horizon);
  const noise = normal(key, x.shape) as tf.Tensor2D;
  const noised = tf.tidy(() => {
    const { signal, noise: std } = scaleColumns(schedule, times);
    return tf.add(tf.mul(x, signal), tf.mul(noise, std)) as tf.Tensor2D;
  });
  return { noised, noise };
}

/** x_to = (a(to)/a(from)) x + sqrt(s(to)^2 - (a(to)/a(from))^2 s(from)^2) z, for from <= to. */
export function forwardTransition(schedule: NoiseSchedule, key: Key, x: tf.Tensor2D, from: number, to: number): tf.Tensor2D {
  const fn = 'forwardTransition';
  checkNoiseSchedule(fn, schedule);
  const xs = checkBatch(fn, 'x', x);
  checkTime(fn, 'from', from, schedule.horizon);
  checkTime(fn, 'to', to, schedule.horizon);
  if (to < from) invalidOption(fn, 'to', to, `a time >= from = ${from} (the forward process runs forward in time)`);
  const { scale, std } = schedule.transition(from, to);
  return tf.tidy(() => tf.add(tf.mul(xs, scale), tf.mul(normal(key, xs.shape), std)) as tf.Tensor2D);
}

// ---------------------------------------------------------------------------------------------------------------
// The perfect diffusion model

export interface PerfectModelOptions {
  /** How many noised laws (one per distinct t) are kept between calls; default 4. */
  cacheSize?: number;
}

export interface PerfectDiffusionModel extends DiffusionModel {
  readonly mixture: GaussianMixtureTarget;
  /** The exact law of x_t as a target (a new object: the caller disposes it). */
  marginal(t: number): NoisedMixtureTarget;
  /** log p_t(x), [n]; normalised when the mixture weights sum to 1 (else + log sum w). */
  logDensity(x: tf.Tensor2D, t: number): tf.Tensor1D;
  score(x: tf.Tensor2D, t: number): tf.Tensor2D;
  /** Trace of the Hessian of log p_t (closed form), [n]. */
  scoreDivergence(x: tf.Tensor2D, t: number): tf.Tensor1D;
  /** E[x_0 | x_t = x], [n, d]. */
  denoiser(x: tf.Tensor2D, t: number): tf.Tensor2D;
  /** Cov[x_0 | x_t = x], [n, d, d]. */
  posteriorCovariance(x: tf.Tensor2D, t: number): tf.Tensor3D;
  /** Hessian of log p_t, [n, d, d]. */
  hessian(x: tf.Tensor2D, t: number): tf.Tensor3D;
  /** The same two as diag + rank K (isotropic / diagonal components only). */
  posteriorCovarianceLowRank(x: tf.Tensor2D, t: number): DiagPlusLowRank;
  hessianLowRank(x: tf.Tensor2D, t: number): DiagPlusLowRank;
  /** Exact samples of p_t, [n, d]. */
  sample(key: Key, n: number, t: number): tf.Tensor2D;
  /** Free the cached noised laws (the model still works afterwards; it rebuilds them). */
  dispose(): void;
}

/**
 * Run `build` with no active tidy scope, so that the tensors it creates are not freed when the caller's tidy ends
 * (the engine tracks new tensors in its active scope; lib/core/ops.ts uses the engine state the same way).
 */
function outsideTidyScopes<T>(build: () => T): T {
  const state = tf.engine().state as unknown as { activeScope: unknown };
  const scope = state.activeScope;
  state.activeScope = null;
  try {
    return build();
  } finally {
    state.activeScope = scope;
  }
}

/** The exact noised marginals of `mixture` along `schedule` (see the file header). */
export function perfectModel(mixture: GaussianMixtureTarget, schedule: NoiseSchedule, options: PerfectModelOptions = {}): PerfectDiffusionModel {
  const fn = 'perfectModel';
  if (mixture == null || typeof mixture !== 'object' || !('components' in mixture)) {
    invalidOption(fn, 'mixture', mixture, 'a Gaussian mixture target (gaussianMixture or a preset)');
  }
  checkNoiseSchedule(fn, schedule);
  const opts = checkOptions<PerfectModelOptions>(fn, options, ['cacheSize']);
  const cacheSize = checkInteger(fn, 'cacheSize', opts.cacheSize ?? 4, 1);
  const cache = new Map<number, NoisedMixtureTarget>();
  const build = (t: number) => noisedMixture(mixture, schedule.signalScale(t), schedule.noiseScale(t));
  const lawAt = (method: string, t: number): NoisedMixtureTarget => {
    checkTime(`${fn}.${method}`, 't', t, schedule.horizon);
    let law = cache.get(t);
    if (law !== undefined) {
      cache.delete(t); // re-insert: most recently used last
    } else {
      law = outsideTidyScopes(() => build(t));
      if (cache.size >= cacheSize) {
        const [oldest, evicted] = cache.entries().next().value as [number, NoisedMixtureTarget];
        cache.delete(oldest);
        evicted.dispose();
      }
    }
    cache.set(t, law);
    return law;
  };
  const diagonal = mixture.components.kind === 'diagonal';

  return {
    dim: mixture.dim,
    schedule,
    mixture,
    marginal: (t) => build(checkTime(`${fn}.marginal`, 't', t, schedule.horizon)),
    logDensity: (x, t) => lawAt('logDensity', t).logDensity(x),
    score: (x, t) => lawAt('score', t).score(x),
    scoreDivergence(x, t) {
      const law = lawAt('scoreDivergence', t);
      return tf.tidy(() => {
        if (diagonal) {
          const { diag, factors } = law.hessianLowRank(x);
          return tf.add(tf.sum(diag, 1), tf.sum(tf.square(factors), [1, 2])) as tf.Tensor1D;
        }
        return tf.sum(tf.mul(law.hessian(x), tf.eye(mixture.dim)), [1, 2]) as tf.Tensor1D;
      });
    },
    denoiser: (x, t) => lawAt('denoiser', t).denoiser(x),
    posteriorCovariance: (x, t) => lawAt('posteriorCovariance', t).posteriorCovariance(x),
    hessian: (x, t) => lawAt('hessian', t).hessian(x),
    posteriorCovarianceLowRank: (x, t) => lawAt('posteriorCovarianceLowRank', t).posteriorCovarianceLowRank(x),
    hessianLowRank: (x, t) => lawAt('hessianLowRank', t).hessianLowRank(x),
    sample: (key, n, t) => (lawAt('sample', t).sample as (k: Key, m: number) => tf.Tensor2D)(key, n),
    dispose() {
      for (const law of cache.values()) law.dispose();
      cache.clear();
    },
  };
}
