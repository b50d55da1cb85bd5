/**
 * The controlled generative SDE of the RDS and its per-trajectory log Radon-Nikodym derivative ("rnd", spec
 * slips-lrds-amcbg.md section 2.2, EMReferenceSDELoss / EIReferenceSDELoss.simulate):
 *   Y_0 ~ prior (N(0, sigma^2 I) for VP, delta_0 for PBM), then per generative step (generativeSteps.ts)
 *   Y' = scale Y + forcing (grad log p^ref_t(Y) + u_hat) + noiseStd z,
 *   rnd = sum_k [ omega_k u.(u_hat - u/2) + sqrt(omega_k) u.z_k ] + log pi^ref(Y_K) - log gamma(Y_K),
 * where u(t, y) ~ grad log(p_t / p_t^ref)(y) is the control (a key-free function, so a network plugs in) and u_hat
 * is u with its gradient stopped ('detached' drift, the LV loss). With drift 'attached' (the KL loss) the drift uses
 * u itself and the running term is omega |u|^2 / 2 (the stochastic integral has mean 0 and is dropped).
 * Then E[exp(-rnd)] = Z (the normalising constant of gamma) up to the discretisation and the prior's mismatch with
 * p_T^ref (none for the default VP reference, which is stationary, nor for PBM).
 *
 * `forwardRnd` evaluates the same functional along paths of the noising SDE started at exact target samples (for
 * the EUBO and the forward ESS, `compute_eubo`): the noise of each generative step is the one the controlled kernel
 * implies, z = (Y' - scale Y - forcing (score + u)) / noiseStd, and the running term sqrt(omega) u.z + omega |u|^2 / 2
 * is log q_u(Y' | Y) - log q_0(Y' | Y), the log-ratio of the controlled and the reference kernels.
 *
 * rnd is accumulated on the device in float32, one [n] add per step (no read-back inside the loop); the caller reads
 * it back once. Each running term is O(omega |u|^2), so K = 100-200 float32 adds lose ~1e-6 relative, far below the
 * Monte Carlo error of any estimate built on it.
 */
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../../../core/ops.js';
import { foldIn, normal, split, type Key } from '../../../core/random.js';
import { checkChoice, checkInteger, checkOptions, invalidOption } from '../../../core/validate.js';
import { checkBatch } from '../../../diffusion/forwardNoising.js';
import { checkTarget, logDensityOf, type Target } from '../../../targets/target.js';
import { generativeSteps, RDS_SCHEMES, type GenerativeStep, type RdsScheme } from './generativeSteps.js';
import { checkNoisingSde, type NoisingSde } from './noisingSde.js';
import type { RdsReference } from './referenceMarginal.js';

/** u(t, y) ~ grad log(p_t / p_t^ref)(y), [n, d], at noising time t. */
export type RdsControl = (t: number, y: tf.Tensor2D) => tf.Tensor2D;

export interface RdsPathOptions {
  sde: NoisingSde;
  reference: RdsReference;
  target: Target;
  /** Absent: no control (the reference process itself). */
  control?: RdsControl;
  /** Increasing noising times (rdsTimeGrid). */
  grid: ArrayLike<number>;
  /** Default 'ei'. */
  scheme?: RdsScheme;
}

export interface SimulateRdsOptions extends RdsPathOptions {
  numParticles: number;
  /** 'detached' (default; LV loss and evaluation) or 'attached' (KL loss), see the file header. */
  drift?: 'detached' | 'attached';
}

export interface RdsTrajectories {
  /** Y_K, the generated samples, [n, d]. */
  samples: tf.Tensor2D;
  /** Y_0, the generative start, [n, d]. */
  start: tf.Tensor2D;
  /** Per-trajectory log RND, [n] (float32, on the device). */
  rnd: tf.Tensor1D;
}

interface CheckedPath {
  sde: NoisingSde;
  reference: RdsReference;
  target: Target;
  control?: RdsControl;
  steps: GenerativeStep[];
  dim: number;
}

function checkPath(fn: string, options: RdsPathOptions, extra: string[]): CheckedPath & Record<string, unknown> {
  const opts = checkOptions<RdsPathOptions & Record<string, unknown>>(fn, options, ['sde', 'reference', 'target', 'control', 'grid', 'scheme', ...extra]);
  const sde = checkNoisingSde(fn, opts.sde);
  const reference = opts.reference as RdsReference;
  if (reference == null || typeof reference.score !== 'function' || typeof reference.logDensity !== 'function') {
    invalidOption(fn, 'reference', reference, 'an RDS reference (mixtureReference, defaultReference or energyReference)');
  }
  checkTarget(fn, opts.target);
  const target = opts.target as Target;
  if (reference.dim !== target.dim) invalidOption(fn, 'reference', `dim ${reference.dim}`, `the target's dimension ${target.dim}`);
  if (opts.control !== undefined && typeof opts.control !== 'function') {
    invalidOption(fn, 'control', opts.control, 'a function (t, y [n, d]) -> u [n, d], or undefined (no control)');
  }
  const scheme = checkChoice(fn, 'scheme', opts.scheme ?? 'ei', RDS_SCHEMES);
  const steps = generativeSteps(sde, opts.grid as ArrayLike<number>, scheme);
  return { ...opts, sde, reference, target, control: opts.control, steps, dim: target.dim };
}

/** sum over the last axis of a * b, [n]. */
const rowDot = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.sum(tf.mul(a, b), 1) as tf.Tensor1D;

/** Simulate numParticles generative trajectories and their rnd (see the file header). */
export function simulateRds(key: Key, options: SimulateRdsOptions): RdsTrajectories {
  const fn = 'simulateRds';
  const path = checkPath(fn, options, ['numParticles', 'drift']);
  const n = checkInteger(fn, 'numParticles', path.numParticles);
  const detached = checkChoice(fn, 'drift', path.drift ?? 'detached', ['detached', 'attached'] as const) === 'detached';
  const { sde, reference, target, control, steps, dim } = path;
  const [priorKey, stepKey] = split(key);
  const start = tf.tidy(() => (sde.priorStd > 0 ? tf.mul(normal(priorKey, [n, dim]), sde.priorStd) : tf.zeros([n, dim])) as tf.Tensor2D);
  let y = tf.clone(start);
  let rnd = tf.zeros([n]) as tf.Tensor1D;
  steps.forEach((step, k) => {
    const next = tf.tidy(() => {
      const z = normal(foldIn(stepKey, k), [n, dim]) as tf.Tensor2D;
      let force = reference.score(step.from, y);
      let running: tf.Tensor1D | null = null;
      if (control) {
        const u = control(step.from, y);
        const uHat = detached ? stopGradient(u) : u;
        force = tf.add(force, uHat);
        running = detached
          ? (tf.add(tf.mul(rowDot(u, tf.sub(uHat, tf.mul(0.5, u))), step.omega), tf.mul(rowDot(u, z), Math.sqrt(step.omega))) as tf.Tensor1D)
          : (tf.mul(rowDot(u, u), 0.5 * step.omega) as tf.Tensor1D);
      }
      const yNext = tf.add(tf.add(tf.mul(y, step.scale), tf.mul(force, step.forcing)), tf.mul(z, step.noiseStd)) as tf.Tensor2D;
      return { y: yNext, rnd: running ? (tf.add(rnd, running) as tf.Tensor1D) : tf.clone(rnd) };
    });
    y.dispose();
    rnd.dispose();
    y = next.y;
    rnd = next.rnd;
  });
  const total = tf.tidy(() => tf.add(rnd, tf.sub(reference.logDensity(y), logDensityOf(target, y))) as tf.Tensor1D);
  rnd.dispose();
  return { samples: y, start, rnd: total };
}

export interface ForwardRndOptions extends RdsPathOptions {
  /** Exact target samples X_0, [n, d] (the caller keeps ownership). */
  samples: tf.Tensor2D;
}

/** The rnd along noising paths started at exact target samples (see the file header), [n]. */
export function forwardRnd(key: Key, options: ForwardRndOptions): tf.Tensor1D {
  const fn = 'forwardRnd';
  const path = checkPath(fn, options, ['samples']);
  const { sde, reference, target, control, steps, dim } = path;
  const x0 = checkBatch(fn, 'samples', path.samples, dim);
  const n = x0.shape[0];
  // Walk the noising path upwards (t_0 -> t_K); generative step K-1-j runs over the same interval downwards.
  let lower = tf.clone(x0);
  let rnd = tf.tidy(() => tf.sub(reference.logDensity(x0), logDensityOf(target, x0)) as tf.Tensor1D);
  for (let j = 0; j < steps.length; j++) {
    const step = steps[steps.length - 1 - j];
    const next = tf.tidy(() => {
      const { scale, std } = sde.transition(step.to, step.from);
      const upper = tf.add(tf.mul(lower, scale), tf.mul(normal(foldIn(key, j), [n, dim]), std)) as tf.Tensor2D;
      if (!control) return { upper, rnd: tf.clone(rnd) };
      const u = control(step.from, upper);
      const mean = tf.add(tf.mul(upper, step.scale), tf.mul(tf.add(reference.score(step.from, upper), u), step.forcing));
      const z = tf.div(tf.sub(lower, mean), step.noiseStd) as tf.Tensor2D;
      const running = tf.add(tf.mul(rowDot(u, z), Math.sqrt(step.omega)), tf.mul(rowDot(u, u), 0.5 * step.omega));
      return { upper, rnd: tf.add(rnd, running) as tf.Tensor1D };
    });
    lower.dispose();
    rnd.dispose();
    lower = next.upper;
    rnd = next.rnd;
  }
  lower.dispose();
  return rnd;
}
